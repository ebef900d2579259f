"""Free the class versions a reload or a purge lets go of, before a base
class that stays lists them.

A class is in a reference cycle with itself (its ``__mro__``), so only the
cycle collector frees it, whenever it next runs a full collection; until
then ``Base.__subclasses__()`` still lists it. A plugin host that finds its
plugins there would run the discarded version next to the new one. So once
a reload or a purge has let go of a module version that defined a subclass
of a class another module defined (not a built-in type: nobody finds
plugins in ``object.__subclasses__()``), a full collection runs, unless
the program turned automatic collection off (``gc.disable()``, a pre-fork
server's choice: a collection writes to every object the fork shares)."""
import gc

from .compat import CLASS_TYPES

#: Where built-in types say they were defined (3.x; 2.x; 2.x's exceptions).
BUILTIN_MODULES = frozenset(["builtins", "__builtin__", "exceptions"])


def defines_listed_subclass(name, definitions):
    """Whether *definitions* (holding.own_definitions of a version of module
    *name*) hold a class with a base that another module, not the
    built-ins, defined."""
    for value in definitions.values():
        if issubclass(type(value), CLASS_TYPES):
            for base in value.__bases__:
                defined_in = getattr(base, "__module__", None)
                if defined_in != name and defined_in not in BUILTIN_MODULES:
                    return True
    return False


def lists_subclasses(definitions):
    """Whether letting go of module versions whose *definitions* are these
    (holding.definitions_of: module name -> own definitions) leaves a class
    in the ``__subclasses__()`` of a base that stays."""
    return any(defines_listed_subclass(name, found) for name, found in definitions.items())


def collect_discarded():
    """A full collection, if automatic collection is on; whether it ran."""
    if not gc.isenabled():
        return False
    gc.collect()
    return True
