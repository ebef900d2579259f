"""The self-check report behind ``python -m compatreload``: the matrix
fixtures' scenarios, run on this interpreter in a temporary folder, with
bytecode writing on (the setting under which stale bytecode can run)."""
import contextlib
import importlib
import platform
import sys
import threading
import time
import warnings

from .native import RELOAD_IMPL
from .fixtures import FIXTURES, Workspace, unavailable_reason
from .purging import purge
from .changes import changed
from .events import watchdog_observer
from .reloading import deep_reload
from .watching import Watcher

#: (scenario name, fixture name, function(workspace)), in report order.
SCENARIOS = []


class ScenarioFailed(AssertionError):
    """A scenario saw something other than what it expected."""


class ScenarioSkipped(Exception):
    """A scenario cannot run here; the message is the reason."""


def scenario(name, fixture):
    def register(function):
        SCENARIOS.append((name, fixture, function))
        return function

    return register


def expect(found, expected, what):
    if found != expected:
        raise ScenarioFailed("%s: expected %r, found %r" % (what, expected, found))


def edit_and_purge(workspace, fixture_name, files, package, probe):
    """Import v1, rewrite *files* as v2 in the same second, purge, import
    again; returns what *probe* sees before and after."""
    before = probe()
    for relpath in files:
        workspace.set_version(fixture_name, relpath, 2)
    removed = purge(package)
    expect(sorted(set(removed)), removed, "purge() return value is sorted")
    return before, probe()


def value_of(name, function="value"):
    return lambda: getattr(importlib.import_module(name), function)()


@scenario("purge pure (chain, diamond)", "pure")
def check_pure(workspace):
    files = ["pure/a.py", "pure/b.py", "pure/c.py", "pure/base.py", "pure/top.py"]
    before, after = edit_and_purge(workspace, "pure", files, "pure", value_of("pure.c"))
    expect(before, "c@1>b@1>a@1", "chain before")
    expect(after, "c@2>b@2>a@2", "chain after")
    expect(value_of("pure.top")(), "top@2>left@1>base@2|right@1>base@2", "diamond after")


@scenario("purge circular (import cycles)", "circular")
def check_circular(workspace):
    files = ["circular/ping.py", "circular/pong.py", "circular/tick.py", "circular/tock.py"]
    before, after = edit_and_purge(workspace, "circular", files, "circular", value_of("circular.user"))
    expect(before, "user@1>ping@1>pong@1|tick@1>tock@1", "cycles before")
    expect(after, "user@1>ping@2>pong@2|tick@2>tock@2", "cycles after")


@scenario("purge cext (C extension)", "cext")
def check_cext(workspace):
    try:
        workspace.build("cext", "cext/_speedups.c")
    except OSError as error:
        raise ScenarioSkipped("no C compiler: %s" % error)
    probe = value_of("cext.wrapper", "describe")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        before, after = edit_and_purge(workspace, "cext", ["cext/wrapper.py"], "cext", probe)
    expect(before, "wrapper@1>_speedups@1", "before")
    expect(after, "wrapper@2>_speedups@1", "after (the extension keeps its code)")


@scenario("purge relative_py2 (None entries)", "relative_py2")
def check_relative_py2(workspace):
    probe = value_of("relative_py2.user")
    before, after = edit_and_purge(
        workspace, "relative_py2", ["relative_py2/helper.py"], "relative_py2", probe
    )
    expect(before, "user@1>helper@1", "before")
    expect(after, "user@1>helper@2", "after")


@scenario("purge sixmoves (six.moves lazy modules)", "sixmoves")
def check_sixmoves(workspace):
    try:
        six = importlib.import_module("six")
    except ImportError:
        raise ScenarioSkipped("six is not installed")
    probe = value_of("sixmoves.client", "count")
    before, after = edit_and_purge(workspace, "sixmoves", ["sixmoves/client.py"], "sixmoves", probe)
    expect((before, after), (8, 8), "six.moves calls")
    link = importlib.import_module("sixmoves.client").link("x")
    expect(link, "http://example.invalid/client@2/x", "new source ran")
    expect(six.moves.urllib.parse.quote("a b"), "a%20b", "six.moves still works")


@scenario("purge namespace (PEP 420)", "namespace")
def check_namespace(workspace):
    files = ["portion_a/nsfixture/alpha.py", "portion_b/nsfixture/beta.py"]
    before, after = edit_and_purge(workspace, "namespace", files, "nsfixture", value_of("nsfixture.beta"))
    expect(before, "beta@1>alpha@1", "before")
    expect(after, "beta@2>alpha@2", "after")


@scenario("deep_reload chain and diamond", "pure")
def check_deep_pure(workspace):
    importlib.import_module("pure.c")
    importlib.import_module("pure.top")
    for relpath in ("pure/a.py", "pure/base.py"):
        workspace.set_version("pure", relpath, 2)
    order = deep_reload(["pure.a", "pure.base"])
    expect(order[:2], ["pure.a", "pure.b"], "dependencies first")
    expect(len(order), len(set(order)), "each module runs once")
    expect(value_of("pure.c")(), "c@1>b@1>a@2", "chain after")
    expect(value_of("pure.top")(), "top@1>left@1>base@2|right@1>base@2", "diamond after")


@scenario("deep_reload import cycles", "circular")
def check_deep_circular(workspace):
    importlib.import_module("circular.user")
    for relpath in ("circular/ping.py", "circular/pong.py"):
        workspace.set_version("circular", relpath, 2)
    expect(deep_reload("circular.pong"), ["circular.ping", "circular.pong", "circular.user"], "order")
    expect(value_of("circular.user")(), "user@1>ping@2>pong@2|tick@1>tock@1", "after")


@scenario("deep_reload rollback on a broken edit", "pure")
def check_deep_rollback(workspace):
    importlib.import_module("pure.c")
    before = dict(sys.modules)
    workspace.set_version("pure", "pure/a.py", 2)
    workspace.write("pure", "pure/b.py", "raise RuntimeError('broken on purpose')\n")
    try:
        deep_reload("pure.a")
    except RuntimeError:
        pass
    else:
        raise ScenarioFailed("the broken module did not raise")
    expect(sys.modules == before and value_of("pure.c")() == "c@1>b@1>a@1", True, "all restored")


@scenario("deep_reload upgrade=True (held instances)", "pure")
def check_upgrade(workspace):
    a = importlib.import_module("pure.a")
    thing, tag = a.Thing(), a.Thing().tag
    workspace.set_version("pure", "pure/a.py", 2)
    deep_reload("pure.a", upgrade=True)
    expect((thing.tag(), tag()), ("Thing@2", "Thing@2"), "old instance and bound method")
    expect(type(thing) is importlib.import_module("pure.a").Thing, True, "the class stays the same object")


@scenario("changed() and watch() on a same-second edit", "pure")
def check_changes(workspace):
    importlib.import_module("pure.c")
    watcher = Watcher(["pure"])
    expect(changed(["pure.a", "pure.c"]), [], "nothing changed yet")
    workspace.set_version("pure", "pure/a.py", 2)
    expect(changed(["pure.a", "pure.c"]), ["pure.a"], "a same-size edit in the same second")
    expect(watcher.check(), ["pure.a", "pure.b", "pure.c"], "the watcher reloads it")
    expect(changed(["pure.a", "pure.c"]), [], "after the reload")


@scenario("watch() woken by file events (watchdog)", "pure")
def check_file_events(workspace):
    if watchdog_observer() is None:
        raise ScenarioSkipped("the watchdog package is not installed: watch() polls")
    importlib.import_module("pure.c")
    reloaded = []
    done = threading.Event()
    with Watcher(["pure"], interval=600, callback=lambda names, error: (reloaded.append(names), done.set()),
                 backend="watchdog"):
        workspace.set_version("pure", "pure/a.py", 2)
        expect(done.wait(10), True, "a reload within 10 s of the edit, long before the next poll")
    expect(reloaded, [["pure.a", "pure.b", "pure.c"]], "what the watcher reloaded")


@contextlib.contextmanager
def bytecode_writing():
    """Write bytecode for the block, whatever PYTHONDONTWRITEBYTECODE says."""
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        yield
    finally:
        sys.dont_write_bytecode = saved


def run_scenario(name, fixture_name, function):
    """Run one scenario; returns its report row as a dict."""
    row = {"scenario": name, "fixture": fixture_name, "result": "pass", "detail": ""}
    started = time.time()
    reason = unavailable_reason(FIXTURES[fixture_name])
    if reason is None:
        try:
            with bytecode_writing():
                with Workspace() as workspace:
                    workspace.add(fixture_name)
                    function(workspace)
        except ScenarioSkipped as skipped:
            row.update(result="skip", detail=str(skipped))
        except Exception as error:  # a scenario's failure is a report row, not a crash
            row.update(result="fail", detail="%s: %s" % (type(error).__name__, error))
    else:
        row.update(result="skip", detail=reason)
    row["seconds"] = round(time.time() - started, 4)
    return row


def interpreter():
    """E.g. "CPython 3.11.7" or "PyPy 3.9.16"."""
    return "%s %s" % (platform.python_implementation(), platform.python_version())


def run_all():
    """The whole report as a dict (what --json prints)."""
    rows = [run_scenario(*entry) for entry in SCENARIOS]
    return {
        "interpreter": interpreter(),
        "reload_impl": RELOAD_IMPL,
        "scenarios": rows,
        "failed": sum(row["result"] == "fail" for row in rows),
    }
