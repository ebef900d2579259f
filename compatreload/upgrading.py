"""upgrade=True: objects a program already holds run the new code.

After a module was re-executed in its own namespace, every function or
class it defined before and defines again under the same name is patched
in place from the new one, and the module's name is pointed back at the old
object. Instances keep their class, so ``isinstance`` holds for old and new
instances and pickles load; callbacks and bound methods held anywhere run
the new code. What cannot change in place falls back to the new object with
a StaleBindingWarning naming it (existing references keep the old code):

- a closure (a decorated function, a function with free variables other
  than ``__class__``): swapping its code would keep stale cell contents;
- a functools.lru_cache wrapper whose maxsize or typed changed (one whose
  did not keeps its identity: the function it calls is patched in place
  and its cache, computed by the old code, is emptied);
- a class whose metaclass, bases or ``__slots__`` changed, an enum whose
  members changed, a dataclass or namedtuple whose fields changed.

Every change is made through the transaction, so a failure later in the
reload undoes it."""
import types
import warnings

from .compat import FUNCTION_ATTRIBUTES, PY2, cache_parameters, is_cached_function, is_class, is_function
from .errors import StaleBindingWarning
from .transaction import MISSING

#: A class's identity and layout: never copied from the new class.
CLASS_KEEP = frozenset(
    ["__dict__", "__weakref__", "__module__", "__qualname__", "__slots__", "__doc__", "_abc_impl"]
)

#: How a warning ends: after an upgrade, or in a dry run before it.
FALLBACK = ("was not upgraded in place", "the name now holds the new object and existing references keep running the old code")
PREVIEW = ("will not be upgraded in place", "existing references to it will keep running the old code")

#: Values that carry code, and so are upgraded rather than replaced.
METHOD_WRAPPERS = (staticmethod, classmethod)
CODE_CARRIERS = (types.FunctionType, property) + METHOD_WRAPPERS

#: What an upgraded lru_cache wrapper takes from the new one (functools.
#: update_wrapper copied them from the function it wraps).
WRAPPER_ATTRIBUTES = ("__doc__",) + (() if PY2 else ("__annotations__",))

#: How the warning about a class's ``__class__`` attribute ends.
KEPT = ("was not upgraded in place", "the class keeps the old one")


def make_cell(value):
    """A closure cell holding *value* (types.CellType exists from 3.8 only)."""
    return (lambda: value).__closure__[0]


def enum_members(cls):
    """Names of an enum's members, or None for any other class."""
    members = vars(cls).get("_member_names_")
    return list(members) if members is not None else None


def field_names(cls):
    """Field names of a dataclass or namedtuple, or None."""
    fields = vars(cls).get("__dataclass_fields__")
    if fields is not None:
        return list(fields)
    fields = vars(cls).get("_fields")
    if isinstance(cls, type) and issubclass(cls, tuple) and fields is not None:
        return list(fields)
    return None


def layout_change(old, new, kept):
    """Why *old* cannot become *new* in place, or None. A base is the same
    if it is the same object, or the new class *kept* maps to that object."""
    if type(old) is not type(new):
        return "its metaclass changed"
    same = [old_base is kept.get(id(new_base), new_base) for old_base, new_base in zip(old.__bases__, new.__bases__)]
    if len(old.__bases__) != len(new.__bases__) or not all(same):
        return "its base classes changed"
    if vars(old).get("__slots__") != vars(new).get("__slots__"):
        return "its __slots__ changed"
    if enum_members(old) != enum_members(new):
        return "its enum members changed"
    if field_names(old) != field_names(new):
        return "its fields changed"
    return None


class Upgrader(object):
    """Upgrades the objects module *module_name* (file *path*) defines."""

    def __init__(self, module_name, path, transaction):
        self.module_name = module_name
        self.path = path
        self.transaction = transaction
        self.kept = {}  # id(new class) -> the old class patched from it
    def warn(self, label, why, consequence=FALLBACK):
        warnings.warn(
            "compatreload: %s.%s %s: %s; %s" % (self.module_name, label, consequence[0], why, consequence[1]),
            StaleBindingWarning,
            stacklevel=5,
        )

    def preview(self, namespace):
        """Warn, before anything runs, about the functions an upgrade will not
        patch in place (closures); layout changes show when the new code runs."""
        for key, value in sorted(namespace.items()):
            function = wrapped(value)
            if is_function(function) and self.defined_here(value):
                free = sorted(set(function.__code__.co_freevars) - set(["__class__"]))
                if free:
                    self.warn(key, "it is a closure over %s" % ", ".join(free), PREVIEW)

    def defined_here(self, value):
        """Whether *value* is a function or class this module defines, or
        an lru_cache wrapper of one."""
        value = wrapped(value)
        return (is_function(value) or is_class(value)) and (
            getattr(value, "__module__", None) == self.module_name
        )

    def written_here(self, function):
        """False for code generated at run time (dataclass, namedtuple)."""
        return function.__code__.co_filename == self.path

    def module(self, old_namespace, namespace):
        """Upgrade the module's objects; point its names back at them."""
        for key, old in sorted(old_namespace.items(), key=bases_first):
            new = namespace.get(key, MISSING)
            if new is MISSING or new is old or not (self.defined_here(old) and self.defined_here(new)):
                continue
            if self.upgrade(old, new, key):
                self.transaction.assign(namespace, key, old)

    def upgrade(self, old, new, label):
        if is_cached_function(old) and is_cached_function(new):
            return self.cached_function(old, new, label)
        if is_function(old) and is_function(new):
            return self.function(old, new, label)
        if is_class(old) and is_class(new):
            return self.klass(old, new, label)
        self.warn(label, "it was a %s and is now a %s" % (kind_name(old), kind_name(new)))
        return False

    def cached_function(self, old, new, label):
        """Patch what lru_cache wrapper *old* calls from *new*'s and empty
        its cache; False if the cache parameters or the function cannot."""
        old_parameters, new_parameters = cache_parameters(old), cache_parameters(new)
        if old_parameters != new_parameters:
            self.warn(label, "its cache parameters changed from %r to %r" % (old_parameters, new_parameters))
            return False
        if not self.upgrade(wrapped(old), wrapped(new), label):
            return False
        for attribute in WRAPPER_ATTRIBUTES:
            self.transaction.set_attribute(old, attribute, getattr(new, attribute))
        self.transaction.clear_cache(old)
        return True

    def function(self, old, new, label, consequence=FALLBACK):
        """Give *old* the code and attributes of *new*; False if unsafe."""
        old_free, new_free = old.__code__.co_freevars, new.__code__.co_freevars
        if old_free != new_free:
            self.warn(label, "its free variables changed from %r to %r" % (old_free, new_free), consequence)
            return False
        if set(new_free) - set(["__class__"]):
            self.warn(label, "it is a closure over %s" % ", ".join(new_free), consequence)
            return False
        for attribute in FUNCTION_ATTRIBUTES:
            self.transaction.set_attribute(old, attribute, getattr(new, attribute))
        return True

    def klass(self, old, new, label):
        """Patch class *old* from *new*; False if its layout changed."""
        why = layout_change(old, new, self.kept)
        if why is not None:
            self.warn(label, why)
            return False
        self.kept[id(new)] = old
        only_code = enum_members(old) is not None  # an enum's other attributes are its members
        for key, value in list(vars(new).items()):
            if key not in CLASS_KEEP and not key.startswith("__dataclass"):
                self.attribute(old, key, value, "%s.%s" % (label, key), only_code)
        for key, value in list(vars(old).items()):
            if key not in vars(new) and key not in CLASS_KEEP and (not only_code or carries_code(value)):
                self.attribute(old, key, MISSING, "%s.%s" % (label, key), only_code)
        return True

    def attribute(self, cls, key, new, label, only_code):
        """Upgrade, replace or (*new* MISSING) delete one class attribute."""
        old = vars(cls).get(key, MISSING)
        if old is new or (only_code and new is not MISSING and not carries_code(new)):
            return
        if key == "__class__":
            self.class_attribute(old, new, label)
            return
        if is_cached_function(new) and is_cached_function(old):
            if self.cached_function(old, new, label):
                return
        elif is_function(new):
            if is_function(old) and (not self.written_here(new) or self.function(old, new, label)):
                return  # upgraded; or generated code, which stays: the fields did not change
            new = self.rehomed(new, cls)
        elif issubclass(type(new), METHOD_WRAPPERS) and type(old) is type(new):
            if not self.written_here(new.__func__) or self.function(old.__func__, new.__func__, label):
                return
        elif self.defined_here(new) and is_class(new) and is_class(old):
            if self.klass(old, new, label):
                return
        self.transaction.set_attribute(cls, key, new)

    def class_attribute(self, old, new, label):
        """``__class__`` in a class body (a proxy's, as in Django's
        LazyObject): setting it on the class would change the class's own
        type, so only the code of its accessors can change, in place."""
        if old is MISSING or new is MISSING:
            self.warn(label, "a class's __class__ cannot be %s" % ("added" if old is MISSING else "deleted"), KEPT)
            return
        pairs = accessor_pairs(old, new)
        if pairs is None:
            self.warn(label, "only a property's functions can be upgraded there", KEPT)
            return
        for old_accessor, new_accessor in pairs:
            if old_accessor is not new_accessor:
                self.function(old_accessor, new_accessor, label, KEPT)

    def rehomed(self, new, cls):
        """*new* with its ``__class__`` cell (zero-argument super()) pointing
        at the class that stays, *cls*."""
        if new.__code__.co_freevars != ("__class__",):
            return new
        function = types.FunctionType(
            new.__code__, new.__globals__, new.__name__, new.__defaults__, (make_cell(cls),)
        )
        for attribute in FUNCTION_ATTRIBUTES[1:]:
            setattr(function, attribute, getattr(new, attribute))
        return function


def accessor_pairs(old, new):
    """(old, new) of fget, fset and fdel when *old* and *new* are properties
    whose accessors are functions or the same object (None); else None."""
    if type(old) is not property or type(new) is not property:
        return None
    pairs = [(old.fget, new.fget), (old.fset, new.fset), (old.fdel, new.fdel)]
    for old_accessor, new_accessor in pairs:
        if old_accessor is not new_accessor and not (is_function(old_accessor) and is_function(new_accessor)):
            return None
    return pairs


def wrapped(value):
    """The function (or class) an lru_cache wrapper calls; any other value
    itself."""
    return getattr(value, "__wrapped__", None) if is_cached_function(value) else value


def kind_name(value):
    """What a warning calls *value*'s kind."""
    return "functools.lru_cache wrapper" if is_cached_function(value) else type(value).__name__


def bases_first(item):
    """Sort key: classes by the length of their MRO (bases before their
    subclasses, also on 2.x where dicts are unordered), then the rest."""
    value = item[1]
    return (len(getattr(value, "__mro__", ())) if is_class(value) else 0, item[0])


def carries_code(value):
    return issubclass(type(value), CODE_CARRIERS) or is_cached_function(value)
