"""A program that uses every public function of compatreload, for the type
checkers (tox -e typecheck). It is checked, not run: pytest collects test_*.py."""
import json
from typing import List, Optional

import compatreload
from compatreload import (
    RELOAD_IMPL,
    ExtensionNotReloadedWarning,
    ReloadError,
    StaleBindingWarning,
    Watcher,
    changed,
    deep_reload,
    purge,
    rebind,
    reload,
    watch,
)


def report(reloaded: Optional[List[str]], error: Optional[BaseException]) -> None:
    print(reloaded, error)


def main() -> None:
    module = reload(json)
    implementation: str = RELOAD_IMPL
    removed: List[str] = purge("json.tool", submodules=False)
    ran: List[str] = deep_reload([module, "json.decoder"], exclude=("json.scanner",), rebind=True, upgrade=True, dry_run=True)
    old = dict(vars(module))
    pairs = rebind(old, reload(module), exclude="json.encoder")
    for holder, attribute in pairs:
        print(holder.upper(), attribute.upper())
    edited: List[str] = changed(["json"]) + changed()
    watcher: Watcher = watch(
        ["json"], interval=0.5, callback=report, exclude=(), upgrade=False, start=False, settle_polls=1, backend="auto"
    )
    backend: str = watcher.backend
    with watcher as running:
        reloaded: List[str] = running.check()
    watcher.stop(timeout=1.0)
    by_hand = Watcher("json", callback=lambda names, error: None, backend="polling")
    print(implementation, removed, ran, edited, reloaded, by_hand.watched(), backend, compatreload.__version__)
    for kind in (ReloadError, ExtensionNotReloadedWarning, StaleBindingWarning):
        print(kind.__name__)


if __name__ == "__main__":
    main()
