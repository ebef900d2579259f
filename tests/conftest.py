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


def load_through(loader):
    """3.x: import the module of *loader* (a SourceFileLoader) as the import
    system would, under the loader's name; returns the module."""
    import importlib.util

    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    sys.modules[loader.name] = module
    loader.exec_module(module)
    return module


def load_source_file(name, path):
    """Load the source file at *path*, whatever its name ends with, as module
    *name*: imp.load_source on 2.x, a SourceFileLoader on 3.x (what
    imp.load_source was until 3.11), as a legacy program loads its settings."""
    if sys.version_info[0] == 2:
        import imp

        return imp.load_source(name, path)
    import importlib.machinery

    return load_through(importlib.machinery.SourceFileLoader(name, path))


def load_translated(name, path):
    """Load the file at *path* as module *name* through a loader that
    translates another language to Python (``LIMIT <- 1`` to ``LIMIT = 1``),
    as Hy's does: a SourceFileLoader subclass with its own source_to_code on
    3.x, a PEP 302 loader that sets ``__loader__`` on 2.x."""
    def translated(data):
        return compile(data.replace(b"<-", b"="), path, "exec", dont_inherit=True)

    if sys.version_info[0] == 2:
        module = types.ModuleType(name)
        module.__file__, module.__loader__ = path, object()
        sys.modules[name] = module
        with open(path, "rb") as stream:
            exec(translated(stream.read()), vars(module))
        return module
    import importlib.machinery

    class TranslatingLoader(importlib.machinery.SourceFileLoader):
        def source_to_code(self, data, path, **options):
            return translated(data)

    return load_through(TranslatingLoader(name, path))


def load_instrumented(name, path):
    """3.x: load the .py file at *path* as module *name* through an
    instrumenting import hook, as typeguard's and beartype's are: a
    SourceFileLoader whose get_code notes the module (beartype hands state
    from get_code to source_to_code so) and whose source_to_code adds
    ``INSTRUMENTED_BY = <that name>`` to the code. Returns the loader."""
    import ast
    import importlib.machinery

    class InstrumentingLoader(importlib.machinery.SourceFileLoader):
        instrumenting = None

        def get_code(self, fullname):
            self.instrumenting = fullname
            return super(InstrumentingLoader, self).get_code(fullname)

        def source_to_code(self, data, path, **options):
            tree = ast.parse(data, path)
            tree.body += ast.parse("INSTRUMENTED_BY = %r" % self.instrumenting).body
            return compile(tree, path, "exec", dont_inherit=True)

    loader = InstrumentingLoader(name, path)
    load_through(loader)
    return loader
