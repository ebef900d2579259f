"""The interpreter's global import lock as a context manager."""
import contextlib
import logging
import threading
import time

from .compat import import_lock_module, imports_in_progress

log = logging.getLogger("compatreload")

_depth = threading.local()  # how many import_lock() blocks this thread is in


@contextlib.contextmanager
def import_lock():
    """Hold the interpreter's global import lock for the block.

    The lock is re-entrant for the holding thread, so the block may import.
    Another thread that imports a module not in sys.modules (or one still
    initialising) waits until the block ends, and two blocks in two threads
    run one after the other."""
    import_lock_module.acquire_lock()
    _depth.value = getattr(_depth, "value", 0) + 1
    try:
        yield
    finally:
        _depth.value -= 1
        import_lock_module.release_lock()


def waited_for_imports_elsewhere(needed, poll=0.005):
    """Called in the outermost import_lock() block of this thread, before
    importing anything: if another thread is importing a module for which
    ``needed()`` (called only then: a predicate on module names) is true,
    let go of the import lock until every such import has ended, take it
    again and return True: what was read under the lock must be read
    again. Else return False (the usual case: no import in progress).

    Why: on 3.x a thread mid-import holds that module's lock and takes
    the global lock for its own nested imports; importing the same module
    while holding the global lock would wait for that thread, which waits
    for the global lock: a deadlock. In a nested block the lock cannot be
    let go: return False."""
    busy = imports_in_progress()
    if not busy or _depth.value != 1:
        return False
    wanted = needed()
    busy = [name for name in busy if wanted(name)]
    if not busy:
        return False
    log.info("waiting for other threads to finish importing %s", ", ".join(sorted(busy)))
    import_lock_module.release_lock()
    try:
        while set(busy) & set(imports_in_progress()):
            time.sleep(poll)
    finally:
        import_lock_module.acquire_lock()
    return True
