"""compatreload: reload code in a running Python process, the same way on
every interpreter from 2.7 to 3.13 and PyPy.

Public API (see README.md for the whole contract):

- ``reload``: the interpreter's own reload function, unwrapped.
- ``RELOAD_IMPL``: where that function was found.
- ``purge(name, submodules=True)``: unload a module so the next import
  runs its source as it is on disk now.
- ``deep_reload(target, exclude=(), rebind=True, upgrade=False, dry_run=False)``:
  re-execute a module and everything that depends on it, all or nothing.
- ``rebind(old, new, exclude=())``: point other modules' bindings at a
  reloaded module's new objects.
- ``changed(names=None)``: loaded modules whose source differs from what ran.
- ``watch(...)``: reload what changed, in a daemon thread or by hand.
"""
from .native import RELOAD_IMPL, reload
from .errors import ExtensionNotReloadedWarning, ReloadError, StaleBindingWarning
from .changes import changed
from .purging import purge
from .reloading import deep_reload, rebind
from .watching import Watcher, watch

__version__ = "0.4.0"

__all__ = [
    "RELOAD_IMPL",
    "ExtensionNotReloadedWarning",
    "ReloadError",
    "StaleBindingWarning",
    "Watcher",
    "changed",
    "deep_reload",
    "purge",
    "rebind",
    "reload",
    "watch",
]
