"""watch(): reload what changed, by hand or from a daemon thread."""
import importlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import types

import pytest

import compatreload
from compatreload import ReloadError, Watcher, purge, watch
from conftest import load_from_bytecode_alone


class Calls(object):
    """A callback that records what it was told."""

    def __init__(self):
        self.calls = []
        self.event = threading.Event()

    def __call__(self, reloaded, error):
        self.calls.append((reloaded, error))
        self.event.set()


def test_check_by_hand(workspace):
    workspace.add("pure")
    import pure.c  # noqa: F401

    calls = Calls()
    watcher = Watcher(["pure"], callback=calls)
    assert watcher.check() == [] and calls.calls == []
    workspace.set_version("pure", "pure/a.py", 2)
    assert watcher.check() == ["pure.a", "pure.b", "pure.c"]
    assert calls.calls == [(["pure.a", "pure.b", "pure.c"], None)]
    assert sys.modules["pure.c"].value() == "c@1>b@1>a@2"
    assert watcher.check() == []


def test_a_broken_edit_is_reported_once_and_the_old_code_keeps_running(workspace):
    workspace.add("pure")
    import pure.c  # noqa: F401

    calls = Calls()
    watcher = Watcher("pure", callback=calls)
    old_a = sys.modules["pure.a"]
    workspace.write("pure", "pure/a.py", "raise RuntimeError('broken on purpose')\n")
    assert watcher.check() == []
    assert len(calls.calls) == 1 and isinstance(calls.calls[0][1], RuntimeError)
    assert sys.modules["pure.a"] is old_a and sys.modules["pure.c"].value() == "c@1>b@1>a@1"
    assert watcher.check() == [] and len(calls.calls) == 1  # the same content is not tried again
    workspace.set_version("pure", "pure/a.py", 3, same_second=False)
    assert watcher.check() == ["pure.a", "pure.b", "pure.c"]
    assert calls.calls[-1] == (["pure.a", "pure.b", "pure.c"], None)


def test_a_deleted_file_reaches_the_callback(workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401

    calls = Calls()
    watcher = Watcher(["pure.a"], callback=calls)
    os.remove(workspace.path("pure", "pure/a.py"))
    assert watcher.check() == []
    assert isinstance(calls.calls[0][1], ReloadError) and "no longer exists" in str(calls.calls[0][1])


def test_the_thread_reloads_and_stops_cleanly(workspace):
    workspace.add("pure")
    import pure.c  # noqa: F401

    calls = Calls()
    with watch(["pure"], interval=0.05, callback=calls, start=False) as watcher:
        thread = watcher.thread
        assert thread.daemon and thread.is_alive()
        workspace.set_version("pure", "pure/b.py", 2)
        assert calls.event.wait(20), "the watcher did not reload within 20 s"
    assert not thread.is_alive() and watcher.thread is None
    assert calls.calls[0] == (["pure.b", "pure.c"], None)
    assert sys.modules["pure.c"].value() == "c@1>b@2>a@1"


def test_a_raising_callback_does_not_stop_the_watching(workspace, caplog):
    workspace.add("pure")
    import pure.a  # noqa: F401

    def broken(reloaded, error):
        raise ValueError("callback bug")

    watcher = watch(["pure"], interval=60, callback=broken)
    try:
        with pytest.raises(RuntimeError) as raised:
            watcher.start()
        assert "already started" in str(raised.value)
        workspace.set_version("pure", "pure/a.py", 2)
        assert watcher.check() == ["pure.a"]
        assert "the watch callback raised" in caplog.text
    finally:
        watcher.stop()


def test_by_default_the_library_and_stdlib_are_not_watched(workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401

    watched = Watcher(exclude=["pure.b"]).watched()
    assert "pure.a" in watched and "pure.b" not in watched
    for name in ("os", "json", "six", "compatreload.reloading", "pytest"):
        assert name not in watched, name


def test_watcher_without_callback(workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401

    watcher = Watcher(["pure"])
    workspace.set_version("pure", "pure/a.py", 2)
    assert watcher.check() == ["pure.a"]


def test_entering_a_started_watcher_and_stopping_an_idle_one(workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401

    idle = Watcher(["pure"])
    idle.stop()  # never started: nothing to stop
    assert idle.thread is None
    watcher = watch(["pure"], interval=60)
    thread = watcher.thread
    with watcher as entered:
        assert entered is watcher and watcher.thread is thread  # not started twice
    assert not thread.is_alive()


def test_settle_polls_wait_for_an_edit_to_be_complete(workspace):
    """A deploy writes files one after the other: with settle_polls=1 the
    watcher reloads only what two polls in a row saw the same."""
    workspace.add("pure")
    import pure.c  # noqa: F401

    watcher = Watcher(["pure"], settle_polls=1)
    workspace.set_version("pure", "pure/a.py", 2)
    assert watcher.check() == []  # first sight of the change
    workspace.set_version("pure", "pure/b.py", 2)  # the deploy goes on
    assert watcher.check() == []  # the changed set moved: wait again
    assert watcher.check() == ["pure.a", "pure.b", "pure.c"]  # settled
    assert sys.modules["pure.c"].value() == "c@1>b@2>a@2"
    assert watcher.check() == []


def test_a_fix_saved_while_a_broken_reload_runs_is_tried(workspace, monkeypatch):
    """The content remembered as broken is the content the reload tried,
    not what is on disk once it has failed."""
    from compatreload import watching

    workspace.add("pure")
    import pure.a  # noqa: F401

    real_deep_reload = watching.deep_reload

    def fixed_meanwhile(*args, **kwargs):
        try:
            return real_deep_reload(*args, **kwargs)
        finally:
            workspace.set_version("pure", "pure/a.py", 3, same_second=False)

    watcher = Watcher(["pure"])
    workspace.write("pure", "pure/a.py", "raise RuntimeError('broken')\n")
    monkeypatch.setattr(watching, "deep_reload", fixed_meanwhile)
    assert watcher.check() == []  # the broken content failed; the fix landed meanwhile
    monkeypatch.setattr(watching, "deep_reload", real_deep_reload)
    assert watcher.check() == ["pure.a"]
    assert sys.modules["pure.a"].value() == "a@3"


def test_a_file_saved_while_the_reload_reads_it_is_rolled_back_and_retried(workspace):
    """pure/a.py (v2) rewrites pure/b.py when it runs, as an editor saving
    during the reload would: b then runs content the watcher never saw, so
    the reload is rolled back, no failure is reported, and the next look
    reloads the settled content."""
    workspace.add("pure")
    import pure.c  # noqa: F401

    calls = Calls()
    watcher = Watcher(["pure"], callback=calls)
    b_path = workspace.path("pure", "pure/b.py")
    b_v2 = workspace.source("pure", "pure/b.py").replace("@1", "@2")
    a_v2 = workspace.source("pure", "pure/a.py").replace("@1", "@2")
    saving = "with open(%r, 'w') as stream:\n    stream.write(%r)\n" % (b_path, b_v2)
    workspace.write("pure", "pure/a.py", a_v2 + saving)
    old_c = sys.modules["pure.c"]
    assert watcher.check() == []
    assert calls.calls == [] and sys.modules["pure.c"] is old_c
    assert watcher.check() == ["pure.a", "pure.b", "pure.c"]
    assert sys.modules["pure.c"].value() == "c@1>b@2>a@2"


def test_a_watcher_reads_the_import_lines_when_it_is_made(workspace, monkeypatch):
    """So that the first reload a server runs does not read every loaded
    source: after Watcher(), planning a reload reads no file."""
    from compatreload import deep_reload, graph

    workspace.add("pure")
    import pure.c  # noqa: F401

    Watcher(["pure"])

    def no_reading(path, size=0):
        raise AssertionError("read %s to plan a reload" % path)

    monkeypatch.setattr(graph, "read_source", no_reading)  # how graph reads a source file
    assert deep_reload("pure.a", dry_run=True) == ["pure.a", "pure.b", "pure.c"]


def test_a_module_loaded_from_bytecode_alone_is_not_taken_for_a_deleted_one(workspace):
    """Else every poll would try to reload it, fail, and take the edits
    made meanwhile down with it."""
    workspace.add("pure")
    import pure.c  # noqa: F401

    load_from_bytecode_alone(workspace, "compiled_only", "X = 1\n")
    calls = Calls()
    watcher = Watcher(["pure", "compiled_only"], callback=calls)
    assert watcher.check() == [] and calls.calls == []
    workspace.set_version("pure", "pure/a.py", 2)
    assert watcher.check() == ["pure.a", "pure.b", "pure.c"]
    assert calls.calls == [(["pure.a", "pure.b", "pure.c"], None)]


def test_a_module_imported_from_a_zip_archive_is_not_taken_for_a_deleted_one(workspace):
    """A server deployed as a zipapp watches what it loaded from disk: the
    archive's modules are not watched, and no poll reports them deleted."""
    from conftest import load_from_zip

    workspace.add("pure")
    import pure.c  # noqa: F401

    load_from_zip(workspace, "zipped_only", "X = 1\n")
    calls = Calls()
    watcher = Watcher(callback=calls)
    assert "pure.a" in watcher.watched() and "zipped_only" not in watcher.watched()
    named = Watcher(["pure", "zipped_only"], callback=calls)
    assert watcher.check() == [] and named.check() == [] and calls.calls == []
    workspace.set_version("pure", "pure/a.py", 2)
    assert named.check() == ["pure.a", "pure.b", "pure.c"]
    assert calls.calls == [(["pure.a", "pure.b", "pure.c"], None)]


def test_a_deleted_module_does_not_hold_back_the_other_edits(workspace):
    """A deploy or a branch switch deletes pure.b and edits pure.a: pure.a
    is reloaded; pure.b, its dependent, stays loaded as it was with its
    bindings rebound, as an excluded module (so pure.c, reached only through
    it, runs the new pure.a through it); the callback hears of the deletion
    once; a file at pure.b's place again is reloaded."""
    workspace.add("pure")
    import pure.c  # noqa: F401

    calls = Calls()
    watcher = Watcher(["pure"], callback=calls)
    old_b = sys.modules["pure.b"]
    os.remove(workspace.path("pure", "pure/b.py"))
    workspace.set_version("pure", "pure/a.py", 2)
    assert watcher.check() == ["pure.a"]
    deleted, reloaded = calls.calls
    assert deleted[0] is None and isinstance(deleted[1], ReloadError) and "pure.b" in str(deleted[1])
    assert reloaded == (["pure.a"], None)
    assert sys.modules["pure.b"] is old_b and old_b.a is sys.modules["pure.a"]
    assert sys.modules["pure.c"].value() == "c@1>b@1>a@2"
    workspace.set_version("pure", "pure/a.py", 3)
    assert watcher.check() == ["pure.a"] and len(calls.calls) == 3  # no second word of pure.b
    workspace.set_version("pure", "pure/b.py", 2, same_second=False)
    assert watcher.check() == ["pure.b", "pure.c"]
    assert sys.modules["pure.c"].value() == "c@1>b@2>a@3"


def test_a_deleted_package_file_does_not_exclude_its_edited_submodules(workspace):
    workspace.add("pure")
    import pure.c  # noqa: F401

    calls = Calls()
    watcher = Watcher(["pure"], callback=calls)
    os.remove(workspace.path("pure", "pure/__init__.py"))
    workspace.set_version("pure", "pure/a.py", 2)
    assert watcher.check() == ["pure.a", "pure.b", "pure.c"]
    assert "pure was loaded from" in str(calls.calls[0][1])
    assert sys.modules["pure.c"].value() == "c@1>b@1>a@2"


def test_a_callback_may_stop_its_watcher(workspace, caplog):
    workspace.add("pure")
    import pure.a  # noqa: F401

    calls = Calls()

    def stop_once_reloaded(reloaded, error):
        watcher.stop()
        calls(reloaded, error)

    watcher = watch(["pure"], interval=0.05, callback=stop_once_reloaded)
    thread = watcher.thread
    workspace.set_version("pure", "pure/a.py", 2)
    assert calls.event.wait(20), "the watcher did not reload within 20 s"
    thread.join(20)
    assert not thread.is_alive() and watcher.thread is None
    assert "the watch callback raised" not in caplog.text
    watcher.start()  # and it may start again
    watcher.stop()
    assert calls.calls == [(["pure.a"], None)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() is POSIX only")
def test_a_forked_child_starts_the_watcher_it_inherited(workspace):
    """A pre-fork server that made the watcher before forking (gunicorn's
    preload_app): the child has no watcher thread, and starts it itself."""
    workspace.add("pure")
    import pure.a  # noqa: F401

    calls = Calls()
    watcher = watch(["pure"], interval=0.05, callback=calls)
    try:
        status = exit_status(forked_child(watcher, calls, workspace))
        assert status == 0, "the child could not start its watcher or did not reload"
    finally:
        watcher.stop()


def exit_status(pid):
    return os.waitpid(pid, 0)[1]


def forked_child(watcher, calls, workspace):
    """Fork; the child starts the inherited *watcher* (whose callback is
    *calls*), edits pure/a.py to v2 and exits 0 once it reloaded it, 1 if it
    did not within 20 s (14, SIGALRM, if it hung). Returns its pid."""
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status, never return to pytest
        status = 3
        try:
            signal.alarm(30)
            watcher.start()
            workspace.set_version("pure", "pure/a.py", 2)
            reloaded = calls.event.wait(20) and calls.calls[-1] == (["pure.a"], None)
            status = 0 if reloaded and sys.modules["pure.a"].TAG == "a@2" else 1
        finally:
            os._exit(status)
    return pid


def watchdog_missing():
    try:
        import watchdog.observers  # noqa: F401
    except ImportError:
        return True
    return False


needs_watchdog = pytest.mark.skipif(
    watchdog_missing(), reason="file events need the watchdog package (every tox env installs it)"
)


class CountedWatcher(Watcher):
    """A Watcher that counts its checks."""

    checks = 0

    def check(self):
        self.checks += 1
        return Watcher.check(self)


@pytest.mark.parametrize("backend", ["watchdog", "polling"])
def test_file_events_reload_an_edit_long_before_the_next_poll_and_polling_waits_for_it(workspace, backend):
    if backend == "watchdog" and watchdog_missing():
        pytest.skip("file events need the watchdog package (every tox env installs it)")
    workspace.add("pure")
    import pure.c  # noqa: F401

    calls = Calls()
    with watch(["pure"], interval=600, callback=calls, backend=backend) as watcher:
        assert watcher.backend == backend
        workspace.set_version("pure", "pure/a.py", 2)
        reloaded_before_the_poll = calls.event.wait(20 if backend == "watchdog" else 1.0)
        assert reloaded_before_the_poll == (backend == "watchdog")
        if backend == "polling":
            assert watcher.check() == ["pure.a", "pure.b", "pure.c"]
    assert calls.calls == [(["pure.a", "pure.b", "pure.c"], None)]
    assert sys.modules["pure.c"].value() == "c@1>b@1>a@2"


@needs_watchdog
def test_an_editors_atomic_save_wakes_the_watcher(workspace):
    """Editors write a temporary file and rename it over the old one."""
    workspace.add("pure")
    import pure.b  # noqa: F401

    calls = Calls()
    with watch(["pure"], interval=600, callback=calls, backend="watchdog"):
        path = workspace.path("pure", "pure/b.py")
        with open(path + ".tmp", "w") as stream:
            stream.write(workspace.source("pure", "pure/b.py").replace("@1", "@2"))
        os.rename(path + ".tmp", path)
        assert calls.event.wait(20), "no reload within 20 s: the rename did not wake the watcher"
    assert calls.calls == [(["pure.b"], None)] and sys.modules["pure.b"].TAG == "b@2"


@needs_watchdog
def test_the_watchers_own_reading_does_not_wake_it(workspace):
    """A reload and the checks after it read the files; watchdog 5+ reports
    those reads (opened, closed without writing), which must not wake the
    watcher again and again."""
    workspace.add("pure")
    import pure.c  # noqa: F401

    calls = Calls()
    watcher = CountedWatcher(["pure"], interval=600, callback=calls, backend="watchdog").start()
    try:
        workspace.set_version("pure", "pure/a.py", 2)
        assert calls.event.wait(20), "no reload within 20 s"
        time.sleep(1.0)  # ten quiet periods: a watcher woken by its own reading checks again and again
        assert watcher.checks == 1 and calls.calls == [(["pure.a", "pure.b", "pure.c"], None)]
    finally:
        watcher.stop()


@needs_watchdog
def test_a_file_rewritten_without_pause_is_still_checked_every_interval(workspace):
    """Events keep coming while a tool rewrites a file every 50 ms (never
    the 100 ms pause the watcher waits for): it still looks once per
    interval. (Whether that reload goes through depends on whether a write
    lands while it reads the file: then it is rolled back.)"""
    workspace.add("pure")
    import pure.a  # noqa: F401

    watcher = CountedWatcher(["pure"], interval=0.3, backend="watchdog").start()
    try:
        for version in range(30):  # 1.5 s
            workspace.set_version("pure", "pure/a.py", version % 9 + 1, same_second=False)
            time.sleep(0.05)
        checks = watcher.checks
    finally:
        watcher.stop()
    assert checks >= 2, "%d checks while a file was rewritten for 1.5 s with interval 0.3 s" % checks


class LateWatcher(Watcher):
    """A Watcher whose first check the machine runs late (it takes 2.5
    intervals); records when each check starts."""

    def __init__(self, *args, **kwargs):
        Watcher.__init__(self, *args, **kwargs)
        self.starts = []

    def check(self):
        self.starts.append(time.time())
        if len(self.starts) == 1:
            time.sleep(2.5 * self.interval)
        return Watcher.check(self)


def test_a_late_poll_moves_the_next_ones_so_polls_stay_an_interval_apart(workspace):
    """settle_polls=1 trusts two polls an interval apart to see a deploy
    whole. Polls that caught up after a late one ran back to back: the live
    gunicorn test on PyPy, on a loaded machine, served handlers@58|helpers@57
    (both polls saw the handlers written, not yet the helpers)."""
    workspace.add("pure")
    import pure.c  # noqa: F401

    watcher = LateWatcher(["pure"], interval=0.2, settle_polls=1, backend="polling").start()
    try:
        deadline = time.time() + 20
        while len(watcher.starts) < 5 and time.time() < deadline:
            time.sleep(0.05)
    finally:
        watcher.stop()
    gaps = [later - earlier for earlier, later in zip(watcher.starts, watcher.starts[1:])]
    assert len(gaps) >= 4 and min(gaps) >= 0.19, gaps


@needs_watchdog
def test_with_file_events_settle_polls_counts_polls_only(workspace):
    """A deploy pauses between its files (a slow copy, a second pass that
    rewrites a file as it is): with settle_polls=1 file events add no
    check, and the polls (an interval apart) reload the whole deploy at
    once. Checks woken a moment apart once counted as two polls: pure.a
    was reloaded alone 0.4 s after the first write."""
    workspace.add("pure")
    import pure.c  # noqa: F401

    calls = Calls()
    with watch(["pure"], interval=1.0, settle_polls=1, callback=calls, backend="watchdog"):
        workspace.set_version("pure", "pure/a.py", 2)
        time.sleep(0.3)
        workspace.set_version("pure", "pure/a.py", 2)  # an event, and the same content
        time.sleep(0.3)
        workspace.set_version("pure", "pure/b.py", 2)
        assert calls.event.wait(20), "no reload within 20 s"
    assert calls.calls == [(["pure.a", "pure.b", "pure.c"], None)]
    assert sys.modules["pure.c"].value() == "c@1>b@2>a@2"


def lay_out_release(workspace, version):
    """Release *version* of package `released` in deploy/releases/v<version>/."""
    for relpath, text in (("released/__init__.py", ""), ("released/app.py", "VERSION = %d\n" % version)):
        workspace.write("deploy", os.path.join("releases", "v%d" % version, relpath), text)


def switch_current(workspace, version):
    """Point deploy/current at a release as deploy tools do: a new link
    renamed over the old one (atomic)."""
    current = workspace.path("deploy", "current")
    os.symlink(os.path.join("releases", "v%d" % version), current + ".new")
    os.rename(current + ".new", current)


@pytest.mark.parametrize("backend", ["watchdog", "polling"])
def test_a_switched_release_link_is_reloaded_and_the_new_release_followed(workspace, backend):
    """Deploy tools lay out each release in a folder of its own and switch a
    `current` link that sys.path holds: the switch is seen (with file
    events, at once), and so are edits in the new release."""
    if backend == "watchdog" and watchdog_missing():
        pytest.skip("file events need the watchdog package (every tox env installs it)")
    lay_out_release(workspace, 1)
    lay_out_release(workspace, 2)
    switch_current(workspace, 1)
    entry = workspace.path("deploy", "current")
    sys.path.insert(0, entry)
    workspace.sys_path.append(entry)
    workspace.packages.append("released")
    import released.app

    assert released.app.VERSION == 1
    calls = Calls()
    with watch(["released"], interval=600, callback=calls, backend=backend) as watcher:
        for edit in (lambda: switch_current(workspace, 2),
                     lambda: workspace.write("deploy", "releases/v2/released/app.py", "VERSION = 3\n")):
            calls.event.clear()
            edit()
            if backend == "polling":
                assert watcher.check() == ["released.app"]
            else:
                assert calls.event.wait(20), "no reload within 20 s of the edit; before it: %s" % calls.calls
    assert calls.calls == [(["released.app"], None)] * 2
    assert sys.modules["released.app"].VERSION == 3


@needs_watchdog
def test_a_purged_package_folder_is_no_longer_followed(workspace):
    workspace.add("pure")
    workspace.add("circular")
    import circular.ping  # noqa: F401
    import pure.a  # noqa: F401

    calls = Calls()
    with watch(["pure", "circular"], interval=600, callback=calls, backend="watchdog"):
        purge("circular")
        workspace.set_version("pure", "pure/a.py", 2)
        assert calls.event.wait(20), "no reload within 20 s"
        calls.event.clear()
        workspace.set_version("pure", "pure/a.py", 3)  # after the check that let go of circular/
        assert calls.event.wait(20), "no reload within 20 s once a folder was let go"
    assert calls.calls == [(["pure.a"], None), (["pure.a"], None)]
    assert sys.modules["pure.a"].TAG == "a@3"


@needs_watchdog
def test_a_folder_without_file_events_is_still_polled(workspace, caplog):
    workspace.add("pure")
    import pure.a  # noqa: F401

    calls = Calls()
    watcher = watch(["pure"], interval=0.05, callback=calls, backend="watchdog", start=False)
    shutil.rmtree(workspace.path("pure", "pure"))  # watchdog cannot watch a folder that is gone
    with watcher:
        assert calls.event.wait(20), "the deletion was not reported within 20 s"
    assert "no file events for" in caplog.text
    assert isinstance(calls.calls[0][1], ReloadError) and "no longer exists" in str(calls.calls[0][1])


@needs_watchdog
def test_stopping_ends_the_file_event_threads(workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401

    before = set(threading.enumerate())
    watcher = watch(["pure"], interval=600, backend="watchdog")
    assert len(set(threading.enumerate()) - before) >= 3  # the watcher, watchdog's observer and emitter
    watcher.stop()
    assert set(threading.enumerate()) - before == set()


@needs_watchdog
def test_auto_uses_file_events_where_a_fork_can_pause_them(workspace):
    """os.register_at_fork (3.7+, PyPy3) lets a fork pause watchdog's
    threads; without it (2.7, 3.6) a fork could copy a lock one of them
    holds into the child, so "auto" polls there."""
    expected = "watchdog" if sys.version_info >= (3, 7) else "polling"
    assert Watcher([], backend="auto").backend == expected


@needs_watchdog
@pytest.mark.skipif(
    not hasattr(os, "register_at_fork"),
    reason="os.register_at_fork needs 3.7+: there a fork cannot pause file events, and \"auto\" polls",
)
def test_a_fork_stops_file_events_then_the_parent_polls_and_the_children_start_their_own(workspace):
    """A pre-fork master whose watcher runs with file events forks two
    workers, one after the other: watchdog's threads are stopped while the
    process is copied. Each worker starts the watcher it inherited, with
    events of its own (the interval is 10 minutes: only an event reloads
    there); the master checks for what the forks missed, then polls."""
    workspace.add("pure")
    import pure.a  # noqa: F401

    calls = Calls()
    watcher = watch(["pure"], interval=600, callback=calls, backend="watchdog")
    try:
        workers = [forked_child(watcher, calls, workspace) for _ in range(2)]
        assert [exit_status(pid) for pid in workers] == [0, 0], "a child could not start its watcher or did not reload"
        deadline = time.time() + 20
        while watcher.backend != "polling" and time.time() < deadline:  # once it checked after the forks
            time.sleep(0.01)
        assert watcher.backend == "polling"
        assert not [thread for thread in threading.enumerate() if type(thread).__module__.startswith("watchdog")]
        watcher.check()  # the workers' edit, unless the check after the forks came after it and reloaded it
        assert calls.calls == [(["pure.a"], None)] and sys.modules["pure.a"].TAG == "a@2"
    finally:
        watcher.stop()


QUIET_AT_FORK = """\
import os, sys, threading

counts = []


def count_watchdog_threads():
    counts.append(len([thread for thread in threading.enumerate() if type(thread).__module__.startswith("watchdog")]))


# Registered before compatreload's: "before" handlers run in the reverse order
# of registration, so this one runs last, right before the process is copied.
os.register_at_fork(before=count_watchdog_threads)
import compatreload

sys.path.insert(0, %(folder)r)
import quietmod

watcher = compatreload.watch(["quietmod"], interval=600, backend="watchdog")
count_watchdog_threads()
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
watcher.stop()
sys.stdout.write("%%d %%d\\n" %% tuple(counts))
"""


@needs_watchdog
@pytest.mark.skipif(
    not hasattr(os, "register_at_fork"),
    reason="os.register_at_fork needs 3.7+: there a fork cannot pause file events, and \"auto\" polls",
)
def test_no_thread_of_watchdogs_runs_while_a_fork_copies_the_process(workspace):
    """What makes the fork safe: a thread running at the fork could hold a
    lock (an import's, logging's, the allocator's) that the child then
    waits for forever. In a fresh process, whose fork handler of its own
    runs last, right before the copy."""
    script = workspace.write("quiet", "scenario.py", QUIET_AT_FORK % {"folder": workspace.path("quiet", "")})
    workspace.write("quiet", "quietmod.py", "TAG = 'quiet@1'\n")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(compatreload.__file__))))
    process = subprocess.Popen([sys.executable, script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    output, errors = [stream.decode("utf-8") for stream in process.communicate()]
    assert process.returncode == 0, output + errors  # 3.12+ warns on stderr of a fork with threads running
    running, at_fork = [int(count) for count in output.split()]
    assert running >= 2 and at_fork == 0, "watchdog threads: %d running, %d at the fork" % (running, at_fork)


def test_auto_polls_when_watchdog_cannot_be_imported(workspace, monkeypatch):
    """An interpreter without watchdog, simulated: None in sys.modules is
    how Python itself marks a module that cannot be imported."""
    workspace.add("pure")
    import pure.a  # noqa: F401

    monkeypatch.setitem(sys.modules, "watchdog", None)
    monkeypatch.setitem(sys.modules, "watchdog.observers", None)
    with pytest.raises(ImportError) as raised:
        Watcher(["pure"], backend="watchdog")
    assert "needs the watchdog package" in str(raised.value)
    calls = Calls()
    with watch(["pure"], interval=0.05, callback=calls) as watcher:
        assert watcher.backend == "polling"
        workspace.set_version("pure", "pure/a.py", 2)
        assert calls.event.wait(20), "the polling watcher did not reload within 20 s"
    assert calls.calls == [(["pure.a"], None)]


def test_an_unknown_backend_is_refused(workspace):
    with pytest.raises(ValueError) as raised:
        watch([], backend="inotify")
    assert str(raised.value) == "watch() expects backend 'auto', 'polling' or 'watchdog', got 'inotify'"


def test_modules_loaded_by_a_relative_path_still_reload_after_a_chdir(workspace):
    """A daemon changes directory once its code is loaded (python-daemon's
    default, the double-fork recipe: os.chdir("/")). Code loaded by a
    relative path (a plugin host's own loader; on 2.x, every module
    `python -m` imports through sys.path's "" entry) is still found by the
    watcher made before, and reloaded from the file it was loaded from."""
    workspace.write("cwdapp", "cwdpkg/__init__.py", "")
    workspace.write("cwdapp", "cwdpkg/mod.py", "TAG = 'mod@1'\n")
    workspace.write("cwdapp", "plugins/plug.py", "TAG = 'plug@1'\n")
    home = os.getcwd()
    os.chdir(workspace.path("cwdapp", ""))
    sys.path.insert(0, "")
    try:
        import cwdpkg.mod  # noqa: F401

        plug = sys.modules["relplug"] = types.ModuleType("relplug")
        plug.__file__ = os.path.join("plugins", "plug.py")  # relative, as the host gave it
        with open(plug.__file__) as stream:
            exec(compile(stream.read(), plug.__file__, "exec"), vars(plug))
        watcher = Watcher(["cwdpkg", "relplug"])
        os.chdir("/")
        workspace.write("cwdapp", "cwdpkg/__init__.py", "TAG = 'pkg@2'\n")
        workspace.write("cwdapp", "cwdpkg/mod.py", "TAG = 'mod@2'\n", same_second=True)
        workspace.write("cwdapp", "plugins/plug.py", "TAG = 'plug@2'\n", same_second=True)
        assert sorted(watcher.check()) == ["cwdpkg", "cwdpkg.mod", "relplug"]
        assert sys.modules["cwdpkg.mod"].TAG == "mod@2" and sys.modules["relplug"].TAG == "plug@2"
        assert sys.modules["relplug"].__file__ == workspace.path("cwdapp", "plugins/plug.py")
        # The reloaded package looks for new submodules where it was loaded from.
        workspace.write("cwdapp", "cwdpkg/later.py", "TAG = 'later@1'\n")
        assert importlib.import_module("cwdpkg.later").TAG == "later@1"
    finally:
        os.chdir(home)
        sys.path.remove("")
        purge("cwdpkg")
        sys.modules.pop("relplug", None)


LOADED_BEFORE_COMPATRELOAD = """\
import os, sys, types
os.chdir(%(folder)r)
plug = sys.modules["relplug"] = types.ModuleType("relplug")
plug.__file__ = "plug.py"  # relative: a plugin host's own loader
exec(compile(open(plug.__file__).read(), plug.__file__, "exec"), vars(plug))
import compatreload  # only now: it takes its first look when imported
os.chdir("/")
with open(os.path.join(%(folder)r, "plug.py"), "w") as stream:
    stream.write("TAG = 'plug@2'\\n")
sys.stdout.write("%%s %%s\\n" %% (compatreload.deep_reload("relplug"), sys.modules["relplug"].TAG))
"""


def test_a_module_loaded_by_a_relative_path_before_compatreload_reloads_after_a_chdir(workspace):
    """The same, when nothing of compatreload's looked at the module before
    the chdir: importing compatreload takes that first look. In a fresh
    process, which imports compatreload after loading the plugin."""
    script = workspace.write("cwdapp", "scenario.py", LOADED_BEFORE_COMPATRELOAD % {"folder": workspace.path("cwdapp", "")})
    workspace.write("cwdapp", "plug.py", "TAG = 'plug@1'\n")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(compatreload.__file__))))
    process = subprocess.Popen([sys.executable, script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    output = process.communicate()[0].decode("utf-8")
    assert process.returncode == 0, output
    assert output.split() == ["['relplug']", "plug@2"], output


GREEN_THREADS = """\
import os, sys
if os.environ.get("SUITE_COVERAGE_RC"):  # measured like the suite: a data file beside its own
    import coverage
    measured = coverage.Coverage(config_file=os.environ["SUITE_COVERAGE_RC"], data_suffix=True)
    measured.start()
try:
    from gevent import monkey
except ImportError:
    sys.stdout.write("no gevent\\n")
    sys.exit(0)
monkey.patch_all()
import gevent
import compatreload

sys.path.insert(0, %(folder)r)
import greenmod

beats = []


def heartbeat():
    while True:
        beats.append(1)
        gevent.sleep(0.01)


gevent.spawn(heartbeat)
try:
    compatreload.watch(["greenmod"], backend="watchdog")
    refused = "not refused"
except RuntimeError as error:
    refused = str(error)
done = []
watcher = compatreload.watch(["greenmod"], interval=0.1, callback=lambda names, error: done.append((names, error)))
with open(os.path.join(%(folder)r, "greenmod.py"), "w") as stream:
    stream.write("TAG = 'green@2'\\n")
for _ in range(500):
    if done:
        break
    gevent.sleep(0.01)
before = len(beats)
gevent.sleep(0.2)
watcher.stop()
sys.stdout.write("%%s|%%s|%%s|%%s|%%s\\n" %% (
    watcher.backend, done, greenmod.TAG, len(beats) - before > 5, "monkey-patched threads" in refused))
if os.environ.get("SUITE_COVERAGE_RC"):
    measured.stop()
    measured.save()
"""


def test_auto_polls_under_gevents_monkey_patched_threads(workspace):
    """Under gevent (a gunicorn gevent worker) watchdog's threads would block
    every greenlet or break: "auto" polls, "watchdog" is refused, and the
    server's greenlets keep running while the watcher reloads. In a fresh
    process, since monkey-patching cannot be undone."""
    script = workspace.write("green", "scenario.py", GREEN_THREADS % {"folder": workspace.path("green", "")})
    workspace.write("green", "greenmod.py", "TAG = 'green@1'\n")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(compatreload.__file__))))
    if "COVERAGE_FILE" in os.environ:  # the suite runs under coverage (tox)
        env["SUITE_COVERAGE_RC"] = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tox.ini")
    process = subprocess.Popen([sys.executable, script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    output = process.communicate()[0].decode("utf-8").strip()
    if output == "no gevent":
        pytest.skip("gevent publishes no wheel for PyPy 3.9 (every other tox env installs it)")
    assert process.returncode == 0, output
    assert output == "polling|[(['greenmod'], None)]|green@2|True|True", output


EXITING = """\
import sys, time
sys.path.insert(0, %(folder)r)
import compatreload
compatreload.watch(interval=0.001, backend="polling")
time.sleep(0.05)
"""


def test_a_program_that_exits_with_a_watcher_running_ends_quietly(workspace):
    # 2.x cleared the modules the daemon thread ran in: "Exception in thread
    # compatreload-watch (most likely raised during interpreter shutdown)"
    # on stderr in 4 of 5 runs. The watcher is stopped at exit now.
    script = workspace.write("quiet", "exiting.py", EXITING % {"folder": os.path.dirname(os.path.dirname(os.path.abspath(compatreload.__file__)))})
    for _ in range(5):
        process = subprocess.Popen([sys.executable, script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        output, errors = [stream.decode("utf-8") for stream in process.communicate()]
        assert process.returncode == 0 and output == "" and errors == "", errors


def test_the_exit_handler_stops_every_started_watcher(workspace):
    # What atexit runs (measured here: coverage does not follow the exit of
    # the test process).
    from compatreload import watching

    workspace.add("pure")
    import pure.a  # noqa: F401

    watcher = watch(["pure"], interval=0.05, backend="polling")
    thread = watcher.thread
    assert thread.is_alive() and watcher in watching._started
    watching.stop_started_watchers()
    thread.join(5)
    assert not thread.is_alive() and watcher.thread is None and watcher not in watching._started
