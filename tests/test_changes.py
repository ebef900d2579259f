"""changed(): what differs from what ran, at one stat per module."""
import os
import sys
import time

import pytest

from compatreload import changed, deep_reload
from compatreload import changes
from compatreload.compat import restore_mtime
from conftest import load_from_bytecode_alone


def test_nothing_changed(workspace):
    workspace.add("pure")
    import pure.c  # noqa: F401

    assert [name for name in changed() if name.startswith("pure")] == []
    assert changed(["pure.a", "pure.b"]) == []


def test_a_same_size_edit_with_the_same_mtime_is_seen(workspace, bytecode):
    """The hardest edit: same size and, to the nanosecond, the same mtime."""
    workspace.add("pure")
    import pure.b  # noqa: F401

    assert changed("pure.a") == []
    workspace.set_version("pure", "pure/a.py", 2, same_second=True)
    assert changed(["pure.a", "pure.b"]) == ["pure.a"]
    deep_reload("pure.a")
    assert changed(["pure.a", "pure.b"]) == []
    assert sys.modules["pure.a"].value() == "a@2"


def test_a_same_size_edit_within_the_same_second_is_seen(workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401

    for _ in range(20):  # retried only if the edit crossed a second boundary
        before = os.stat(workspace.path("pure", "pure/a.py")).st_mtime
        assert changed("pure.a") == []
        path = workspace.set_version("pure", "pure/a.py", 2, same_second=False)
        if int(os.stat(path).st_mtime) == int(before):
            break
        workspace.set_version("pure", "pure/a.py", 1, same_second=False)
        deep_reload("pure.a")
    assert changed("pure.a") == ["pure.a"]


def test_a_touch_without_a_content_change_is_not_reported(workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401

    assert changed("pure.a") == []
    path = workspace.path("pure", "pure/a.py")
    later = time.time() + 10
    os.utime(path, (later, later))
    assert changed("pure.a") == []


def test_a_deleted_file_is_reported(workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401

    import pure.unrelated  # noqa: F401 (never looked at before its file goes)

    assert changed("pure.a") == []
    os.remove(workspace.path("pure", "pure/a.py"))
    os.remove(workspace.path("pure", "pure/unrelated.py"))
    assert changed(["pure.a", "pure.unrelated"]) == ["pure.a", "pure.unrelated"]


def test_when_nothing_moved_no_file_is_read(workspace, monkeypatch):
    """An old file (not racy), recorded once: the next look is a stat only."""
    workspace.add("pure")
    path = workspace.path("pure", "pure/a.py")
    old = time.time() - 3600
    os.utime(path, (old, old))
    import pure.a  # noqa: F401

    assert changed("pure.a") == []

    def no_reading(path):
        raise AssertionError("read %s although nothing moved" % path)

    monkeypatch.setattr(changes, "read_source", no_reading)
    assert changed("pure.a") == []


def test_a_failed_reload_leaves_the_change_reported(workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401

    assert changed("pure.a") == []
    workspace.write("pure", "pure/a.py", "raise RuntimeError('broken')\n")
    with pytest.raises(RuntimeError):
        deep_reload("pure.a")
    assert changed("pure.a") == ["pure.a"]


def test_names_argument(workspace):
    workspace.add("pure")
    import pure.a  # noqa: F401

    assert changed(["pure.a", "not.loaded.anywhere"]) == []
    with pytest.raises(TypeError) as raised:
        changed(["pure.a", 3])
    assert "changed() expects module names (str), got int" in str(raised.value)


def test_a_source_that_cannot_be_read_is_reported(workspace):
    """A folder where the file was: stat works, reading fails."""
    workspace.add("pure")
    import pure.a  # noqa: F401
    import pure.unrelated  # noqa: F401

    assert changed("pure.a") == []
    for relpath in ("pure/a.py", "pure/unrelated.py"):
        path = workspace.path("pure", relpath)
        os.remove(path)
        os.mkdir(path)
    assert changed(["pure.a", "pure.unrelated"]) == ["pure.a", "pure.unrelated"]


def aged(workspace, *relpaths):
    """Files last modified an hour ago: not racy, so a quiet check keeps a
    snapshot. A whole second: 2.x's float mtime then survives a round trip."""
    old = int(time.time()) - 3600
    for relpath in relpaths:
        os.utime(workspace.path("pure", relpath), (old, old))


def quiet_checks(names):
    assert changed(names) == []  # the baseline
    assert changed(names) == []
    assert changes._snapshot[0] is not None  # what follows goes through it


def test_after_a_quiet_check_an_edit_is_seen(workspace):
    workspace.add("pure")
    aged(workspace, "pure/a.py", "pure/b.py")
    import pure.b  # noqa: F401

    quiet_checks(["pure.a", "pure.b"])
    workspace.set_version("pure", "pure/a.py", 2, same_second=False)
    assert changed(["pure.a", "pure.b"]) == ["pure.a"]


@pytest.mark.parametrize("how", ["renamed over it", "rewritten in place"])
def test_a_file_written_with_its_old_mtime_and_size_is_seen(workspace, how):
    """Reproducible builds (Nix, SOURCE_DATE_EPOCH), `cp -p` and rsync give a
    file the mtime of its source: a deploy that writes new content of the
    same size with the old mtime, long after (not racy), is still seen
    (its ctime moved), after a quiet check's snapshot too."""
    workspace.add("pure")
    aged(workspace, "pure/a.py", "pure/b.py")
    import pure.b  # noqa: F401

    quiet_checks(["pure.a", "pure.b"])
    path = workspace.path("pure", "pure/a.py")
    before = os.stat(path)
    text = workspace.source("pure", "pure/a.py").replace("@1", "@2")
    new = workspace.write("pure", "pure/a.py" + (".new" if how == "renamed over it" else ""), text)
    restore_mtime(new, before)
    if new != path:
        os.rename(new, path)
    assert os.stat(path).st_mtime == before.st_mtime and os.stat(path).st_size == before.st_size
    assert changed(["pure.a", "pure.b"]) == ["pure.a"]
    deep_reload("pure.a")
    assert sys.modules["pure.b"].value() == "b@1>a@2"


def test_after_a_quiet_check_a_deleted_file_is_seen(workspace):
    workspace.add("pure")
    aged(workspace, "pure/a.py", "pure/b.py")
    import pure.b  # noqa: F401

    quiet_checks(["pure.a", "pure.b"])
    os.remove(workspace.path("pure", "pure/b.py"))
    assert changed(["pure.a", "pure.b"]) == ["pure.b"]


def test_after_a_quiet_check_a_module_loaded_again_by_other_means_is_followed(workspace):
    """Someone else unloads pure.a and imports it from another file: the
    next check takes the new module as its baseline and sees its edits."""
    workspace.add("pure")
    aged(workspace, "pure/a.py")
    import pure.a  # noqa: F401

    quiet_checks(["pure.a"])
    elsewhere = workspace.write("pure", "pure/a_elsewhere.py", "def value():\n    return 'elsewhere@1'\n")
    replaced = sys.modules.pop("pure.a")
    sys.modules["pure.a"] = __import__("pure.a_elsewhere").a_elsewhere
    try:
        assert changed(["pure.a"]) == []
        with open(elsewhere, "a") as stream:
            stream.write("# edited\n")
        assert changed(["pure.a"]) == ["pure.a"]
    finally:
        sys.modules["pure.a"] = replaced


def test_after_a_quiet_check_a_module_loaded_since_gets_its_first_look(workspace):
    """A name not loaded at a quiet check (the last one asked for) is loaded
    later: the next check is its first look, its baseline, so an edit after
    it is seen."""
    workspace.add("pure")
    aged(workspace, "pure/a.py", "pure/b.py")
    import pure.a  # noqa: F401

    quiet_checks(["pure.a", "pure.b"])
    import pure.b  # noqa: F401

    assert changed(["pure.a", "pure.b"]) == []  # b's baseline
    workspace.set_version("pure", "pure/b.py", 2, same_second=False)
    assert changed(["pure.a", "pure.b"]) == ["pure.b"]


def test_after_a_quiet_check_an_entry_equal_to_the_old_one_is_another_module(workspace):
    """sys.modules entries are compared by identity: a module whose class
    says it equals any other, put in the place of the one checked, is
    looked at as the new module it is."""
    import types

    class EqualToAny(types.ModuleType):
        def __eq__(self, other):
            return True

        def __ne__(self, other):  # 2.x does not derive != from ==
            return False

        __hash__ = types.ModuleType.__hash__

    workspace.add("pure")
    aged(workspace, "pure/a.py", "pure/b.py")
    import pure.b  # noqa: F401

    quiet_checks(["pure.a", "pure.b"])
    elsewhere = workspace.write("pure", "pure/a_elsewhere.py", "def value():\n    return 'elsewhere@1'\n")
    replacement = EqualToAny("pure.a")
    replacement.__file__ = elsewhere
    replaced, sys.modules["pure.a"] = sys.modules["pure.a"], replacement
    try:
        assert changed(["pure.a", "pure.b"]) == []  # the replacement's baseline
        with open(elsewhere, "a") as stream:
            stream.write("# edited\n")
        assert changed(["pure.a", "pure.b"]) == ["pure.a"]
    finally:
        sys.modules["pure.a"] = replaced


def test_a_quiet_check_of_other_names_does_not_answer_for_these(workspace):
    workspace.add("pure")
    aged(workspace, "pure/a.py", "pure/b.py")
    import pure.b  # noqa: F401

    assert changed(["pure.b"]) == []  # b's baseline
    quiet_checks(["pure.a"])
    workspace.set_version("pure", "pure/b.py", 2, same_second=False)
    assert changed(["pure.a", "pure.b"]) == ["pure.b"]


def test_a_purged_module_is_not_kept_alive_by_the_last_quiet_check(workspace):
    import gc
    import weakref

    from compatreload import purge

    workspace.add("pure")
    aged(workspace, "pure/a.py")
    import pure.a  # noqa: F401

    quiet_checks(["pure.a"])
    function = weakref.ref(sys.modules["pure.a"].value)  # 2.7 modules take no weak references
    purge("pure.a")
    gc.collect()
    assert function() is None


def test_a_module_imported_from_a_zip_archive_is_not_reported(workspace):
    """Its __file__ names a path inside the archive, which no stat finds: it
    has no source file to compare, as a module loaded from bytecode alone."""
    from conftest import load_from_zip

    workspace.add("pure")
    import pure.a  # noqa: F401

    load_from_zip(workspace, "zipped_only", "X = 1\n")
    assert changed(["zipped_only", "pure.a"]) == [] and changed(["zipped_only", "pure.a"]) == []
    workspace.set_version("pure", "pure/a.py", 2)
    assert changed() == ["pure.a"]


def test_a_module_loaded_from_bytecode_alone_is_not_reported(workspace):
    """It has no source to compare. 3.x: a .pyc __file__ means no source, so
    a .py written beside it later is not its source either. 2.x: a .pyc
    __file__ may have a source beside it; none at the first look is the
    baseline, and one that appears later is a change."""
    workspace.add("pure")
    load_from_bytecode_alone(workspace, "compiled_only", "X = 1\n")
    assert changed(["compiled_only"]) == [] and changed(["compiled_only"]) == []
    workspace.write("pure", "compiled_only.py", "X = 2\n")
    assert changed(["compiled_only"]) == (["compiled_only"] if sys.version_info[0] == 2 else [])
