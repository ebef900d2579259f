"""Which loaded modules a module's namespace holds.

A module holds another by its module object (but a submodule under its
own key, which the import system sets) or by a function (an lru_cache
wrapper too) or class whose ``__module__`` names it: what the executed
version bound, whatever its file says now. Finding them means looking at
every value of the namespace (look_at); finding the dependents of a module
looks at every loaded namespace so, the largest cost of a deep reload of
a module that few others import. Most namespaces hold the very same
objects from one reload to the next, so loaded.py keeps the objects a
namespace held when it was looked at and what look_at found then, and looks
at a namespace again only when it holds other objects, or a module
object under another key.

What loaded.py's index does not see so: a ``__module__`` assigned to a
function or class, or a ``__name__`` to a module, after a namespace holding
it was looked at (the same object, under the same key); it is seen once
that namespace holds anything else."""
import sys
import types

from .compat import CLASS_TYPES, LRU_CACHE_TYPES
from .origins import module_namespace

#: Types of namespace values that are neither a module nor a function or
#: class (which name the module that defined them in ``__module__``): most of
#: any namespace (constants, containers, builtins), skipped by their type
#: alone; ``type(2 ** 64)`` is long on 2.x, int on 3.x.
PLAIN_TYPES = frozenset(
    [type(None), bool, int, type(2 ** 64), float, complex, str, type(b""), type(u""), tuple, list, dict]
    + [set, frozenset, type(len), property, staticmethod, classmethod]
)


# A definition is a function, a class (2.x old-style too) or an lru_cache
# wrapper (which copies its function's ``__module__``), told by its real
# type: ``kind is types.FunctionType or kind in LRU_CACHE_TYPES or
# issubclass(kind, CLASS_TYPES)``, written out where it is used, since
# most values of every namespace reach it (look_at, own_definitions).

#: What holds nothing (shared: most lookups find one of these).
NOTHING = frozenset()


def look_at(module_name, keys, values):
    """What a namespace of module *module_name* holding *values* under *keys*
    (two lists in the same order) holds, before it is checked against
    sys.modules (which may change while the namespace does not), as tuples
    (few objects for the garbage collector to follow, kept per module
    between reloads):

    definers: the ``__module__`` of the functions (lru_cache wrappers too)
    and classes it holds, its own name left out; modules: the name and the
    object of each module object it holds under another key than a
    submodule's own (the import system sets ``pkg.sub``), one after the
    other in one flat tuple (``name, module, name, module...``: no pair to
    keep per module held); module_keys, module_values: the keys of every
    module object it holds, and those objects (which key holds one matters)."""
    definers, modules, module_keys, module_values = set(), [], [], []
    for position, value in enumerate(values):  # the key is looked up for a module only
        kind = type(value)
        if kind in PLAIN_TYPES:
            continue
        # a definition (see above)
        if kind is types.FunctionType or kind in LRU_CACHE_TYPES or issubclass(kind, CLASS_TYPES):
            definers.add(getattr(value, "__module__", None))
        elif issubclass(kind, types.ModuleType):
            key = keys[position]
            module_keys.append(key)
            module_values.append(value)
            name = module_namespace(value).get("__name__")
            if name != module_name + "." + key:
                modules.append(name)
                modules.append(value)
    definers.discard(module_name)
    return tuple(definers), tuple(modules), tuple(module_keys), tuple(module_values)


def own_definitions(module_name, namespace):
    """key -> object, a dict, of every function (lru_cache wrapper too) and
    class *namespace* holds whose ``__module__`` is *module_name*: the
    objects a reload of that module replaces. One pass for everything that
    needs them (rebinding.distinct_objects, collecting.lists_subclasses); a
    plain value costs one type lookup, as in look_at(). (A dict, not a list
    of pairs: one object per module for the garbage collector, not one per
    definition.)"""
    found = {}
    for key, value in namespace.items():
        kind = type(value)
        if kind in PLAIN_TYPES:
            continue
        # a definition (see above)
        if kind is types.FunctionType or kind in LRU_CACHE_TYPES or issubclass(kind, CLASS_TYPES):
            if getattr(value, "__module__", None) == module_name:
                found[key] = value
    return found


def definitions_of(namespaces):
    """Module name -> own_definitions() of its namespace, for every item of
    *namespaces* (module name -> namespace): the objects of the versions a
    reload or a purge lets go of, as collecting.lists_subclasses takes them
    (and a reload's Replacement, each its own)."""
    return dict((name, own_definitions(name, namespace)) for name, namespace in namespaces.items())


def loaded_held(definers, modules):
    """The names of the loaded modules among what look_at() found."""
    if not definers and not modules:
        return NOTHING
    loaded = sys.modules
    held = set([name for name in definers if loaded.get(name) is not None])
    for name, value in zip(modules[::2], modules[1::2]):
        if loaded.get(name) is value:
            held.add(name)
    return held
