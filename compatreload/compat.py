"""Interpreter differences, expressed once.

Every name here documents what it resolves to on which interpreter; the
rest of the package imports these names and never tests a version itself.
"""
import importlib
import os
import sys

PY2 = sys.version_info[0] == 2

#: str/unicode on 2.x, str on 3.x: what a module name may be.
string_types = (basestring,) if PY2 else (str,)  # noqa: F821 (2.x only name)

#: Where ``reload`` lives, newest first: (first version, module, attribute).
#: 3.4+: importlib.reload; 3.0-3.3: imp.reload (imp is gone in 3.12);
#: 2.x: the builtin, whose module is called __builtin__.
RELOAD_LOCATIONS = (
    ((3, 4), "importlib", "reload"),
    ((3, 0), "imp", "reload"),
    ((0, 0), "__builtin__", "reload"),
)


def resolve_reload(version_info, import_module):
    """Return ``(function, "module.attribute")`` for the interpreter whose
    ``sys.version_info`` is *version_info*, importing with *import_module*.

    Taking both as arguments lets the 3.0-3.3 row be checked on interpreters
    that are not 3.0-3.3 (see tests/test_compat.py)."""
    version = tuple(version_info[:2])
    # The last row starts at (0, 0), so some row always matches.
    module_name, attribute = next(
        (module_name, attribute)
        for first, module_name, attribute in RELOAD_LOCATIONS
        if version >= first
    )
    function = getattr(import_module(module_name), attribute)
    return function, module_name + "." + attribute


#: The interpreter's own reload function and where it was found.
reload, RELOAD_IMPL = resolve_reload(sys.version_info, importlib.import_module)

#: The module holding the global import lock: ``imp`` on 2.x, ``_imp`` on
#: 3.x (CPython and PyPy). Both offer acquire_lock() and release_lock().
import_lock_module = importlib.import_module("imp" if PY2 else "_imp")


def invalidate_caches():
    """Make the import system see files created or edited just now.

    3.3+: importlib.invalidate_caches() (FileFinder caches directory
    listings). 2.7 keeps no such cache: nothing to do."""
    if not PY2:
        importlib.invalidate_caches()


def exec_code(code, namespace):
    """exec *code* in *namespace*; one spelling that parses on 2.x and 3.x."""
    exec(code, namespace)


if PY2:
    import imp as _imp2

    #: File endings of C extensions: imp.get_suffixes() rows of type C_EXTENSION on 2.x.
    EXTENSION_SUFFIXES = tuple(
        suffix for suffix, _, kind in _imp2.get_suffixes() if kind == _imp2.C_EXTENSION
    )

    def cached_bytecode_paths(source):
        """2.x writes x.pyc (and x.pyo under -O) beside x.py."""
        return [source + "c", source + "o"]

else:
    import importlib.machinery
    import importlib.util

    #: importlib.machinery.EXTENSION_SUFFIXES on 3.x (".cpython-311-x86_64-linux-gnu.so", ".so", ...).
    EXTENSION_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)

    def cached_bytecode_paths(source):
        """3.x (PEP 3147/488) writes __pycache__/x.<tag>[.opt-N].pyc."""
        return [
            importlib.util.cache_from_source(source, optimization=level)
            for level in ("", 1, 2)
        ]


def restore_mtime(path, stat_result):
    """Set *path*'s access and modification times back to *stat_result*'s,
    to the nanosecond where the interpreter has st_mtime_ns (3.3+)."""
    if hasattr(stat_result, "st_mtime_ns"):
        os.utime(path, ns=(stat_result.st_atime_ns, stat_result.st_mtime_ns))
    else:
        os.utime(path, (stat_result.st_atime, stat_result.st_mtime))
