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

from compatreload import deep_reload, purge, rebind, reload
from compatreload.loaded import INDEX


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
