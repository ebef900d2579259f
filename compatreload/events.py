"""File events: wake a watcher's thread as soon as a watched file is saved.

Optional: used when the ``watchdog`` package is installed (inotify on
Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows); see
``watch(backend=...)``. An event only wakes the watcher early. What
changed is still decided by changed() (content, not events), and the
watcher still polls every *interval*: an event the system drops (a
network file system, inotify's watch limit) delays a reload until the
next poll, it does not lose it.

``os.fork()`` stops every observer first (3.7+ and PyPy3): no thread of
watchdog's runs while the process is copied, so a child never starts with
a lock one of them held (a pre-fork server's master with a running
watcher). After the fork each watcher is woken to check for what the fork
missed, and polls from then on; a child has no watcher thread (only the
one that forked), and starts the watcher it inherited with new events.
2.x and 3.6 have no os.register_at_fork: there "auto" polls."""
import logging
import os
import threading

from .compat import at_fork, green_threads

log = logging.getLogger("compatreload")

#: What watch(backend=...) accepts.
BACKENDS = ("auto", "polling", "watchdog")

#: watchdog event types that may mean new content. Not "opened",
#: "closed_no_write" nor "attrib" (watchdog 5+ reports those): the watcher's
#: own reading of a file would wake it again, for nothing, in a loop.
CONTENT_EVENTS = frozenset(("created", "deleted", "modified", "moved", "closed"))


def watchdog_observer():
    """watchdog's Observer class, or None when watchdog cannot be imported."""
    try:
        from watchdog.observers import Observer
    except ImportError:
        return None
    return Observer


def chosen_backend(backend):
    """What a watcher that asks for *backend* uses now: "polling" or "watchdog".
    "auto" is "watchdog" when it can be imported, threads are real threads
    and os.fork() can pause them (3.7+, PyPy3), else "polling". Under
    gevent's or eventlet's monkey-patching watchdog's threads block every
    greenlet on a read, or break."""
    if backend not in BACKENDS:
        raise ValueError("watch() expects backend 'auto', 'polling' or 'watchdog', got %r" % (backend,))
    if backend == "polling" or (backend == "auto" and at_fork is None):
        return "polling"
    if watchdog_observer() is None:
        if backend == "watchdog":
            raise ImportError(
                "compatreload: watch(backend='watchdog') needs the watchdog package, which cannot be "
                "imported here; install it, or use backend='auto' or 'polling'"
            )
        return "polling"
    if green_threads():
        if backend == "watchdog":
            raise RuntimeError(
                "compatreload: watch(backend='watchdog') cannot run with monkey-patched threads (gevent, "
                "eventlet): watchdog's threads would block every greenlet; use backend='auto' or 'polling'"
            )
        return "polling"
    return "watchdog"


def real_path(path):
    """One spelling per file: watchdog reports the folders' real paths."""
    return os.path.normcase(os.path.realpath(path))


def links_on(paths):
    """The symbolic links on the way to *paths* (the files and the folders
    above them), each spelled as watchdog reports an event for it: the real
    path of its folder, then its name. A deploy that switches one (a
    `current` link to the release folder) changes every file behind it."""
    links, seen = set(), set()
    for path in paths:
        path = os.path.abspath(path)
        while path not in seen:
            seen.add(path)
            if os.path.islink(path):
                links.add(os.path.join(real_path(os.path.dirname(path)), os.path.normcase(os.path.basename(path))))
            path = os.path.dirname(path)
    return frozenset(links)


class FileEvents(object):
    """A watchdog observer on the folders of the files given to follow();
    sets *wakeup* (a threading.Event) on an event that may have changed
    one of those files' content. ``close()`` stops the observer."""

    def __init__(self, wakeup):
        self.wakeup = wakeup
        self.followed = None  # the paths follow() was last given
        self.paths = frozenset()  # their real paths
        self.links = frozenset()  # links_on() them
        self.watches = {}  # folder -> watchdog's ObservedWatch
        self.unwatchable = set()  # folders watchdog refused: polled only, reported once
        self.lock = threading.RLock()  # follow(), close(), and a fork from pause_all() to release_all()
        with _running_lock:
            self.observer = started_observer()
            _running.add(self)

    def dispatch(self, event):
        """Called by the observer's thread for every event in a followed folder."""
        if event.event_type not in CONTENT_EVENTS:
            return
        for path in (event.src_path, getattr(event, "dest_path", None)):
            if not path:
                continue
            if os.path.normcase(path) in self.links:
                self.followed = None  # the files behind it are others now: follow() looks again
            elif real_path(path) not in self.paths:
                continue
            self.wakeup.set()
            return

    def follow(self, paths):
        """Wake on events for *paths* (source files) from now on: watch
        their folders, and no longer the folders none of them is in.
        True if it watches a folder it did not: a file there saved before
        may not have been seen."""
        with self.lock:
            # A fork stopped the observer (the watcher then polls), or nothing moved:
            # the common case, which spares a realpath() per file.
            if self.stopped_by_fork() or paths == self.followed:
                return False
            self.followed = paths
            self.paths = frozenset(real_path(path) for path in paths)
            self.links = links_on(paths)
            folders = set(os.path.dirname(path) for path in self.paths | self.links)
            self.unwatchable &= folders  # one that comes back is tried again
            new = sorted(folders.difference(self.watches, self.unwatchable))
            for folder in new:
                self.watch(folder)
            for folder in sorted(set(self.watches) - folders):
                self.observer.unschedule(self.watches.pop(folder))
            return bool(new)

    def watch(self, folder):
        try:
            self.watches[folder] = self.observer.schedule(self, folder, recursive=False)
        except OSError as error:  # gone meanwhile, or inotify's limits reached
            self.unwatchable.add(folder)
            log.warning("compatreload: no file events for %s (%s); its files are polled only", folder, error)

    def stopped_by_fork(self):
        return self.observer is None

    def pause(self):
        """Before os.fork(): stop the observer's threads, and hold the lock
        until release_all()."""
        self.lock.acquire()
        self.stop()

    def stop(self):
        if self.observer is not None:
            self.observer.stop()
            self.observer.join()
            self.observer = None

    def close(self):
        with _running_lock:
            _running.discard(self)
        with self.lock:
            self.stop()


def started_observer():
    observer = watchdog_observer()()  # a daemon thread, as watchdog makes all its threads
    observer.start()
    return observer


_running = set()  # the FileEvents not closed yet
_running_lock = threading.Lock()


def pause_all():
    _running_lock.acquire()
    for events in _running:
        events.pause()


def release_all():
    """After os.fork(), in the parent and in the child: let go of the locks
    pause_all() took, and wake each watcher (see the module docstring)."""
    for events in _running:
        events.lock.release()
        events.wakeup.set()
    _running_lock.release()


if at_fork is not None:
    at_fork(before=pause_all, after_in_parent=release_all, after_in_child=release_all)
