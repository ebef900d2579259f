"""File events: wake a watcher's thread as soon as a watched file is saved.

Optional: used when the ``watchdog`` package is installed (inotify on
Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows); see
``watch(backend=...)``. An event only wakes the watcher early. What
changed is still decided by changed() (content, not events), and the
watcher still polls every *interval*: an event the system drops (a
network file system, inotify's watch limit) delays a reload until the
next poll, it does not lose it."""
import logging
import os

from .compat import green_threads

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
    """What a watcher asked for *backend* uses now: "polling" or "watchdog".
    "auto" is "watchdog" when it can be imported and threads are real
    threads, else "polling". Under gevent's or eventlet's monkey-patching
    watchdog's threads block every greenlet on a read, or break."""
    if backend not in BACKENDS:
        raise ValueError("watch() expects backend 'auto', 'polling' or 'watchdog', got %r" % (backend,))
    if backend == "polling":
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


class FileEvents(object):
    """A watchdog observer on the folders of the files given to follow();
    sets *wakeup* (a threading.Event) on an event that may have changed
    one of those files' content. ``close()`` stops the observer."""

    def __init__(self, wakeup):
        self.wakeup = wakeup
        self.followed = None  # the paths follow() was last given
        self.paths = frozenset()  # their real paths
        self.watches = {}  # folder -> watchdog's ObservedWatch
        self.unwatchable = set()  # folders watchdog refused: polled only, reported once
        self.observer = watchdog_observer()()  # a daemon thread, as watchdog makes all its threads
        self.observer.start()

    def dispatch(self, event):
        """Called by the observer's thread for every event in a followed folder."""
        if event.event_type not in CONTENT_EVENTS:
            return
        for path in (event.src_path, getattr(event, "dest_path", None)):
            if path and real_path(path) in self.paths:
                self.wakeup.set()
                return

    def follow(self, paths):
        """Wake on events for *paths* (source files) from now on: watch
        their folders, and no longer the folders none of them is in."""
        if paths == self.followed:  # the common case: spares a realpath() per file
            return
        self.followed = paths
        self.paths = frozenset(real_path(path) for path in paths)
        folders = set(os.path.dirname(path) for path in self.paths)
        self.unwatchable &= folders  # one that comes back is tried again
        for folder in sorted(folders.difference(self.watches, self.unwatchable)):
            try:
                self.watches[folder] = self.observer.schedule(self, folder, recursive=False)
            except OSError as error:  # gone meanwhile, or inotify's limits reached
                self.unwatchable.add(folder)
                log.warning("compatreload: no file events for %s (%s); its files are polled only", folder, error)
        for folder in sorted(set(self.watches) - folders):
            self.observer.unschedule(self.watches.pop(folder))

    def close(self):
        self.observer.stop()
        self.observer.join()
