"""The locks a reload takes, as context managers.

- exclusive(): one deep_reload, purge or rebind at a time in the process;
- import_lock(): the interpreter's global import lock, while a reload
  reads sys.modules and plans;
- executing(names): while the reload runs module code, what an import of
  those modules holds: their module locks (3.7+ and PyPy3), or the global
  import lock still (2.x and 3.6, where exclusive() holds it throughout)."""
import contextlib
import logging
import os
import threading
import time

from .compat import DeadlockError, at_fork, import_lock_module, imports_in_progress, module_lock

log = logging.getLogger("compatreload")

#: Per thread: how many exclusive() blocks it is in (operations) and how
#: many times import_lock() holds the global lock for it (holds).
_state = threading.local()


def count(name):
    return getattr(_state, name, 0)


@contextlib.contextmanager
def counted(name):
    setattr(_state, name, count(name) + 1)
    try:
        yield
    finally:
        setattr(_state, name, count(name) - 1)


@contextlib.contextmanager
def import_lock():
    """Hold the interpreter's global import lock for the block.

    The lock is re-entrant for the holding thread, so the block may import.
    Another thread that imports a module not in sys.modules (or one still
    initialising) waits until the block ends."""
    import_lock_module.acquire_lock()
    try:
        with counted("holds"):
            yield
    finally:
        import_lock_module.release_lock()


#: The locks os.fork() takes first, in the order the code takes them
#: (exclusive() before changes' records), so a fork never deadlocks a reload.
_fork_guarded = []


def fork_waits_for(lock):
    """Make os.fork() take the re-entrant *lock* first and let go of it
    after, in the parent and in the child, where the forking thread, which
    holds it, goes on (same thread identifier): a child never starts with
    it held by a thread it does not have, nor with what it guards half done.
    Locks are taken in the order of these calls. (2.x and 3.6 have no
    os.register_at_fork: nothing is done.)"""
    _fork_guarded.append(lock)
    return lock


class ForkSafeRLock(object):
    """A re-entrant lock that a process made by os.fork() never finds held
    by a thread it does not have. On 3.7+ os.fork() takes it first
    (fork_waits_for). On 2.x and 3.6 a fork may copy it held by another
    thread (a watcher recording a change): the child's first use of it then
    makes it afresh. What it guards is assignments, each whole at any
    moment a fork can copy, so the child finds it done or not begun."""

    def __init__(self):
        self.pid = os.getpid()
        self.lock = threading.RLock()

    def acquire(self):
        if self.pid != os.getpid():  # a forked child: any holder was a thread of the parent
            self.pid, self.lock = os.getpid(), threading.RLock()
        self.lock.acquire()

    def release(self):
        self.lock.release()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()


def take_fork_guarded():
    for lock in _fork_guarded:
        lock.acquire()


def release_fork_guarded():
    for lock in reversed(_fork_guarded):
        lock.release()


if at_fork is not None:
    at_fork(before=take_fork_guarded, after_in_parent=release_fork_guarded, after_in_child=release_fork_guarded)


#: What exclusive() takes on 3.7+ and PyPy3 (None on 2.x and 3.6).
_one_at_a_time = fork_waits_for(threading.RLock()) if module_lock is not None else None


@contextlib.contextmanager
def exclusive():
    """One deep_reload, purge or rebind at a time in the process (re-entrant:
    module code a reload runs may reload). On 3.7+ and PyPy3 a lock of
    compatreload's own, so that the global import lock is held only while
    planning (import_lock) and module code runs as an import runs it
    (executing). On 2.x and 3.6 the global import lock itself, held for the
    whole operation, as 2.x's own import holds it for a whole import (3.6:
    see compat.module_lock)."""
    with counted("operations"):
        if _one_at_a_time is None:
            with import_lock():
                yield
        else:
            with _one_at_a_time:
                yield


@contextlib.contextmanager
def executing(names, retry_after=0.005):
    """The block runs the code of the modules *names* (a reload's plan).

    On 3.x an import holds its module's lock while the module's code runs,
    not the global import lock: so that code may start a thread that
    imports a module and wait for it (a thread pool at import time,
    ``datetime.strptime``'s first call). On 3.7+ and PyPy3 the block holds
    what such imports would hold: the module locks of all *names* at once,
    taken in sorted order without the global lock. A thread that imports
    one of them meanwhile waits for the block's end (it neither executes one
    itself nor gets one half-executed); any other import goes on. Should two
    threads wait for each other (DeadlockError), every lock taken is let go
    and taken again a moment later. On 2.x and 3.6 exclusive() holds the
    global import lock: nothing more to take."""
    if module_lock is None:
        yield
        return
    locks = [module_lock(name) for name in sorted(names)]
    taken = take_all(locks, retry_after)
    try:
        yield
    finally:
        for lock in reversed(taken):
            lock.release()
        _last_taken[:] = locks


#: The module locks the last executing() block took, kept (not held) until
#: the next block: while a module's lock is alive, importlib hands out that
#: one (``_module_locks`` maps names to weak references; compat.module_lock
#: takes it so too), and a reload most often runs the modules the last one
#: ran. Made afresh, each is five objects more for the garbage collector
#: (the lock, its two inner locks, the weak reference and its callback),
#: held through the whole reload.
_last_taken = []


def take_all(locks, retry_after):
    """Acquire every lock of *locks* in order; on DeadlockError let go of
    those taken and start again after *retry_after* seconds."""
    while True:
        taken = []
        try:
            for lock in locks:
                lock.acquire()
                taken.append(lock)
            return taken
        except DeadlockError:  # pragma: no cover (a race no test can order: see README, Pragmas)
            for lock in reversed(taken):
                lock.release()
            log.info("another thread is importing a module of the reload: trying again")
            time.sleep(retry_after)


def waited_for_imports_elsewhere(needed, poll=0.005):
    """Called while planning, before importing anything: if another thread
    is importing a module for which ``needed()`` (called only then: a
    predicate on module names) is true, let go of the global import lock
    until every such import has ended, take it again and return True: what
    was read under the lock must be read again. Else return False (the
    usual case: no import in progress).

    Why: on 3.x a thread mid-import holds that module's lock and takes
    the global lock for its own nested imports; importing the same module
    while holding the global lock would wait for that thread, which waits
    for the global lock: a deadlock. Only the outermost operation of this
    thread lets go: a reload started by module code another reload runs
    returns False (the outer reload's locks must stay held)."""
    busy = imports_in_progress()
    if not busy or count("operations") != 1:
        return False
    wanted = needed()
    busy = [name for name in busy if wanted(name)]
    if not busy:
        return False
    log.info("waiting for other threads to finish importing %s", ", ".join(sorted(busy)))
    holds = count("holds")
    for _ in range(holds):
        import_lock_module.release_lock()
    try:
        while set(busy) & set(imports_in_progress()):
            time.sleep(poll)
    finally:
        for _ in range(holds):
            import_lock_module.acquire_lock()
    return True
