"""reload and RELOAD_IMPL: the interpreter's own function, unwrapped."""
import importlib
import os
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
