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
  members or their values changed, a dataclass, namedtuple, attrs class or
  pydantic model whose fields changed;
- a method the class's machinery generated (a dataclass's ``__init__``, a
  namedtuple's ``__new__``) whose code, defaults or closure changed (a
  field's default or an option): the class takes the new one.

What the upgraded code refers to is what the module holds: once every
object of the module is upgraded, the defaults of patched functions and
the closures and defaults of functions set on a class point at the old
objects the new ones were folded into (``def make(kind=Widget)`` makes
instances of the class ``mod.Widget`` still is, not of the discarded new
one).

Every change is made through the transaction, so a failure later in the
reload undoes it."""
import operator
import types
import warnings

from .compat import (
    CLASS_CREATION_SETS_NAMES,
    FUNCTION_ATTRIBUTES,
    PY2,
    cache_parameters,
    can_take_class,
    class_of,
    is_cached_function,
    is_class,
    is_function,
    variable_sized,
)
from .errors import ReloadError, StaleBindingWarning
from .transaction import MISSING

#: A class's identity and layout: never copied from the new class.
CLASS_KEEP = frozenset(
    ["__dict__", "__weakref__", "__module__", "__qualname__", "__slots__", "__doc__", "_abc_impl", "_fields_"]
)

#: Names that setattr() on a class gives to the class itself (its type, its
#: name), not to its namespace, where a class body may define them.
TYPE_SLOT_NAMES = ("__class__", "__name__")

#: The descriptors a class's layout puts in its namespace: one per slot
#: (member), ``__dict__`` and ``__weakref__`` (getset); on every interpreter.
LAYOUT_DESCRIPTORS = (types.MemberDescriptorType, types.GetSetDescriptorType)

#: How a warning ends: after an upgrade, or in a dry run before it.
FALLBACK = ("was not upgraded in place", "the name now holds the new object and existing references keep running the old code")
PREVIEW = ("will not be upgraded in place", "existing references to it will keep running the old code")

#: Values that carry code, and so are upgraded rather than replaced.
METHOD_WRAPPERS = (staticmethod, classmethod)
CODE_CARRIERS = (types.FunctionType, property) + METHOD_WRAPPERS

#: What an upgraded lru_cache wrapper takes from the new one (functools.
#: update_wrapper copied them from the function it wraps).
WRAPPER_ATTRIBUTES = ("__doc__",) + (() if PY2 else ("__annotations__",))

#: Function attributes that hold default values (2.x has no keyword-only ones).
DEFAULTS_ATTRIBUTES = ("__defaults__",) + (() if PY2 else ("__kwdefaults__",))

#: A function's names besides __name__ (__qualname__ from 3.3).
NAME_ATTRIBUTES = () if PY2 else ("__qualname__",)

#: How the warning about an instance that cannot be given the class that stays ends.
NOT_RETYPED = (
    "was upgraded in place, but an instance of its new version that the module code made stays one",
    "isinstance() with the class that stays fails for it",
)

#: How the warning about a class's ``__class__`` attribute ends.
KEPT = ("was not upgraded in place", "the class keeps the old one")


def make_cell(value):
    """A closure cell holding *value* (types.CellType exists from 3.8 only)."""
    return (lambda: value).__closure__[0]


def enum_members(cls):
    """Names of an enum's members, or None for any other class."""
    members = vars(cls).get("_member_names_")
    return list(members) if members is not None else None


def enum_member(cls, name):
    return vars(cls)["_member_map_"][name]


#: Where a class's machinery lists its fields by name, in the class namespace:
#: dataclasses; pydantic 2 and pydantic 1 (dicts keyed by field name).
FIELD_DICTS = ("__dataclass_fields__", "__pydantic_fields__", "__fields__")


def field_names(cls):
    """Field names of a dataclass, namedtuple, attrs class (``__attrs_attrs__``:
    objects with a ``name``) or pydantic model, or None: instances made
    before hold the old fields only, so a change cannot be upgraded in place."""
    namespace = vars(cls)
    for attribute in FIELD_DICTS:
        fields = namespace.get(attribute)
        if isinstance(fields, dict):
            return list(fields)
    fields = namespace.get("__attrs_attrs__")
    if fields is not None:
        return [getattr(field, "name", None) for field in fields]
    fields = namespace.get("_fields")
    if isinstance(cls, type) and issubclass(cls, tuple) and fields is not None:
        return list(fields)
    return None


def layout_change(old, new, current):
    """Why *old* cannot become *new* in place, or None. A base is the same
    if it is the same object, or the new class *current* maps to that
    object (see Upgrader.current)."""
    if type(old) is not current(type(new)):
        return "its metaclass changed"
    same = [old_base is current(new_base) for old_base, new_base in zip(old.__bases__, new.__bases__)]
    if len(old.__bases__) != len(new.__bases__) or not all(same):
        return "its base classes changed"
    if vars(old).get("__slots__") != vars(new).get("__slots__"):
        return "its __slots__ changed"
    if not same_ctypes_fields(vars(old).get("_fields_"), vars(new).get("_fields_"), current):
        return "its ctypes _fields_ changed"
    members = enum_members(old)
    if members != enum_members(new):
        return "its enum members changed"
    for name in members or ():
        if not same_value(enum_member(old, name)._value_, enum_member(new, name)._value_, current):
            return "the value of its member %s changed" % name
    if field_names(old) != field_names(new):
        return "its fields changed"
    return None


def same_ctypes_fields(old, new, current):
    """Whether two ctypes ``_fields_`` (lists of (name, type) or (name,
    type, bits); None for a class that is no ctypes Structure or Union)
    give one layout, a type the module defines compared as the one that
    stays. A class's ``_fields_`` is final (set once, by its body), so the
    class that stays keeps its own (CLASS_KEEP)."""
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        return len(old) == len(new) and all(same_ctypes_fields(a, b, current) for a, b in zip(old, new))
    return old is current(new) or old == new


class Upgrader(object):
    """Upgrades the objects module *module_name* (file *path*) defines."""

    def __init__(self, module_name, path, transaction):
        self.module_name = module_name
        self.path = path
        self.transaction = transaction
        self.kept = {}  # id(new object) -> (new object, the old one patched from it, its label)
        self.warned = set()  # ids of the new classes warn_once() warned about
        self.patched = []  # functions patched in place: their defaults are settled last
        self.installed = []  # (class, key) of the new objects set on a class that stays
        self.generated = []  # (class, key, old, new, label) of generated methods, settled last
        self.tried = set()  # ids of the new classes klass() looked at (held, so not reused)

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

    def other_version(self, cls, value):
        """Whether *value* is another class of this module with *cls*'s
        qualified name: a version of it its machinery or its class statement
        made (see pair_first_versions, unnamed_bases)."""
        return (
            value is not cls
            and is_class(value)
            and is_class(cls)
            and self.defined_here(value)
            and self.defined_here(cls)
            and qualified_name(value) == qualified_name(cls)
        )

    def written_here(self, function):
        """False for code generated at run time (dataclass, namedtuple)."""
        return function.__code__.co_filename == self.path

    def keep(self, old, new, label):
        """Record that *old* (named *label*) stays and was patched from *new*."""
        self.kept[id(new)] = (new, old, label)  # new is held, so its id is not reused meanwhile

    def current(self, value):
        """The object that stands for *value* after the upgrade: the old
        object it was folded into, or *value* itself."""
        entry = self.kept.get(id(value))
        return entry[1] if entry is not None and entry[0] is value else value

    def module(self, old_namespace, namespace):
        """Upgrade the module's objects; point its names back at them."""
        for key, old in sorted(old_namespace.items(), key=bases_first):
            new = namespace.get(key, MISSING)
            if new is MISSING or new is old or not (self.defined_here(old) and self.defined_here(new)):
                continue
            if self.current(new) is not new:  # upgraded under another name: settle() points this one
                continue
            if self.upgrade(old, new, key):
                self.transaction.assign(namespace, key, old)
        self.settle(namespace)

    def settle(self, namespace):
        """Once every object is upgraded (so self.current knows them all):
        keep or replace the generated methods; point what patched and
        installed functions refer to, and the module's other names (``DEFAULT
        = Color.RED``), at the objects that stay; and make the instances
        the module code made of a new class (``app = App()``) instances of
        the class that stays."""
        for cls, key, old, new, label in self.generated:
            self.pair_first_versions(cls, old, new, label)
            if not same_value(old, new, self.current):
                self.warn(label, "its generated code changed (a field's default or an option)")
                self.install(cls, key, new, label)
        for function in self.patched:
            for attribute, settled in self.settled_defaults(function).items():
                self.transaction.set_attribute(function, attribute, settled)
        for cls, key in self.installed:
            value = vars(cls)[key]
            settled = self.rehomed(value)
            if settled is not value:
                self.transaction.set_attribute(cls, key, settled)
            tell_owner(settled, cls, key)
        for key, value in list(namespace.items()):
            settled = self.settled(value)
            if settled is not value:
                self.transaction.assign(namespace, key, settled)

    def pair_first_versions(self, cls, old, new, label):
        """Let the first version of class *cls* that the closure of its
        generated method *old* holds stand for the one *new*'s holds:
        dataclass(slots=True) makes a class twice, and a frozen one's
        ``__setattr__`` and ``__delattr__`` keep the first (CPython 3.10 to
        3.13), which no namespace holds, so they differed on every reload."""
        old, new = unwrapped(old), unwrapped(new)
        for old_cell, new_cell in zip(old.__closure__ or (), new.__closure__ or ()):
            first, second = cell_content(old_cell), cell_content(new_cell)
            stands_for = first and second and self.other_version(cls, first[0])
            if stands_for and self.other_version(cls, self.current(second[0])):
                self.keep(first[0], second[0], label)

    def settled(self, value):
        """self.current(*value*); an instance of a new class the upgrade
        folded into an old one is made an instance of the old one (its
        layout is the same: that is why the class was kept)."""
        settled = self.current(value)
        if settled is not value or is_class(value):
            return settled
        cls = class_of(value)
        kept = self.current(cls)
        if kept is not cls:
            if variable_sized(cls):
                self.warn_once(cls, "a subclass of a variable-sized type (tuple, int, bytes) cannot change class")
            elif not can_take_class(cls, kept):
                self.warn_once(
                    cls, "a base that adds to its instances' layout (a __dict__, slots) is a new object there, so "
                    "they cannot change class"
                )
            else:
                self.transaction.set_class(value, kept)
        return value

    def warn_once(self, cls, why):
        """Warn once per upgrade about new class *cls*'s instances."""
        if id(cls) not in self.warned:
            self.warned.add(id(cls))
            self.warn(self.kept[id(cls)][2], why, NOT_RETYPED)

    def install(self, cls, key, new, label):
        """Set *new* on *cls* in place of what it had (MISSING: delete it);
        ReloadError naming it (*label*) if the class refuses (the reload is
        then rolled back)."""
        try:
            self.transaction.set_attribute(cls, key, new)
        except (AttributeError, TypeError) as error:
            raise ReloadError(
                "deep_reload(upgrade=True): %s.%s cannot be %s on the class that stays (%s: %s); nothing was "
                "reloaded (with upgrade=False the module's name takes the new class)"
                % (self.module_name, label, "deleted" if new is MISSING else "set", type(error).__name__, error)
            )
        if new is not MISSING:
            self.installed.append((cls, key))

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
        self.keep(old, new, label)
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
        self.keep(old, new, label)
        self.patched.append(old)
        return True

    def klass(self, old, new, label):
        """Patch class *old* from *new*; False if its layout changed."""
        if id(new) in self.tried:  # met again through class attributes (``Lexer.parser = Parser`` and back)
            return self.current(new) is old
        self.tried.add(id(new))
        self.unnamed_bases(old, new, label)
        why = layout_change(old, new, self.current)
        if why is not None:
            self.warn(label, why)
            return False
        self.keep(old, new, label)
        members = enum_members(old)
        for name in members or ():  # the same names and values (layout_change)
            self.keep(enum_member(old, name), enum_member(new, name), "%s.%s" % (label, name))
        only_code = members is not None  # an enum's other attributes are its members
        for key, value in list(vars(new).items()):
            if key not in CLASS_KEEP and not layout_descriptor(new, value):
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
        if key in TYPE_SLOT_NAMES:
            self.class_attribute(old, new, label, key)
            return
        if is_cached_function(new) and is_cached_function(old):
            if self.cached_function(old, new, label):
                return
        elif is_function(new) or (issubclass(type(new), METHOD_WRAPPERS) and type(old) is type(new)):
            plain = is_function(new)
            old_function, new_function = (old, new) if plain else (old.__func__, new.__func__)
            if is_function(old_function) and not self.written_here(new_function):
                self.generated.append((cls, key, old, new, label))  # compared once all is upgraded
                return
            if is_function(old_function) and self.function(old_function, new_function, label):
                return
        elif self.defined_here(new) and is_class(new) and is_class(old):
            if self.klass(old, new, label):
                return
        self.install(cls, key, new, label)

    def unnamed_bases(self, old, new, label):
        """Upgrade in place the bases of class *old* that its class statement
        made (``class Point(namedtuple("Point", "x y"))``): a new one each
        time, which no name of the module holds, so that nothing else would
        upgrade it (its base classes would have changed on every reload)."""
        for index, (old_base, new_base) in enumerate(zip(old.__bases__, new.__bases__)):
            if id(new_base) not in self.tried and self.other_version(old_base, new_base):
                self.klass(old_base, new_base, "%s.__bases__[%d]" % (label, index))

    def class_attribute(self, old, new, label, key):
        """``__class__`` or ``__name__`` (*key*) in a class body (a proxy's, as
        in Django's LazyObject; a callable class's that passes for a
        function): setting it on the class would set the class's own type or
        name, so only the code of its accessors can change, in place."""
        if old is MISSING or new is MISSING:
            self.warn(label, "a class's %s cannot be %s" % (key, "added" if old is MISSING else "deleted"), KEPT)
            return
        pairs = accessor_pairs(old, new)
        if pairs is None:
            self.warn(label, "only a property's functions can be upgraded there", KEPT)
            return
        for old_accessor, new_accessor in pairs:
            if old_accessor is not new_accessor:
                self.function(old_accessor, new_accessor, label, KEPT)

    def repointed(self, values):
        """*values* (a tuple, a dict or None) with self.settled applied to
        each; *values* itself when that changes nothing."""
        if values is None:
            return None
        if isinstance(values, dict):
            settled = dict((key, self.settled(value)) for key, value in values.items())
            same = all(settled[key] is value for key, value in values.items())
        else:
            settled = tuple(self.settled(value) for value in values)
            same = all(map(operator.is_, settled, values))
        return values if same else settled

    def rehomed(self, value):
        """*value* made to refer to the objects that stay: a function's
        closure cells (zero-argument super()'s ``__class__`` among them)
        and defaults through self.current, in a new function when anything
        changes; a staticmethod or classmethod of one rewrapped; any other
        value through self.settled."""
        if issubclass(type(value), METHOD_WRAPPERS):
            function = self.rehomed(value.__func__)
            return value if function is value.__func__ else type(value)(function)
        if not is_function(value):
            return self.settled(value)
        cells = tuple(self.rehomed_cell(cell) for cell in value.__closure__ or ())
        defaults = self.settled_defaults(value)
        if not defaults and all(map(operator.is_, cells, value.__closure__ or ())):
            return value
        function = types.FunctionType(value.__code__, value.__globals__, value.__name__, None, cells or None)
        for attribute in FUNCTION_ATTRIBUTES[1:] + NAME_ATTRIBUTES:
            setattr(function, attribute, defaults.get(attribute, getattr(value, attribute)))
        return function

    def settled_defaults(self, function):
        """attribute -> new value, for those of *function*'s defaults
        attributes that self.repointed changes."""
        settled = {}
        for attribute in DEFAULTS_ATTRIBUTES:
            values = getattr(function, attribute)
            repointed = self.repointed(values)
            if repointed is not values:
                settled[attribute] = repointed
        return settled

    def rehomed_cell(self, cell):
        """*cell*, or a new one holding what self.settled maps its content to."""
        content = cell_content(cell)
        settled = self.repointed(content)
        return cell if settled is content else make_cell(settled[0])


def same_value(old, new, current, seen=None):
    """Whether *new* stands for *old* in what code does with it: *new* is
    *old* once mapped by *current*; or both are functions with equal code
    (compiled from the same text), defaults and closure contents (compared
    the same way; a cycle of closures counts as the same); or neither is a
    function or class and they are equal and of one type, once mapped (an
    == that raises counts as a difference)."""
    new = current(new)
    if old is new:
        return True
    if issubclass(type(old), METHOD_WRAPPERS) and type(old) is type(new):
        return same_value(old.__func__, new.__func__, current, seen)
    if is_function(old) and is_function(new):
        return same_function(old, new, current, set() if seen is None else seen)
    if is_function(old) or is_function(new) or is_class(old) or is_class(new) or type(old) is not current(type(new)):
        return False
    try:
        return bool(old == new)
    except Exception:
        return False


def same_function(old, new, current, seen):
    if (id(old), id(new)) in seen:
        return True
    seen.add((id(old), id(new)))
    if old.__code__ != new.__code__:
        return False
    for attribute in DEFAULTS_ATTRIBUTES:
        if not same_values(getattr(old, attribute), getattr(new, attribute), current, seen):
            return False
    old_cells, new_cells = old.__closure__ or (), new.__closure__ or ()
    return len(old_cells) == len(new_cells) and all(
        same_values(cell_content(old_cell), cell_content(new_cell), current, seen)
        for old_cell, new_cell in zip(old_cells, new_cells)
    )


def same_values(old, new, current, seen):
    """same_value() for each of two tuples (or dicts, or None: defaults;
    or 1-tuples: cell contents, () for an empty cell)."""
    if old is None or new is None:
        return old is new
    if isinstance(old, dict):
        pairs = [(value, new[key]) for key, value in old.items() if key in new]
        return len(pairs) == len(old) == len(new) and all(same_value(a, b, current, seen) for a, b in pairs)
    return len(old) == len(new) and all(same_value(a, b, current, seen) for a, b in zip(old, new))


def qualified_name(cls):
    """``__qualname__`` (3.3+), or ``__name__``."""
    return getattr(cls, "__qualname__", cls.__name__)


def unwrapped(method):
    """The function of a staticmethod or classmethod, or *method* itself."""
    return method.__func__ if issubclass(type(method), METHOD_WRAPPERS) else method


def cell_content(cell):
    """(content,) of a closure cell, () if it is empty."""
    try:
        return (cell.cell_contents,)
    except ValueError:
        return ()


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
    """Sort key: what is not a class, then metaclasses (before the classes
    they make: a class whose metaclass the module defines keeps its layout
    when that metaclass is upgraded), then classes; classes by the length of
    their MRO (bases before their subclasses, also on 2.x where dicts are
    unordered)."""
    value = item[1]
    if not is_class(value):
        return (0, 0, item[0])
    return (1 if issubclass(value, type) else 2, len(getattr(value, "__mro__", ())), item[0])


def tell_owner(value, cls, key):
    """Call *value*'s ``__set_name__(cls, key)`` where class creation calls it
    (CLASS_CREATION_SETS_NAMES): the creation of the new class told a
    descriptor in its body (a field that keeps its owner) that the new class
    owns it, and the upgrade moved it to the class that stays, *cls*. What it
    does to its owner is its own: a rollback does not undo that."""
    set_name = getattr(type(value), "__set_name__", None) if CLASS_CREATION_SETS_NAMES else None
    if set_name is not None:
        set_name(value, cls, key)


def layout_descriptor(cls, value):
    """Whether *value*, in *cls*'s namespace, is a descriptor of *cls*'s own
    layout (a slot's): it reads and writes instances of *cls* only ("descriptor
    'x' for 'Point' objects doesn't apply to a 'Point' object" for any other),
    so the class that stays keeps its own (layout_change: the same slots)."""
    return type(value) in LAYOUT_DESCRIPTORS and value.__objclass__ is cls


def carries_code(value):
    return issubclass(type(value), CODE_CARRIERS) or is_cached_function(value)
