"""reload and RELOAD_IMPL: the interpreter's own function, unwrapped."""
import importlib
import itertools
import os
import platform
import sys
import types

import pytest
import six

import compatreload
from compatreload import native


def test_reload_is_the_interpreters_own_function():
    if sys.version_info[0] == 2:
        import __builtin__

        expected, impl = __builtin__.reload, "__builtin__.reload"
    else:
        expected, impl = importlib.reload, "importlib.reload"
    assert compatreload.reload is expected
    assert compatreload.RELOAD_IMPL == impl


def test_reload_agrees_with_six():
    assert compatreload.reload is six.moves.reload_module


@pytest.mark.parametrize(
    "version, where",
    [
        ((2, 7, 18), "__builtin__.reload"),
        ((3, 0, 1), "imp.reload"),
        ((3, 3, 7), "imp.reload"),
        ((3, 4, 0), "importlib.reload"),
        ((3, 13, 0), "importlib.reload"),
    ],
)
def test_resolve_reload_table(version, where):
    imported = []

    def import_module(name):
        imported.append(name)
        module = types.ModuleType(name)
        module.reload = lambda m: (name, m)
        return module

    function, impl = native.resolve_reload(version, import_module)
    assert impl == where
    assert imported == [where.split(".")[0]]
    assert function("m") == (imported[0], "m")


def test_simulated_python_3_2_resolves_imp_reload(monkeypatch):
    """3.0-3.3 cannot be installed here: run native.py under a simulated
    3.2, whose reload lives in an `imp` module (gone from 3.12 on)."""
    fake_imp = types.ModuleType("imp")
    fake_imp.reload = lambda module: module
    monkeypatch.setitem(sys.modules, "imp", fake_imp)
    monkeypatch.setattr(sys, "version_info", (3, 2, 5, "final", 0))
    path = os.path.splitext(native.__file__)[0] + ".py"
    namespace = {"__name__": "simulated_compat", "__file__": path}
    with open(path) as stream:
        exec(compile(stream.read(), path, "exec"), namespace)
    assert namespace["RELOAD_IMPL"] == "imp.reload"
    assert namespace["reload"] is fake_imp.reload


def test_public_api_names_exist():
    for name in compatreload.__all__:
        assert getattr(compatreload, name) is not None, name


#: __slots__ of one level of a class hierarchy (None: no __slots__).
LEVEL_SLOTS = [None, (), ("a",), ("a", "__weakref__"), ("__weakref__",), ("a", "__dict__"), ("__dict__",), ("a", "b")]


def hierarchy(levels, base):
    """Classes made one under the other from *base*, a level's __slots__ each;
    None if the interpreter refuses one (a __dict__ slot under a __dict__)."""
    classes = []
    for index, slots in enumerate(levels):
        namespace = {} if slots is None else {"__slots__": slots}
        try:
            base = type("Level%d" % index, (base,), namespace)
        except TypeError:
            return None
        classes.append(base)
    return classes


def test_can_take_class_never_allows_what_the_interpreter_refuses():
    """Two versions of the lower levels of a hierarchy over shared upper ones
    (classes of another module): can_take_class(new leaf, old leaf) says yes
    only where ``__class__`` assignment succeeds, on every interpreter, and
    exactly where it does on CPython 2.7-3.10 (3.11+ and PyPy allow more)."""
    from compatreload.compat import can_take_class

    answers = {"agree": 0, "stricter": 0}
    for shared in (object, Exception, dict):
        for depth in (1, 2, 3):
            for levels in itertools.product(LEVEL_SLOTS, repeat=depth):
                for split in range(depth):
                    upper = hierarchy(levels[:split], shared)
                    top = upper[-1] if upper else shared
                    old, new = hierarchy(levels[split:], top), hierarchy(levels[split:], top)
                    if upper is None or old is None:
                        continue
                    instance = new[-1]()
                    try:
                        instance.__class__ = old[-1]
                        allowed = True
                    except TypeError:
                        allowed = False
                    predicted = can_take_class(new[-1], old[-1])
                    assert allowed or not predicted, (shared, levels, split)
                    answers["agree" if predicted == allowed else "stricter"] += 1
    exact = platform.python_implementation() == "CPython" and sys.version_info < (3, 11)
    assert answers["agree"] > 1000 and (answers["stricter"] == 0) == exact, answers
