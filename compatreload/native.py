"""The interpreter's native reload function, found once.

This module needs nothing but importlib.import_module, so that it also
resolves on interpreters the rest of the package does not run on
(3.0-3.3: see tests/test_compat.py, which simulates one)."""
import importlib
import sys

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
