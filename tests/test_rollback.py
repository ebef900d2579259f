"""deep_reload() is all or nothing: a failure anywhere restores everything."""
import os
import sys
import traceback
import types

import pytest

from compatreload import ReloadError, deep_reload
from compatreload.fixtures import render
from conftest import namespace_of

#: failure kind -> (line appended to the module, exception type expected)
FAILURES = {
    "SyntaxError": ("def broken(:\n", SyntaxError),
    "ImportError": ("import compatreload_no_such_module\n", ImportError),
    "NameError": ("undefined_name_here\n", NameError),
    "RuntimeError": ("raise RuntimeError('broken at module level')\n", RuntimeError),
    "new-module": ("import freshly_added\n", ZeroDivisionError),
}

#: position -> (fixture, target, module made to fail, the modules before it edited to v2)
POSITIONS = {
    "first": ("pure", "pure.a", "pure/a.py", []),
    "middle": ("pure", "pure.a", "pure/b.py", ["pure/a.py"]),
    "last": ("pure", "pure.a", "pure/c.py", ["pure/a.py", "pure/b.py"]),
    "cycle-member": ("circular", "circular.ping", "circular/pong.py", ["circular/ping.py"]),
}


#: Python 2 rewrites these in sys's namespace on every caught exception.
INTERPRETER_OWNED = set([("sys", "exc_type"), ("sys", "exc_value"), ("sys", "exc_traceback")])


def snapshot():
    """sys.modules and every loaded namespace, as object identities."""
    namespaces = {}
    for name, loaded in sys.modules.items():
        if isinstance(loaded, types.ModuleType):
            namespaces[name] = dict(
                (key, id(value))
                for key, value in namespace_of(loaded).items()
                if (name, key) not in INTERPRETER_OWNED
            )
    return dict((name, id(loaded)) for name, loaded in sys.modules.items()), namespaces


@pytest.mark.parametrize("position", sorted(POSITIONS))
@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_failure_restores_everything(workspace, bytecode, position, kind):
    fixture, target, failing, edited = POSITIONS[position]
    line, expected = FAILURES[kind]
    workspace.add(fixture)
    new_module = workspace.write(fixture, "freshly_added.py", "1 / 0\n")
    __import__(fixture + ".user" if fixture == "circular" else "pure.c")
    keep = dict(sys.modules)  # holds every object, so ids stay meaningful
    before = snapshot()
    for relpath in edited:
        workspace.set_version(fixture, relpath, 2)
    path = workspace.write(fixture, failing, render(workspace.source(fixture, failing), 2) + line)
    with pytest.raises(expected) as raised:
        deep_reload(target)
    assert snapshot() == before
    assert "freshly_added" not in sys.modules
    frames = traceback.extract_tb(raised.tb)
    if kind == "SyntaxError":
        assert raised.value.filename == path
    else:
        culprit = new_module if kind == "new-module" else path
        assert frames[-1][0] == culprit, frames[-1]
    # Fixing the file and calling again succeeds.
    workspace.set_version(fixture, failing, 2)
    assert target in deep_reload(target)
    del keep


def test_a_module_whose_file_is_gone_is_refused_before_any_change(workspace):
    workspace.add("pure")
    import pure.c  # noqa: F401

    before = snapshot()
    keep = dict(sys.modules)
    os.remove(workspace.path("pure", "pure/b.py"))
    with pytest.raises(ReloadError) as raised:
        deep_reload("pure.a")
    message = str(raised.value)
    assert "pure.b was loaded from" in message and "which no longer exists" in message
    assert snapshot() == before
    del keep


def test_a_shadowing_file_planted_on_sys_path_is_not_executed(workspace, bytecode):
    workspace.add("pure")
    workspace.write("pure", "lonely.py", "TAG = 'lonely@1'\n")
    import lonely  # noqa: F401
    import pure.c  # noqa: F401

    shadow = os.path.join(workspace.root, "shadow")
    os.makedirs(os.path.join(shadow, "pure"))
    for relpath in ("lonely.py", os.path.join("pure", "__init__.py")):
        with open(os.path.join(shadow, relpath), "w") as stream:
            stream.write("raise AssertionError('the shadow ran')\n")
    sys.path.insert(0, shadow)
    try:
        workspace.write("pure", "lonely.py", "TAG = 'lonely@2'\n", same_second=True)
        assert deep_reload("lonely") == ["lonely"]
        assert sys.modules["lonely"].TAG == "lonely@2"
        assert "pure" in deep_reload("pure")
        assert sys.modules["pure"].__file__.startswith(os.path.join(workspace.root, "pure"))
    finally:
        sys.path.remove(shadow)


def test_first_time_imports_and_package_attributes_are_undone(workspace, bytecode):
    """New code that imports modules never loaded before, then a later
    module fails: the new modules leave sys.modules and the package."""
    workspace.add("pure")
    import pure.c  # noqa: F401

    package = sys.modules["pure"]
    before, keep = snapshot(), dict(sys.modules)
    workspace.write("pure", "pure/extra.py", "TAG = 'extra@1'\n")
    workspace.write("pure", "pure/a.py", render(workspace.source("pure", "pure/a.py"), 2) + "from . import extra\n")
    workspace.write("pure", "pure/c.py", "raise RuntimeError('c is broken')\n")
    with pytest.raises(RuntimeError):
        deep_reload("pure.a")
    assert "pure.extra" not in sys.modules and "extra" not in vars(package)
    assert snapshot() == before
    del keep


def test_a_warning_made_an_error_undoes_the_rebinding_done_so_far(workspace):
    import warnings

    from compatreload import StaleBindingWarning

    workspace.add("pure")
    workspace.write("pure", "giver.py", "GONE = 1\ndef helper():\n    return 1\n")
    workspace.write("pure", "taker.py", "from giver import helper\nfrom giver import GONE\n")
    import taker

    old_helper, giver = taker.helper, sys.modules["giver"]
    workspace.write("pure", "giver.py", "def helper():\n    return 2\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleBindingWarning)
        with pytest.raises(StaleBindingWarning):
            deep_reload("giver", exclude="taker")
    assert taker.helper is old_helper and sys.modules["giver"] is giver
