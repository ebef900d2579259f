"""All-or-nothing: what a deep reload changes, recorded so it can be put back.

A deep reload changes three things: sys.modules (entries replaced, added,
removed), package namespaces (the import system sets ``pkg.sub`` when it
loads ``pkg.sub``), and the namespaces rebinding points at new objects.
The module objects it replaces are never modified: each re-executed module
is a new object. So restoring those three puts every loaded module's
namespace and sys.modules back to exactly the objects they held."""
import sys

from .compat import CLASS_TYPES, assign_class, class_of
from .errors import ReloadError
from .origins import module_namespace, read_module_dict

MISSING = object()


def package_namespaces(modules):
    """(module, its namespace) of the packages among *modules*: module
    objects (by their real type) whose namespace has ``__path__``."""
    found = []
    for module in modules:
        try:
            namespace = read_module_dict(module)
        except TypeError:  # not a module by its real type
            continue
        if "__path__" in namespace:
            found.append((module, namespace))
    return found


class Transaction(object):
    """Use as ``with Transaction(imported_elsewhere) as transaction:``; if
    the block raises, everything is restored and the exception propagates
    unchanged (with its traceback: ``__exit__`` returns False).

    *imported_elsewhere*: a set, filled while the block runs, of the
    modules other threads imported meanwhile: a rollback leaves them
    loaded, and their packages' attributes for them set."""

    def __init__(self, imported_elsewhere=frozenset()):
        self.imported_elsewhere = imported_elsewhere
        self.modules = dict(sys.modules)
        self.packages = dict(
            (id(module), (module, dict(namespace))) for module, namespace in package_namespaces(self.modules.values())
        )
        self.assignments = []  # (namespace, key, previous value)
        self.attributes = []  # (object, attribute, previous value or MISSING)
        self.namespaces = []  # (namespace, snapshot) of modules re-executed in place
        self.caches = []  # lru_cache wrappers whose function was patched
        self.classes = []  # (instance, previous class) of instances given another class

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if exc_type is not None:
            self.rollback(exc_value)
        return False

    def assign(self, namespace, key, value):
        """Rebind the existing ``namespace[key]`` to *value*, undone by rollback()."""
        self.assignments.append((namespace, key, namespace[key]))
        namespace[key] = value

    def set_attribute(self, target, attribute, value):
        """``setattr`` (``delattr`` for MISSING) on a function or class,
        undone by rollback()."""
        if isinstance(target, CLASS_TYPES):
            previous = vars(target).get(attribute, MISSING)  # its own, not inherited
        else:
            previous = getattr(target, attribute)
        put_attribute(target, attribute, value)  # recorded once done: one that raises changed nothing
        self.attributes.append((target, attribute, previous))

    def set_class(self, instance, cls):
        """Make *instance* an instance of *cls* (compat.assign_class),
        undone by rollback()."""
        previous = class_of(instance)
        assign_class(instance, cls)  # recorded once done, as set_attribute's
        self.classes.append((instance, previous))

    def clear_cache(self, cached):
        """Empty lru_cache wrapper *cached* now (its results came from the
        code being replaced) and again on rollback() (they may then come
        from the code that was being installed)."""
        self.caches.append(cached)
        cached.cache_clear()

    def keep_namespace(self, module, snapshot):
        """Restore *module*'s namespace to *snapshot* (a dict copy taken
        before it is re-executed in place) on rollback."""
        self.namespaces.append((module_namespace(module), snapshot))

    def rollback(self, cause=None):
        """Put sys.modules, namespaces, attributes and assignments back. An
        attribute or an instance's class that cannot be put back (its type
        refuses it now) does not stop the rest: once all else is back,
        ReloadError names it and the *cause* of the rollback."""
        failed = []
        for target, attribute, previous in reversed(self.attributes):
            attempt(failed, "%s.%s" % (name_of(target), attribute), put_attribute, target, attribute, previous)
        for instance, previous in reversed(self.classes):
            attempt(failed, "the class of a %s instance" % name_of(previous), assign_class, instance, previous)
        for cached in self.caches:
            cached.cache_clear()
        for namespace, key, previous in reversed(self.assignments):
            namespace[key] = previous
        for namespace, snapshot in self.namespaces:
            restore_namespace(namespace, snapshot)
        for key in [key for key in sys.modules if key not in self.modules and key not in self.imported_elsewhere]:
            del sys.modules[key]
        for key, module in self.modules.items():
            if sys.modules.get(key, MISSING) is not module:
                sys.modules[key] = module
        for module, snapshot in self.packages.values():
            namespace = module_namespace(module)
            prefix = "%s." % namespace.get("__name__")
            restore_namespace(namespace, snapshot, keep=lambda key: prefix + key in self.imported_elsewhere)
        if failed:
            raise ReloadError(
                "deep_reload(): the rollback could not put back %s; everything else was put back "
                "(the reload failed with %s: %s)" % ("; ".join(failed), type(cause).__name__, cause)
            )


def attempt(failed, what, undo, *arguments):
    """``undo(*arguments)``; if it raises, note *what* and why in *failed*."""
    try:
        undo(*arguments)
    except Exception as error:
        failed.append("%s (%s: %s)" % (what, type(error).__name__, error))


def name_of(value):
    """``module.qualname`` of a class or function, for messages."""
    name = getattr(value, "__qualname__", getattr(value, "__name__", "?"))
    return "%s.%s" % (getattr(value, "__module__", "?"), name)


def put_attribute(target, attribute, value):
    if value is MISSING:
        delattr(target, attribute)
    else:
        setattr(target, attribute, value)


def restore_namespace(namespace, snapshot, keep=lambda key: False):
    """Make *namespace* hold exactly *snapshot*'s keys and objects, but the
    keys added since for which ``keep(key)`` is true, touching only the
    keys that differ (other threads may be reading it)."""
    for key in [key for key in namespace if key not in snapshot and not keep(key)]:
        del namespace[key]
    for key, value in snapshot.items():
        if namespace.get(key, MISSING) is not value:
            namespace[key] = value
