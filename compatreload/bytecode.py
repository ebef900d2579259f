"""Never run stale bytecode, never show stale source.

A .pyc is trusted when the source's mtime in whole seconds (and, on 3.x,
its size) match what the .pyc recorded, so a same-size edit made within
the same second as the import would run the old code. compatreload
therefore compiles re-executed modules from their source, and removes the
cached bytecode of every module it unloads so the next plain import
recompiles too. linecache (tracebacks, inspect.getsource) trusts its copy
of a file on the same kind of evidence, so that copy is dropped too.

What a reload compiles is kept in memory instead (compiled_code), keyed by
the source's bytes, not its timestamps: a module whose file is unchanged
(the dependents of an edited module, most of a deep reload) runs the code
compiled last time, as a .pyc would give it, and any other byte recompiles.
(On PyPy it runs a copy of it: see compat.CODE_KEEPS_FIRST_GLOBALS.)"""
import collections
import errno
import linecache
import logging
import os

from .compat import BYTECODE_ENDINGS, cached_bytecode_paths, runnable_code

log = logging.getLogger("compatreload")

#: source path -> (digest of the bytes compiled, the module's code object),
#: for the sources a reload compiled (about the size of a .pyc each).
_compiled = {}


def compiled_code(path, data, digest):
    """The code of *data* (the bytes of the file at *path*, whose digest,
    changes.digest_of, is *digest*) compiled as a module: the code compiled
    for *path* last time if it was compiled from the same bytes, else
    compiled now. compile() depends on nothing else: the bytes carry their
    encoding and __future__ flags, and the interpreter's optimisation level
    cannot change in a running process."""
    code = code_compiled_from(path, digest)
    if code is None:
        code = compile(data, path, "exec", dont_inherit=True)
        _compiled[path] = (digest, code)
        code = runnable_code(code)
    return code


def code_compiled_from(path, digest):
    """The code compiled_code() kept for *path*, to run (compat.runnable_code:
    itself, or on PyPy a copy), if it was compiled from the bytes whose
    digest is *digest*, else None."""
    kept = _compiled.get(path)
    return runnable_code(kept[1]) if kept is not None and kept[0] == digest else None


def forget_compiled(*sources):
    """Let go of the code compiled for the *sources* files (their modules
    were unloaded)."""
    for source in sources:
        _compiled.pop(source, None)


#: From this many sources in one folder on, discard_cached_bytecode lists
#: their cache folder once instead of trying a removal per cached file.
LIST_FOLDER_FROM = 4


def discard_cached_bytecode(*sources):
    """Remove the bytecode this interpreter cached for the *sources* files.

    Returns the paths removed. The cache folder of LIST_FOLDER_FROM or
    more of the sources is listed once and only the files it holds are
    removed: a reload of many modules must not pay a failed removal per
    module (nor, on 3.x, a cache path worked out per module: 5 us each,
    while the folder of modules reloaded before holds none, since a
    reload writes none); those of fewer are removed without a listing
    (2.x caches beside the sources: listing a package folder of 1,000
    modules cost a reload of one 0.3 ms). A cache that cannot be removed
    (read-only folder) is logged and left: the caller compiles from
    source anyway."""
    by_directory = collections.defaultdict(list)
    for source in sources:
        by_directory[os.path.dirname(source)].append(source)
    removed = []
    for group in by_directory.values():
        if len(group) < LIST_FOLDER_FROM:
            removed.extend(remove_files(path for source in group for path in cached_bytecode_paths(source)))
            continue
        try:  # the sources of one directory share one cache folder
            listing = os.listdir(os.path.dirname(cached_bytecode_paths(group[0])[0]))
        except OSError:
            continue  # no cache folder: nothing was cached
        present = set(name for name in listing if name.endswith(BYTECODE_ENDINGS))
        if not present:
            continue  # the folder of modules reloaded before: no source of the group is looked at
        firsts = set(name.partition(".")[0] for name in present)
        paths = [path for source in group if may_be_cached(source, firsts) for path in cached_bytecode_paths(source)]
        removed.extend(remove_files(path for path in paths if os.path.basename(path) in present))
    return removed


def may_be_cached(source, firsts):
    """Whether a file whose name begins with one of *firsts* (up to its
    first dot) may cache the *source* file's bytecode: the name of every
    file caching x.py begins with "x." (2.x x.pyc, 3.x x.<tag>.pyc), but
    that of a source without a dot in its name (3.x caches x as x<tag>.pyc)."""
    name = os.path.basename(source)
    return "." not in name or name.partition(".")[0] in firsts


def remove_files(paths):
    removed = []
    for path in paths:
        try:
            os.remove(path)
        except OSError as error:
            if error.errno != errno.ENOENT:
                log.warning("could not remove cached bytecode %s: %s", path, error)
        else:
            removed.append(path)
    return removed


def discard_cached_lines(*sources):
    """Drop linecache's copies of the *sources* files, so that tracebacks and
    inspect.getsource() show the source that runs now: linecache.checkcache()
    keeps a copy whose size and mtime still match, which a same-size edit
    within the file system's timestamp tick leaves them."""
    for source in sources:
        linecache.cache.pop(source, None)
