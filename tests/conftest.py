"""Shared fixtures: a workspace of matrix fixtures on sys.path, and the
bytecode setting (written or not) every reload test runs under."""
import importlib
import os
import py_compile
import sys
import types
import zipfile

import pytest

from compatreload.compat import invalidate_caches
from compatreload.fixtures import FIXTURES, Workspace, unavailable_reason


@pytest.fixture(params=[True, False], ids=["bytecode-written", "bytecode-off"])
def bytecode(request):
    """Run the test with bytecode writing on (stale .pyc possible) and off
    (what PYTHONDONTWRITEBYTECODE=1 on this image gives)."""
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = not request.param
    yield request.param
    sys.dont_write_bytecode = saved


@pytest.fixture
def workspace():
    with Workspace() as space:
        yield space


def namespace_of(module):
    """A module's namespace through the module slot: vars() would load
    apipkg's lazy modules (pytest 4.6's `py` has them) as a side effect."""
    if issubclass(type(module), types.ModuleType):
        return types.ModuleType.__dict__["__dict__"].__get__(module)
    return getattr(module, "__dict__", {})  # PyPy's cffi Lib objects pass isinstance


def need(fixture_name):
    """Skip, naming the reason, where the fixture cannot load."""
    reason = unavailable_reason(FIXTURES[fixture_name])
    if reason:
        pytest.skip(reason)


def load_from_bytecode_alone(workspace, name, text):
    """Import module *name* of the `pure` fixture's root from a .pyc beside
    where its source was (2.x and 3.x import it without the source), as a
    deployment that ships bytecode only has it."""
    source = workspace.write("pure", name + ".py", text)
    py_compile.compile(source, cfile=source + "c", doraise=True)
    os.remove(source)
    invalidate_caches()
    module = importlib.import_module(name)
    assert module.__file__.endswith(".pyc")
    return module


def load_from_zip(workspace, name, text):
    """Import module *name* from a zip archive on sys.path (a zipapp, a
    zipped egg) holding *text* as its source."""
    archive = os.path.join(workspace.root, "deployed.zip")
    with zipfile.ZipFile(archive, "a") as stream:
        stream.writestr(name + ".py", text)
    sys.path.insert(0, archive)
    workspace.sys_path.append(archive)
    sys.path_importer_cache.pop(archive, None)  # a zipimporter lists the archive when made
    invalidate_caches()
    module = importlib.import_module(name)
    assert type(module.__loader__).__name__ == "zipimporter"
    return module
