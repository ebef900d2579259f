"""purge(): unload a module (and its submodules) so the next import runs
the source as it is on disk now."""
import sys
import types
import warnings

from .bytecode import discard_cached_bytecode, discard_cached_lines, forget_compiled
from .changes import forget_snapshot
from .collecting import collect_discarded, lists_subclasses
from .compat import importable_name, invalidate_caches, outlive_namespace, string_types
from .errors import ExtensionNotReloadedWarning
from .graph import forget_resolved
from .holding import definitions_of
from .loaded import INDEX
from .locking import exclusive, import_lock
from .origins import EXTENSION, kind_of, module_namespace, parent_and_tail, source_file


def check_module_name(name, caller):
    """Raise TypeError/ValueError unless *name* is an absolute dotted name."""
    if not isinstance(name, string_types):
        raise TypeError(
            "%s() expects a module name (str), got %s %r"
            % (caller, type(name).__name__, name)
        )
    if not importable_name(name):
        raise ValueError("%s() expects an ASCII module name on 2.x (it imports no other), got %r" % (caller, name))
    if not name or any(not part for part in name.split(".")):
        raise ValueError(
            "%s() expects an absolute dotted module name such as 'pkg.mod', got %r"
            % (caller, name)
        )


def loaded_names(name, submodules=True):
    """Keys of sys.modules that are *name* or, if *submodules*, start with
    ``name + "."``; None values (2.x's failed relative imports) included."""
    prefix = name + "."
    return [
        key
        for key in list(sys.modules)
        if key == name or (submodules and key.startswith(prefix))
    ]


def detach_from_parent(name, module):
    """Delete the attribute of *name*'s parent package that refers to
    *module*; an attribute holding anything else is the parent's own."""
    parent_name, tail = parent_and_tail(name)
    parent = sys.modules.get(parent_name)
    if parent is not None and module is not None and module_namespace(parent).get(tail) is module:
        delattr(parent, tail)


def forget_module(key, module):
    """The source file of the unloaded *module*, whose cached bytecode and
    lines must go so that it cannot come back stale; None if it has none
    to discard (a C extension warns that it is not re-initialised)."""
    if module is None:
        return None
    if kind_of(key, module) == EXTENSION:
        warnings.warn(
            "compatreload: %s is a C extension; it cannot be re-initialised in a "
            "running process, so importing it again gives the code already loaded"
            % key,
            ExtensionNotReloadedWarning,
            stacklevel=4,
        )
        return None
    return source_file(module)


def purge(name, submodules=True):
    """Unload *name* and, if *submodules*, every ``name.*`` module.

    Removes the keys from sys.modules, None values included (Python 2
    caches a failed implicit relative import as ``sys.modules["pkg.os"] =
    None``); deletes the parent package's attribute that refers to the
    unloaded module; removes the unloaded modules' cached bytecode and
    invalidates the import system's caches, so the next import of *name*
    executes its source as it is on disk now, even after a same-size edit
    made within the same second. An unloaded class that nothing else holds
    is gone from its bases' ``__subclasses__()`` when it returns (see
    collecting.py). Returns the sorted removed keys; a name
    that is not loaded returns []. Raises TypeError for a non-string and
    ValueError for a malformed name, before changing anything."""
    check_module_name(name, "purge")
    with exclusive():
        removed, listed = unload(name, submodules)
        if listed:  # unload() has let go of the modules
            collect_discarded()
    return removed


def unload(name, submodules):
    """purge()'s work: the removed keys, and whether a class of the modules
    let go of is listed by a base that stays (see collecting.py)."""
    with import_lock():
        removed = sorted(loaded_names(name, submodules))
        unloaded = [(key, sys.modules.pop(key)) for key in removed]
        if unloaded and unloaded[0][0] == name:
            detach_from_parent(name, unloaded[0][1])
        namespaces, sources = {}, []
        for key, module in unloaded:
            source = forget_module(key, module)
            if source is not None:
                sources.append(source)
            if isinstance(module, types.ModuleType):
                namespaces[key] = module_namespace(module)
                outlive_namespace(module, namespaces[key])
        discard_cached_bytecode(*sources)  # at once: a folder of many is listed once
        discard_cached_lines(*sources)
        forget_compiled(*sources)
        forget_resolved(*removed)
        forget_snapshot()  # it holds the module objects of the last quiet check
        INDEX.forget(removed)  # it holds their namespaces' objects (and their parents')
        invalidate_caches()
    return removed, lists_subclasses(definitions_of(namespaces))
