"""Interpreter differences, expressed once.

Every name here documents what it resolves to on which interpreter; the
rest of the package imports these names and never tests a version itself.
"""
import importlib
import operator
import os
import platform
import re
import sys
import types

PY2 = sys.version_info[0] == 2

#: An ASCII identifier: every identifier on 2.x, most on 3.x.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NON_ASCII = re.compile(br"[^\x00-\x7f]")

#: Whether a module whose ``__file__`` is a .pyc may have its source beside
#: it: 2.x sets ``__file__`` to the .pyc it loaded even when the .py is
#: there; 3.x (PEP 3147) does so only for a module loaded from bytecode alone.
PYC_FILE_MAY_HAVE_SOURCE = PY2

#: Whether class creation calls ``__set_name__(owner, name)`` on each value
#: of the class body whose type defines it (PEP 487): 3.6+ and PyPy 3; never on 2.x.
CLASS_CREATION_SETS_NAMES = sys.version_info >= (3, 6)

#: What the order of sys.modules tells of a module: "started" on 3.6 and 3.7
#: (where its import started), "completed" on 3.8+ and PyPy 3 (importlib
#: moves a module to the end once its code has run, so the module that
#: started an import cycle comes after the members it imported); None on
#: 2.x, whose sys.modules is a plain dict.
SYS_MODULES_ORDER = None if PY2 else ("started" if sys.version_info < (3, 8) else "completed")

#: str/unicode on 2.x, str on 3.x: what a module name may be.
string_types = (basestring,) if PY2 else (str,)  # noqa: F821 (2.x only name)


#: Whether a code object keeps the globals of the first frame that ran it:
#: PyPy (its frames then need not store them: pypy/interpreter/pycode.py),
#: never CPython. Run again for another namespace (a reload runs the code
#: compiled before from the same bytes), a kept code object would keep the
#: first namespace it ran in, and that module version, alive as long as it is kept.
CODE_KEEPS_FIRST_GLOBALS = platform.python_implementation() == "PyPy"


def _copied_code(code):
    """PyPy 3.8+: a copy of *code* and of the code objects among its
    constants (functions, classes, comprehensions), none yet run."""
    constants = tuple(_copied_code(value) if isinstance(value, types.CodeType) else value for value in code.co_consts)
    return code.replace(co_consts=constants)


def _same_code(code):
    return code


#: The code object to run for a module from *code*, a code object kept to
#: be run again: *code* itself on CPython (2.x and 3.x); on PyPy a copy
#: (see CODE_KEEPS_FIRST_GLOBALS), so that the code kept is never run and
#: lets go of each version with the version's copy.
runnable_code = _copied_code if CODE_KEEPS_FIRST_GLOBALS else _same_code


def importable_name(name):
    """Whether the import system can take the module name *name* (a str or
    unicode string): on 2.x a unicode name only in ASCII, which import.c
    makes the str that sys.modules keys it by; on 3.x any str."""
    return not (PY2 and isinstance(name, unicode) and NON_ASCII.search(name))  # noqa: F821 (2.x only name)

try:
    #: The module holding the global import lock, with acquire_lock() and
    #: release_lock(): ``_imp`` on 3.3+ (CPython and PyPy) ...
    import _imp as import_lock_module
except ImportError:
    #: ... ``imp`` on 2.x and 3.0-3.2.
    import imp as import_lock_module


if PY2:

    def imports_in_progress():
        """The modules other threads are importing now: none, on 2.x, for a
        thread holding the import lock (2.x's import holds it throughout)."""
        return []

    import thread as _thread

else:
    import _thread
    from importlib import _bootstrap

    def imports_in_progress():
        """The modules other threads are importing now, on 3.3+ (CPython and
        PyPy): an import holds its module's lock while it runs
        (``importlib._bootstrap._module_locks``: name -> weak reference to a
        lock whose ``owner`` is the importing thread's id, None when free)
        and takes the global import lock only for moments, so a thread
        mid-import may be waiting for whoever holds the global lock."""
        me = _thread.get_ident()
        busy = []
        for name, reference in list(getattr(_bootstrap, "_module_locks", {}).items()):
            owner = getattr(reference(), "owner", None)
            if owner is not None and owner != me:
                busy.append(name)
        return busy


#: The current thread's identifier: ``thread.get_ident`` (2.x), ``_thread.get_ident`` (3.x).
thread_id = _thread.get_ident


def green_threads():
    """Whether threads are greenlets now: gevent's and eventlet's
    monkey-patching replace ``_thread.start_new_thread`` (2.x: ``thread``),
    a builtin on CPython and PyPy, with a Python function."""
    return not isinstance(_thread.start_new_thread, types.BuiltinFunctionType)


if PY2 or not hasattr(os, "register_at_fork"):
    #: 2.x and 3.6: None, and a reload holds the global import lock from
    #: start to end (locking.py). 2.x's own import holds it throughout; 3.6
    #: has no os.register_at_fork, and only the global lock, which os.fork()
    #: takes, keeps a fork from copying a reload half done.
    module_lock = None

    class DeadlockError(Exception):
        """Never raised here: a reload takes no module lock."""

    #: 2.x and 3.6: False (a reload takes no module lock); see below.
    DEADLOCK_CHECK_MAY_LOOP = False

    #: 2.x and 3.6: None (see module_lock); 3.7+ and PyPy3: ``os.register_at_fork``.
    at_fork = None

else:

    def module_lock(name):
        """3.7+ and PyPy3: importlib's lock of module *name*, the one an
        import of it holds while its code runs (the one alive in
        ``_module_locks``, else a new one): re-entrant for its owner;
        acquire() raises DeadlockError when two threads would wait for each
        other. On 3.7 and 3.8 the lock is given the deadlock check of 3.9+
        (DEADLOCK_CHECK_MAY_LOOP)."""
        reference = _bootstrap._module_locks.get(name)
        lock = None if reference is None else reference()
        if lock is None:  # none alive: importlib makes one (under its global lock)
            lock = _bootstrap._get_module_lock(name)
        if DEADLOCK_CHECK_MAY_LOOP:
            lock.has_deadlock = types.MethodType(has_deadlock_that_ends, lock)
        return lock

    #: Whether importlib's deadlock check can loop for ever (CPython and
    #: PyPy 3.7 and 3.8; bpo-38091, fixed in 3.9): acquire() notes that a
    #: thread blocks on a lock before it takes the lock's inner lock, also
    #: when the thread owns the lock already (a reload importing a module
    #: whose lock it holds). A thread waiting for that lock then checks for a
    #: deadlock under the inner lock by following the owners, which leads
    #: from the owner back to the owner: the waiting thread loops, and the
    #: owner waits for the inner lock, for ever.
    DEADLOCK_CHECK_MAY_LOOP = sys.version_info < (3, 9)

    def has_deadlock_that_ends(lock):
        """3.9's ``_ModuleLock.has_deadlock``: whether the owner of *lock* is
        waiting, through the owners of the locks each thread waits for, for
        the current thread; False once a thread comes round again that
        leads back to itself, not to this one."""
        me, owner, seen = _thread.get_ident(), lock.owner, set()
        while True:
            waited_for = _bootstrap._blocking_on.get(owner)
            if waited_for is None:
                return False
            owner = waited_for.owner
            if owner == me:
                return True
            if owner in seen:
                return False
            seen.add(owner)

    DeadlockError = _bootstrap._DeadlockError

    at_fork = os.register_at_fork


if PY2:

    def identifiers_in(text, source):
        """The identifiers in non-ASCII *text* (bytes from the file *source*):
        2.x identifiers are ASCII, whatever the file's encoding."""
        return IDENTIFIER.findall(text.decode("latin-1"))

else:
    import io
    import tokenize
    import unicodedata

    #: A 3.x identifier (PEP 3131): a letter or underscore, then word characters.
    UNICODE_IDENTIFIER = re.compile(r"[^\W\d]\w*")

    def identifiers_in(text, source):
        """The identifiers in non-ASCII *text* (bytes from the file *source*),
        decoded as 3.x decodes *source* (a PEP 263 cookie or a BOM, else
        UTF-8) and NFKC-normalised as the parser normalises them (PEP 3131)."""
        try:
            encoding = tokenize.detect_encoding(io.BytesIO(source).readline)[0]
        except SyntaxError:
            encoding = "utf-8"
        words = UNICODE_IDENTIFIER.findall(text.decode(encoding, "replace"))
        return [unicodedata.normalize("NFKC", word) for word in words]


def ascii_text(data):
    """ASCII bytes as the native str: the bytes themselves on 2.x, decoded on 3.x."""
    return data if PY2 else data.decode("ascii")


def invalidate_caches():
    """Make the import system see files created or edited just now.

    3.3+: importlib.invalidate_caches() (FileFinder caches directory
    listings). 2.7 keeps no such cache: nothing to do."""
    if not PY2:
        importlib.invalidate_caches()


def exec_code(code, namespace):
    """exec *code* in *namespace*; one spelling that parses on 2.x and 3.x."""
    exec(code, namespace)


#: source_loader_kind(): a loader that compiles a file as importlib does,
#: and one that compiles it its own way.
PLAIN_COMPILE, OWN_COMPILE = "plain", "own"

if PY2:
    import imp as _imp2

    #: File endings of C extensions: imp.get_suffixes() rows of type C_EXTENSION on 2.x.
    EXTENSION_SUFFIXES = tuple(
        suffix for suffix, _, kind in _imp2.get_suffixes() if kind == _imp2.C_EXTENSION
    )

    def cached_bytecode_paths(source):
        """2.x writes x.pyc (and x.pyo under -O) beside x.py."""
        return [source + "c", source + "o"]

    #: How the name of a file 2.x caches bytecode in ends (x.pyc, x.pyo,
    #: and settings.confc for imp.load_source("settings", "settings.conf")).
    BYTECODE_ENDINGS = ("c", "o")

    def source_loader_kind(loader):
        """2.x: PLAIN_COMPILE if *loader*, a module's ``__loader__``, is None:
        2.x sets no loader on a source file it imports, nor on what
        imp.load_source("settings", "settings.conf") loads (zipimport sets
        one); else None. (Its PEP 302 loaders compile inside load_module:
        there is no OWN_COMPILE to call again.)"""
        return PLAIN_COMPILE if loader is None else None

    #: (mtime, size, ctime) of a stat result: 2.x has float seconds only.
    stamp_of = operator.attrgetter("st_mtime", "st_size", "st_ctime")
    change_time_of = operator.attrgetter("st_ctime")

    #: 2.x: itertools.imap (a lazy map: 2.x's map builds a list).
    from itertools import imap

else:
    import importlib.machinery
    import importlib.util

    #: importlib.machinery.EXTENSION_SUFFIXES on 3.x (".cpython-311-x86_64-linux-gnu.so", ".so", ...).
    EXTENSION_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)

    #: (mtime, size, ctime) of a stat result, the times in nanoseconds
    #: (3.3+); an attrgetter, so that map() applies it to many without a
    #: Python frame.
    stamp_of = operator.attrgetter("st_mtime_ns", "st_size", "st_ctime_ns")
    change_time_of = operator.attrgetter("st_ctime_ns")

    #: 3.x: map itself (lazy).
    imap = map

    def source_loader_kind(loader):
        """3.x: PLAIN_COMPILE if *loader*, a module's ``__loader__``, is by its
        real type a SourceFileLoader that compiles as importlib's does
        (imp.load_source's too, 3.6-3.11); OWN_COMPILE if it is one with its
        own get_code or source_to_code (typeguard's and beartype's import
        hooks instrument the code; Hy's compiles Hy); else None."""
        kind, plain = type(loader), importlib.machinery.SourceFileLoader
        if not issubclass(kind, plain):
            return None
        if (kind.get_code, kind.source_to_code) == (plain.get_code, plain.source_to_code):
            return PLAIN_COMPILE
        return OWN_COMPILE

    def cached_bytecode_paths(source):
        """3.x (PEP 3147/488) writes __pycache__/x.<tag>[.opt-N].pyc (or
        under sys.pycache_prefix, 3.8+: cache_from_source knows where)."""
        plain = importlib.util.cache_from_source(source, optimization="")
        return [plain] + [plain[: -len(".pyc")] + ".opt-%d.pyc" % level for level in (1, 2)]

    #: How the name of a file 3.x caches bytecode in ends.
    BYTECODE_ENDINGS = (".pyc",)


#: Whether a file's st_ctime is the time of its last change: on POSIX a
#: write, a rename over it, a chmod or a utime sets it to now and nothing
#: sets it back (cp -p and rsync set mtime back, not ctime); on Windows it
#: is the creation time.
CTIME_IS_CHANGE_TIME = os.name != "nt"

#: What a check that expects nothing changed compares of a stat: POSIX, the
#: change time alone (one number: half the cost of the whole stamp over
#: thousands of files); Windows, the whole stamp_of(). change_in_stamp takes
#: the same out of a stamp_of() tuple.
change_of = change_time_of if CTIME_IS_CHANGE_TIME else stamp_of
change_in_stamp = operator.itemgetter(2) if CTIME_IS_CHANGE_TIME else tuple

#: The key under which outlive_namespace() stores a module in its namespace.
KEEPALIVE_KEY = "__compatreload_module__"


def outlive_namespace(module, namespace):
    """Keep *module* alive as long as its *namespace* is in use.

    2.x sets every value of a module's namespace to None when the module
    object is freed, even while functions still run with that namespace as
    their globals (a callback stored anywhere, a thread mid-call): the old
    code of a reloaded or purged module would fail. So on 2.x the namespace
    refers to its module: a cycle the garbage collector frees once nothing
    else uses the namespace. 3.x (PEP 442) leaves namespaces alone:
    nothing to do."""
    if PY2:
        namespace[KEEPALIVE_KEY] = module


def restore_mtime(path, stat_result):
    """Set *path*'s access and modification times back to *stat_result*'s,
    to the nanosecond where the interpreter has st_mtime_ns (3.3+)."""
    if hasattr(stat_result, "st_mtime_ns"):
        os.utime(path, ns=(stat_result.st_atime_ns, stat_result.st_mtime_ns))
    else:
        os.utime(path, (stat_result.st_atime, stat_result.st_mtime))


#: The function attributes an in-place upgrade copies from the new function:
#: code, defaults, doc and function __dict__ everywhere; keyword-only
#: defaults and annotations exist on 3.x only.
FUNCTION_ATTRIBUTES = ("__code__", "__defaults__", "__doc__", "__dict__") + (
    () if PY2 else ("__kwdefaults__", "__annotations__")
)

#: Class types whose objects an upgrade patches: 2.x old-style classes too.
CLASS_TYPES = (type,) + ((types.ClassType,) if PY2 else ())


def is_class(value):
    """Whether *value* is a class (new- or old-style), by its real type: a
    proxy's ``__class__`` (Django's lazy settings) is never asked, since
    asking may set the proxy up or raise."""
    return issubclass(type(value), CLASS_TYPES)


def class_of(value):
    """The class *value* is an instance of, by its real type (see is_class);
    on 2.x an old-style instance's type is InstanceType: its __class__."""
    kind = type(value)
    return value.__class__ if PY2 and kind is types.InstanceType else kind


#: Built-in types whose instances hold their items inline: (int, tuple,
#: bytes) on 3.x, (long, tuple, str) on 2.x (2.x's int is fixed-size).
VARIABLE_SIZED = (type(2 ** 64), tuple, bytes)

#: The slot that tells a class's item size: a descriptor on CPython; None
#: on PyPy, which has no such slot.
ITEM_SIZE = type.__dict__.get("__itemsize__")


def variable_sized(cls):
    """Whether *cls*'s instances hold their items inline, so that CPython
    refuses to change their class (``__class__`` assignment: "object layout
    differs"): a subclass of VARIABLE_SIZED, decided alike on every
    interpreter (PyPy would allow the assignment), or, on CPython, of a C
    type with an item size (read from the metatype's slot: a class may
    shadow ``__itemsize__``). False for a 2.x old-style class."""
    if not isinstance(cls, type):
        return False
    return issubclass(cls, VARIABLE_SIZED) or (ITEM_SIZE is not None and ITEM_SIZE.__get__(cls) != 0)


#: Slots that are not named members: an instance ``__dict__`` or ``__weakref__``.
SPECIAL_SLOTS = ("__dict__", "__weakref__")


def own_slots(cls):
    """The names in *cls*'s own ``__slots__`` (a string is one name)."""
    slots = vars(cls).get("__slots__", ())
    return (slots,) if isinstance(slots, string_types) else tuple(slots)


def adds_layout(cls):
    """Whether *cls* lays out its instances otherwise than its ``__base__``
    does: it adds slots, a ``__dict__`` or a ``__weakref__`` (read from its
    own namespace, alike on every interpreter)."""
    own = vars(cls)
    return "__dict__" in own or "__weakref__" in own or any(slot not in SPECIAL_SLOTS for slot in own_slots(cls))


def layout_base(cls):
    """The nearest class up *cls*'s ``__base__`` chain (itself included)
    that adds to the layout of its instances."""
    while cls.__base__ is not None and not adds_layout(cls):
        cls = cls.__base__
    return cls


def can_take_class(instance_class, cls):
    """Whether an instance of *instance_class* can be made one of *cls*, its
    other version with the same slots: CPython's rule for ``__class__``
    assignment ("object layout differs"), decided alike on every interpreter
    and version (PyPy and CPython 3.12+ would allow more). The classes that
    add to the layout must be the same object, or have the same base (not
    so when that base is a new version of a mixin with ``__slots__ = ()``
    that an upgrade folded into the old one) and slots that do not mix
    names with ``__dict__`` or ``__weakref__`` (CPython 2.7-3.11 refuse
    those: 3.11 allows ``__dict__``)."""
    if not isinstance(cls, type):
        return True  # a 2.x old-style class: any instance of one can take another
    new, old = layout_base(instance_class), layout_base(cls)
    if new is old:
        return True
    slots = own_slots(new)
    mixed = any(slot in SPECIAL_SLOTS for slot in slots) and any(slot not in SPECIAL_SLOTS for slot in slots)
    return not mixed and new.__base__ is old.__base__ and slots == own_slots(old)


#: object's own ``__class__`` slot: its __set__ changes an instance's class
#: whatever the instance's class defines (a frozen dataclass's
#: ``__setattr__`` refuses every name; a proxy's ``__class__`` property, as
#: Django's LazyObject has, has no setter).
CLASS_SLOT = object.__dict__["__class__"]


def assign_class(instance, cls):
    """Make *instance* an instance of *cls* (of the same layout) through
    CLASS_SLOT; a 2.x old-style instance takes a plain assignment (it has
    no such slot, and special names come before its ``__setattr__``)."""
    if PY2 and type(instance) is types.InstanceType:
        instance.__class__ = cls
    else:
        CLASS_SLOT.__set__(instance, cls)


def lru_cache_wrappers():
    """What functools.lru_cache (and 3.9's cache) returns, for each kind of
    maxsize (0, bounded, None): (the wrapper types, the wrapper closures'
    code objects)."""
    try:
        from functools import lru_cache
    except ImportError:  # 2.x
        return (), ()

    wrappers = [lru_cache(maxsize=size)(len) for size in (0, 1, None)]
    closures = [wrapper for wrapper in wrappers if type(wrapper) is types.FunctionType]
    types_ = tuple(set(type(wrapper) for wrapper in wrappers if type(wrapper) is not types.FunctionType))
    return types_, tuple(set(closure.__code__ for closure in closures))


#: ``(functools._lru_cache_wrapper,)`` on CPython 3.x (a C type); () on PyPy 3,
#: whose wrapper is a closure (LRU_CACHE_CODES), and on 2.x (no lru_cache).
#: LRU_CACHE_CODES: the code of PyPy 3's three wrapper closures; () elsewhere.
LRU_CACHE_TYPES, LRU_CACHE_CODES = lru_cache_wrappers()


def is_function(value):
    """Whether *value* is a Python function, by its real type (see is_class),
    other than an lru_cache wrapper (one on PyPy: see is_cached_function)."""
    return type(value) is types.FunctionType and not is_cached_function(value)


def is_cached_function(value):
    """Whether *value* is a functools.lru_cache wrapper, by its real type
    or code: the same kind of object to the user on CPython and PyPy."""
    kind = type(value)
    if kind is types.FunctionType:
        code = value.__code__
        return any(code is wrapper_code for wrapper_code in LRU_CACHE_CODES)
    return kind in LRU_CACHE_TYPES


def cache_parameters(cached):
    """An lru_cache wrapper's parameters: maxsize and typed on 3.9+ and
    PyPy 3 (``cache_parameters()``); maxsize alone on 3.2-3.8, whose
    wrapper does not tell whether it is typed."""
    if hasattr(cached, "cache_parameters"):
        return cached.cache_parameters()
    return {"maxsize": cached.cache_info().maxsize}
