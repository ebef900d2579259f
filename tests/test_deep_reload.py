"""deep_reload(): dependents in order, cycles together, fresh source."""
import gc
import importlib
import os
import sys
import time
import types
import warnings
import weakref

import pytest

from compatreload import ExtensionNotReloadedWarning, ReloadError, Watcher, changed, deep_reload, purge
from compatreload.reloading import Prefixes
from conftest import namespace_of, need

PY2 = sys.version_info[0] == 2


def module(name):
    return sys.modules[name]


def reference(value):
    """A weak reference; on 2.7, whose modules take none, a strong one
    (the check below asks only that no loaded namespace holds the value)."""
    try:
        return weakref.ref(value)
    except TypeError:
        return lambda: value


def old_versions(names):
    """Weak references to the modules *names* and to the functions and
    classes each defines itself: what must not survive a reload of them."""
    refs = []
    for name in names:
        namespace = vars(module(name))
        refs.append((name, None, reference(module(name))))
        for key, value in namespace.items():
            if isinstance(value, (types.FunctionType, type)) and value.__module__ == name:
                refs.append((name, key, weakref.ref(value)))
    return refs


def assert_no_stale_references(refs, excluded=()):
    """The invariant: after gc, no loaded module's namespace holds a
    previous version of a reloaded module or of its functions/classes."""
    gc.collect()
    alive = [(name, key, ref()) for name, key, ref in refs if ref() is not None]
    for holder, loaded in list(sys.modules.items()):
        if not isinstance(loaded, types.ModuleType) or holder in excluded:
            continue
        for attribute, value in list(namespace_of(loaded).items()):
            for name, key, old in alive:
                assert value is not old, "%s.%s still holds the old %s.%s" % (holder, attribute, name, key)


def test_chain_runs_dependents_after_their_dependencies(workspace, bytecode):
    workspace.add("pure")
    import pure.c
    import pure.unrelated

    unrelated = module("pure.unrelated")
    refs = old_versions(["pure.a", "pure.b", "pure.c"])
    for relpath in ("pure/a.py", "pure/b.py", "pure/c.py"):
        workspace.set_version("pure", relpath, 2)
    assert deep_reload("pure.a") == ["pure.a", "pure.b", "pure.c"]
    assert module("pure.c").value() == "c@2>b@2>a@2"
    assert module("pure.unrelated") is unrelated
    assert module("pure").c is module("pure.c") and module("pure").a is module("pure.a")
    assert_no_stale_references(refs)


def test_a_target_named_by_a_unicode_string_reloads_as_if_by_str(workspace, bytecode):
    """2.x: a name given as unicode (read from JSON, a config file, a web
    form) reloads the module loaded under the str key, and the names
    returned are str, as sys.modules has them (3.x: every str is one)."""
    workspace.add("pure")
    import pure.c

    for relpath in ("pure/a.py", "pure/b.py", "pure/c.py"):
        workspace.set_version("pure", relpath, 2)
    order = deep_reload(u"pure.a")
    assert order == ["pure.a", "pure.b", "pure.c"] and set(map(type, order)) == set([str])
    assert module("pure.c").value() == "c@2>b@2>a@2"
    assert module("pure").a is module("pure.a") and module("pure").c is module("pure.c")
    assert deep_reload([u"pure.b", "pure.b"]) == ["pure.b", "pure.c"]


def test_a_replaced_import_function_sees_the_imports_of_the_modules_code_only(workspace, bytecode):
    """A program that replaced ``__import__`` (an import tracer) sees the
    imports the re-executed modules' code makes, each with the importer's
    globals, and not the reload's own import of each module (2.7's
    importlib.import_module would call it with none)."""
    workspace.add("pure")
    import pure.c  # noqa: F401

    builtins = importlib.import_module("__builtin__" if PY2 else "builtins")
    original, seen = builtins.__import__, []

    def tracing(name, globals=None, locals=None, fromlist=(), level=-1 if PY2 else 0):
        seen.append((name, (globals or {}).get("__name__")))
        return original(name, globals, locals, fromlist, level)

    workspace.set_version("pure", "pure/a.py", 2)
    builtins.__import__ = tracing
    try:
        assert deep_reload("pure.a") == ["pure.a", "pure.b", "pure.c"]
    finally:
        builtins.__import__ = original
    assert ("pure.b", "pure.c") in seen and ("a", "pure.b") in seen  # `import pure.b`, `from .a import value`
    assert [name for name, importer in seen if importer is None and name.startswith("pure")] == []
    assert module("pure.c").value() == "c@1>b@1>a@2"


def test_modules_reloaded_together_run_in_the_order_their_files_say_now(workspace, bytecode):
    """Two modules edited and reloaded in one call, the edit of one making
    it take a name the edit of the other adds: they run in the order their
    files say now (the one that adds the name first), not the order of the
    versions that were loaded (none imports the other)."""
    workspace.add("pure")
    workspace.write("pure", "alpha.py", "TAG = 'alpha@1'\n")
    workspace.write("pure", "zeta.py", "TAG = 'zeta@1'\n")
    import alpha  # noqa: F401
    import zeta  # noqa: F401

    assert sorted(deep_reload(["alpha", "zeta"], dry_run=True)) == ["alpha", "zeta"]  # their lines read
    workspace.write("pure", "alpha.py", "from zeta import ADDED\nTAG = 'alpha@2>' + ADDED\n")
    workspace.write("pure", "zeta.py", "ADDED = 'zeta@2'\n")
    assert deep_reload(["alpha", "zeta"]) == ["zeta", "alpha"]
    assert module("alpha").TAG == "alpha@2>zeta@2"


def test_diamond_runs_each_module_once(workspace, bytecode):
    workspace.add("pure")
    import pure.top  # noqa: F401

    refs = old_versions(["pure.base", "pure.left", "pure.right", "pure.top"])
    workspace.set_version("pure", "pure/base.py", 2)
    order = deep_reload(module("pure.base"))
    assert sorted(order) == ["pure.base", "pure.left", "pure.right", "pure.top"]
    assert order[0] == "pure.base" and order[-1] == "pure.top"
    assert module("pure.top").value() == "top@1>left@1>base@2|right@1>base@2"
    assert_no_stale_references(refs)


def test_every_dependent_runs_exactly_once(workspace):
    workspace.add("pure")
    workspace.write("pure", "runlog.py", "RUNS = []\n")
    for name, imports in (("one", ""), ("two", "import one\n"), ("three", "import one, two\n"), ("four", "from three import *\nimport two\n")):
        workspace.write("pure", name + ".py", "import runlog\n%srunlog.RUNS.append(__name__)\n" % imports)
    import four  # noqa: F401
    import runlog

    del runlog.RUNS[:]
    assert deep_reload("one") == ["one", "two", "three", "four"]
    assert runlog.RUNS == ["one", "two", "three", "four"]


def test_cycles_reload_together(workspace, bytecode):
    workspace.add("circular")
    import circular.user  # noqa: F401

    refs = old_versions(["circular.ping", "circular.pong", "circular.tick", "circular.tock", "circular.user"])
    for name in ("ping", "pong", "tick", "tock"):
        workspace.set_version("circular", "circular/%s.py" % name, 2)
    assert deep_reload("circular.pong") == ["circular.ping", "circular.pong", "circular.user"]
    assert deep_reload("circular.tock") == ["circular.tick", "circular.tock", "circular.user"]
    assert module("circular.user").value() == "user@1>ping@2>pong@2|tick@2>tock@2"
    assert module("circular.pong").value() == "pong@2>ping@2"
    assert module("circular.tock").value() == "tock@2>tick@2"
    assert_no_stale_references(refs)


FROM_CYCLE = {
    "fromcycle/__init__.py": "",
    "fromcycle/zeta.py": 'from .alpha import helper\n\nX = "zeta@{v}"\n\n\ndef value():\n    return X + ">" + helper()\n',
    "fromcycle/alpha.py": 'import fromcycle.zeta\n\n\ndef helper():\n    return "alpha@{v}"\n\n\ndef back():\n    return fromcycle.zeta.X\n',
    "fromcycle_user.py": "from fromcycle.zeta import value\nfrom fromcycle.alpha import helper\n",
}


def write_files(workspace, files, version):
    for relpath, text in files.items():
        workspace.write("pure", relpath, text.replace("{v}", str(version)))


def test_a_cycle_starts_with_the_member_whose_import_started_first(workspace, bytecode):
    # zeta from-imports a name alpha defines after alpha's `import
    # fromcycle.zeta`: alpha first fails ("cannot import name 'helper'").
    # Both are imported from outside the cycle. 3.8+ and PyPy list a module
    # in sys.modules once it has run, so the entry of a cycle comes last
    # there (it came first on 3.6-3.7); 2.7's sys.modules has no order: there
    # a member that takes a name from another goes before it.
    workspace.add("pure")
    write_files(workspace, FROM_CYCLE, 1)
    import fromcycle_user  # noqa: F401

    write_files(workspace, FROM_CYCLE, 2)
    assert deep_reload("fromcycle.alpha") == ["fromcycle.zeta", "fromcycle.alpha", "fromcycle_user"]
    assert module("fromcycle_user").value() == "zeta@2>alpha@2" and module("fromcycle.alpha").back() == "zeta@2"


MUTUAL_FROM_IMPORTS = {
    "mutual/__init__.py": "",
    "mutual/one.py": 'X = "one@{v}"\nfrom .two import Y\n\n\ndef value():\n    return X + ">" + Y\n',
    "mutual/two.py": 'Y = "two@{v}"\nfrom .one import X\n\n\ndef value():\n    return Y + ">" + X\n',
}


def test_a_cycle_of_from_imports_of_names_defined_before_them_reloads(workspace, bytecode):
    workspace.add("pure")
    write_files(workspace, MUTUAL_FROM_IMPORTS, 1)
    import mutual.one  # noqa: F401

    write_files(workspace, MUTUAL_FROM_IMPORTS, 2)
    assert sorted(deep_reload("mutual.two")) == ["mutual.one", "mutual.two"]
    assert (module("mutual.one").value(), module("mutual.two").value()) == ("one@2>two@2", "two@2>one@2")


PACKAGE_CYCLE = {
    "pkgcycle/__init__.py": "from .hooks import Hook\nfrom .manager import Manager\nfrom .warns import PkgWarning\n",
    "pkgcycle/hooks.py": "class Hook(object):\n    pass\n",
    # A class that names the package as its module (a nicer repr) makes the
    # package a dependent of warns: a cycle through the package's __init__.
    "pkgcycle/warns.py": 'class PkgWarning(UserWarning):\n    __module__ = "pkgcycle"\n    TAG = "warns@{v}"\n',
    "pkgcycle/callers.py": 'from .hooks import Hook\nfrom .warns import PkgWarning\n\n\ndef call():\n    return "call@{v}>" + PkgWarning.TAG\n',
    "pkgcycle/manager.py": 'from .callers import call\n\n\nclass Manager(object):\n    def run(self):\n        return "manager@{v}>" + call()\n',
    "pkgcycle_user.py": "from pkgcycle.callers import call\nfrom pkgcycle import Manager\n",
}


def test_a_cycle_through_a_package_s_init_imports_the_package_first(workspace, bytecode):
    # As pluggy is laid out: importing pkgcycle.callers without its package
    # (dropped with it) ran the package's __init__ from callers' first
    # relative import, which then needed the half-run callers.
    workspace.add("pure")
    write_files(workspace, PACKAGE_CYCLE, 1)
    import pkgcycle_user  # noqa: F401

    write_files(workspace, PACKAGE_CYCLE, 2)
    order = deep_reload("pkgcycle.warns")
    assert order[0] == "pkgcycle" and order[-1] == "pkgcycle_user"
    assert sorted(order) == ["pkgcycle", "pkgcycle.callers", "pkgcycle.manager", "pkgcycle.warns", "pkgcycle_user"]
    assert module("pkgcycle_user").Manager().run() == "manager@2>call@2>warns@2"
    package = module("pkgcycle")
    assert all(getattr(package, name) is module("pkgcycle." + name) for name in ("callers", "manager", "warns"))


def test_c_extension_is_kept_and_its_dependents_reloaded(workspace, bytecode):
    workspace.add("cext")
    workspace.build("cext", "cext/_speedups.c")
    import cext.wrapper  # noqa: F401

    speedups = module("cext._speedups")
    refs = old_versions(["cext", "cext.wrapper"])
    workspace.set_version("cext", "cext/wrapper.py", 2)
    workspace.set_version("cext", "cext/__init__.py", 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        order = deep_reload("cext._speedups")
    assert order == ["cext", "cext.wrapper"]
    assert any("cext._speedups is a C extension and was not re-initialised" in str(w.message) for w in caught)
    assert module("cext._speedups") is speedups and speedups.init_count() == 1
    assert module("cext").TAG == "cext@2" and module("cext")._speedups is speedups
    assert module("cext.wrapper").describe() == "wrapper@2>_speedups@1"
    assert_no_stale_references(refs)
    assert deep_reload("cext.wrapper") == ["cext.wrapper"]
    assert module("cext._speedups") is speedups


def test_python2_implicit_relative_imports_are_dependencies(workspace, bytecode):
    workspace.add("relative_py2")
    import relative_py2.user  # noqa: F401

    refs = old_versions(["relative_py2.helper", "relative_py2.user"])
    workspace.set_version("relative_py2", "relative_py2/helper.py", 2)
    assert deep_reload("relative_py2.helper") == ["relative_py2.helper", "relative_py2.user"]
    assert module("relative_py2.user").value() == "user@1>helper@2"
    assert_no_stale_references(refs)
    if PY2:
        assert sys.modules["relative_py2.os"] is None  # left as the interpreter made it


def test_six_moves_survive_reloading_six_and_its_users(workspace, bytecode):
    workspace.add("sixmoves")
    import six
    import sixmoves.client  # noqa: F401

    refs = old_versions(["sixmoves.client"])
    workspace.set_version("sixmoves", "sixmoves/client.py", 2)
    bystanders = [name for name in sys.modules if name.startswith(("test_", "conftest", "_pytest", "pytest", "py.", "pluggy"))]
    order = deep_reload("six", exclude=bystanders)
    assert order[0] == "six" and "sixmoves.client" in order
    import six.moves.urllib.parse as parse

    assert parse.urljoin("http://a/b/", "c") == "http://a/b/c"
    assert module("sixmoves.client").link("x") == "http://example.invalid/client@2/x"
    assert module("sixmoves.client").count() == 8
    assert module("six") is not six
    assert_no_stale_references(refs)


def test_namespace_package_portions(workspace, bytecode):
    need("namespace")
    workspace.add("namespace")
    import nsfixture.beta  # noqa: F401

    package = module("nsfixture")
    refs = old_versions(["nsfixture.alpha", "nsfixture.beta"])
    workspace.set_version("namespace", "portion_a/nsfixture/alpha.py", 2)
    assert deep_reload("nsfixture.alpha") == ["nsfixture.alpha", "nsfixture.beta"]
    assert module("nsfixture.beta").value() == "beta@1>alpha@2"
    assert_no_stale_references(refs)
    assert module("nsfixture") is package and deep_reload("nsfixture") == []


def test_exclude_stops_at_the_excluded_module_and_rebinds_it(workspace):
    workspace.add("pure")
    import pure.c  # noqa: F401

    b, c = module("pure.b"), module("pure.c")
    workspace.set_version("pure", "pure/a.py", 2)
    assert deep_reload("pure.a", exclude="pure.b") == ["pure.a"]
    assert module("pure.b") is b and module("pure.c") is c
    assert b.a is module("pure.a") and b.a_value is module("pure.a").value
    assert c.value() == "c@1>b@1>a@2"


def test_prefixes_cover_packages_not_lookalikes():
    prefixes = Prefixes(["app"], "exclude")
    assert "app" in prefixes and "app.views" in prefixes and "apple" not in prefixes


def test_dry_run_executes_nothing(workspace):
    workspace.add("pure")
    import pure.c  # noqa: F401

    before = dict(sys.modules)
    assert deep_reload(["pure.a"], dry_run=True) == ["pure.a", "pure.b", "pure.c"]
    assert dict(sys.modules) == before


def test_main_and_builtins_are_never_reexecuted(workspace):
    workspace.add("pure")
    import pure.a

    main = vars(sys.modules["__main__"])
    main["compatreload_probe"] = pure.a.value
    try:
        workspace.set_version("pure", "pure/a.py", 2)
        assert deep_reload("pure.a") == ["pure.a"]
        assert main["compatreload_probe"] is module("pure.a").value
    finally:
        del main["compatreload_probe"]
    for name, why in (("__main__", "it is the program's main module"), ("sys", "it is built into the interpreter")):
        with pytest.raises(ReloadError) as raised:
            deep_reload(name)
        assert str(raised.value) == "deep_reload(): %s cannot be re-executed: %s" % (name, why)


EXPECTS = "deep_reload() expects a module, a module name or a list/tuple of them"

#: (arguments, keyword arguments, exception, words of its message)
BAD_CALLS = [
    ((1,), {}, TypeError, EXPECTS),
    ((None,), {}, TypeError, EXPECTS),
    ((object(),), {}, TypeError, EXPECTS),
    (([1],), {}, TypeError, EXPECTS),
    ((("pure.a", 2.0),), {}, TypeError, EXPECTS),
    (("pure.never_imported",), {}, ImportError, "pure.never_imported is not loaded"),
    (("",), {}, ValueError, "absolute dotted module name"),
    # 2.x imports ASCII names only; on 3.x it is a name like any
    ((u"pure.caf\xe9",), {}, ValueError, "expects an ASCII module name on 2.x (it imports no other), got u'pure.caf\\xe9'")
    if PY2
    else ((u"pure.caf\xe9",), {}, ImportError, "pure.caf\xe9 is not loaded"),
    (("pure.a",), {"exclude": ["pure"]}, ValueError, "target pure.a is excluded"),
    (("pure.a",), {"exclude": 3}, TypeError, "exclude must be a module name or a list of them"),
    (("pure.a",), {"exclude": [3]}, TypeError, "exclude() expects a module name (str), got int"),
]


@pytest.mark.parametrize("args, kwargs, error, words", BAD_CALLS)
def test_bad_input_raises_and_changes_nothing(workspace, args, kwargs, error, words):
    workspace.add("pure")
    import pure.c  # noqa: F401

    before = dict(sys.modules)
    with pytest.raises(error) as raised:
        deep_reload(*args, **kwargs)
    assert words in str(raised.value)
    assert dict(sys.modules) == before


def test_a_module_object_replaced_since_is_refused(workspace):
    workspace.add("pure")
    import pure.a

    old = pure.a
    deep_reload("pure.a")
    with pytest.raises(ImportError) as raised:
        deep_reload(old)
    assert "is not the one in sys.modules['pure.a']" in str(raised.value)


def test_a_module_imported_at_run_time_is_seen_through_the_object(workspace):
    """importlib.import_module stored at module level: seen by the object."""
    workspace.add("pure")
    workspace.write("pure", "dynamic.py", "import importlib\nA = importlib.import_module('pure.a')\n")
    import dynamic  # noqa: F401

    assert deep_reload("pure.a") == ["pure.a", "dynamic"]
    assert module("dynamic").A is module("pure.a")


def test_a_module_depends_on_its_optional_import_once_that_is_loaded(workspace, bytecode):
    """``try: import plugin / except ImportError`` while there was no plugin:
    once the plugin is loaded, the module depends on it, though its graph
    was found before, when the plugin was not loaded (graph.resolve keeps
    what it found only while the same names are loaded)."""
    workspace.add("pure")
    workspace.write(
        "pure", "optional_user.py", "import pure.a\ntry:\n    import optional_plugin\nexcept ImportError:\n    optional_plugin = None\n"
    )
    import optional_user  # noqa: F401

    assert deep_reload("pure.a") == ["pure.a", "optional_user"]
    assert module("optional_user").optional_plugin is None
    workspace.write("pure", "optional_plugin.py", "NAME = 'plugin'\n")
    import optional_plugin  # noqa: F401

    assert deep_reload("optional_plugin") == ["optional_plugin", "optional_user"]
    assert module("optional_user").optional_plugin is module("optional_plugin")


def test_a_target_given_twice_runs_once(workspace):
    workspace.add("pure")
    import pure.b

    assert deep_reload([pure.b.a, "pure.a", ("pure.a")]) == ["pure.a", "pure.b"]


def test_imports_after_a_colon_or_a_continuation_are_dependencies(workspace):
    """Constants taken by `try: from x import y` or by a backslashed `from x \\`
    line: nothing in the namespace names their module, only the source does."""
    workspace.add("pure")
    workspace.write("pure", "guarded.py", "try: from pure.a import TAG\nexcept ImportError: TAG = None\n")
    workspace.write("pure", "continued.py", "from pure.a \\\n    import TAG\n")
    import guarded  # noqa: F401
    import continued  # noqa: F401

    assert deep_reload("pure.a") == ["pure.a", "continued", "guarded"]
    workspace.set_version("pure", "pure/a.py", 2)
    deep_reload("pure.a")
    assert module("guarded").TAG == module("continued").TAG == "a@2"


def test_old_code_held_elsewhere_keeps_its_own_globals(workspace):
    """A callback kept where no rebinding looks (a list) still runs the old
    code with the old module's globals: on 2.x a freed module sets its
    namespace's values to None, so the old module must outlive its users."""
    workspace.add("pure")
    import pure.a

    registry = [pure.a.value]
    del pure.a
    workspace.set_version("pure", "pure/a.py", 2)
    deep_reload("pure.a")
    gc.collect()
    assert registry[0]() == "a@1" and module("pure.a").value() == "a@2"


def test_old_code_of_a_purged_module_keeps_its_own_globals(workspace):
    workspace.add("pure")
    import pure.a

    registry = [pure.a.value]
    del pure.a
    purge("pure")
    gc.collect()
    assert registry[0]() == "a@1"


def test_an_old_namespace_nothing_uses_is_freed(workspace):
    workspace.add("pure")
    import pure.a

    old_function = weakref.ref(pure.a.value)
    del pure.a
    deep_reload("pure.a")
    gc.collect()
    assert old_function() is None


@pytest.mark.parametrize("upgrade", [False, True])
def test_a_reexecuted_module_carries_the_loader_a_plain_import_gives(workspace, upgrade):
    """pkgutil.get_data() and inspect.getsource() go through the module's
    loader: after a reload it is the kind a plain import gives (none on 2.x,
    a SourceFileLoader on 3.x), not the reload's own, which would keep every
    source the reload read alive."""
    import inspect
    import pkgutil

    from compatreload.pinning import PinnedFinder

    workspace.add("pure")
    workspace.write("pure", "pure/data.txt", "payload\n")
    import pure

    plain = type(getattr(pure, "__loader__", None)), type(getattr(getattr(pure, "__spec__", None), "loader", None))
    workspace.set_version("pure", "pure/__init__.py", 2)
    deep_reload("pure", upgrade=upgrade)
    reloaded = module("pure")
    assert (type(getattr(reloaded, "__loader__", None)), type(getattr(getattr(reloaded, "__spec__", None), "loader", None))) == plain
    assert pkgutil.get_data("pure", "data.txt").strip() == b"payload"
    assert "@2" in inspect.getsource(reloaded)
    gc.collect()
    assert not [item for item in gc.get_objects() if isinstance(item, PinnedFinder)]


def test_a_module_whose_file_is_unchanged_runs_the_code_compiled_before(workspace, bytecode, monkeypatch):
    """A reload keeps the code it compiled, keyed by the file's bytes: a
    dependent whose file is unchanged runs again (new objects, the new
    dependency) without being compiled again, and any other byte (a
    same-size edit within the same second) is compiled."""
    workspace.add("pure")
    import pure.c  # noqa: F401

    compiled = compiles_counted(monkeypatch)
    deep_reload("pure.a")
    assert sorted(compiled) == ["a.py", "b.py", "c.py"]
    c_function = module("pure.c").value
    workspace.set_version("pure", "pure/a.py", 2)
    del compiled[:]
    deep_reload("pure.a")
    assert module("pure.c").value() == "c@1>b@1>a@2"
    assert module("pure.c").value is not c_function  # executed again
    assert compiled == ["a.py"]  # b and c from the code compiled before
    workspace.set_version("pure", "pure/c.py", 3)
    del compiled[:]
    deep_reload("pure.a")
    assert module("pure.c").value() == "c@3>b@1>a@2"
    assert compiled == ["c.py"]


def compiles_counted(monkeypatch):
    """The files a reload compiles from now on (bytecode.compiled_code's
    compile()), in order."""
    from compatreload import bytecode

    compiled = []

    def counting(source, filename, *arguments, **options):
        compiled.append(os.path.basename(filename))
        return compile(source, filename, *arguments, **options)

    monkeypatch.setattr(bytecode, "compile", counting, raising=False)
    return compiled


def reads_counted(monkeypatch):
    """The paths a reload's loader reads from now on, in order."""
    from compatreload import pinning

    read = []

    def counting(path, size=0):
        read.append(os.path.basename(path))
        return real(path, size)

    real = pinning.read_source
    monkeypatch.setattr(pinning, "read_source", counting)
    return read


def test_a_file_as_it_last_ran_is_read_again_while_it_is_racy(workspace, bytecode, monkeypatch):
    """Files written a moment ago (less than changes.RACY_SECONDS before the
    reload recorded them): their timestamps may not show a second edit
    yet, so the next reload reads each again."""
    workspace.add("pure")
    import pure.c  # noqa: F401

    for relpath in ("pure/a.py", "pure/b.py", "pure/c.py"):
        os.utime(workspace.path("pure", relpath), None)  # modified now, however slow the machine
    deep_reload("pure.a")
    read = reads_counted(monkeypatch)
    deep_reload("pure.a")
    assert sorted(read) == ["a.py", "b.py", "c.py"]


def test_a_settled_file_as_it_last_ran_is_not_read_again(workspace, bytecode, monkeypatch):
    """Files modified long before a reload recorded them (not racy): while
    a file's stat (mtime, size, ctime) is the one recorded, the next reload
    runs its module again from the code compiled from those bytes without
    reading it, by the rule changed() trusts. An edit that keeps its size
    and mtime moves its ctime: that file is read, and the new version runs."""
    workspace.add("pure")
    old = int(time.time()) - 3600  # a whole second: 2.x's float mtime survives a round trip
    for relpath in ("pure/a.py", "pure/b.py", "pure/c.py"):
        os.utime(workspace.path("pure", relpath), (old, old))
    import pure.c  # noqa: F401

    deep_reload("pure.a")  # reads and compiles them, and records them settled
    c_function = module("pure.c").value
    read = reads_counted(monkeypatch)
    deep_reload("pure.a")
    assert read == []
    assert module("pure.c").value is not c_function  # executed again
    assert module("pure.c").value() == "c@1>b@1>a@1"
    path = workspace.path("pure", "pure/a.py")
    before = os.stat(path)
    workspace.set_version("pure", "pure/a.py", 2)  # the same size, its mtime restored
    while os.stat(path).st_ctime == before.st_ctime:  # a ctime that ticks coarsely: still the recorded tick
        time.sleep(0.01)
        workspace.set_version("pure", "pure/a.py", 2)
    assert (os.stat(path).st_mtime, os.stat(path).st_size) == (before.st_mtime, before.st_size)
    deep_reload("pure.a")
    assert read == ["a.py"]
    assert module("pure.c").value() == "c@1>b@1>a@2"


EDITED_WHILE_RELOADING = """import os
LATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "late.py")


def __reload__(old_namespace):  # after this reload ordered late, before late runs
    with open(LATE) as stream:
        text = stream.read()
    if "late@1" in text:
        with open(LATE, "w") as stream:
            stream.write(text.replace("late@1", "late@2"))
"""


def test_a_file_saved_while_a_reload_runs_is_run_by_the_next_one(workspace, bytecode):
    """A reload orders the modules by their files as its one stat of each
    found them; a module whose file is saved after that runs the version it
    was ordered by (here the code kept, its file settled at that stat), and
    the edit is not lost: changed() reports the file, and the next reload
    runs it."""
    workspace.add("pure")
    workspace.write("pure", "editor.py", "VERSION = 1\n")
    workspace.write("pure", "late.py", "import editor\nTAG = 'late@1'\n")
    old = int(time.time()) - 3600
    os.utime(workspace.path("pure", "late.py"), (old, old))
    import late  # noqa: F401

    deep_reload("editor")  # late is recorded settled, its code kept
    workspace.write("pure", "editor.py", EDITED_WHILE_RELOADING)
    assert deep_reload("editor") == ["editor", "late"]
    with open(workspace.path("pure", "late.py")) as stream:
        assert "late@2" in stream.read()  # saved during the reload
    assert module("late").TAG == "late@1"
    assert changed(["editor", "late"]) == ["late"]
    assert deep_reload("editor") == ["editor", "late"]
    assert module("late").TAG == "late@2"
    assert changed(["editor", "late"]) == []


def test_purge_lets_go_of_the_code_a_reload_compiled(workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401

    deep_reload("pure.a")
    code = weakref.ref(module("pure.a").value.__code__)  # a constant of the module's code
    purge("pure.a")
    gc.collect()
    assert code() is None


def test_tracebacks_and_getsource_show_the_source_that_runs(workspace):
    """linecache keeps a file's lines while its size and mtime match, which a
    same-size edit within the same second leaves them: after the reload, a
    traceback and inspect.getsource() must show the new version."""
    import inspect
    import traceback

    def failing_line(function):
        try:
            function()
        except ValueError:
            return traceback.format_exc().splitlines()[-2].strip()

    workspace.add("pure")
    workspace.write("pure", "boom.py", "def fail():\n    raise ValueError('v1')\n")
    import boom

    assert failing_line(boom.fail) == "raise ValueError('v1')"  # linecache holds version 1
    assert "'v1'" in inspect.getsource(boom)
    workspace.write("pure", "boom.py", "def fail():\n    raise ValueError('v2')\n", same_second=True)
    deep_reload("boom")
    assert failing_line(module("boom").fail) == "raise ValueError('v2')"
    assert "'v2'" in inspect.getsource(module("boom"))


def test_another_sys_modules_key_for_a_module_stays_another_name_for_it(workspace):
    """`sys.modules["settings"] = app.settings`: the module runs once, under
    its own name; the other key is pointed at the new module before what
    imports by it runs, and a from-import through it is rebound. A reload
    that fails puts the old module back under both keys."""
    workspace.add("pure")
    import pure.a

    sys.modules["pure_alias"] = pure.a
    workspace.write("pure", "by_alias.py", "import pure_alias\nfrom pure_alias import TAG\n")
    workspace.write("pure", "kept.py", "from pure_alias import TAG\n")
    import by_alias  # noqa: F401
    import kept  # noqa: F401

    workspace.set_version("pure", "pure/a.py", 2)
    order = deep_reload("pure_alias", exclude=["kept"])
    assert order.count("pure.a") == 1 and "pure_alias" not in order and "by_alias" in order
    new = module("pure.a")
    assert sys.modules["pure_alias"] is new and module("by_alias").pure_alias is new
    assert module("by_alias").TAG == module("kept").TAG == "a@2"

    workspace.write("pure", "by_alias.py", "import pure_alias\nraise RuntimeError('broken')\n")
    with pytest.raises(RuntimeError):
        deep_reload("pure.a")
    assert sys.modules["pure_alias"] is new and module("pure.a") is new


@pytest.mark.skipif(PY2, reason="non-ASCII identifiers need 3.x")
def test_importers_of_a_module_with_a_non_ascii_name_are_dependents(workspace):
    """PEP 3131 names, read as the parser reads them: in the file's own
    encoding (a latin-1 cookie here) and NFKC-normalised (a fullwidth c)."""
    workspace.add("pure")
    for name, text, encoding in [
        (u"caf\xe9.py", u"V = 'v@1'\n", "utf-8"),
        (u"utf8_user.py", u"from caf\xe9 import V\n", "utf-8"),
        (u"latin1_user.py", u"# -*- coding: latin-1 -*-\nfrom caf\xe9 import V\n", "latin-1"),
        (u"nfkc_user.py", u"from \uff43af\xe9 import V\n", "utf-8"),
    ]:
        with open(workspace.path("pure", name), "wb") as stream:
            stream.write(text.encode(encoding))
    importlib.invalidate_caches()
    for name in ("utf8_user", "latin1_user", "nfkc_user"):
        importlib.import_module(name)
    workspace.write("pure", u"caf\xe9.py", u"V = 'v@2'\n")
    assert sorted(deep_reload(u"caf\xe9")) == sorted([u"caf\xe9", "latin1_user", "nfkc_user", "utf8_user"])
    assert [module(name).V for name in ("utf8_user", "latin1_user", "nfkc_user")] == ["v@2"] * 3


def test_a_dependent_loaded_from_bytecode_alone_is_rebound_not_reexecuted(workspace):
    """It has no source to run again; what it holds is rebound."""
    from conftest import load_from_bytecode_alone

    workspace.add("pure")
    import pure.a  # noqa: F401

    compiled = load_from_bytecode_alone(workspace, "compiled_user", "from pure.a import value\n")
    workspace.set_version("pure", "pure/a.py", 2)
    assert "compiled_user" not in deep_reload("pure.a")
    assert compiled.value() == "a@2"
    with pytest.raises(ReloadError) as raised:
        deep_reload("compiled_user")
    assert str(raised.value) == (
        "deep_reload(): compiled_user cannot be re-executed: it has no Python source file "
        "(frozen, loaded from bytecode alone, or compiled by its loader from another language)"
    )


HOST = "class Plugin(object):\n    pass\n"
GREETER = "from plugin_host import Plugin\n\n\nclass Greeter(Plugin):\n    def run(self):\n        return {v}\n"


def subclasses():
    return module("plugin_host").Plugin.__subclasses__()


def plugins():
    """What a plugin host that finds its plugins by subclass runs."""
    return [plugin().run() for plugin in subclasses()]


def load_plugin(workspace):
    """Load v1 of the plugin; its class is not used (on PyPy the method cache
    would hold a class whose methods ran: see the README)."""
    workspace.add("pure")
    workspace.write("pure", "plugin_host.py", HOST)
    workspace.write("pure", "plugin_one.py", GREETER.format(v=1))
    importlib.import_module("plugin_one")
    gc.collect()  # the classes are old now: only a full collection frees them, as in a server
    assert subclasses() == [module("plugin_one").Greeter]


@pytest.mark.parametrize("upgrade", [False, True], ids=["replaced", "upgraded"])
def test_a_class_let_go_of_leaves_its_base_s_subclasses(workspace, upgrade):
    """A class is freed by the cycle collector only: until a full collection,
    Plugin.__subclasses__() listed the old Greeter next to the new one (or,
    upgraded, the new one the upgrade let go of next to the one kept), and
    the host ran both."""
    load_plugin(workspace)
    workspace.write("pure", "plugin_one.py", GREETER.format(v=2))
    assert deep_reload("plugin_one", upgrade=upgrade) == ["plugin_one"]
    assert plugins() == [2]


def test_each_version_of_a_module_reloaded_unchanged_is_let_go_of(workspace):
    """A reload of an unchanged file runs the code compiled from the same
    bytes before; that code must not keep the version it ran first alive
    (PyPy's code objects keep the globals of the first frame that ran
    them): after each reload only the newest Greeter is listed, and after a
    collection every older one is gone."""
    load_plugin(workspace)
    versions = []
    for _ in range(3):
        assert deep_reload("plugin_one") == ["plugin_one"]
        versions.append(weakref.ref(module("plugin_one").Greeter))
        assert subclasses() == [module("plugin_one").Greeter]
    gc.collect()
    assert [version() is not None for version in versions] == [False, False, True]


def on_call_of(function_name, action):
    """Run *action* once, when a function named *function_name* is called
    (sys.setprofile): the moment another thread may act, which a thread of
    the test cannot be made to hit. Returns a function that removes the hook."""
    done = []

    def profile(frame, event, argument):
        if event == "call" and frame.f_code.co_name == function_name and not done:
            done.append(True)
            action()

    sys.setprofile(profile)
    return lambda: sys.setprofile(None)


def test_a_class_defined_into_a_module_after_the_plan_leaves_its_base_s_subclasses(workspace):
    """Another thread sets a plugin class into plugin_one (its __module__
    says plugin_one) after the reload's plan looked at the namespace and
    before the transaction copies it: the version let go of is the copy,
    so that class is among what it lets go of, and it is gone from
    Plugin.__subclasses__() when the reload returns (not only at the next
    full collection, which the test keeps from running by chance)."""
    workspace.add("pure")
    workspace.write("pure", "plugin_host.py", HOST)
    workspace.write("pure", "plugin_one.py", "VALUE = 1\n")
    importlib.import_module("plugin_host")
    importlib.import_module("plugin_one")
    assert deep_reload("plugin_one") == ["plugin_one"]  # the index has looked at it
    old_versions = []

    def set_a_plugin_class():
        old_versions.append(True)
        late = type("Late", (module("plugin_host").Plugin,), {"__module__": "plugin_one", "run": lambda self: "late"})
        setattr(module("plugin_one"), "Late", late)
        gc.collect()  # it is old now: only a full collection frees it

    remove_hook = on_call_of("run_transaction", set_a_plugin_class)
    try:
        assert deep_reload("plugin_one") == ["plugin_one"]
    finally:
        remove_hook()
    assert len(old_versions) == 1 and not hasattr(module("plugin_one"), "Late")
    for c in subclasses():
        for r in gc.get_referrers(c):
            if isinstance(r, dict):
                for rr in gc.get_referrers(r):
                    print("REF", type(rr), list(rr)[:10] if isinstance(rr, (dict, list, tuple)) else rr)
                    if type(rr).__name__ == "frame": print("   ", rr.f_code.co_name, rr.f_back and rr.f_back.f_code.co_name)
    assert plugins() == []


def test_a_class_something_holds_stays_listed_and_gc_disable_is_respected(workspace):
    """An instance made before the reload keeps its class alive, so it is
    still a subclass; with automatic collection off no collection runs (a
    pre-fork server's choice), so the old class is listed until one does.
    (No method of an old class runs here: see load_plugin.)"""
    load_plugin(workspace)
    kept = module("plugin_one").Greeter()
    workspace.write("pure", "plugin_one.py", GREETER.format(v=2))
    deep_reload("plugin_one")
    assert subclasses() == [type(kept), module("plugin_one").Greeter]
    del kept
    gc.disable()
    try:
        workspace.write("pure", "plugin_one.py", GREETER.format(v=3))
        deep_reload("plugin_one")
        assert len(subclasses()) == 3
    finally:
        gc.enable()
    gc.collect()
    assert plugins() == [3]


def test_a_module_loaded_from_a_source_file_not_named_py_reloads_like_any(workspace, bytecode):
    """imp.load_source("settings", "settings.conf") (2.x; 3.x until 3.11) or
    a SourceFileLoader of any file name, as a legacy program loads its
    settings: the file is its source, seen changed (a same-size edit in the
    same second too, past 2.x's settings.confc), reloaded with its dependents."""
    from conftest import load_source_file

    workspace.add("pure")
    path = workspace.write("pure", "app_settings.conf", "LIMIT = 1\n")
    load_source_file("app_settings", path)
    workspace.write("pure", "conf_user.py", "from app_settings import LIMIT\n")
    importlib.import_module("conf_user")
    assert changed(["app_settings", "conf_user"]) == [] and "app_settings" in Watcher().watched()
    workspace.write("pure", "app_settings.conf", "LIMIT = 2\n", same_second=True)
    assert changed(["app_settings", "conf_user"]) == ["app_settings"]
    assert deep_reload("app_settings") == ["app_settings", "conf_user"]
    assert module("app_settings").LIMIT == 2 and module("conf_user").LIMIT == 2
    assert changed(["app_settings", "conf_user"]) == []


def test_an_instrumenting_import_hook_compiles_the_new_source_too(workspace, bytecode):
    """typeguard's and beartype's import hooks compile a module through their
    own SourceFileLoader, which adds checks: a reload compiles the new
    source through that loader too (its get_code and source_to_code, fed the
    source as it is now: a same-size edit in the same second, past the
    bytecode it wrote; what else the module reads through it as it runs is
    read), and leaves the module its own loader."""
    if PY2:
        pytest.skip("import hooks that compile through a SourceFileLoader need 3.x")
    from conftest import load_instrumented

    workspace.add("pure")
    workspace.write("pure", "hooked.txt", "data")
    hooked = "import os\nVALUE = %d\nDATA = __loader__.get_data(os.path.join(os.path.dirname(__file__), 'hooked.txt'))\n"
    loader = load_instrumented("hooked", workspace.write("pure", "hooked.py", hooked % 1))
    workspace.write("pure", "hooked_user.py", "from hooked import VALUE, INSTRUMENTED_BY\n")
    importlib.import_module("hooked_user")
    assert module("hooked_user").INSTRUMENTED_BY == "hooked"
    for version in (2, 3):
        workspace.write("pure", "hooked.py", hooked % version, same_second=True)
        assert deep_reload("hooked") == ["hooked", "hooked_user"]
        assert (module("hooked").VALUE, module("hooked").INSTRUMENTED_BY) == (version, "hooked")
        assert module("hooked").DATA == b"data"  # what the module reads through its loader as it runs
        assert module("hooked").__loader__ is loader and module("hooked").__spec__.loader is loader
        assert module("hooked_user").VALUE == version


def test_a_module_its_loader_translated_from_another_language_is_not_taken_for_python(workspace):
    """Hy's loader is a SourceFileLoader that compiles Hy: compiling its file
    as Python would fail, so it has no source compatreload can run."""
    from conftest import load_translated

    workspace.add("pure")
    path = workspace.write("pure", "app_lang.conf", "LIMIT <- 1\n")
    assert load_translated("app_lang", path).LIMIT == 1
    workspace.write("pure", "app_lang.conf", "LIMIT <- 2\n")
    assert changed(["app_lang"]) == [] and "app_lang" not in Watcher().watched()
    with pytest.raises(ReloadError) as raised:
        deep_reload("app_lang")
    assert str(raised.value) == (
        "deep_reload(): app_lang cannot be re-executed: it has no Python source file (frozen, loaded from "
        "bytecode alone, or compiled by its loader from another language)"
    )


def test_a_dependent_imported_from_a_zip_archive_is_rebound_not_reexecuted(workspace):
    """A host deployed as a zipapp or a zipped egg reloads the plugins on disk
    it imports: the archive's modules are not re-executed (their __file__ is
    inside the archive, no file), what they hold is rebound, and as a target
    one is refused naming the archive."""
    from conftest import load_from_zip

    workspace.add("pure")
    import pure.c  # noqa: F401

    host = load_from_zip(workspace, "zipped_host", "import pure.a\nfrom pure.a import value, TAG\n")
    workspace.set_version("pure", "pure/a.py", 2)
    assert deep_reload("pure.a") == ["pure.a", "pure.b", "pure.c"]
    assert host.value() == "a@2" and host.pure.a is sys.modules["pure.a"]
    assert host.TAG == "a@1"  # a from-imported constant is found by the source's import lines: none here
    with pytest.raises(ReloadError) as raised:
        deep_reload("zipped_host")
    assert str(raised.value) == (
        "deep_reload(): zipped_host cannot be re-executed: it was imported from the zip archive %s "
        "(zipimport), not from a source file" % os.path.join(workspace.root, "deployed.zip")
    )


SELF_REPLACING = """\
import sys


class Wrapper(object):
    def __init__(self, module):
        self.module = module

    def __getattr__(self, name):
        return getattr(self.module, name)


VERSION = {v}
sys.modules[__name__] = Wrapper(sys.modules[__name__])
"""


def test_a_module_that_replaced_itself_in_sys_modules_is_refused_by_name(workspace):
    """Its entry is not a module: nothing says where its file is without
    asking the object (which may run its code); its importers reload."""
    workspace.add("pure")
    workspace.write("pure", "selfwrapped.py", SELF_REPLACING.format(v=1))
    workspace.write("pure", "wrapper_user.py", "import selfwrapped\n\n\ndef version():\n    return selfwrapped.VERSION\n")
    import wrapper_user

    with pytest.raises(ReloadError) as raised:
        deep_reload("selfwrapped")
    assert str(raised.value) == (
        "deep_reload(): selfwrapped cannot be re-executed: sys.modules['selfwrapped'] holds a "
        "selfwrapped.Wrapper object, not a module (as when a module replaces itself there), so there is no "
        "module to re-execute; the 3.5+ way, sys.modules[__name__].__class__ = SubclassOfModuleType, keeps one"
    )
    assert deep_reload("wrapper_user") == ["wrapper_user"] and module("wrapper_user").version() == 1


def test_a_module_that_changed_its_own_class_is_reloaded_as_any(workspace):
    if sys.version_info < (3, 5):
        pytest.skip("a module's __class__ can be assigned from 3.5")
    workspace.add("pure")
    text = (
        "import sys\nimport types\n\n\nclass Settings(types.ModuleType):\n    @property\n    def DEBUG(self):\n"
        "        return 'debug@{v}'\n\n\nsys.modules[__name__].__class__ = Settings\n"
    )
    workspace.write("pure", "classed.py", text.format(v=1))
    workspace.write("pure", "classed_user.py", "from classed import DEBUG\n")
    import classed_user

    assert classed_user.DEBUG == "debug@1"
    workspace.write("pure", "classed.py", text.format(v=2))
    assert deep_reload("classed") == ["classed", "classed_user"]
    assert module("classed").DEBUG == "debug@2" and module("classed_user").DEBUG == "debug@2"


def load_by_file(name, path):
    """What a plugin host does: load *path* as module *name*, whose package
    is not importable (3.x: spec_from_file_location; 2.x: imp.load_source)."""
    if PY2:
        import imp

        return imp.load_source(name, path)
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


PLUGIN_BASE = "VERSION = %d\n\n\ndef hello():\n    return 'base v%%d' %% VERSION\n"
# 2.x's import statement needs the package even for a loaded module: there a
# plugin takes another's objects from sys.modules.
PLUGIN_USER = (
    "import sys\nhello = sys.modules['hostplugins.base'].hello\n" if PY2 else "from hostplugins.base import hello\n"
) + "\n\ndef greet():\n    return 'user: ' + hello()\n"


def test_plugins_loaded_by_file_under_a_package_that_is_not_loaded(workspace, bytecode):
    """A plugin host loads plugins by file as hostplugins.base and
    hostplugins.user, with no hostplugins package anywhere: a reload loads
    them the same way, without the package an import statement would need."""
    workspace.add("pure")
    base = workspace.write("pure", "hidden/plugins/base.py", PLUGIN_BASE % 1)
    user = workspace.write("pure", "hidden/plugins/user.py", PLUGIN_USER)
    with pytest.raises(ImportError):
        importlib.import_module("hostplugins")
    load_by_file("hostplugins.base", base)
    load_by_file("hostplugins.user", user)
    try:
        assert module("hostplugins.user").greet() == "user: base v1"
        workspace.write("pure", "hidden/plugins/base.py", PLUGIN_BASE % 2, same_second=True)
        assert deep_reload("hostplugins.base") == ["hostplugins.base", "hostplugins.user"]
        assert module("hostplugins.user").greet() == "user: base v2"
        assert "hostplugins" not in sys.modules
        workspace.write("pure", "hidden/plugins/base.py", "VERSION = (\n")
        with pytest.raises(SyntaxError):
            deep_reload("hostplugins.base")
        assert module("hostplugins.user").greet() == "user: base v2"
    finally:
        sys.modules.pop("hostplugins.base", None)
        sys.modules.pop("hostplugins.user", None)


LAZY_SETTINGS = '''\
"""A lazy object as django.conf.settings is one: it sets itself up on first
use, __class__ included, and fails outside a configured program."""
import pure.a
from pure.a import value
touched = []


class LazySettings(object):
    @property
    def __class__(self):
        touched.append("__class__")
        raise RuntimeError("settings are not configured")

    def __getattr__(self, name):
        touched.append(name)
        raise RuntimeError("settings are not configured")


settings = LazySettings()
'''


@pytest.mark.parametrize("upgrade", [False, True])
def test_a_lazy_object_in_a_namespace_is_never_set_up(workspace, upgrade):
    """Module-level ``from django.conf import settings``: deep_reload looks at
    a value's real type, never at what it says its ``__class__`` is."""
    workspace.add("pure")
    workspace.write("pure", "lazy.py", LAZY_SETTINGS)
    import lazy

    touched = lazy.touched
    assert deep_reload("pure.a", upgrade=upgrade) == ["pure.a", "lazy"]
    assert deep_reload(["lazy", "pure.a"], upgrade=upgrade) == ["pure.a", "lazy"]
    assert module("lazy").value is module("pure.a").value
    assert touched == [] and module("lazy").touched == []
