"""Never run stale bytecode.

A .pyc is trusted when the source's mtime in whole seconds (and, on 3.x,
its size) match what the .pyc recorded, so a same-size edit made within
the same second as the import would run the old code. compatreload
therefore compiles re-executed modules from their source, and removes the
cached bytecode of every module it unloads so the next plain import
recompiles too."""
import errno
import logging
import os

from .compat import cached_bytecode_paths

log = logging.getLogger("compatreload")


def discard_cached_bytecode(source):
    """Remove the bytecode this interpreter cached for the *source* file.

    Returns the paths removed. A cache that cannot be removed (read-only
    folder) is logged and left: the caller compiles from source anyway."""
    removed = []
    for path in cached_bytecode_paths(source):
        try:
            os.remove(path)
        except OSError as error:
            if error.errno != errno.ENOENT:
                log.warning("could not remove cached bytecode %s: %s", path, error)
        else:
            removed.append(path)
    return removed
