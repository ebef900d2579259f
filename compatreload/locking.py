"""The interpreter's global import lock as a context manager."""
import contextlib

from .compat import import_lock_module


@contextlib.contextmanager
def import_lock():
    """Hold the interpreter's global import lock for the block.

    The lock is re-entrant for the holding thread, so the block may import.
    Another thread that imports a module not in sys.modules (or one still
    initialising) waits until the block ends, and two blocks in two threads
    run one after the other."""
    import_lock_module.acquire_lock()
    try:
        yield
    finally:
        import_lock_module.release_lock()
