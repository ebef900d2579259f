"""purge(): unload, then the next import runs the source on disk now."""
import importlib
import os
import sys
import warnings

import pytest
import six

from compatreload import ExtensionNotReloadedWarning, deep_reload, purge, reload
from conftest import need

PY2 = sys.version_info[0] == 2


def py2_relative_misses(*names):
    """The None entries Python 2 leaves for the implicit relative imports it
    tried first (`import pure.b` inside pure/c.py tries pure.pure)."""
    return list(names) if PY2 else []


def loaded(prefix):
    return sorted(key for key in sys.modules if key == prefix or key.startswith(prefix + "."))


def test_same_second_edit_fools_plain_reload(workspace):
    """The control: with bytecode written, the interpreter's own reload runs
    the OLD code after a same-size edit in the same second. (If this ever
    fails, the interpreter fixed it and the freshness tests prove less.)"""
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, False
    try:
        workspace.add("pure")
        import pure.a

        workspace.set_version("pure", "pure/a.py", 2)
        assert reload(pure.a).value() == "a@1"
    finally:
        sys.dont_write_bytecode = saved


def test_purge_then_import_runs_the_new_source(workspace, bytecode):
    workspace.add("pure")
    import pure.c
    import pure.top

    assert pure.c.value() == "c@1>b@1>a@1"
    for relpath in ("pure/a.py", "pure/b.py", "pure/c.py", "pure/base.py"):
        workspace.set_version("pure", relpath, 2)
    expected = ["pure", "pure.a", "pure.b", "pure.base", "pure.c", "pure.left", "pure.right", "pure.top"]
    assert purge("pure") == sorted(expected + py2_relative_misses("pure.pure"))
    assert loaded("pure") == []
    fresh = importlib.import_module("pure.c")
    assert fresh is not pure.c
    assert fresh.value() == "c@2>b@2>a@2"
    assert importlib.import_module("pure.top").value() == "top@1>left@1>base@2|right@1>base@2"


def test_purge_a_submodule_detaches_it_from_its_parent(workspace, bytecode):
    workspace.add("pure")
    import pure.b

    package, old_b = sys.modules["pure"], sys.modules["pure.b"]
    workspace.set_version("pure", "pure/b.py", 3)
    assert purge("pure.b") == ["pure.b"]
    assert "b" not in vars(package)
    assert sys.modules["pure"] is package and "pure.a" in sys.modules
    import pure.b as new_b

    assert new_b is not old_b and new_b.value() == "b@3>a@1"
    assert package.b is new_b


def test_purge_lets_go_of_what_the_graph_found_of_the_modules_it_unloads(workspace):
    """What graph.resolve found of a module's imports (kept between reloads)
    goes with the module: a process that loads and purges plugins under new
    names keeps nothing of each."""
    from compatreload import graph

    workspace.add("pure")
    import pure.c  # noqa: F401

    assert deep_reload("pure.a") == ["pure.a", "pure.b", "pure.c"]
    assert "pure.c" in graph._resolved
    purge("pure.c")
    assert "pure.c" not in graph._resolved and "pure.b" in graph._resolved


def test_purge_leaves_a_parent_attribute_that_is_not_the_module(workspace):
    workspace.add("pure")
    import pure.unrelated

    pure.unrelated = "the package's own value"
    assert purge("pure.unrelated") == ["pure.unrelated"]
    assert sys.modules["pure"].unrelated == "the package's own value"


def test_purge_without_submodules(workspace):
    workspace.add("pure")
    import pure.a

    assert purge("pure", submodules=False) == ["pure"]
    assert loaded("pure") == ["pure.a"]


def test_purge_of_a_name_not_loaded_changes_nothing():
    before = dict(sys.modules)
    assert purge("compatreload_never_imported") == []
    assert purge("compatreload_never.imported.either") == []
    assert dict(sys.modules) == before


@pytest.mark.parametrize("name", [None, 1, b"pure" if not PY2 else bytearray(b"x"), ["pure"], object()])
def test_purge_rejects_a_non_string(name, workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401

    before = dict(sys.modules)
    with pytest.raises(TypeError) as raised:
        purge(name)
    assert "purge() expects a module name (str), got %s" % type(name).__name__ in str(raised.value)
    assert dict(sys.modules) == before


@pytest.mark.parametrize("name", ["", ".pure", "pure.", "pure..a"])
def test_purge_rejects_a_malformed_name(name, workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401

    before = dict(sys.modules)
    with pytest.raises(ValueError) as raised:
        purge(name)
    assert repr(name) in str(raised.value)
    assert dict(sys.modules) == before


def test_purge_removes_none_entries(workspace, bytecode):
    """Python 2 caches its failed implicit relative imports as None; on 3.x
    a None entry means "import blocked" and must go as well."""
    workspace.add("relative_py2")
    import relative_py2.user

    assert relative_py2.user.value() == "user@1>helper@1"
    if PY2:
        assert sys.modules["relative_py2.os"] is None
        assert sys.modules["relative_py2.json"] is None
    else:
        assert "relative_py2.os" not in sys.modules
        sys.modules["relative_py2.blocked"] = None
    workspace.set_version("relative_py2", "relative_py2/helper.py", 2)
    removed = purge("relative_py2")
    nones = ["relative_py2.json", "relative_py2.os"] if PY2 else ["relative_py2.blocked"]
    assert removed == sorted(["relative_py2", "relative_py2.helper", "relative_py2.user"] + nones)
    assert loaded("relative_py2") == []
    assert importlib.import_module("relative_py2.user").value() == "user@1>helper@2"


def test_purge_circular_package(workspace, bytecode):
    workspace.add("circular")
    import circular.user

    for relpath in ("circular/ping.py", "circular/pong.py", "circular/tick.py", "circular/tock.py", "circular/user.py"):
        workspace.set_version("circular", relpath, 2)
    expected = ["circular", "circular.ping", "circular.pong", "circular.tick", "circular.tock", "circular.user"]
    assert purge("circular") == sorted(expected + py2_relative_misses("circular.circular"))
    assert importlib.import_module("circular.user").value() == "user@2>ping@2>pong@2|tick@2>tock@2"
    assert importlib.import_module("circular.pong").value() == "pong@2>ping@2"


def test_purge_package_with_c_extension(workspace, bytecode):
    workspace.add("cext")
    workspace.build("cext", "cext/_speedups.c")
    import cext.wrapper

    speedups = sys.modules["cext._speedups"]
    assert cext.wrapper.describe() == "wrapper@1>_speedups@1"
    assert speedups.init_count() == 1
    workspace.set_version("cext", "cext/wrapper.py", 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert purge("cext") == ["cext", "cext._speedups", "cext.wrapper"]
    messages = [str(w.message) for w in caught if issubclass(w.category, ExtensionNotReloadedWarning)]
    assert len(messages) == 1 and "cext._speedups is a C extension" in messages[0]
    assert importlib.import_module("cext.wrapper").describe() == "wrapper@2>_speedups@1"
    assert importlib.import_module("cext").TAG == "cext@1"


def test_purge_six_moves_user_keeps_six_moves_working(workspace, bytecode):
    workspace.add("sixmoves")
    import sixmoves.client

    lazy = sorted(key for key in sys.modules if key.startswith("six.moves"))
    assert sixmoves.client.link("x") == "http://example.invalid/client@1/x"
    workspace.set_version("sixmoves", "sixmoves/client.py", 2)
    assert purge("sixmoves") == ["sixmoves", "sixmoves.client"] + py2_relative_misses("sixmoves.six")
    assert sorted(key for key in sys.modules if key.startswith("six.moves")) == lazy
    fresh = importlib.import_module("sixmoves.client")
    assert fresh.link("x") == "http://example.invalid/client@2/x"
    assert fresh.count() == 8
    assert six.moves.urllib.parse.urljoin("http://a/b/", "c") == "http://a/b/c"


def test_purge_namespace_package(workspace, bytecode):
    need("namespace")
    workspace.add("namespace")
    import nsfixture.beta

    assert nsfixture.beta.value() == "beta@1>alpha@1"
    workspace.set_version("namespace", "portion_a/nsfixture/alpha.py", 2)
    workspace.set_version("namespace", "portion_b/nsfixture/beta.py", 2)
    assert purge("nsfixture") == ["nsfixture", "nsfixture.alpha", "nsfixture.beta"]
    assert importlib.import_module("nsfixture.beta").value() == "beta@2>alpha@2"


def test_purge_finds_a_file_created_after_the_first_import(workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401 (the package's folder listing is now cached on 3.x)

    workspace.write("pure", "pure/fresh.py", "TAG = 'fresh@1'\n")
    purge("pure")
    assert importlib.import_module("pure.fresh").TAG == "fresh@1"


def test_purge_removes_the_cached_bytecode(workspace):
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, False
    try:
        workspace.add("pure")
        import pure.a

        source = pure.a.__file__
        if source.endswith(("c", "o")):
            source = source[:-1]
        from compatreload.compat import cached_bytecode_paths

        assert any(os.path.exists(path) for path in cached_bytecode_paths(source))
        purge("pure")
        assert not any(os.path.exists(path) for path in cached_bytecode_paths(source))
    finally:
        sys.dont_write_bytecode = saved


def test_purge_removes_the_cached_bytecode_of_many_modules_of_one_folder(workspace):
    """From bytecode.LIST_FOLDER_FROM sources in one folder on, their cache
    folder is listed once (not a removal tried per cached file): every
    cached file is removed all the same."""
    from compatreload.bytecode import LIST_FOLDER_FROM
    from compatreload.compat import cached_bytecode_paths

    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, False
    try:
        workspace.add("pure")
        import pure.c  # noqa: F401
        import pure.top  # noqa: F401

        modules = [module for name, module in sys.modules.items() if name.startswith("pure") and module is not None]
        sources = [module.__file__.rstrip("co") for module in modules]  # 2.x: x.pyc once cached
        assert len(sources) >= LIST_FOLDER_FROM
        assert all(any(os.path.exists(path) for path in cached_bytecode_paths(source)) for source in sources)
        purge("pure")
        assert not any(os.path.exists(path) for source in sources for path in cached_bytecode_paths(source))
    finally:
        sys.dont_write_bytecode = saved


def test_a_reload_removes_the_cached_bytecode_of_sources_of_any_name_in_a_listed_folder(workspace):
    """The cache folder listed once for the many sources a reload ran: the
    bytecode cached for a source named otherwise than x.py (settings.conf;
    a name without a dot, which 3.x caches as <name><tag>.pyc, not
    <name>.<tag>.pyc) is removed too."""
    from compatreload.bytecode import LIST_FOLDER_FROM
    from compatreload.compat import cached_bytecode_paths
    from conftest import load_source_file

    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, False
    try:
        names = ["plain_%d" % index for index in range(LIST_FOLDER_FROM)]
        sources = [workspace.write("pure", name + ".py", "X = 1\n") for name in names]
        sources.append(workspace.write("pure", "app_settings.conf", "LIMIT = 1\n"))
        sources.append(workspace.write("pure", "appsettings", "LIMIT = 2\n"))
        names += ["app_settings", "appsettings"]
        for name, source in zip(names, sources):
            load_source_file(name, source)
        cached = [path for source in sources for path in cached_bytecode_paths(source) if os.path.exists(path)]
        assert len(cached) == len(sources)  # one file each: the test sees them all
        assert sorted(deep_reload(names)) == sorted(names)
        assert [path for path in cached if os.path.exists(path)] == []
    finally:
        sys.dont_write_bytecode = saved


def test_a_bytecode_cache_that_cannot_be_removed_is_logged(workspace, caplog):
    from compatreload.bytecode import discard_cached_bytecode
    from compatreload.compat import cached_bytecode_paths

    source = workspace.write("pure", "blocked.py", "X = 1\n")
    blocker = cached_bytecode_paths(source)[0]
    os.makedirs(blocker)  # a folder where the .pyc would be: os.remove fails
    assert discard_cached_bytecode(source) == []
    assert "could not remove cached bytecode %s" % blocker in caplog.text


def test_a_bytecode_cache_removed_meanwhile_is_not_an_error(workspace, caplog):
    """Another process may remove a cached file between the folder listing
    and the removal: nothing to remove, nothing to log."""
    from compatreload.bytecode import remove_files

    gone = os.path.join(workspace.root, "gone.cpython-99.pyc")
    assert remove_files([gone]) == []
    assert "could not remove" not in caplog.text


def test_lazy_and_foreign_entries_are_inspected_without_side_effects(workspace):
    """apipkg-style lazy modules import everything when their __dict__ is
    read, and sys.modules may hold objects that are not modules at all."""
    import types

    class LazyModule(types.ModuleType):
        @property
        def __dict__(self):
            raise AssertionError("the lazy module was loaded by inspection")

    workspace.add("pure")
    import pure.a  # noqa: F401

    sys.modules["pure.lazy"] = LazyModule("pure.lazy")
    sys.modules["pure.foreign"] = object()
    from compatreload import deep_reload

    assert deep_reload("pure.a") == ["pure.a"]
    assert purge("pure") == sorted(["pure", "pure.a", "pure.foreign", "pure.lazy"] + py2_relative_misses())


def test_purge_then_import_shows_the_new_source_in_tracebacks(workspace):
    """The same for linecache as for bytecode: purged means forgotten."""
    import inspect

    workspace.add("pure")
    import pure.a

    assert '"a@1"' in inspect.getsource(pure.a)
    workspace.set_version("pure", "pure/a.py", 2)
    purge("pure")
    fresh = importlib.import_module("pure.a")
    assert fresh.value() == "a@2" and '"a@2"' in inspect.getsource(fresh)


def test_a_purged_class_leaves_its_base_s_subclasses(workspace):
    """Unloading a plugin unlists it: its class, freed by the cycle collector
    only, is gone from Plugin.__subclasses__() when purge() returns."""
    import gc

    workspace.add("pure")
    workspace.write("pure", "plugin_base.py", "class Plugin(object):\n    pass\n")
    workspace.write("pure", "plugin_two.py", "from plugin_base import Plugin\n\n\nclass Two(Plugin):\n    pass\n")
    importlib.import_module("plugin_two")
    gc.collect()  # the class is old now: only a full collection frees it
    base = sys.modules["plugin_base"].Plugin
    assert len(base.__subclasses__()) == 1  # (a 2.x list comprehension would keep its variable)
    assert purge("plugin_two") == ["plugin_two"]
    assert base.__subclasses__() == []
