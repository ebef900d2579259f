"""watch(): reload what changed, from a daemon thread or by hand.

A Watcher polls changed() over the modules it watches and, on a change,
deep-reloads all changed modules in one transaction, then calls
``callback(reloaded, error)``: the list of names re-executed and None, or
None and the exception when the reload failed. After a failure the old
code keeps running, and the same broken content is not tried again until
a file changes again. Polling needs the standard library only; with the
``watchdog`` package installed, file events wake the thread as soon as a
watched file is saved (see events.py)."""
import atexit
import logging
import os
import sys
import sysconfig
import threading
import timeit
import types
import weakref

from .changes import changed_sources, recorded_paths
from .errors import ReloadError, SourceChangedError
from .events import FileEvents, chosen_backend
from .graph import read_import_lines
from .origins import source_file
from .reloading import Prefixes, deep_reload

log = logging.getLogger("compatreload")

#: Seconds without a file event before a woken watcher checks.
EVENT_QUIET_SECONDS = 0.1

#: Seconds the interpreter's exit waits for each watcher's thread to end.
EXIT_WAIT_SECONDS = 1.0

#: The watchers whose thread was started: stopped when the interpreter exits.
_started = weakref.WeakSet()


@atexit.register
def stop_started_watchers():
    """Stop every started watcher's thread at exit: 2.x clears the modules a
    daemon thread still runs in, which printed "Exception in thread
    compatreload-watch (most likely raised during interpreter shutdown)" as
    a program ended (and on 3.x file events are closed in order)."""
    for watcher in list(_started):
        watcher.stop(EXIT_WAIT_SECONDS)


#: sysconfig paths of installed code: not watched by default.
LIBRARY_PATHS = ("stdlib", "platstdlib", "purelib", "platlib")


def library_roots():
    """Folders of the standard library and of installed packages."""
    roots = set(sysconfig.get_paths().get(key) for key in LIBRARY_PATHS)
    roots.update(entry for entry in sys.path if os.path.basename(entry) in ("site-packages", "dist-packages"))
    roots.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # compatreload's own
    # In a 2.x virtualenv sysconfig names the env's lib folder; os.py is
    # where the standard library really is, on every interpreter.
    roots.add(os.path.dirname(os.path.abspath(os.__file__)))
    return tuple(os.path.join(os.path.abspath(root), "") for root in roots if root)


class Watcher(object):
    """Watches *names* (module names or package prefixes; None: every
    loaded module outside the standard library, site-packages and
    compatreload itself), minus *exclude*. The baseline is taken when it
    is made, and the import lines of every loaded source are read then
    (see read_import_lines). With *settle_polls* N, a change is reloaded
    only when N more polls saw the same changed files with the same
    content (file events then add no check). ``check()`` looks once;
    ``start()`` looks every *interval* seconds in a daemon thread until
    ``stop()``; as a context manager it starts and stops.

    *backend*: "polling" (the standard library only), "watchdog" (the
    thread also checks EVENT_QUIET_SECONDS after the last file event of a
    save, with settle_polls=0; ImportError if watchdog cannot be imported) or "auto"
    (watchdog when it can be imported and threads are not monkey-patched
    into greenlets; chosen again by each ``start()``). ``backend`` is then
    what it uses.
    Events only wake the thread early: it still polls every *interval*
    (an event the system drops is seen by the next poll), and changed()
    still decides what changed."""

    def __init__(self, names=None, interval=1.0, callback=None, exclude=(), upgrade=False, settle_polls=0,
                 backend="auto"):
        self.requested_backend = backend
        self.backend = chosen_backend(backend)
        self.names = None if names is None else Prefixes(names, "names")
        self.settle_polls = settle_polls
        self.unsettled = (None, 0)  # (changed files' digests, how many polls saw them)
        self.exclude = Prefixes(exclude, "exclude")
        self.interval = interval
        self.callback = callback
        self.upgrade = upgrade
        self.failed = {}  # name -> digest of the content whose reload failed
        self.gone = set()  # watched modules whose source file is deleted: not re-executed
        self.stopping = threading.Event()
        self.wakeup = threading.Event()  # set by a file event, and by stop()
        self.thread = None
        self.roots = library_roots()
        self.checked = self.watched()  # the names the last check looked at
        changed_sources(self.checked)  # the baseline
        read_import_lines(set(self.checked))

    def __enter__(self):
        if self.thread is None:
            self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def watched(self):
        """Names of the loaded modules this watcher watches."""
        names = []
        for name, module in list(sys.modules.items()):
            if not isinstance(module, types.ModuleType) or name in self.exclude:
                continue
            if self.names is not None:
                if name in self.names:
                    names.append(name)
                continue
            path = source_file(module)
            if path is not None and not path.startswith(self.roots):
                names.append(name)
        return names

    def check(self):
        """Look once; returns the names reloaded ([] if none or failed)."""
        self.checked = self.watched()
        sources = changed_sources(self.checked)
        self.note_deleted(set(name for name, digest in sources.items() if digest is None))
        attempted = dict(  # the content this reload will try; not what failed before
            (name, digest)
            for name, digest in sources.items()
            if digest is not None and (name not in self.failed or self.failed[name] != digest)
        )
        if not attempted or not self.settled(attempted):
            return []
        names = sorted(attempted)
        try:
            reloaded = deep_reload(
                names, exclude=self.exclude.names + self.gone_besides(names), upgrade=self.upgrade,
                _expected_sources=attempted,
            )
        except SourceChangedError as error:
            # A save in progress was read: rolled back; try again once it settles.
            self.unsettled = (None, 0)
            log.info("compatreload: %s", error)
            return []
        except Exception as error:  # the old code keeps running; the callback is told
            # Not read again now: a fix saved during the failed reload must be tried.
            self.failed = attempted
            log.warning("compatreload: reloading %s failed: %s: %s", ", ".join(names), type(error).__name__, error)
            self.notify(None, error)
            return []
        self.failed = {}
        log.info("compatreload: reloaded %s", ", ".join(reloaded))
        self.notify(reloaded, None)
        return reloaded

    def note_deleted(self, gone):
        """Tell the callback, once per deletion, of each watched module whose
        source file is gone: it cannot run again, so it stays loaded as it
        is and the reloads that follow leave it out (a deploy or a branch
        switch that deletes a module must not hold back the other edits)."""
        for name in sorted(gone - self.gone):
            error = ReloadError(
                "compatreload: %s was loaded from %s, which no longer exists; it stays loaded as it "
                "is and is not re-executed until a file is there again" % (name, source_file(sys.modules[name]))
            )
            log.warning("%s", error)
            self.notify(None, error)
        self.gone = gone

    def gone_besides(self, targets):
        """The deleted modules to exclude from a reload of *targets*: all but
        a package of a target (excluding it would exclude the target)."""
        return tuple(
            name for name in sorted(self.gone) if not any(target.startswith(name + ".") for target in targets)
        )

    def settled(self, seen):
        """True once the same changed files with the same content (*seen*:
        name -> digest) were seen on settle_polls polls before this one: a
        deploy that writes several files one after the other is reloaded
        whole, not halfway."""
        previous, count = self.unsettled
        count = count + 1 if seen == previous else 0
        self.unsettled = (seen, count)
        return count >= self.settle_polls

    def notify(self, reloaded, error):
        if self.callback is None:
            return
        try:
            self.callback(reloaded, error)
        except Exception:  # a broken callback must not stop the watching
            log.exception("compatreload: the watch callback raised")

    def start(self):
        """Look every *interval* seconds in a daemon thread. A watcher whose
        thread is gone may start again: stopped, or made before os.fork()
        (a child has no thread but the one that forked: a pre-fork server's
        worker starts the watcher it inherited)."""
        if self.thread is not None and self.thread.is_alive():
            raise RuntimeError("compatreload: this watcher is already started")
        # Chosen again: a pre-fork server's worker may have monkey-patched
        # its threads (gunicorn's gevent workers) since the watcher was made.
        self.backend = chosen_backend(self.requested_backend)
        # New events rather than cleared ones: a fork copies an event's lock
        # held if the parent's watcher thread was waiting on it then, and
        # 2.x and 3.6 have no os.register_at_fork to let go of it (a child
        # starting its inherited watcher hung in clear(): 5 runs in 40).
        self.stopping, self.wakeup = threading.Event(), threading.Event()
        # Followed before start() returns: an edit saved right after is seen.
        events = self.file_events()
        self.thread = threading.Thread(target=self.run, args=(events,), name="compatreload-watch")
        self.thread.daemon = True
        self.thread.start()
        _started.add(self)
        return self

    def file_events(self):
        """FileEvents following the watched files, or None when polling."""
        if self.backend != "watchdog":
            return None
        events = FileEvents(self.wakeup)
        events.follow(recorded_paths(self.checked))
        return events

    def run(self, events):
        # Polls start every *interval* seconds (not *interval* after the end
        # of the previous check), so that with settle_polls=N an edit is
        # reloaded within N+1 intervals plus one check and the reload itself;
        # file events never move them; a late one moves those after it. With settle_polls=0 an event adds a
        # check EVENT_QUIET_SECONDS after the last one. With settle_polls=N
        # only polls may settle a change: a check added by events moments
        # from a poll would count as a second look at a deploy caught between
        # two files, and on a loaded machine events arrive too late for their
        # quiet to say the writes are over.
        try:
            due = timeit.default_timer() + self.interval
            quiet_at = None  # when the check the file events add is due
            while True:
                check_at = due if quiet_at is None else min(due, quiet_at)
                woken = self.wakeup.wait(max(0.0, check_at - timeit.default_timer()))
                if self.stopping.is_set():
                    return
                if woken:
                    self.wakeup.clear()
                    if self.settle_polls == 0:  # the quiet period starts again
                        quiet_at = timeit.default_timer() + EVENT_QUIET_SECONDS
                    continue
                if quiet_at is not None and quiet_at <= due:
                    quiet_at = None  # the check the events added: the polls keep their times
                else:
                    # A poll that starts late moves the next one: two polls never
                    # start less than an interval apart (catching up, a poll late
                    # by an interval ran right after the one before, and both saw
                    # a deploy caught between two files).
                    due = max(due, timeit.default_timer()) + self.interval
                self.check()
                if events is not None and events.stopped_by_fork():
                    events = self.poll_from_now_on(events)
                # Modules loaded or unloaded since, a release link switched: an
                # edit saved in a new folder before it was watched is looked for.
                if events is not None and events.follow(recorded_paths(self.checked)):
                    self.wakeup.set()
        finally:
            if events is not None:
                events.close()

    def poll_from_now_on(self, events):
        """A fork stopped the file events of this (the parent's) watcher:
        it polls from now on (events.py); returns None."""
        events.close()
        self.backend = "polling"
        log.info("compatreload: the process forked: this watcher polls every %s s from now on", self.interval)
        return None

    def stop(self, timeout=None):
        """Stop the thread and wait for it (unless called from it: from a
        callback); a watcher may start again."""
        self.stopping.set()
        self.wakeup.set()
        _started.discard(self)
        if self.thread is not None:
            if self.thread is not threading.current_thread():
                self.thread.join(timeout)
            self.thread = None


def watch(names=None, interval=1.0, callback=None, exclude=(), upgrade=False, start=True, settle_polls=0,
          backend="auto"):
    """Make a Watcher (see its docstring) and, unless *start* is False,
    start its thread. Returns the watcher."""
    watcher = Watcher(names, interval, callback, exclude, upgrade, settle_polls, backend)
    if start:
        watcher.start()
    return watcher
