"""changed(): which loaded modules' source differs from what ran.

compatreload remembers, per loaded module, the digest of the source it
executed (deep_reload's loader records it) or, for a module it has not
executed, of the source on disk the first time changed() or a watcher
looked at it: that first look is the baseline. A check is one os.stat
when nothing moved; the file is read and hashed only when its nanosecond
mtime, size or ctime moved (new content may keep its source's mtime:
reproducible builds, cp -p, rsync; no tool sets ctime back), or while it
is "racy": modified less than RACY_SECONDS before it was recorded, when
file-system timestamps tick too coarsely to show a second edit (the
same rule git uses for its index). So a same-size edit within the same second is seen, and a ``touch`` that
changes nothing is not reported. A check that finds nothing changed keeps
a Snapshot, so the next check of the same modules costs little more than
the stats themselves."""
import functools
import hashlib
import itertools
import operator
import os
import sys
import time
import types

from .compat import change_in_stamp, change_of, imap, stamp_of, string_types
from .locking import ForkSafeRLock, fork_waits_for
from .origins import loaded_from_bytecode, module_namespace, source_file

#: A file modified this recently when recorded may change again unseen by stat.
RACY_SECONDS = 2.0

MISSING = object()  # no sys.modules entry (2.x: None is one)

_records = {}  # module name -> Record
_records_lock = fork_waits_for(ForkSafeRLock())


class Record(object):
    """What was executed for one module, and the stat it had then; *stat*
    and *digest* None: there was no source file at the first look (a
    module loaded from bytecode alone), which is then the baseline."""

    __slots__ = ("module_id", "file_attribute", "path", "stamp", "digest", "racy")

    def __init__(self, module, path, stat, digest):
        # id() alone can be reused by a later module: __file__ must match too.
        self.module_id = id(module)
        self.file_attribute = module_namespace(module).get("__file__")
        self.path = path
        self.digest = digest
        self.restamp(stat)

    def restamp(self, stat):
        # racy first: settled_at() reads the stamp first, without the lock,
        # so a stamp it sees comes with its own racy (or a later one)
        self.racy = stat is not None and time.time() - stat.st_mtime < RACY_SECONDS
        self.stamp = None if stat is None else stamp_of(stat)

    def settled_at(self, stat):
        """Whether the file, whose stat is *stat* now, holds the bytes
        recorded, by the rule changed() and a reload trust: the same stamp
        (mtime, size, ctime), and the record not racy."""
        return self.stamp == stamp_of(stat) and not self.racy


def digest_of(data):
    return hashlib.sha1(data).hexdigest()


#: os.open flags for reading a file as bytes (O_BINARY exists on Windows only).
READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)


def read_source(path, size=0):
    """The bytes of the file at *path*. *size*, its size at a stat just
    taken, lets one read take it all: os.read on a descriptor costs half
    of what a buffered file object does for the small files modules are
    (reads continue to the end, should the file have grown since)."""
    descriptor = os.open(path, READ_FLAGS)
    try:
        chunks = [os.read(descriptor, size + 1)]
        while chunks[-1]:
            chunks.append(os.read(descriptor, 1 << 16))
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def record_executed(ran):
    """Remember, for each (name, module, path, stat, digest) of *ran*, that
    the source whose digest is *digest* (read from *path*, whose stat was
    taken before reading) is what runs as module *name* (the lock is taken
    once for a whole reload)."""
    records = [(name, Record(module, path, stat, digest)) for name, module, path, stat, digest in ran]
    with _records_lock:
        _records.update(records)
        forget_snapshot()


class Snapshot(object):
    """A check that found nothing changed: the names checked, what
    sys.modules held under each when it began (entries_of), and the path of each
    recorded one with what compat.change_of() gives of its stamp (POSIX: the
    change time, which moves with anything that moves the stamp). The next
    check of the same names is then C-level loops (an itemgetter over
    sys.modules, map over operator.is_, a tuple comparison) while the same objects are loaded
    and every file's change is the same; anything else takes the per-module
    path. Holds the module objects until the next check or reload
    (forget_snapshot() drops it)."""

    __slots__ = ("names", "entries_now", "entries", "paths", "changes")

    def __init__(self, names, entries, records):
        self.names, self.entries = names, entries
        self.entries_now = entries_getter(names, entries)
        self.paths = [record.path for record in records]
        self.changes = tuple(change_in_stamp(record.stamp) for record in records)

    def unchanged(self, names):
        if names != self.names:
            return False
        try:
            if not all(imap(operator.is_, self.entries_now(), self.entries)):
                return False
            return tuple(imap(change_of, imap(os.stat, self.paths))) == self.changes
        except (KeyError, OSError):  # a module unloaded, a file gone: the per-module path reports it
            return False


def entries_getter(names, entries):
    """A function of no argument giving entries_of(*names*) as it is now,
    *entries* then: one itemgetter call when every name was loaded (it
    raises KeyError once one is not; an is-comparison with *entries* tells
    the rest, never ==, which a class may define as it likes)."""
    if len(names) > 1 and not any(imap(operator.is_, entries, itertools.repeat(MISSING))):
        return functools.partial(operator.itemgetter(*names), sys.modules)
    return functools.partial(entries_of, names)


def entries_of(names):
    """What sys.modules holds under each of *names*, MISSING where nothing."""
    return list(imap(sys.modules.get, names, itertools.repeat(MISSING)))


_snapshot = [None]


def forget_snapshot():
    _snapshot[0] = None


def take_snapshot(names, entries):
    """Keep a Snapshot of *names* (*entries*: entries_of(names) when the
    check began, nothing changed) unless a record is racy (it must be read again)."""
    records = []
    for name, module in selected_modules(names, entries):
        record = _records.get(name)
        if is_recorded(record, module):
            if record.racy or record.stamp is None:  # a source may appear: stat it each time
                return
            records.append(record)
    _snapshot[0] = Snapshot(names, entries, records)


#: current_source()'s answer when the source is what ran.
SAME = object()


def current_source(name, module, path, record):
    """SAME if the source of the loaded *module* is what ran (the first look
    at a module records that baseline); else the digest of its source now,
    None if the file is gone or unreadable. (changed_sources() has already
    answered the case of an unmoved, settled stat.)"""
    try:
        stat = os.stat(path)
        data = read_source(path, stat.st_size)
    except (OSError, IOError):
        stat = data = None
    digest = None if data is None else digest_of(data)
    with _records_lock:
        first_look = not is_recorded(record, module) or record.path != path
        # 2.x: a .pyc __file__ with no source at the first look: loaded from
        # bytecode alone, so no file is its baseline, not a deletion.
        if first_look and (digest is not None or loaded_from_bytecode(module)):
            _records[name] = Record(module, path, stat, digest)
            return SAME
        if digest is None:
            return SAME if not first_look and record.digest is None else None
        if digest != record.digest:
            return digest
        record.restamp(stat)
        return SAME


def recorded_paths(names):
    """The source file paths recorded for those of *names* that changed()
    or a reload has looked at."""
    records = _records
    return [records[name].path for name in names if name in records]


def settled_digest(name, path, stat):
    """The digest recorded for module *name* if its source file *path*, whose
    stat is *stat* now, is settled as recorded (Record.settled_at), else None."""
    record = _records.get(name)
    if record is not None and record.path == path and record.settled_at(stat):
        return record.digest
    return None


def executed_digest(name, module):
    """Digest of the source recorded as executed for *module*, or None."""
    record = _records.get(name)
    return record.digest if is_recorded(record, module) else None


def is_recorded(record, module):
    """Whether *record* was made for this very *module*."""
    return (
        record is not None
        and record.module_id == id(module)
        and record.file_attribute == module_namespace(module).get("__file__")
    )


def listed_names(names):
    """The list of names *names* designates: every loaded module if None."""
    if names is None:
        return list(sys.modules)
    if isinstance(names, string_types):
        return [names]
    return list(names)


def check_names(names):
    for name in names:
        if not isinstance(name, string_types):
            raise TypeError("changed() expects module names (str), got %s %r" % (type(name).__name__, name))


def selected_modules(names, entries):
    """(name, module) of the loaded modules among *names* (*entries*:
    entries_of(names))."""
    return [(name, entry) for name, entry in zip(names, entries) if isinstance(entry, types.ModuleType)]


def changed(names=None):
    """Sorted names of the loaded modules (all, or those in *names*) whose
    source file content differs from what was executed, including modules
    whose file was deleted. Names that are not loaded are ignored."""
    return sorted(changed_sources(names))


def changed_sources(names=None):
    """What changed() finds, as name -> digest of the source now (None if
    the file is gone): the watcher needs the content, not only the name."""
    names = listed_names(names)
    snapshot = _snapshot[0]
    if snapshot is not None and snapshot.unchanged(names):  # its names were checked when it was taken
        return {}
    check_names(names)
    found = {}
    records, stat_file = _records, os.stat
    entries = entries_of(names)
    for name, module in selected_modules(names, entries):
        record = records.get(name)
        if is_recorded(record, module) and record.stamp is not None:
            # The common case, kept lean: one stat, one comparison.
            try:
                stat = stat_file(record.path)
            except OSError:
                found[name] = None
                continue
            if record.settled_at(stat):
                continue
            path = record.path
        else:
            path = source_file(module)
            if path is None:
                continue
        source = current_source(name, module, path, record)
        if source is not SAME:
            found[name] = source
    if not found:
        take_snapshot(names, entries)
    return found
