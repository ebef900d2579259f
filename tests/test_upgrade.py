"""deep_reload(upgrade=True): objects the program holds run the new code."""
import pickle
import sys
import warnings

import pytest

from compatreload import ReloadError, StaleBindingWarning, deep_reload

PY2 = sys.version_info[0] == 2

SHAPES = '''\
import collections

RATE = {v}


def area(x, y={v}):
    """area doc {v}"""
    return "area@{v}:%s" % (x * y)


area.marker = "marker@{v}"


def deco(function):
    def wrapper(*args):
        return function(*args)
    return wrapper


@deco
def wrapped():
    return "wrapped@{v}"


class Base(object):
    def who(self):
        return "base@{v}"


class Cls(Base):
    def method(self):
        return "method@{v}"

    def who(self):
        return "cls@{v}+" + super(Cls, self).who()

    @staticmethod
    def smethod():
        return "static@{v}"

    @classmethod
    def cmethod(cls):
        return "class@{v}:" + cls.__name__

    @property
    def prop(self):
        return "prop@{v}"

    class Nested(object):
        def f(self):
            return "nested@{v}"
{extra}

Point = collections.namedtuple("Point", "x y")


class Named(Point):
    def norm(self):
        return "named@{v}:%d" % (self.x + self.y)


class Slotted(object):
    __slots__ = {slots}

    def get(self):
        return "slotted@{v}"
'''

V1 = dict(v=1, extra='\n    def removed(self):\n        return "removed@1"\n', slots='("a",)')
V2 = dict(v=2, extra='\n    def added(self):\n        return "added@2"\n', slots='("a",)')

CONSUMER = "from shapes import Cls, area\nREGISTRY = [area]\n"


def write(workspace, name, text):
    workspace.write("pure", name + ".py", text)


def reload_quietly(target, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        order = deep_reload(target, upgrade=True, **options)
    return order, [str(w.message) for w in caught if issubclass(w.category, StaleBindingWarning)]


@pytest.fixture
def shapes(workspace):
    workspace.add("pure")  # its root is the folder the test modules go in
    write(workspace, "shapes", SHAPES.format(**V1))
    write(workspace, "consumer", CONSUMER)
    import consumer  # noqa: F401
    import shapes as module

    return module


def test_functions_are_patched_in_place(shapes, workspace):
    area, consumer = shapes.area, sys.modules["consumer"]
    callbacks = {"on_area": area}
    write(workspace, "shapes", SHAPES.format(**V2))
    order, _ = reload_quietly("shapes")
    assert order == ["shapes", "consumer"]
    assert shapes.area is area and sys.modules["shapes"] is shapes
    assert callbacks["on_area"](3) == "area@2:6"  # new code, new default
    assert area.__doc__ == "area doc 2" and area.marker == "marker@2"
    assert consumer.area is area and consumer.REGISTRY[0] is area


def test_closures_are_replaced_with_a_warning(shapes, workspace):
    old = shapes.wrapped
    write(workspace, "shapes", SHAPES.format(**V2))
    _, messages = reload_quietly("shapes")
    assert shapes.wrapped is not old and shapes.wrapped() == "wrapped@2"
    assert old() == "wrapped@1"  # what was held keeps its old, consistent closure
    assert any(message.startswith("compatreload: shapes.wrapped was not upgraded in place: it is a closure") for message in messages)


def test_methods_and_class_attributes(shapes, workspace):
    Cls = shapes.Cls
    instance, nested = Cls(), Cls.Nested
    bound = instance.method
    assert instance.removed() == "removed@1"
    write(workspace, "shapes", SHAPES.format(**V2))
    reload_quietly("shapes")
    assert shapes.Cls is Cls and Cls.Nested is nested
    assert bound() == "method@2" and instance.method() == "method@2"
    assert instance.who() == "cls@2+base@2"
    assert Cls.smethod() == "static@2" and Cls.cmethod() == "class@2:Cls"
    assert instance.prop == "prop@2" and nested().f() == "nested@2"
    assert instance.added() == "added@2"
    assert not hasattr(instance, "removed")
    consumer = sys.modules["consumer"]
    assert isinstance(instance, shapes.Cls) and isinstance(consumer.Cls(), Cls)
    if PY2:
        assert Cls.method(instance) == "method@2"  # the unbound method


def test_pickles_of_old_instances_still_load(shapes, workspace):
    data = pickle.dumps(shapes.Cls())
    write(workspace, "shapes", SHAPES.format(**V2))
    reload_quietly("shapes")
    loaded = pickle.loads(data)
    assert type(loaded) is shapes.Cls and loaded.method() == "method@2"


def test_namedtuple_subclass_is_patched_and_a_field_change_falls_back(shapes, workspace):
    point = shapes.Named(1, 2)
    write(workspace, "shapes", SHAPES.format(**V2))
    reload_quietly("shapes")
    assert point.norm() == "named@2:3" and isinstance(point, shapes.Named)
    old_named = shapes.Named
    write(workspace, "shapes", SHAPES.format(**V2).replace('"x y"', '"x y z"').replace("x + self.y", "x + self.z"))
    _, messages = reload_quietly("shapes")
    assert shapes.Named is not old_named and point.norm() == "named@2:3"
    assert any("shapes.Named was not upgraded in place: its base classes changed" in m or "its fields changed" in m for m in messages)


def test_a_class_with_the_same_slots_keeps_its_own_slot_descriptors(shapes, workspace):
    # Copying the new class's slot descriptors onto the class that stays broke
    # every instance: "descriptor 'a' for 'Slotted' objects doesn't apply to a
    # 'Slotted' object" (a dataclass(slots=True) too).
    Slotted = shapes.Slotted
    before = Slotted()
    before.a = "set@1"
    write(workspace, "shapes", SHAPES.format(**V2))
    _, messages = reload_quietly("shapes")
    assert shapes.Slotted is Slotted and not [m for m in messages if "Slotted" in m]
    assert before.a == "set@1" and before.get() == "slotted@2"
    before.a = "set@2"
    after = shapes.Slotted()
    after.a = "new@2"
    assert (before.a, after.a) == ("set@2", "new@2")


METACLASS = """\
class Registered(type):
    def describe(cls):
        return "meta@{v}:" + cls.__name__


class Plugin({header}
    def run(self):
        return "plugin@{v}"
"""

#: The class statement's header: a metaclass is a keyword on 3.x, an attribute on 2.x.
PLUGIN_HEADER = "object):\n    __metaclass__ = Registered\n" if PY2 else "object, metaclass=Registered):\n"


def test_a_class_whose_metaclass_the_module_defines_is_upgraded_with_it(workspace):
    workspace.add("pure")
    write(workspace, "plugins", METACLASS.format(v=1, header=PLUGIN_HEADER))
    import plugins

    Plugin, Registered = plugins.Plugin, plugins.Registered
    plugin = Plugin()
    write(workspace, "plugins", METACLASS.format(v=2, header=PLUGIN_HEADER))
    _, messages = reload_quietly("plugins")
    assert messages == []
    assert plugins.Plugin is Plugin and plugins.Registered is Registered and type(Plugin) is Registered
    assert plugin.run() == "plugin@2" and Plugin.describe() == "meta@2:Plugin"
    assert isinstance(plugin, plugins.Plugin)


DESCRIPTOR = """\
class Field(object):
    def __set_name__(self, owner, name):
        self.owner, self.name = owner, name

    def __get__(self, instance, owner=None):
        return "field@{v}:%s:%s" % (self.name, self.owner is owner)


class Model(object):
    title = Field()
"""


@pytest.mark.skipif(PY2, reason="__set_name__ needs 3.6+")
def test_a_descriptor_moved_to_the_class_that_stays_is_told_its_owner(workspace):
    workspace.add("pure")
    write(workspace, "models", DESCRIPTOR.format(v=1))
    import models

    Model = models.Model
    record = Model()
    assert record.title == "field@1:title:True"
    write(workspace, "models", DESCRIPTOR.format(v=2))
    _, messages = reload_quietly("models")
    assert messages == [] and models.Model is Model
    assert record.title == "field@2:title:True" and Model.title == "field@2:title:True"


FIELDS = """\
class Attribute(object):
    def __init__(self, name):
        self.name = name


class AttrsStyle(object):
    __attrs_attrs__ = tuple(Attribute(name) for name in {fields!r})

    def run(self):
        return "attrs@{v}"


class PydanticStyle(object):
    __pydantic_fields__ = dict.fromkeys({fields!r})

    def run(self):
        return "pydantic@{v}"
"""


def test_attrs_and_pydantic_fields_are_compared_as_a_dataclass_s(workspace):
    # How attrs (26.1) and pydantic (2.13) list a class's fields: instances
    # made before hold the old fields only, so a change falls back.
    workspace.add("pure")
    write(workspace, "records", FIELDS.format(v=1, fields=("x",)))
    import records

    classes = records.AttrsStyle, records.PydanticStyle
    instances = [cls() for cls in classes]
    write(workspace, "records", FIELDS.format(v=2, fields=("x",)))
    _, messages = reload_quietly("records")
    assert messages == [] and (records.AttrsStyle, records.PydanticStyle) == classes
    assert [instance.run() for instance in instances] == ["attrs@2", "pydantic@2"]
    write(workspace, "records", FIELDS.format(v=3, fields=("x", "y")))
    _, messages = reload_quietly("records")
    assert records.AttrsStyle is not classes[0] and records.PydanticStyle is not classes[1]
    assert [instance.run() for instance in instances] == ["attrs@2", "pydantic@2"]
    for name in ("AttrsStyle", "PydanticStyle"):
        assert any("records.%s was not upgraded in place: its fields changed" % name in m for m in messages)


FROZEN = """\
def frozen(cls):
    # As dataclass(slots=True, frozen=True) on 3.10-3.13: the class is made
    # again, and the generated __setattr__ keeps the first version.
    namespace = {}
    exec("def make(first):\\n"
         "    def __setattr__(self, name, value):\\n"
         "        raise AttributeError('frozen: %s of %s' % (name, first.__name__))\\n"
         "    return __setattr__\\n", namespace)
    body = dict((key, value) for key, value in vars(cls).items() if key not in ("__dict__", "__weakref__"))
    made = type(cls)(cls.__name__, cls.__bases__, body)
    made.__setattr__ = namespace["make"](cls)
    return made


@frozen
class Point(object):
    def norm(self):
        return "norm@VERSION"
"""


def test_a_generated_method_that_keeps_its_class_s_first_version_is_kept(workspace):
    workspace.add("pure")
    write(workspace, "frozen_points", FROZEN.replace("VERSION", "1"))
    import frozen_points

    Point = frozen_points.Point
    point, generated = Point(), vars(Point)["__setattr__"]
    write(workspace, "frozen_points", FROZEN.replace("VERSION", "2"))
    _, messages = reload_quietly("frozen_points")
    assert messages == []  # was: "Point.__setattr__ was not upgraded in place: its generated code changed"
    assert frozen_points.Point is Point and vars(Point)["__setattr__"] is generated
    assert point.norm() == "norm@2"
    with pytest.raises(AttributeError) as caught:
        point.x = 1
    assert "frozen: x of Point" in str(caught.value)


def test_slots_change_falls_back_and_old_instances_keep_working(shapes, workspace):
    old_class = shapes.Slotted
    instance = old_class()
    instance.a = 1
    write(workspace, "shapes", SHAPES.format(**dict(V2, slots='("a", "b")')))
    _, messages = reload_quietly("shapes")
    assert shapes.Slotted is not old_class and instance.get() == "slotted@1" and instance.a == 1
    assert "compatreload: shapes.Slotted was not upgraded in place: its __slots__ changed" in messages[-1] or any(
        "shapes.Slotted was not upgraded in place: its __slots__ changed" in m for m in messages
    )


def test_base_and_metaclass_changes_fall_back(shapes, workspace):
    old_class = shapes.Cls
    text = SHAPES.format(**V2).replace("class Cls(Base):", "class Cls(object):").replace(
        'return "cls@2+" + super(Cls, self).who()', 'return "cls@2"'
    )
    write(workspace, "shapes", text)
    _, messages = reload_quietly("shapes")
    assert shapes.Cls is not old_class
    assert any("shapes.Cls was not upgraded in place: its base classes changed" in m for m in messages)
    meta = text.replace("class Base(object):", "class Meta(type):\n    pass\n\n\nclass Base(object):").replace(
        "class Cls(object):", "class Cls(Meta('Root', (object,), {})):"
    )
    write(workspace, "shapes", meta)
    newer = shapes.Cls
    _, messages = reload_quietly("shapes")
    assert shapes.Cls is not newer
    assert any("shapes.Cls was not upgraded in place: its metaclass changed" in m for m in messages)


def test_a_subclass_of_a_class_from_another_reloaded_module(workspace):
    workspace.add("pure")
    write(workspace, "basemod", "class Base(object):\n    def who(self):\n        return 'base@1'\n")
    write(workspace, "childmod", "from basemod import Base\n\n\nclass Child(Base):\n    def who(self):\n        return 'child@1+' + Base.who(self)\n")
    import basemod
    import childmod

    child = childmod.Child()
    write(workspace, "basemod", "class Base(object):\n    def who(self):\n        return 'base@2'\n")
    write(workspace, "childmod", "from basemod import Base\n\n\nclass Child(Base):\n    def who(self):\n        return 'child@2+' + Base.who(self)\n")
    order, messages = reload_quietly("basemod")
    assert order == ["basemod", "childmod"] and messages == []
    assert child.who() == "child@2+base@2"
    assert isinstance(child, basemod.Base) and type(child) is childmod.Child


def test_zero_argument_super_in_patched_methods(workspace):
    if PY2:
        pytest.skip("zero-argument super() needs 3.x")
    workspace.add("pure")
    template = "class A(object):\n    def who(self):\n        return 'a@{v}'\n\n\nclass B(A):\n    def who(self):\n        return 'b@{v}+' + super().who()\n{added}"
    write(workspace, "zsuper", template.format(v=1, added=""))
    import zsuper

    instance = zsuper.B()
    added = "\n    def extra(self):\n        return 'extra@2+' + super().who()\n"
    write(workspace, "zsuper", template.format(v=2, added=added).replace("class B(A):\n", "class B(A):\n", 1))
    text = template.format(v=2, added="")
    text = text.replace("        return 'b@2+' + super().who()\n", "        return 'b@2+' + super().who()\n" + added.lstrip("\n"))
    write(workspace, "zsuper", text)
    reload_quietly("zsuper")
    assert instance.who() == "b@2+a@2" and instance.extra() == "extra@2+a@2"
    assert zsuper.B.extra.__qualname__ == "B.extra"  # rebuilt with the class that stays in its cell


def test_enum_members_keep_identity(workspace):
    enum = pytest.importorskip("enum", reason="enum needs 3.4+")
    workspace.add("pure")
    template = "import enum\n\n\nclass Color(enum.Enum):\n    RED = 1\n    BLUE = 2\n\n    def label(self):\n        return 'color@{v}:' + self.name\n\n\nDEFAULT = Color.RED\n"
    write(workspace, "colors", template.format(v=1))
    import colors

    red = colors.Color.RED
    write(workspace, "colors", template.format(v=2))
    reload_quietly("colors")
    assert colors.Color.RED is red and colors.Color(1) is red and red == colors.Color.RED
    assert red.label() == "color@2:RED" and isinstance(red, enum.Enum)
    assert colors.DEFAULT is red  # the module's other names for a member: the member that stays


def test_dataclasses_plain_and_frozen(workspace):
    if sys.version_info < (3, 7):
        pytest.skip("dataclasses need 3.7+")
    workspace.add("pure")
    template = (
        "import dataclasses\n\n\n@dataclasses.dataclass\nclass Plain:\n    x: int = 0\n\n    def show(self):\n"
        "        return 'plain@{v}:%d' % self.x\n\n\n@dataclasses.dataclass(frozen=True)\nclass Frozen:\n    x: int = 0\n\n"
        "    def show(self):\n        return 'frozen@{v}:%d' % self.x\n"
    )
    write(workspace, "records", template.format(v=1))
    import records

    plain, frozen = records.Plain(1), records.Frozen(2)
    write(workspace, "records", template.format(v=2))
    _, messages = reload_quietly("records")
    assert messages == []
    assert plain.show() == "plain@2:1" and frozen.show() == "frozen@2:2"
    assert records.Plain(1) == plain and records.Frozen(2) == frozen
    with pytest.raises(dataclasses_error()):
        frozen.x = 3
    write(workspace, "records", template.format(v=3).replace("    x: int = 0\n\n    def show(self):\n        return 'plain", "    x: int = 0\n    y: int = 0\n\n    def show(self):\n        return 'plain", 1))
    old_plain = records.Plain
    _, messages = reload_quietly("records")
    assert records.Plain is not old_plain and plain.show() == "plain@2:1"
    assert any("records.Plain was not upgraded in place: its fields changed" in m for m in messages)


def dataclasses_fields(cls):
    import dataclasses

    return dataclasses.fields(cls)


def dataclasses_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_python2_old_style_classes(workspace):
    if not PY2:
        pytest.skip("old-style classes exist only on 2.x")
    workspace.add("pure")
    template = "class Old:\n    def m(self):\n        return 'old@{v}'\n\n\nmade = Old()\n"
    write(workspace, "oldstyle", template.format(v=1))
    import oldstyle

    instance = oldstyle.Old()
    write(workspace, "oldstyle", template.format(v=2))
    reload_quietly("oldstyle")
    assert instance.m() == "old@2" and oldstyle.Old.m(instance) == "old@2" and isinstance(instance, oldstyle.Old)
    assert isinstance(oldstyle.made, oldstyle.Old) and oldstyle.made.m() == "old@2"


def test_the_reload_hook_carries_state(workspace):
    workspace.add("pure")
    template = "CACHE = {{}}\nPOOL = ['pool@{v}']\n\n\ndef __reload__(old):\n    CACHE.update(old['CACHE'])\n    POOL[:] = old['POOL']\n"
    write(workspace, "stateful", template.format(v=1))
    import stateful

    stateful.CACHE["answer"] = 42
    write(workspace, "stateful", template.format(v=2))
    deep_reload("stateful")
    assert sys.modules["stateful"].CACHE == {"answer": 42} and sys.modules["stateful"].POOL == ["pool@1"]
    write(workspace, "stateful", template.format(v=3).replace("CACHE.update", "raise RuntimeError('hook failed'); CACHE.update"))
    before = sys.modules["stateful"]
    with pytest.raises(RuntimeError):
        deep_reload("stateful", upgrade=True)
    assert sys.modules["stateful"] is before and before.CACHE == {"answer": 42}


def test_a_failure_after_upgrading_undoes_the_patches(shapes, workspace):
    area, instance = shapes.area, shapes.Cls()
    write(workspace, "shapes", SHAPES.format(**V2))
    write(workspace, "consumer", CONSUMER + "raise RuntimeError('consumer broke')\n")
    namespace = dict(vars(shapes))
    with pytest.raises(RuntimeError):
        reload_quietly("shapes")
    assert area(3) == "area@1:3" and instance.method() == "method@1" and instance.removed() == "removed@1"
    assert not hasattr(instance, "added")
    assert dict(vars(shapes)) == namespace and sys.modules["shapes"] is shapes


def test_a_dry_run_tells_in_advance_what_will_not_be_upgraded(shapes):
    before = dict(vars(shapes))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert deep_reload("shapes", upgrade=True, dry_run=True) == ["shapes", "consumer"]
    messages = [str(w.message) for w in caught]
    assert messages == [
        "compatreload: shapes.wrapped will not be upgraded in place: it is a closure over function; "
        "existing references to it will keep running the old code"
    ]
    assert dict(vars(shapes)) == before


def test_kind_and_free_variable_changes_fall_back(workspace):
    workspace.add("pure")
    v1 = "def deco(f):\n    def wrapper():\n        return f()\n    return wrapper\n\n\ndef kind():\n    return 'kind@1'\n\n\ndef lone():\n    return 'lone@1'\n"
    v2 = (
        "def deco(f):\n    def wrapper():\n        return f()\n    return wrapper\n\n\nclass kind(object):\n    pass\n\n\n"
        "def _lone():\n    return 'lone@2'\n\n\nlone = deco(_lone)\nlone.__name__ = 'lone'\n"
    )
    write(workspace, "kinds", v1)
    import kinds

    old_lone = kinds.lone
    write(workspace, "kinds", v2)
    _, messages = reload_quietly("kinds")
    assert isinstance(kinds.kind, type) and kinds.lone is not old_lone and kinds.lone() == "lone@2"
    assert any("kinds.kind was not upgraded in place: it was a function and is now a" in m for m in messages)
    assert any("kinds.lone was not upgraded in place: its free variables changed from () to ('f',)" in m for m in messages)


def test_class_attributes_that_cannot_be_patched_are_replaced(workspace):
    workspace.add("pure")
    v1 = (
        "def deco(f):\n    def wrapper():\n        return f()\n    return wrapper\n\n\n"
        "class Holder(object):\n    @staticmethod\n    @deco\n    def tool():\n        return 'tool@{v}'\n\n"
        "    class Inner({base}):\n        def f(self):\n            return 'inner@{v}'\n"
    )
    write(workspace, "holder", v1.format(v=1, base="object"))
    import holder

    cls, inner = holder.Holder, holder.Holder.Inner
    write(workspace, "holder", v1.format(v=2, base="dict"))
    _, messages = reload_quietly("holder")
    assert holder.Holder is cls and cls.tool() == "tool@2"
    assert cls.Inner is not inner and cls.Inner().f() == "inner@2" and inner().f() == "inner@1"
    assert any("holder.Holder.Inner was not upgraded in place: its base classes changed" in m for m in messages)
    assert any("holder.Holder.tool was not upgraded in place: it is a closure over f" in m for m in messages)


def test_enum_member_and_value_changes_fall_back(workspace):
    pytest.importorskip("enum", reason="enum needs 3.4+")
    workspace.add("pure")
    template = "import enum\n\n\nclass Color(enum.Enum):\n    RED = {red}\n{more}"
    write(workspace, "palette", template.format(red=1, more=""))
    import palette

    red = palette.Color.RED
    write(workspace, "palette", template.format(red=1, more="    GREEN = 2\n"))
    _, messages = reload_quietly("palette")
    assert palette.Color.GREEN.value == 2 and red.value == 1
    assert any("palette.Color was not upgraded in place: its enum members changed" in m for m in messages)
    for value in ("10", "10.0"):  # another value; an equal one of another type
        write(workspace, "palette", template.format(red=value, more="    GREEN = 2\n"))
        _, messages = reload_quietly("palette")
        assert repr(palette.Color.RED.value) == value
        assert any("palette.Color was not upgraded in place: the value of its member RED changed" in m for m in messages)


def test_annotations_and_keyword_only_defaults(workspace):
    if PY2:
        pytest.skip("annotations and keyword-only arguments need 3.x")
    workspace.add("pure")
    template = "def scale(x: int, *, factor: int = {v}) -> '{v}':\n    return x * factor\n"
    write(workspace, "annotated", template.format(v=1))
    import annotated

    scale = annotated.scale
    write(workspace, "annotated", template.format(v=2))
    reload_quietly("annotated")
    assert annotated.scale is scale and scale(3) == 6
    assert scale.__kwdefaults__ == {"factor": 2} and scale.__annotations__["return"] == "2"


PROXY = '''\
def make_proxy_class():
    return 'proxy@{v}'


def proxy_method(function):
    def inner(self):
        return function(self)
    return inner


class Proxy(object):
    """As Django's LazyObject: it answers __class__ for what it wraps."""
{body}
    def who(self):
        return 'who@{v}'


made = Proxy()  # as django.conf's `settings = LazySettings()`
'''

CLASS_PROPERTY = "    @property\n    def __class__(self):\n        return '{tag}@{v}'\n\n"
CLASS_CLOSURE = "    __class__ = property(proxy_method(lambda self: 'closure@{v}'))\n\n"
CLASS_BUILTIN = "    __class__ = property(repr)\n\n"
CLASS_CONSTANT = "    __class__ = '{tag}@{v}'\n\n"


@pytest.mark.parametrize(
    "v1, v2, answer, warning",
    [
        (CLASS_PROPERTY, CLASS_PROPERTY, "plain@2", None),
        (CLASS_CLOSURE, CLASS_CLOSURE, "closure@1", "Proxy.__class__ was not upgraded in place: it is a closure over function; the class keeps the old one"),
        (CLASS_PROPERTY, "", "plain@1", "Proxy.__class__ was not upgraded in place: a class's __class__ cannot be deleted; the class keeps the old one"),
        (CLASS_PROPERTY, CLASS_BUILTIN, "plain@1", "Proxy.__class__ was not upgraded in place: only a property's functions can be upgraded there; the class keeps the old one"),
        (CLASS_PROPERTY, CLASS_CONSTANT, "plain@1", "Proxy.__class__ was not upgraded in place: only a property's functions can be upgraded there; the class keeps the old one"),
        ("", CLASS_PROPERTY, None, "Proxy.__class__ was not upgraded in place: a class's __class__ cannot be added; the class keeps the old one"),
    ],
    ids=["property", "closure", "removed", "builtin", "constant", "added"],
)
def test_a_class_attribute_named___class___upgrades_its_code_or_stays(workspace, v1, v2, answer, warning):
    """Setting ``__class__`` on a class would change its type: a proxy
    class's ``__class__`` property is upgraded through its functions, or
    kept with a warning; the rest of the class is upgraded either way."""
    workspace.add("pure")
    write(workspace, "proxies", PROXY.format(v=1, body=v1.format(tag="plain", v=1)))
    import proxies

    cls = proxies.Proxy
    instance = cls()
    write(workspace, "proxies", PROXY.format(v=2, body=v2.format(tag="plain", v=2)))
    order, messages = reload_quietly("proxies")
    assert order == ["proxies"] and proxies.Proxy is cls and instance.who() == "who@2"
    assert type(proxies.made) is cls  # given the class that stays past its __class__ property
    assert instance.__class__ == (cls if answer is None else answer)
    assert [m for m in messages if "__class__" in m] == ([] if warning is None else ["compatreload: proxies." + warning])


MEMO = '''\
import enum
import functools


def deco(function):
    def wrapper(*args):
        return function(*args)
    return wrapper


@functools.lru_cache(maxsize={size})
def square(x):
    """square doc {v}"""
    return "square@{v}:%d" % (x * x)


@functools.lru_cache(maxsize=None)
@deco
def closed(x):
    return "closed@{v}:%d" % x


class Table(object):
    @functools.lru_cache(maxsize={size})
    def row(self, x):
        return "row@{v}:%d" % x


class Level(enum.Enum):
    LOW = 1

    @functools.lru_cache(maxsize=None)
    def name_of(self):
        return "level@{v}:" + self.name
'''

MEMO_USER = "from memo import square\n\nFIRST = square(2)\n"


def cached_functions(workspace):
    """The memo module (lru_cache wrappers: a C object on CPython, a closure
    on PyPy) and its user, imported; the wrappers' caches filled."""
    if sys.version_info < (3, 4):
        pytest.skip("functools.lru_cache and enum need 3.4+")
    workspace.add("pure")
    write(workspace, "memo", MEMO.format(v=1, size=None))
    write(workspace, "memo_user", MEMO_USER)
    import memo
    import memo_user  # noqa: F401

    table = memo.Table()
    held = {"square": memo.square, "closed": memo.closed, "row": memo.Table.row, "name_of": memo.Level.name_of}
    assert memo.square(3) == "square@1:9" and memo.closed(3) == "closed@1:3"
    assert table.row(3) == "row@1:3" and memo.Level.LOW.name_of() == "level@1:LOW"
    return memo, table, held


def test_an_lru_cache_wrapper_keeps_its_identity_and_runs_the_new_code(workspace):
    memo, table, held = cached_functions(workspace)
    write(workspace, "memo", MEMO.format(v=2, size=None))
    _, messages = reload_quietly("memo")
    assert memo.square is held["square"] and memo.Table.__dict__["row"] is held["row"]
    assert memo.Level.__dict__["name_of"] is held["name_of"]
    # The cache was emptied: what it held was computed by the old code.
    assert held["square"](3) == "square@2:9" and held["square"].__doc__ == "square doc 2"
    assert table.row(3) == "row@2:3" and memo.Level.LOW.name_of() == "level@2:LOW"
    # A wrapped closure is not upgraded, the same way on every interpreter.
    assert messages == ["compatreload: memo.closed was not upgraded in place: it is a closure over function; "
                        "the name now holds the new object and existing references keep running the old code"]
    assert held["closed"](3) == "closed@1:3" and memo.closed(3) == "closed@2:3"


def test_an_lru_cache_wrapper_whose_parameters_changed_falls_back(workspace):
    memo, table, held = cached_functions(workspace)
    write(workspace, "memo", MEMO.format(v=2, size=5))
    _, messages = reload_quietly("memo")
    assert memo.square is not held["square"] and memo.square(3) == "square@2:9"
    assert held["square"](3) == "square@1:9"  # the old wrapper, consistent with itself
    assert memo.Table.__dict__["row"] is not held["row"] and table.row(3) == "row@2:3"
    assert any(message.startswith("compatreload: memo.Table.row was not upgraded in place: its cache parameters changed") for message in messages)
    assert any(
        message.startswith("compatreload: memo.square was not upgraded in place: its cache parameters changed from ")
        and "'maxsize': None" in message and "'maxsize': 5" in message
        for message in messages
    )
    plain = MEMO.format(v=3, size=5).replace("@functools.lru_cache(maxsize=5)\ndef square", "def square")
    write(workspace, "memo", plain)
    _, messages = reload_quietly("memo")
    assert memo.square(3) == "square@3:9"
    assert "compatreload: memo.square was not upgraded in place: it was a functools.lru_cache wrapper and is now a function; " \
        "the name now holds the new object and existing references keep running the old code" in messages


def test_a_rollback_empties_the_cache_the_new_code_filled(workspace):
    memo, _, held = cached_functions(workspace)
    write(workspace, "memo", MEMO.format(v=2, size=None))
    write(workspace, "memo_user", MEMO_USER + "raise RuntimeError('memo_user broke')\n")
    with pytest.raises(RuntimeError):
        reload_quietly("memo")
    # memo_user called square(2) with the new code before it raised: that
    # result must not outlive the rollback.
    assert held["square"](2) == "square@1:4" and held["square"](3) == "square@1:9"
    assert held["square"].__doc__ == "square doc 1" and memo.square is held["square"]


def test_a_dry_run_sees_an_lru_cache_wrapper_s_function(workspace):
    memo, _, _ = cached_functions(workspace)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        deep_reload("memo", upgrade=True, dry_run=True)
    assert [str(w.message) for w in caught] == [
        "compatreload: memo.closed will not be upgraded in place: it is a closure over function; "
        "existing references to it will keep running the old code"
    ]


REGISTERED = '''\
from registry import register


@register
class Hello(object):
    def run(self):
        return "hello@{v}"
{hook}'''

REREGISTER = '''

def __reload__(old):
    import registry
    registry.PLUGINS["Hello"] = old["Hello"]  # the class that stays: patched right after this hook
'''


@pytest.mark.parametrize("hook", ["", REREGISTER], ids=["no-hook", "reload-hook"])
def test_a_class_that_registers_itself_registers_the_new_object(workspace, hook):
    """What the README says of registries: a decorator (or __init_subclass__,
    a metaclass) gets the class the body makes, which the upgrade leaves
    unused; a __reload__ hook can put back the class that stays."""
    workspace.add("pure")
    write(workspace, "registry", "PLUGINS = {}\n\n\ndef register(cls):\n    PLUGINS[cls.__name__] = cls\n    return cls\n")
    write(workspace, "hello_plugin", REGISTERED.format(v=1, hook=hook))
    import hello_plugin
    import registry

    old_instance = hello_plugin.Hello()
    write(workspace, "hello_plugin", REGISTERED.format(v=2, hook=hook))
    reload_quietly("hello_plugin")
    registered = registry.PLUGINS["Hello"]
    assert registered().run() == "hello@2" and old_instance.run() == "hello@2"
    stays = registered is hello_plugin.Hello
    assert stays == bool(hook)
    assert isinstance(old_instance, registered) == stays and isinstance(registered(), hello_plugin.Hello) == stays


FACTORY = '''\
class Widget(object):
    def version(self):
        return "widget@{v}"


def make(kind=Widget):
    return kind()


class Shop(object):
    kind = Widget
    default = Widget()

    def build(self, kind=Widget):
        return kind()


app = Widget()
Gadget = Widget
'''


def test_what_upgraded_code_refers_to_is_the_class_that_stays(workspace):
    """A default or class attribute evaluated by the new body holds the new
    class, which the upgrade folds into the old one and then discards."""
    workspace.add("pure")
    write(workspace, "factory", FACTORY.format(v=1))
    import factory

    widget, make, shop = factory.Widget, factory.make, factory.Shop()
    write(workspace, "factory", FACTORY.format(v=2))
    _, messages = reload_quietly("factory")
    assert messages == [] and factory.Widget is widget and factory.make is make
    assert type(make()) is widget and make().version() == "widget@2"
    assert factory.Shop.kind is widget and type(shop.build()) is widget and shop.build().version() == "widget@2"
    # instances the module code made while it ran, of the new class: made instances of the one that stays
    assert type(factory.app) is widget and type(factory.Shop.default) is widget and factory.Gadget is widget


def test_a_changed_default_reaches_what_a_class_s_machinery_generated(workspace):
    """A namedtuple's __new__ is generated code (a dataclass's __init__ too,
    below): it is not written in the module, so it is compared, not patched."""
    workspace.add("pure")
    template = (
        "import collections\n\nPair = collections.namedtuple('Pair', 'a b')\nPair.__new__.__defaults__ = ({d},)\n\n\n"
        "class Named(Pair):\n    def total(self):\n        return 'named@{d}:%d' % (self.a + self.b)\n"
    )
    write(workspace, "pairs", template.format(d=7))
    import pairs

    pair_class, named = pairs.Pair, pairs.Named(1)
    write(workspace, "pairs", template.format(d=7).replace("named@7", "named@8"))
    _, messages = reload_quietly("pairs")
    assert messages == [] and named.total() == "named@8:8"  # the same generated code stays, silently
    write(workspace, "pairs", template.format(d=9))
    _, messages = reload_quietly("pairs")
    assert pairs.Pair is pair_class and pairs.Pair(1) == (1, 9) and pairs.Named(1).total() == "named@9:10"
    assert named == (1, 7) and isinstance(named, pairs.Pair)
    assert any("pairs.Pair.__new__ was not upgraded in place: its generated code changed" in m for m in messages)


def test_a_dataclass_s_changed_default_reaches_new_instances_and_a_rollback_undoes_it(workspace):
    if sys.version_info < (3, 7):
        pytest.skip("dataclasses need 3.7+")
    workspace.add("pure")
    template = (
        "import dataclasses\n\nimport registry\n\n\n@dataclasses.dataclass(frozen={frozen})\nclass Point:\n    x: int\n    y: int = {d}\n"
        "\n\nORIGIN = Point(0)\nregistry.MADE.append(ORIGIN)\n"
    )
    write(workspace, "registry", "MADE = []\n")
    import registry

    for frozen in (False, True):
        name = "points_%s" % str(frozen).lower()
        write(workspace, name, template.format(frozen=frozen, d=0))
        module = __import__(name)
        point_class, point = module.Point, module.Point(1)
        write(workspace, "later", "import %s\n" % name)
        __import__("later")
        write(workspace, name, template.format(frozen=frozen, d=5))
        write(workspace, "later", "import %s\nraise RuntimeError('later broke')\n" % name)
        with pytest.raises(RuntimeError):
            reload_quietly(name)
        assert module.Point(1) == point_class(1, 0) and type(module.ORIGIN) is point_class
        assert type(registry.MADE[-1]) is not point_class  # the rolled-back run's own, left as it made it
        write(workspace, "later", "import %s\n" % name)
        _, messages = reload_quietly(name)
        assert module.Point is point_class and module.Point(1) == point_class(1, 5) and point == point_class(1, 0)
        assert [field.default for field in dataclasses_fields(module.Point)][1:] == [5]
        assert type(module.ORIGIN) is point_class and registry.MADE[-1] is module.ORIGIN
        assert any("%s.Point.__init__ was not upgraded in place: its generated code changed" % name in m for m in messages)
        if frozen:
            with pytest.raises(dataclasses_error()):
                module.Point(1).x = 3
        del sys.modules["later"]


GENERATED = """\
class Loud(tuple):
    def __eq__(self, other):
        raise ValueError("the truth value of a Loud comparison is ambiguous")


def generate(text, name="greet"):
    namespace = {{"Loud": Loud}}
    exec(text, namespace)
    return namespace[name]


class Greeter(object):
    greet = generate("def greet(self, *, punctuation='{p}', loud=None):\\n    return 'hi' + punctuation")
    shout = generate("def greet(self, *, loud=Loud()):\\n    return 'HI{p}'")
    quiet = Loud()
    # a recursive closure, and a cell never filled (`never` is not assigned)
    countdown = generate(
        "def outer():\\n    def countdown(self, n=2):\\n        return never if n < 0 else 'done{p}' if n == 0 else countdown(self, n - 1)\\n"
        "    return countdown\\n    never = None\\ncountdown = outer()", "countdown"
    )
"""


def test_methods_generated_by_exec_are_compared_by_code_and_defaults(workspace):
    """attrs-style code generation: compared as a dataclass's methods are;
    a default whose == raises counts as changed."""
    if PY2:
        pytest.skip("keyword-only arguments need 3.x")
    workspace.add("pure")
    write(workspace, "greeting", GENERATED.format(p="!"))
    import greeting

    greeter, greet, countdown = greeting.Greeter(), greeting.Greeter.greet, vars(greeting.Greeter)["countdown"]
    write(workspace, "greeting", GENERATED.format(p="!") + "\n# an edit elsewhere\n")
    _, messages = reload_quietly("greeting")
    assert greeting.Greeter.greet is greet and vars(greeting.Greeter)["countdown"] is countdown
    assert messages == [
        "compatreload: greeting.Greeter.shout was not upgraded in place: its generated code changed "
        "(a field's default or an option); the name now holds the new object and existing references "
        "keep running the old code",
        # the new Loud() default is a tuple: CPython cannot change its class, so no interpreter does
        "compatreload: greeting.Loud was upgraded in place, but an instance of its new version that the module "
        "code made stays one: a subclass of a variable-sized type (tuple, int, bytes) cannot change class; "
        "isinstance() with the class that stays fails for it",
    ]
    write(workspace, "greeting", GENERATED.format(p="?"))
    _, messages = reload_quietly("greeting")
    assert greeting.Greeter.greet is not greet and greeter.greet() == "hi?" and greeter.shout() == "HI?"
    assert greeter.countdown() == "done?"
    assert any("greeting.Greeter.greet was not upgraded in place: its generated code changed" in m for m in messages)


STRUCTURE = """\
import ctypes


class Point(ctypes.Structure):
    _fields_ = [{fields}]

    def norm(self):
        return "norm@{v}:%s" % (self.x + self.y)
"""

INT_FIELDS = '("x", ctypes.c_int), ("y", ctypes.c_int)'


def test_a_ctypes_structure_keeps_its_fields_and_a_change_of_them_falls_back(workspace):
    # Its _fields_ is final: copying the new class's failed the whole reload.
    workspace.add("pure")
    write(workspace, "structs", STRUCTURE.format(v=1, fields=INT_FIELDS))
    import structs

    Point = structs.Point
    point = Point(1, 2)
    write(workspace, "structs", STRUCTURE.format(v=2, fields=INT_FIELDS))
    _, messages = reload_quietly("structs")
    assert messages == [] and structs.Point is Point
    assert (point.norm(), Point(3, 4).norm()) == ("norm@2:3", "norm@2:7")
    write(workspace, "structs", STRUCTURE.format(v=3, fields='("y", ctypes.c_double), ("x", ctypes.c_int)'))
    _, messages = reload_quietly("structs")
    assert structs.Point is not Point and structs.Point(x=3, y=4.0).norm() == "norm@3:7.0"
    assert point.norm() == "norm@2:3"  # the old layout keeps the old code, consistent with itself
    assert any("structs.Point was not upgraded in place: its ctypes _fields_ changed" in m for m in messages)


GUARDED = """\
class Guarded(type):
    def __setattr__(cls, name, value):
        if name == "LIMIT" and {refuse}:
            raise AttributeError("LIMIT cannot change")
        type.__setattr__(cls, name, value)


class Config({header}
    LIMIT = {v}

    def get(self):
        return "config@{v}"
"""

GUARDED_HEADER = "object):\n    __metaclass__ = Guarded\n" if PY2 else "object, metaclass=Guarded):\n"


def test_a_class_attribute_its_class_refuses_fails_the_reload_and_names_it(workspace):
    workspace.add("pure")
    write(workspace, "guarded", GUARDED.format(v=1, refuse="True", header=GUARDED_HEADER))
    import guarded

    Config, namespace = guarded.Config, dict(vars(guarded))
    write(workspace, "guarded", GUARDED.format(v=2, refuse="True", header=GUARDED_HEADER))
    with pytest.raises(ReloadError) as caught:
        reload_quietly("guarded")
    assert "guarded.Config.LIMIT cannot be set on the class that stays (AttributeError: LIMIT cannot change)" in str(
        caught.value
    )
    assert vars(guarded) == namespace and guarded.Config is Config
    assert (Config.LIMIT, Config().get()) == (1, "config@1")


def test_a_rollback_puts_back_all_it_can_and_names_what_it_could_not(workspace):
    # The upgrade may set LIMIT to 2; putting 1 back is refused.
    workspace.add("pure")
    write(workspace, "guarded", GUARDED.format(v=1, refuse="value == 1", header=GUARDED_HEADER))
    write(workspace, "consumer_of_guarded", "import guarded\n")
    import consumer_of_guarded  # noqa: F401
    import guarded

    Config, namespace = guarded.Config, dict(vars(guarded))
    write(workspace, "guarded", GUARDED.format(v=2, refuse="value == 1", header=GUARDED_HEADER))
    write(workspace, "consumer_of_guarded", "import guarded\nraise RuntimeError('consumer@2 is broken')\n")
    with pytest.raises(ReloadError) as caught:
        reload_quietly("guarded")
    message = str(caught.value)
    assert "the rollback could not put back guarded.Config.LIMIT (AttributeError: LIMIT cannot change)" in message
    assert "everything else was put back (the reload failed with RuntimeError: consumer@2 is broken)" in message
    assert vars(guarded) == namespace and guarded.Config is Config and Config().get() == "config@1"
    assert Config.LIMIT == 2  # what the message says could not be put back


LAYOUTS = """\
import uuid


class Mixin(object):
    __slots__ = ()


class Thing(Mixin):
    def get(self):
        return "thing@{v}"


class Weak(object):
    __slots__ = ("value", "__weakref__")

    def get(self):
        return "weak@{v}"


class Record(uuid.UUID):
    __slots__ = ()

    def get(self):
        return "record@{v}"


THING, WEAK, RECORD = Thing(), Weak(), Record(int=5)
"""


def test_instances_the_module_made_take_the_class_that_stays_where_cpython_allows_it(workspace):
    # CPython refuses __class__ assignment between the two versions of a
    # class whose base with __slots__ = () is a new object (and, on 2.7-3.11,
    # of one whose slots mix names with __weakref__ or __dict__): the reload
    # raised TypeError. Decided alike on every interpreter.
    workspace.add("pure")
    write(workspace, "layouts", LAYOUTS.format(v=1))
    import layouts

    classes = layouts.Thing, layouts.Weak, layouts.Record
    write(workspace, "layouts", LAYOUTS.format(v=2))
    _, messages = reload_quietly("layouts")
    assert (layouts.Thing, layouts.Weak, layouts.Record) == classes
    for name in ("Thing", "Weak"):
        assert any(
            m.startswith("compatreload: layouts.%s was upgraded in place, but an instance of its new version that the "
                         "module code made stays one: a base that adds to its instances' layout" % name)
            for m in messages
        )
    assert not [m for m in messages if "Record" in m] and isinstance(layouts.RECORD, layouts.Record)
    assert not isinstance(layouts.THING, layouts.Thing) and not isinstance(layouts.WEAK, layouts.Weak)
    assert (layouts.THING.get(), layouts.WEAK.get(), layouts.RECORD.get()) == ("thing@2", "weak@2", "record@2")


UNNAMED_BASE = """\
import collections


class Point(collections.namedtuple("Point", "{fields}")):
    def norm(self):
        return "norm@{v}:%d" % (self.x + self.y)
"""


def test_a_base_the_class_statement_makes_is_upgraded_with_the_class(workspace):
    # A new namedtuple each time, held by no name: "its base classes changed" on every reload.
    workspace.add("pure")
    write(workspace, "unnamed", UNNAMED_BASE.format(v=1, fields="x y"))
    import unnamed

    Point = unnamed.Point
    point = Point(1, 2)
    write(workspace, "unnamed", UNNAMED_BASE.format(v=2, fields="x y"))
    _, messages = reload_quietly("unnamed")
    assert messages == [] and unnamed.Point is Point
    assert point.norm() == "norm@2:3" and isinstance(point, unnamed.Point) and Point(3, 4).norm() == "norm@2:7"
    write(workspace, "unnamed", UNNAMED_BASE.format(v=3, fields="x y z"))
    _, messages = reload_quietly("unnamed")
    assert unnamed.Point is not Point and point.norm() == "norm@2:3"
    assert any("unnamed.Point.__bases__[0] was not upgraded in place: its fields changed" in m for m in messages)
    assert any("unnamed.Point was not upgraded in place: its base classes changed" in m for m in messages)


CROSS_REFERENCES = """\
class Parser(object):
    def parse(self):
        return "parse@{v}"


class Lexer(object):
    parser_class = Parser

    def lex(self):
        return "lex@{v}"


Parser.lexer_class = Lexer
Lexer.own_class = Lexer
"""


def test_classes_that_refer_to_each_other_in_class_attributes_are_upgraded_once(workspace):
    # Upgrading Lexer.parser_class upgraded Parser.lexer_class, which upgraded
    # Lexer again: RecursionError (jinja2's modules did it).
    workspace.add("pure")
    write(workspace, "lexing", CROSS_REFERENCES.format(v=1))
    import lexing

    Parser, Lexer = lexing.Parser, lexing.Lexer
    parser, lexer = Parser(), Lexer()
    write(workspace, "lexing", CROSS_REFERENCES.format(v=2))
    _, messages = reload_quietly("lexing")
    assert messages == [] and (lexing.Parser, lexing.Lexer) == (Parser, Lexer)
    assert Lexer.parser_class is Parser and Parser.lexer_class is Lexer and Lexer.own_class is Lexer
    assert (parser.parse(), lexer.lex()) == ("parse@2", "lex@2")


NAMED_CALLABLE = """\
class Handler(object):
    def __init__(self, callback):
        self.callback = callback

    @property
    def __name__(self):
        return "handler@{v}:" + self.callback.__name__

    def __call__(self):
        return "call@{v}"
"""


def test_a_name_property_of_a_callable_class_is_upgraded_in_place(workspace):
    # setattr(cls, "__name__", a property) renames the class or refuses
    # ("can only assign string"): the reload failed (moto's handlers).
    workspace.add("pure")
    write(workspace, "handlers_named", NAMED_CALLABLE.format(v=1))
    import handlers_named

    Handler = handlers_named.Handler
    handler = Handler(len)
    write(workspace, "handlers_named", NAMED_CALLABLE.format(v=2))
    _, messages = reload_quietly("handlers_named")
    assert messages == [] and handlers_named.Handler is Handler and Handler.__name__ == "Handler"
    assert (handler.__name__, handler()) == ("handler@2:len", "call@2")
