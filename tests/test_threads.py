"""Threads and a reload: threads calling into the modules meanwhile never see
a half-reloaded module, reloads serialize, and module code runs under the
locks a plain import of it would hold."""
import importlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

import compatreload
from compatreload import deep_reload
from compatreload.compat import DeadlockError
from compatreload.locking import ForkSafeRLock
from compatreload.pinning import DORMANT, PinnedFinder

SHAPE = re.compile(r"^c@\d>b@\d>a@\d$")


def test_threads_calling_in_during_50_reloads(workspace):
    workspace.add("pure")
    import pure.c  # noqa: F401

    errors, calls, stop = [], [0], threading.Event()

    def caller(by_import):
        try:
            while not stop.is_set():
                module = importlib.import_module("pure.c") if by_import else sys.modules["pure"].c
                value = module.value()
                assert SHAPE.match(value), value
                calls[0] += 1
                time.sleep(0.0005)  # let the reloading thread have the GIL too
        except Exception as error:  # reported to the main thread below
            errors.append(error)

    threads = [threading.Thread(target=caller, args=(index % 2 == 0,)) for index in range(4)]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(50):
            workspace.set_version("pure", "pure/a.py", 1 + round_ % 9)
            assert deep_reload("pure.a") == ["pure.a", "pure.b", "pure.c"]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert calls[0] > 0
    assert sys.modules["pure.c"].value() == "c@1>b@1>a@%d" % (1 + 49 % 9)


def test_two_threads_reloading_serialize(workspace):
    workspace.add("pure")
    import pure.top  # noqa: F401

    errors = []

    def reloader(target):
        try:
            for _ in range(10):
                deep_reload(target)
        except Exception as error:  # reported to the main thread below
            errors.append(error)

    threads = [threading.Thread(target=reloader, args=(name,)) for name in ("pure.base", "pure.left")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    top = sys.modules["pure.top"]
    assert top.left is sys.modules["pure.left"] and top.right is sys.modules["pure.right"]
    assert sys.modules["pure.left"].base_alias is sys.modules["pure.base"]


IMPORTING_THREAD = """\
from __future__ import print_function
import sys, threading
sys.path.insert(0, %(folder)r)
import sync, user, compatreload

importer = threading.Thread(target=lambda: __import__("slow"))
importer.daemon = True
importer.start()
sync.entered.wait()  # the importer holds slow's module lock now
with open(%(user)r, "w") as stream:
    stream.write("import slow\\nTAG = 2\\n")
threading.Timer(0.5, sync.go.set).start()  # then slow imports a module not loaded yet
print(compatreload.deep_reload("user"))
importer.join()
print(sys.modules["user"].TAG, sys.modules["slow"].DONE)
"""


def write_files(folder, files):
    for name, text in files.items():
        with open(os.path.join(folder, name), "w") as stream:
            stream.write(text)


SLOW_IMPORT = {
    "sync.py": "import threading\nentered = threading.Event()\ngo = threading.Event()\n",
    "slow.py": "import sync\nsync.entered.set()\nsync.go.wait()\nimport fresh\nDONE = fresh.X\n",
    "fresh.py": "X = 'done'\n",
    "user.py": "TAG = 1\n",
}


def test_a_reload_needing_a_module_another_thread_is_importing_does_not_deadlock():
    """A thread importing `slow` holds slow's module lock and, for the
    imports inside slow, takes the global import lock; a reload that holds
    the global lock and imports slow too must not wait for that thread
    while holding it (3.x; on 2.x an import holds the global lock
    throughout). Run in a child process, killed if it hangs."""
    folder = tempfile.mkdtemp()
    try:
        write_files(folder, SLOW_IMPORT)
        script = os.path.join(folder, "scenario.py")
        write_files(folder, {"scenario.py": IMPORTING_THREAD % {"folder": folder, "user": os.path.join(folder, "user.py")}})
        env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(compatreload.__file__)))
        process = subprocess.Popen([sys.executable, script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 60
        while process.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        if process.poll() is None:
            process.kill()
        output = process.communicate()[0].decode("utf-8")
        assert process.returncode == 0, "the reload hung or failed:\n" + output
        assert output.split() == ["['user']", "2", "done"], output
    finally:
        shutil.rmtree(folder)


NEED_3X_LOCKS = pytest.mark.skipif(
    sys.version_info[0] == 2, reason="2.x's import lock is held for a whole import: a reload waits for any import in progress"
)


@NEED_3X_LOCKS
def test_a_reload_waits_for_an_import_in_progress_of_a_module_it_needs(workspace, caplog):
    workspace.add("pure")
    workspace.write("pure", "sync.py", SLOW_IMPORT["sync.py"])
    # Nothing imported after the wait: a regression makes the reload wait
    # for the importer holding the global lock, not deadlock this process.
    workspace.write("pure", "slow.py", "import sync\nsync.entered.set()\nsync.go.wait()\nDONE = 'done'\n")
    workspace.write("pure", "user.py", "TAG = 1\n")
    import sync
    import user

    waiting = threading.Event()
    handler = logging.Handler()
    handler.emit = lambda record: "waiting" in record.getMessage() and waiting.set()
    logger = logging.getLogger("compatreload")
    logger.addHandler(handler)
    importer = threading.Thread(target=lambda: __import__("slow"))
    importer.start()
    sync.entered.wait()
    workspace.write("pure", "user.py", "import slow\nTAG = 2\n")

    def release_once_the_reload_waits():  # or after 10 s: then it did not wait
        waiting.wait(10)
        time.sleep(0.1)  # the reload polls meanwhile
        sync.go.set()

    releaser = threading.Thread(target=release_once_the_reload_waits)
    releaser.start()
    try:
        with caplog.at_level(logging.INFO, logger="compatreload"):
            assert deep_reload(user) == ["user"]
    finally:
        logger.removeHandler(handler)
        releaser.join()
        importer.join()
    assert "waiting for other threads to finish importing slow" in caplog.text
    assert sys.modules["user"].slow.DONE == "done"


@NEED_3X_LOCKS
def test_an_import_in_progress_of_an_unrelated_module_is_not_waited_for(workspace, caplog):
    """A thread may stay inside an import for good (a module whose body runs
    a server): a reload that does not import that module goes ahead."""
    workspace.add("pure")
    workspace.write("pure", "sync.py", SLOW_IMPORT["sync.py"])
    workspace.write("pure", "stuck.py", "import sync\nsync.entered.set()\nsync.go.wait()\n")
    workspace.write("pure", "user.py", "TAG = 1\n")
    import sync
    import user

    importer = threading.Thread(target=lambda: __import__("stuck"))
    importer.start()
    safety = threading.Timer(30, sync.go.set)  # so a regression fails instead of hanging
    safety.start()
    try:
        sync.entered.wait()
        with caplog.at_level(logging.INFO, logger="compatreload"):
            assert deep_reload(user) == ["user"]
        assert importer.is_alive() and "waiting" not in caplog.text
    finally:
        sync.go.set()
        safety.cancel()
        importer.join()


def test_a_module_that_reloads_another_while_it_is_imported_does_not_wait_for_itself(workspace):
    """The import in progress in the calling thread itself is not waited for."""
    workspace.add("pure")
    workspace.write("pure", "user.py", "TAG = 1\n")
    workspace.write(
        "pure",
        "reloads_on_import.py",
        "import user\nfrom compatreload import deep_reload\nRELOADED = deep_reload('user', exclude=[__name__])\n",
    )
    import user  # noqa: F401

    results = []
    importer = threading.Thread(target=lambda: results.append(importlib.import_module("reloads_on_import").RELOADED))
    importer.daemon = True  # a regression leaves it waiting for itself; the test fails below
    importer.start()
    importer.join(30)
    assert results == [["user"]]


def need_module_locks(test):
    """Skip where a reload holds the global import lock from start to end."""
    test = pytest.mark.skipif(
        sys.version_info[0] == 2,
        reason="2.x's import lock is held for a whole import: module code that waits for "
        "a thread's import hangs 2.x's own import too",
    )(test)
    return pytest.mark.skipif(
        sys.version_info[:2] == (3, 6),
        reason="3.6 has no os.register_at_fork: a reload holds the global import lock from "
        "start to end, which os.fork() waits for, as on 2.x",
    )(test)

POOLED = """\
import threading
import sync
VERSION = %d


def work():
    import lazily_imported
    sync.seen.append(lazily_imported.VALUE)


worker = threading.Thread(target=work)
worker.start()
worker.join(10)
FINISHED = not worker.is_alive()
"""


@need_module_locks
def test_module_code_may_wait_for_a_thread_that_imports(workspace):
    """As a plain 3.x import lets it (a thread pool at import time,
    datetime.strptime's first call in a thread): the reload does not hold
    the global import lock while module code runs."""
    workspace.add("pure")
    workspace.write("pure", "sync.py", "seen = []\n")
    workspace.write("pure", "lazily_imported.py", "VALUE = 'lazy'\n")
    workspace.write("pure", "pooled.py", POOLED % 1)
    import pooled
    import sync

    assert pooled.FINISHED and sync.seen == ["lazy"]
    compatreload.purge("lazily_imported")
    workspace.write("pure", "pooled.py", POOLED % 2)
    assert deep_reload("pooled") == ["pooled"]
    pooled = sys.modules["pooled"]
    assert (pooled.VERSION, pooled.FINISHED, sync.seen) == (2, True, ["lazy", "lazy"])
    assert "lazily_imported" in sys.modules


CYCLE_MEMBER_A = "import sync\nimport cycle_b\nsync.executions.append(%d)\nVERSION = %d\n"

CYCLE_MEMBER_B = """\
import threading
import time
import sync


def look():
    import cycle_a
    sync.seen.append(cycle_a.VERSION)


if sync.start:
    sync.looker = threading.Thread(target=look)
    sync.looker.start()
    time.sleep(0.3)  # the thread imports cycle_a meanwhile, dropped from sys.modules
import cycle_a
VERSION = %d
"""


def test_a_thread_importing_a_module_of_the_reload_waits_for_the_whole_reload(workspace):
    """A cycle is dropped from sys.modules and imported again: a thread that
    imports a member meanwhile neither executes it itself nor gets it
    before the reload is over (3.x: the reload holds the module locks of
    everything it re-executes; 2.x: the global import lock)."""
    workspace.add("pure")
    workspace.write("pure", "sync.py", "start = False\nseen = []\nexecutions = []\n")
    workspace.write("pure", "cycle_a.py", CYCLE_MEMBER_A % (1, 1))
    workspace.write("pure", "cycle_b.py", CYCLE_MEMBER_B % 1)
    import cycle_a  # noqa: F401
    import sync

    sync.start = True
    workspace.write("pure", "cycle_a.py", CYCLE_MEMBER_A % (2, 2))
    workspace.write("pure", "cycle_b.py", CYCLE_MEMBER_B % 2)
    assert sorted(deep_reload("cycle_a")) == ["cycle_a", "cycle_b"]
    sync.looker.join(10)
    assert sync.executions == [1, 2]
    assert sync.seen == [2]
    assert sys.modules["cycle_a"].VERSION == sys.modules["cycle_b"].VERSION == 2


ROLLED_BACK = """\
import sync
sync.go.set()
sync.done.wait(10)
raise RuntimeError("broken on purpose")
"""


@need_module_locks
def test_a_rollback_leaves_loaded_what_another_thread_imported_meanwhile(workspace):
    workspace.add("pure")
    workspace.write("pure", "sync.py", "import threading\ngo = threading.Event()\ndone = threading.Event()\n")
    workspace.write("pure", "pure/elsewhere.py", "VALUE = 'elsewhere'\n")
    workspace.write("pure", "user.py", "TAG = 1\n")
    import pure
    import sync
    import user  # noqa: F401

    imported = []

    def server_thread():
        sync.go.wait(10)
        imported.append(importlib.import_module("pure.elsewhere"))
        sync.done.set()

    thread = threading.Thread(target=server_thread)
    thread.start()
    workspace.write("pure", "user.py", ROLLED_BACK)
    with pytest.raises(RuntimeError):
        deep_reload("user")
    thread.join(10)
    assert sys.modules["user"].TAG == 1
    assert imported and sys.modules["pure.elsewhere"] is imported[0]
    assert pure.elsewhere is imported[0]


PAUSED_RELOAD = {
    "sync.py": "import threading\nreached = threading.Event()\nresume = threading.Event()\n",
    "dep.py": "VERSION = 1\n",
    "user.py": "import dep\nVERSION = dep.VERSION\n",
}

#: dep, version 2: the reload runs it first, holding user's module lock too.
DEP_THAT_PAUSES = "import sync\nsync.reached.set()\nsync.resume.wait(10)\nVERSION = 2\n"


def blocked_on(thread, lock):
    """Whether importlib has noted *thread* as blocking on *lock* (3.7-3.11
    and PyPy: thread id -> the lock; 3.12+: thread id -> a list of them)."""
    from importlib import _bootstrap

    noted = _bootstrap._blocking_on.get(thread.ident)
    return noted is lock or (isinstance(noted, list) and lock in noted)


def wait_until(condition, seconds=10):
    deadline = time.time() + seconds
    while not condition():
        if time.time() > deadline:
            return False
        time.sleep(0.001)
    return True


class FreeLock(object):
    owner = None  # what a lock nobody holds has


def start_paused_reload(workspace):
    """dep (version 2) and user, its importer, loaded; a thread reloading dep,
    paused inside dep's code (the reload holds both module locks). Returns
    the thread, what the reload returns (a list it appends to) and sync."""
    workspace.add("pure")
    for name, text in PAUSED_RELOAD.items():
        workspace.write("pure", name, text)
    import sync
    import user  # noqa: F401

    workspace.write("pure", "dep.py", DEP_THAT_PAUSES)
    ran = []
    reloader = threading.Thread(target=lambda: ran.append(deep_reload("dep")))
    reloader.daemon = True  # a regression can leave it waiting; the test fails below
    reloader.start()
    assert sync.reached.wait(10), "the reload did not run dep"
    return reloader, ran, sync


@need_module_locks
def test_a_thread_waiting_for_a_module_the_reload_takes_again_is_never_stuck(workspace):
    """The reload holds user's lock and takes it again to import user; a
    thread importing user meanwhile checks for a deadlock, under the
    lock's inner lock, at the moment the reload has noted that it blocks on
    the lock it owns: on 3.7 and 3.8 importlib's check went round from the
    owner to the owner for ever (bpo-38091), and both threads hung. Here the
    check holds the inner lock as that thread's acquire() does (so the
    reload waits just there) and runs when the reload is noted as blocked."""
    from importlib import _bootstrap

    reloader, ran, sync = start_paused_reload(workspace)
    lock = _bootstrap._get_module_lock("user")  # the object an import of user acquires
    verdicts, reached = [], []

    def importer_checking():
        with lock.lock:
            sync.resume.set()
            reached.append(wait_until(lambda: blocked_on(reloader, lock)))
            verdicts.append(lock.has_deadlock())

    checker = threading.Thread(target=importer_checking)
    checker.daemon = True
    checker.start()
    checker.join(10)
    stuck = checker.is_alive()
    if stuck:  # looping: end the loop so that this process goes on, then fail
        _bootstrap._blocking_on[reloader.ident] = FreeLock()
        checker.join(10)
    reloader.join(10)
    assert reached == [True], "the reload never took user's lock again"
    assert not stuck, "the deadlock check of a thread waiting for user's lock never ended"
    assert verdicts == [False]
    assert ran == [["dep", "user"]] and sys.modules["user"].VERSION == 2


#: A module a thread imports while the reload runs the cycle c1 <-> c2:
#: it imports c2 by a computed name, so the reload does not know to wait
#: for it (README: not seen); c1, version 2, imports it so too.
IMPORTS_C2 = "import importlib\nimport sync\nsync.entered.set()\nsync.go.wait(10)\nimportlib.import_module('c' + '2')\n"
C1_IMPORTS_OTHER = (
    "import importlib\nimport sync\nsync.reached.set()\nimportlib.import_module('oth' + 'er')\nimport c2\nVERSION = 2\n"
)
THREE_EVENTS = "import threading\nreached = threading.Event()\nentered = threading.Event()\ngo = threading.Event()\n"


@need_module_locks
@pytest.mark.parametrize("reloads_before", [0, 1])
def test_a_thread_that_would_deadlock_with_the_reload_gets_importlib_s_error(workspace, reloads_before):
    """The reload runs c1 (of the cycle c1 <-> c2, both out of sys.modules,
    their locks held) and c1 imports `other`, which a thread is importing;
    `other` then imports c2: each thread waits for the other. The thread's
    import fails with importlib's deadlock error, as it does without a
    reload, and the reload goes on, importing `other` itself. (A regression
    fails here, and leaves both threads waiting for each other.) The same
    after a reload of the cycle, whose module locks the next reload takes
    again (kept between reloads: still the ones an import takes, or the
    thread would import c2 itself)."""
    from importlib import _bootstrap

    workspace.add("pure")
    workspace.write("pure", "sync.py", THREE_EVENTS)
    workspace.write("pure", "c1.py", "import c2\nVERSION = 1\n")
    workspace.write("pure", "c2.py", "import c1\nVERSION = 1\n")
    workspace.write("pure", "other.py", IMPORTS_C2)
    import c1  # noqa: F401
    import sync

    for _ in range(reloads_before):
        assert deep_reload("c1") == ["c1", "c2"]

    failures = []

    def importer():
        try:
            importlib.import_module("other")
        except Exception as error:  # reported to the main thread below
            failures.append(error)

    thread = threading.Thread(target=importer)
    thread.daemon = True  # a regression leaves it waiting; the test fails below
    thread.start()
    assert sync.entered.wait(10)  # the thread holds other's lock
    workspace.write("pure", "c1.py", C1_IMPORTS_OTHER)
    ran = []
    reloader = threading.Thread(target=lambda: ran.append(deep_reload("c1")))
    reloader.daemon = True
    reloader.start()
    assert sync.reached.wait(10)
    assert wait_until(lambda: blocked_on(reloader, _bootstrap._get_module_lock("other")))
    sync.go.set()
    thread.join(10)
    reloader.join(10)
    assert [type(error) for error in failures] == [DeadlockError]
    assert ran == [["c1", "c2"]]
    assert sys.modules["c1"].VERSION == 2 and sys.modules["c1"].c2 is sys.modules["c2"]
    assert "other" in sys.modules


FORK_DURING_RELOAD = """\
import sync
sync.entered.set()
sync.go.wait(10)
TAG = 2
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() is POSIX only")
def test_a_fork_while_another_thread_reloads_waits_for_the_reload(workspace):
    """A pre-fork server may fork a worker while its watcher reloads: the
    child gets the process after the reload (never halfway through, never
    with a lock held by a thread it does not have) and can reload itself."""
    workspace.add("pure")
    workspace.write("pure", "sync.py", "import threading\nentered = threading.Event()\ngo = threading.Event()\n")
    workspace.write("pure", "slow_user.py", "TAG = 1\n")
    workspace.write("pure", "other.py", "TAG = 1\n")
    import other  # noqa: F401
    import slow_user  # noqa: F401
    import sync

    workspace.write("pure", "slow_user.py", FORK_DURING_RELOAD)
    workspace.write("pure", "other.py", "TAG = 2\n")
    results = []
    reloader = threading.Thread(target=lambda: results.append(deep_reload("slow_user")))
    reloader.start()
    sync.entered.wait(10)
    threading.Timer(0.3, sync.go.set).start()
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status, never return to pytest
        status = 3
        try:
            signal.alarm(30)  # a lock left held would hang the child: it dies of SIGALRM instead
            done = sys.modules["slow_user"].TAG == 2 and compatreload.changed(["slow_user"]) == []
            status = 0 if done and deep_reload("other") == ["other"] and sys.modules["other"].TAG == 2 else 1
        finally:
            os._exit(status)
    forked_after = sync.go.is_set()
    reloader.join(10)
    assert os.waitpid(pid, 0)[1] == 0, "the child saw the reload halfway or could not reload"
    assert forked_after and results == [["slow_user"]]


def test_a_fork_while_a_watcher_records_a_change_leaves_the_child_s_changed_working(workspace):
    """A watcher thread records what changed under a lock of changed()'s own:
    the child's changed() never waits for a thread the child does not have.
    On 3.7+ a fork waits until the lock is let go; on 2.x and 3.6 (no
    os.register_at_fork) the child makes the lock afresh. (The lock is taken
    here by hand: a thread holds it only for the moment it records a file.)"""
    from compatreload import changes

    workspace.add("pure")
    import pure.a  # noqa: F401

    assert compatreload.changed(["pure.a"]) == []  # the baseline
    holding = threading.Event()

    def record_slowly():
        with changes._records_lock:
            holding.set()
            time.sleep(0.3)

    recorder = threading.Thread(target=record_slowly)
    recorder.start()
    holding.wait(10)
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status, never return to pytest
        status = 3
        try:
            signal.alarm(30)  # a lock left held would hang the child: it dies of SIGALRM instead
            workspace.set_version("pure", "pure/a.py", 2)
            status = 0 if compatreload.changed(["pure.a"]) == ["pure.a"] else 1
        finally:
            os._exit(status)
    recorder.join()
    assert os.waitpid(pid, 0)[1] == 0, "the child's changed() waited for a thread it does not have"


def test_a_lock_a_fork_copied_held_is_made_afresh_in_the_child():
    """The child's side of the fork test above, in this process (a forked
    child's coverage is not collected): a ForkSafeRLock made in another
    process (as the parent's pid looks from a child) and held by another
    thread (in a child, one it does not have) is made afresh on its first
    use instead of waiting for that thread."""
    lock = ForkSafeRLock()
    held, done = threading.Event(), threading.Event()

    def hold():
        copied = lock.lock
        with copied:
            held.set()
            done.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    lock.pid = -1
    used = []

    def use():
        with lock:
            used.append(os.getpid())

    user = threading.Thread(target=use)
    user.daemon = True  # should it wait forever, the test fails instead of hanging
    user.start()
    user.join(10)
    used_meanwhile = list(used)  # while the other thread still holds what it took
    done.set()
    holder.join()
    assert used_meanwhile == [os.getpid()] and lock.pid == os.getpid()


class BlockingFinder(object):
    """Holds a thread inside the import system, in the middle of the list of
    finders, until the reload's finder has left the list."""

    def find_spec(self, fullname, path=None, target=None):
        return self.find_module(fullname)

    def find_module(self, fullname, path=None):
        deadline = time.time() + 10
        while fullname == "provided_elsewhere" and time.time() < deadline and any(
            isinstance(entry, PinnedFinder) for entry in sys.meta_path
        ):
            time.sleep(0.005)
        return None


class Provider(object):
    """A finder that provides the module provided_elsewhere (a plugin system's
    importer, like six's): nothing on disk has that name."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "provided_elsewhere":
            return None
        import importlib.util

        return importlib.util.spec_from_loader(fullname, self)

    def find_module(self, fullname, path=None):
        return self if fullname == "provided_elsewhere" else None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.VALUE = "provided"

    def load_module(self, fullname):  # 2.x
        module = sys.modules.setdefault(fullname, __import__("types").ModuleType(fullname))
        self.exec_module(module)
        return module


STARTS_AN_IMPORTER = """\
import threading
import sync
sync.importer = threading.Thread(target=sync.import_provided)
sync.importer.start()
TAG = 2
"""


def test_a_thread_going_through_the_finders_when_a_reload_ends_skips_none(workspace):
    """The reload's finder leaves an inert finder in its place on
    sys.meta_path: a thread in the middle of the list (here held inside the
    finder after it) goes on to every finder after that one."""
    workspace.add("pure")
    workspace.write("pure", "sync.py", "results = []\n")
    workspace.write("pure", "user.py", "TAG = 1\n")
    import sync
    import user  # noqa: F401

    blocking, provider = BlockingFinder(), Provider()

    def import_provided():
        try:
            sync.results.append(importlib.import_module("provided_elsewhere").VALUE)
        except ImportError as error:
            sync.results.append(error)

    sync.import_provided = import_provided
    dormant = sys.meta_path.count(DORMANT)
    sys.meta_path[:0] = [blocking, provider]
    try:
        workspace.write("pure", "user.py", STARTS_AN_IMPORTER)
        assert deep_reload("user") == ["user"]
        sync.importer.join(10)
        assert sync.results == ["provided"]
    finally:
        sys.meta_path[:] = [entry for entry in sys.meta_path if entry not in (blocking, provider)]
        sys.modules.pop("provided_elsewhere", None)
    # Not first when the reload began: one more inert finder, where it was.
    assert not [entry for entry in sys.meta_path if isinstance(entry, PinnedFinder)]
    assert sys.meta_path.count(DORMANT) == dormant + 1
