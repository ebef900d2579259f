"""The loaded modules' index, kept between reloads (loaded.py): what changed
since the last look (a namespace holding another object or a module under
another key, a sys.modules entry replaced) is looked at again, and the
index keeps alive no object a reload, rebind() or purge() let go of."""
import gc
import importlib
import os
import sys
import types
import weakref

from compatreload import changed, deep_reload, purge, rebind, reload
from compatreload.loaded import INDEX, Record


def test_a_binding_made_between_two_reloads_makes_a_dependent(workspace):
    """A plugin host that hands a module a function after a reload: the
    next reload finds that module a dependent (the index sees the object
    under the same key is another), and no longer once it is let go of."""
    workspace.add("pure")
    workspace.write("pure", "plugin_holder.py", "handler = None\n")
    import pure.a
    import plugin_holder

    assert deep_reload("pure.a", dry_run=True) == ["pure.a"]
    assert "plugin_holder" in INDEX.records  # looked at, holding nothing of pure.a
    plugin_holder.handler = sys.modules["pure.a"].value
    assert deep_reload("pure.a", dry_run=True) == ["pure.a", "plugin_holder"]
    plugin_holder.handler = None
    assert deep_reload("pure.a", dry_run=True) == ["pure.a"]


def test_a_submodule_held_under_another_key_makes_its_package_a_dependent(workspace):
    """The import system's ``pkg.sub`` is no dependency; the same module
    object moved to another key (the values unchanged, in the same order)
    is one: the index compares the keys of module objects too."""
    workspace.add("pure")
    import pure.a

    if sys.version_info >= (3, 6):  # ordered namespaces: the same values, in the same order
        assert list(vars(sys.modules["pure"]))[-1] == "a"  # set last, when pure.a was imported
    assert deep_reload("pure.a", dry_run=True) == ["pure.a"]
    namespace = vars(sys.modules["pure"])
    namespace["first_plugin"] = namespace.pop("a")
    assert deep_reload("pure.a", dry_run=True) == ["pure.a", "pure"]


def test_the_index_keeps_no_purged_module_alive(workspace):
    workspace.add("pure")
    import pure.a
    import pure.unrelated  # noqa: F401

    deep_reload("pure.unrelated", dry_run=True)  # the index looks at pure.a
    function = weakref.ref(sys.modules["pure.a"].value)
    del pure.a
    purge("pure.a")
    gc.collect()
    assert function() is None


def test_the_index_keeps_no_reloaded_submodule_alive_through_its_package(workspace):
    """The import system sets ``pure.a`` to the module a reload made: the
    index's record of the package is brought up to date in place (not
    looked at whole again) and lets go of the old module."""
    workspace.add("pure")
    import pure.a  # noqa: F401
    import pure.unrelated  # noqa: F401

    deep_reload("pure.unrelated", dry_run=True)  # the index looks at pure and pure.a
    function = weakref.ref(sys.modules["pure.a"].value)
    assert deep_reload("pure.a") == ["pure.a"]
    assert INDEX.records["pure"].namespace["a"] is sys.modules["pure.a"]  # pure's record was kept
    gc.collect()
    assert function() is None


def test_the_index_keeps_no_object_rebind_replaced_alive(workspace):
    workspace.add("pure")
    import pure.b

    deep_reload("pure.b", dry_run=True)  # the index looks at pure.a and pure.b
    a = sys.modules["pure.a"]
    old = dict(vars(a))
    function = weakref.ref(old["value"])
    reload(a)  # new function objects, whatever the bytecode cache gives
    assert ("pure.b", "a_value") in rebind(old, a)
    assert sys.modules["pure.b"].a_value is a.value
    del old
    gc.collect()
    assert function() is None


def test_a_module_imported_again_under_the_same_name_is_looked_at_again(workspace):
    workspace.add("pure")
    import pure.c  # noqa: F401

    assert deep_reload("pure.b", dry_run=True) == ["pure.b", "pure.c"]
    del sys.modules["pure.c"]  # not purged: the index still has its last look
    path = workspace.write("pure", "pure/c.py", 'TAG = "c@2"\n')
    later = os.stat(path).st_mtime + 5  # a plain import must not take the cached bytecode of the first
    os.utime(path, (later, later))
    importlib.import_module("pure.c")
    assert "b_value" not in vars(sys.modules["pure.c"])
    assert deep_reload("pure.b", dry_run=True) == ["pure.b"]


def test_a_function_of_a_module_imported_later_makes_a_dependent_then(workspace):
    """What a namespace holds is checked against sys.modules on every
    look: a function naming a module that is not loaded is no dependency
    until that module is imported, though the namespace never changed."""
    workspace.add("pure")
    workspace.write("pure", "plugin_holder.py", "handler = None\n")
    import plugin_holder

    def handler():
        return "made for late_plugin"

    handler.__module__ = "late_plugin"
    plugin_holder.handler = handler
    assert deep_reload("plugin_holder", dry_run=True) == ["plugin_holder"]
    workspace.write("pure", "late_plugin.py", "TAG = 'late@1'\n")
    importlib.import_module("late_plugin")
    assert deep_reload("late_plugin", dry_run=True) == ["late_plugin", "plugin_holder"]


def test_another_key_of_a_module_is_its_own_once_the_module_leaves_its_name(workspace):
    """``sys.modules["settings"] = app.settings`` is another name of a module
    loaded under its own, reloaded with it; once the module is no longer
    there under its own name, the other key is the module's only name."""
    workspace.add("pure")
    import pure.a
    import pure.unrelated  # noqa: F401

    sys.modules["settings_alias"] = sys.modules["pure.a"]
    try:
        assert deep_reload("settings_alias", dry_run=True) == ["pure.a"]
        del sys.modules["pure.a"]  # not purged: the index still has its last look
        assert deep_reload("settings_alias", dry_run=True) == ["settings_alias"]
    finally:
        sys.modules.pop("settings_alias", None)


def test_an_edit_nothing_ran_makes_no_dependent(workspace):
    """Dependents are found by what runs: a module whose file now imports
    the target, but which still runs a version that does not, is left alone
    (it holds nothing of it); its edit runs once it is reloaded itself
    (changed() reports it, a Watcher reloads it)."""
    workspace.add("pure")
    workspace.write("pure", "later.py", "TAG = 'later@1'\n")
    import pure.a  # noqa: F401
    import later  # noqa: F401

    assert changed(["later"]) == []  # its baseline
    assert deep_reload("pure.a", dry_run=True) == ["pure.a"]
    workspace.write("pure", "later.py", "from pure.a import value\nTAG = 'later@2'\n")
    assert deep_reload("pure.a") == ["pure.a"]
    assert sys.modules["later"].TAG == "later@1"
    assert changed(["later"]) == ["later"]
    assert deep_reload(changed(["later"])) == ["later"]
    assert sys.modules["later"].TAG == "later@2" and sys.modules["later"].value is sys.modules["pure.a"].value
    assert sorted(deep_reload("pure.a", dry_run=True)) == ["later", "pure.a"]


def test_a_module_a_reload_ran_is_found_by_the_source_it_ran(workspace):
    """The same for a module a reload has just run: its import lines are
    those of the source that ran, not of an edit saved after it ran (which
    nothing has run yet), whenever the index looks next."""
    workspace.add("pure")
    workspace.write("pure", "later.py", "TAG = 'later@1'\n")
    import pure.a  # noqa: F401
    import later  # noqa: F401

    assert deep_reload("later") == ["later"]
    workspace.write("pure", "later.py", "from pure.a import value\nTAG = 'later@2'\n")
    assert deep_reload("pure.a") == ["pure.a"]
    assert sys.modules["later"].TAG == "later@1" and "value" not in vars(sys.modules["later"])
    assert deep_reload("later") == ["later"]
    assert sorted(deep_reload("pure.a", dry_run=True)) == ["later", "pure.a"]


SAVES_B = """\
import os
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "saved_b.py"), "w") as stream:
    stream.write("import saves_a\\nfrom unrelated import X\\nB = 2\\n")
A = 2
"""


def test_a_file_saved_while_the_reload_runs_gives_the_lines_of_what_ran(workspace):
    """saved_b's file is saved again while the reload runs (by saves_a's
    code, which runs first): saved_b runs the saved source, and its import
    lines, which a later reload goes by, are that source's."""
    workspace.add("pure")
    workspace.write("pure", "unrelated.py", "X = 1\n")
    workspace.write("pure", "saves_a.py", "A = 1\n")
    workspace.write("pure", "saved_b.py", "import saves_a\nB = 1\n")
    import saved_b  # noqa: F401
    import unrelated  # noqa: F401

    assert deep_reload("unrelated", dry_run=True) == ["unrelated"]
    workspace.write("pure", "saves_a.py", SAVES_B)
    assert deep_reload("saves_a") == ["saves_a", "saved_b"]
    assert (sys.modules["saved_b"].B, sys.modules["saved_b"].X) == (2, 1)
    assert sorted(deep_reload("unrelated", dry_run=True)) == ["saved_b", "unrelated"]


def test_every_namespace_that_changed_since_the_last_look_is_looked_at_again(workspace):
    """Three namespaces change between two reloads, one by a new key and two
    by another object under a key (not next to each other in sys.modules):
    each is found to hold pure.a's function now."""
    workspace.add("pure")
    for name in ("holder_one", "holder_two", "holder_three"):
        workspace.write("pure", name + ".py", "handler = None\n")
    import holder_one
    import pure.a
    import holder_two
    import pure.unrelated  # noqa: F401
    import holder_three

    assert deep_reload("pure.a", dry_run=True) == ["pure.a"]
    function = sys.modules["pure.a"].value
    holder_one.other_handler = function  # one key more
    holder_two.handler = function
    holder_three.handler = function
    assert deep_reload("pure.a", dry_run=True)[0] == "pure.a"
    assert sorted(deep_reload("pure.a", dry_run=True)) == ["holder_one", "holder_three", "holder_two", "pure.a"]


SIZE_SLOT = Record.__dict__["size"]


class SizeReadMeanwhile(Record):
    """A Record whose size, when it is read, first runs what the test has
    put in *meanwhile*: the moment another thread may change a namespace
    while changed_namespaces compares them (it has taken their sizes, not
    yet their values), which a thread of the test cannot be made to hit.
    The two tests that use it tell a missing guard on 3.x and PyPy; 2.x
    namespaces have no order, so where an item lands is not the test's."""

    __slots__ = ()
    meanwhile = []

    @property
    def size(self):
        if self.meanwhile:
            self.meanwhile.pop()(sys._getframe(1).f_code.co_name)
        return SIZE_SLOT.__get__(self, Record)

    @size.setter
    def size(self, value):
        SIZE_SLOT.__set__(self, value)


def changed_meanwhile(name, change):
    """Make the index's record of module *name* run *change* when
    changed_namespaces reads the recorded sizes (which the test checks)."""
    callers = []

    def hook(caller):
        callers.append(caller)
        change()

    INDEX.records[name].__class__ = SizeReadMeanwhile
    SizeReadMeanwhile.meanwhile[:] = [hook]
    return callers


def test_a_namespace_that_grows_while_the_index_compares_them_is_looked_at_again(workspace):
    """Its items come out one more than its size said: the end marker after
    them meets the extra one, in its own namespace (not in the next one's)."""
    workspace.add("pure")
    workspace.write("pure", "grower.py", "handler = None\n")
    workspace.write("pure", "after_grower.py", "handler = None\n")
    import pure.a
    import grower
    import after_grower  # noqa: F401

    assert deep_reload("pure.a", dry_run=True) == ["pure.a"]
    callers = changed_meanwhile("grower", lambda: setattr(grower, "other_handler", sys.modules["pure.a"].value))
    assert deep_reload("pure.a", dry_run=True) == ["pure.a", "grower"]
    assert callers == ["changed_namespaces"]


def test_a_namespace_that_shrinks_while_the_index_compares_them_hides_no_change_after_it(workspace):
    """Its items come out fewer than its size said, by more than the
    namespace after it holds: that one, which changed before the look, is
    still compared (with the fresh object that follows the items now)."""
    workspace.add("pure")
    workspace.write("pure", "shrinker.py", "".join("x%d = %d\n" % (index, index) for index in range(40)))
    workspace.write("pure", "holder_last.py", "handler = None\n")
    import pure.a
    import shrinker
    import holder_last

    assert deep_reload("pure.a", dry_run=True) == ["pure.a"]
    holder_last.handler = sys.modules["pure.a"].value

    def shrink():
        for index in range(40):
            delattr(shrinker, "x%d" % index)

    callers = changed_meanwhile("shrinker", shrink)
    assert deep_reload("pure.a", dry_run=True) == ["pure.a", "holder_last"]
    assert callers == ["changed_namespaces"]


def test_a_key_removed_from_sys_modules_is_not_put_back_by_a_reload(workspace):
    """Two other keys name pure.a; one is removed between two reloads: the
    reload points the one left at the new module and leaves the other gone."""
    workspace.add("pure")
    import pure.a  # noqa: F401

    sys.modules["alias_one"] = sys.modules["alias_two"] = sys.modules["pure.a"]
    try:
        assert deep_reload("pure.a") == ["pure.a"]
        assert sys.modules["alias_one"] is sys.modules["alias_two"] is sys.modules["pure.a"]
        del sys.modules["alias_one"]
        assert deep_reload("pure.a") == ["pure.a"]
        assert sys.modules["alias_two"] is sys.modules["pure.a"]
        assert "alias_one" not in sys.modules
    finally:
        for key in ("alias_one", "alias_two"):
            sys.modules.pop(key, None)


def test_the_index_keeps_no_object_a_reload_rebound_alive(workspace):
    """A module a reload does not re-execute (made at run time, so no
    source) but rebinds: the index lets go of what it held before."""
    workspace.add("pure")
    import pure.a

    holder = types.ModuleType("runtime_holder")
    holder.handler = pure.a.value
    sys.modules["runtime_holder"] = holder
    try:
        function = weakref.ref(pure.a.value)
        del pure.a
        assert deep_reload("pure.a") == ["pure.a"]
        assert holder.handler is sys.modules["pure.a"].value  # rebound
        gc.collect()
        assert function() is None
    finally:
        del sys.modules["runtime_holder"]


def index_view(index):
    """What LoadedModules is made of, from *index* brought up to date, in
    a form two indexes can be compared by."""
    index.update()
    return {
        "held": dict((name, sorted(held)) for name, held in index.held.items()),
        "holders": dict((name, sorted(names)) for name, names in index.holders.items() if names),
        "sources": dict(index.sources),
        "lines": sorted(index.lines),
        "aliases": dict(index.aliases),
        "aliases_of": dict((name, sorted(keys)) for name, keys in index.aliases_of.items()),
    }


FIXTURE_MODULES = [
    "pure", "pure.a", "pure.b", "pure.c", "pure.base", "pure.left", "pure.right", "pure.top", "pure.unrelated",
    "circular", "circular.ping", "circular.pong", "circular.tick", "circular.tock", "circular.user",
]


def random_change(rng, workspace):
    """One change a running program (or a reload) makes to what is loaded."""
    loaded = [name for name in FIXTURE_MODULES if name in sys.modules]
    namespace = vars(sys.modules[rng.choice(loaded)]) if loaded else {}
    kind = rng.randrange(9) if loaded else None
    if kind == 0:  # hand a module another module's function, class or module object
        source = vars(sys.modules[rng.choice(loaded)])
        value = rng.choice([value for key, value in source.items() if not key.startswith("__")] or [None])
        namespace[rng.choice(["plugin", "plugin", "plugin", "handler", "extra_%d" % rng.randrange(3)])] = value
    elif kind == 1:  # let go of a name
        keys = [key for key in namespace if not key.startswith("__")]
        if keys:
            del namespace[rng.choice(keys)]
    elif kind == 2:  # a module object moved to another key
        keys = [key for key, value in namespace.items() if isinstance(value, types.ModuleType)]
        if keys:
            namespace["moved_%d" % rng.randrange(3)] = namespace.pop(rng.choice(keys))
    elif kind == 8:  # the last key renamed: the same values in the same order (3.6+)
        key = list(namespace)[-1] if namespace else "__"
        if not key.startswith("__"):
            namespace["renamed_%d" % rng.randrange(3)] = namespace.pop(key)
    elif kind == 3:  # a real reload: the changes above may make it fail, and roll back
        attempt(deep_reload, rng.choice(loaded), rebind=rng.random() < 0.8)
    elif kind == 4:  # removed from sys.modules by hand, then imported again or not
        name = rng.choice(loaded)
        del sys.modules[name]
        if rng.random() < 0.5:
            attempt(importlib.import_module, name)
    elif kind == 5:  # another key for a module, or one less
        if "alias_key" in sys.modules and rng.random() < 0.5:
            del sys.modules["alias_key"]
        else:
            sys.modules["alias_key"] = sys.modules[rng.choice(loaded)]
    elif kind == 6:  # purged, then imported again
        name = rng.choice(loaded)
        purge(name)
        attempt(importlib.import_module, name)
    else:  # imported: whatever is not loaded now
        for name in FIXTURE_MODULES:
            attempt(importlib.import_module, name)


def attempt(function, *arguments, **options):
    """Call it; a program that robbed its modules of names may fail to
    import or reload them (a reload that fails rolls back)."""
    try:
        function(*arguments, **options)
    except Exception:
        pass


def plan_from_a_fresh_look(target):
    """What deep_reload(target, dry_run=True) gives when it looks at every
    loaded module afresh, as it did before the index was kept."""
    from compatreload import loaded

    kept = loaded.INDEX
    loaded.INDEX = loaded.ModulesIndex()
    try:
        return deep_reload(target, dry_run=True)
    finally:
        loaded.INDEX = kept


def test_a_module_named_otherwise_is_seen_as_another_key_of_its_name_after_a_rebind(workspace):
    """A module whose ``__name__`` is another name (it names itself so),
    rebound and so looked at again, is still known to name itself
    otherwise: once that name is a key of the same module, it is another
    key of it, as a fresh look finds."""
    from compatreload.loaded import ModulesIndex

    workspace.add("pure")
    import pure.a  # noqa: F401

    workspace.write("pure", "named_otherwise.py", "from pure.a import value\n__name__ = 'named_elsewhere'\n")
    import named_otherwise

    assert deep_reload("pure.a", exclude=["named_otherwise"]) == ["pure.a"]
    assert named_otherwise.value is sys.modules["pure.a"].value  # rebound: looked at again
    assert deep_reload("pure.a", dry_run=True) == ["pure.a", "named_otherwise"]  # the look
    sys.modules["named_elsewhere"] = named_otherwise
    try:
        assert index_view(INDEX) == index_view(ModulesIndex())
        assert index_view(INDEX)["aliases"]["named_otherwise"] == "named_elsewhere"
    finally:
        del sys.modules["named_elsewhere"]


def test_the_index_agrees_with_a_fresh_look_after_random_changes(workspace):
    """The invariant of loaded.py: after any sequence of changes (namespaces
    given, robbed of or moving objects, real reloads with and without
    rebinding, sys.modules entries removed, re-imported, aliased, purged),
    the index kept between reloads holds what a fresh look finds, and so
    gives every reload the same plan."""
    import random

    from compatreload.loaded import ModulesIndex

    workspace.add("pure")
    workspace.add("circular")
    for name in FIXTURE_MODULES:
        vars(importlib.import_module(name))["plugin"] = None  # a key given other objects
    sys.modules["alias_key"] = sys.modules["pure.b"]
    # COMPATRELOAD_TEST_SEED: another sequence, to try many by hand (on 2.x the
    # order of a namespace, so PYTHONHASHSEED, which tox sets at random, steers it too).
    rng = random.Random(int(os.environ.get("COMPATRELOAD_TEST_SEED", "20261201")))
    try:
        for step in range(200):
            for _ in range(rng.randint(1, 3)):  # several namespaces changed between two looks
                random_change(rng, workspace)
            kept, fresh = index_view(INDEX), index_view(ModulesIndex())
            assert kept == fresh, "after step %d" % step
            loaded = [name for name in FIXTURE_MODULES if name in sys.modules]
            if not loaded:  # all removed or purged, none imported again yet: no plan to compare this step
                continue
            target = rng.choice(loaded)
            assert deep_reload(target, dry_run=True) == plan_from_a_fresh_look(target), "after step %d" % step
    finally:
        sys.modules.pop("alias_key", None)
