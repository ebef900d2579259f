"""Point the bindings other modules hold at a reloaded module's new objects.

A binding in module M is pointed at X's new object when it still holds X's
old object (identity, never equality) and it is one of:

- a module object of a reloaded module (``import X``, ``import X.y as z``,
  ``from pkg import X``);
- a function or class X defined (its ``__module__`` is X), under any name;
  a functools.lru_cache wrapper of one counts as a function;
- a name M's source binds by ``from X import name [as alias]`` or ``from X
  import *``, unless M's source also binds that name itself: then it may
  be M's own object that is equal by coincidence, and it is left alone.

A name X no longer defines is left as it is and reported by a
StaleBindingWarning."""
import sys
import types
import warnings

from .compat import imap
from .errors import StaleBindingWarning
from .graph import lines_of, may_import, own_names, resolve, statements_of
from .holding import own_definitions
from .origins import module_namespace, source_file
from .transaction import MISSING


class Replacement(object):
    """One reloaded module: its name, old namespace and new namespace, and
    the old namespace's own definitions (holding.own_definitions: found
    here unless given, as deep_reload gives them)."""

    __slots__ = ("name", "old", "new", "old_module", "new_module", "definitions")

    def __init__(self, name, old_namespace, new_module, old_module=None, definitions=None):
        self.name = name
        self.old = old_namespace
        self.definitions = own_definitions(name, old_namespace) if definitions is None else definitions
        self.new = module_namespace(new_module)
        self.old_module = old_module
        self.new_module = new_module


def distinct_objects(replacements):
    """The old module objects and the old functions (lru_cache wrappers too)
    and classes each module X defined itself, as three dicts keyed by the
    id of each: the object (kept: an id alone could be reused), the
    replacement of its module, its name in X (None: the module object).
    (Three dicts, not a tuple per object: the objects the garbage collector
    follows do not grow with the definitions.)"""
    objects, owners, names = {}, {}, {}
    for replacement in replacements:
        old_module = replacement.old_module
        if old_module is not None and old_module is not replacement.new_module:
            key = id(old_module)
            objects[key], owners[key], names[key] = old_module, replacement, None
        for name, value in replacement.definitions.items():
            key = id(value)
            if key not in objects:
                objects[key], owners[key], names[key] = value, replacement, name
    return objects, owners, names


def new_object(replacement, name):
    """X's new object for *name*: the new module when *name* is None."""
    if name is None:
        return replacement.new_module
    return replacement.new.get(name, MISSING)


class Rebinder(object):
    """Applies the rule above to the loaded modules; *assign* is how a
    binding is changed (a Transaction's, so it can be undone); *aliases*
    (sys.modules key -> the module's own name) are the other names a
    replaced module is imported by."""

    def __init__(self, replacements, assign, known_lines=None, aliases=None):
        self.replacements = dict((replacement.name, replacement) for replacement in replacements)
        for alias, name in (aliases or {}).items():  # key -> name: `from alias import x` too
            if name in self.replacements:
                self.replacements[alias] = self.replacements[name]
        self.objects, self.owners, self.names = distinct_objects(replacements)
        self.assign = assign
        self.known_lines = known_lines or {}  # name -> ImportLines already read (LoadedModules.lines)
        self.rebound = []
        self.tails = frozenset(name.rpartition(".")[2] for name in self.replacements)
        self.packages = frozenset(self.replacements)

    def point(self, module_name, namespace, key, replacement, name):
        value = new_object(replacement, name)
        if value is MISSING:
            warnings.warn(
                "compatreload: %s.%s still holds the old %s.%s: %s no longer defines %s"
                % (module_name, key, replacement.name, name, replacement.name, name),
                StaleBindingWarning,
                stacklevel=4,
            )
        elif namespace[key] is not value:
            self.assign(namespace, key, value)
            self.rebound.append((module_name, key))

    def by_identity(self, module_name, namespace):
        objects = self.objects
        if not any(imap(objects.__contains__, imap(id, list(namespace.values())))):
            return  # most namespaces, in C: those of the modules re-executed hold new objects
        for key, value in list(namespace.items()):
            if objects.get(id(value), MISSING) is value:
                self.point(module_name, namespace, key, self.owners[id(value)], self.names[id(value)])

    def by_from_import(self, module_name, module, namespace):
        path = source_file(module)
        if path is None:
            return
        lines = self.known_lines.get(module_name) or lines_of(path)
        if not may_import(module_name, lines.tokens, self.tails, self.packages):
            return
        for base, name, alias in resolve(module, statements_of(path, lines))[1]:
            replacement = self.replacements.get(base)
            if replacement is None:
                continue
            old = replacement.old.get(name, MISSING)
            if old is not MISSING and namespace.get(alias, MISSING) is old and alias not in own_names(path):
                self.point(module_name, namespace, alias, replacement, name)

    def run(self, names=None, skip_from_imports=(), skip=()):
        """Rebind in the loaded modules *names* (all if None) except those
        in *skip*; the from-import rule is not applied to those in
        *skip_from_imports*."""
        for module_name in list(sys.modules) if names is None else names:
            module = sys.modules.get(module_name)
            if not isinstance(module, types.ModuleType) or module_name in skip:
                continue
            namespace = module_namespace(module)
            self.by_identity(module_name, namespace)
            if module_name not in skip_from_imports:
                self.by_from_import(module_name, module, namespace)
        return sorted(set(self.rebound))


def plain_assign(namespace, key, value):
    namespace[key] = value
