"""Rebinding: other modules' bindings follow a reloaded module's objects,
and only the bindings that really came from it."""
import os
import sys
import warnings

import pytest

from compatreload import StaleBindingWarning, deep_reload, rebind, reload

PROVIDER = '''\
FLAG = True
LIMIT = 10
GONE = "gone@1"


def helper():
    return "helper@%d"


class Widget(object):
    version = %d
'''

CONSUMER = '''\
import provider
import provider as aliased_module
from provider import helper as h, Widget, LIMIT
from provider import GONE
from provider import *

FLAG = True  # its own, equal to provider.FLAG by coincidence
OWN_TRUE = True
'''


@pytest.fixture
def modules(workspace):
    workspace.add("pure")  # any fixture: gives the folder on sys.path
    workspace.write("pure", "provider.py", PROVIDER % (1, 1))
    workspace.write("pure", "consumer.py", CONSUMER)
    import consumer  # noqa: F401

    return workspace


def edit_provider(workspace, version, gone=False, limit=10):
    text = PROVIDER % (version, version)
    text = text.replace("LIMIT = 10", "LIMIT = %d" % limit)
    if gone:
        text = text.replace('GONE = "gone@1"\n', "")
    path = workspace.write("pure", "provider.py", text)
    # Two seconds later, so that the interpreter's own reload (which trusts
    # whole-second mtimes) sees the edit too; deep_reload needs no such help.
    later = os.stat(path).st_mtime + 2
    os.utime(path, (later, later))


def test_from_imports_aliases_and_module_bindings_follow(modules):
    consumer = sys.modules["consumer"]
    edit_provider(modules, 2, limit=11)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert deep_reload("provider", exclude="consumer") == ["provider"]
    provider = sys.modules["provider"]
    assert consumer.provider is provider and consumer.aliased_module is provider
    assert consumer.h is provider.helper and consumer.h() == "helper@2"
    assert consumer.helper is provider.helper  # from the star import
    assert consumer.Widget is provider.Widget and consumer.Widget.version == 2
    assert consumer.LIMIT == 11


def test_coincidental_constants_are_not_touched(modules):
    consumer = sys.modules["consumer"]
    modules.write("pure", "provider.py", (PROVIDER % (2, 2)).replace("FLAG = True", "FLAG = False"))
    deep_reload("provider", exclude="consumer")
    assert sys.modules["provider"].FLAG is False
    assert consumer.FLAG is True and consumer.OWN_TRUE is True


def test_a_reassigned_name_is_not_touched(modules):
    consumer = sys.modules["consumer"]
    mine = lambda: "mine"  # noqa: E731
    consumer.h = mine
    edit_provider(modules, 2)
    deep_reload("provider", exclude="consumer")
    assert consumer.h is mine


def test_a_name_the_module_no_longer_defines_is_left_and_reported(modules):
    consumer = sys.modules["consumer"]
    edit_provider(modules, 2, gone=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        deep_reload("provider", exclude="consumer")
    assert consumer.GONE == "gone@1"
    messages = [str(w.message) for w in caught if issubclass(w.category, StaleBindingWarning)]
    assert messages == ["compatreload: consumer.GONE still holds the old provider.GONE: provider no longer defines GONE"]


def test_without_rebind_the_excluded_module_keeps_old_objects(modules):
    consumer = sys.modules["consumer"]
    old_helper = consumer.h
    edit_provider(modules, 2)
    deep_reload("provider", exclude="consumer", rebind=False)
    assert consumer.h is old_helper and consumer.provider is not sys.modules["provider"]


def reload_provider_by_hand(workspace):
    """The user's own reload: snapshot, edit, the interpreter's reload."""
    provider = sys.modules["provider"]
    old = dict(vars(provider))
    edit_provider(workspace, 2)
    reload(provider)
    return sys.modules["consumer"], provider, old


def test_rebind_after_the_interpreters_own_reload(modules):
    consumer, provider, old = reload_provider_by_hand(modules)
    assert consumer.h() == "helper@1"
    rebound = rebind(old, provider)
    assert ("consumer", "h") in rebound and ("consumer", "Widget") in rebound
    assert rebound == sorted(rebound)
    assert consumer.h() == "helper@2" and consumer.Widget.version == 2
    assert ("consumer", "FLAG") not in rebound and consumer.FLAG is True


def test_rebind_honours_exclude(modules):
    consumer, provider, old = reload_provider_by_hand(modules)
    assert not [pair for pair in rebind(old, provider, exclude=["consumer"]) if pair[0] == "consumer"]
    assert consumer.h() == "helper@1"


def test_rebind_rejects_wrong_types(modules):
    with pytest.raises(TypeError) as raised:
        rebind(sys.modules["provider"], sys.modules["provider"])
    assert "rebind() expects old to be a dict snapshot" in str(raised.value)
    with pytest.raises(TypeError) as raised:
        rebind({}, "provider")
    assert "rebind() expects new to be a module, got str" in str(raised.value)


def test_a_module_without_a_source_file_is_rebound_too(modules):
    """A REPL namespace or a module built in memory holds objects too: the
    rebinding looks at every module that held one, source file or not."""
    import types

    holder = types.ModuleType("compatreload_memory_holder")
    holder.renamed_helper = sys.modules["consumer"].h
    holder.the_provider = sys.modules["provider"]
    holder.limit = sys.modules["provider"].LIMIT  # a plain value: not its object
    sys.modules[holder.__name__] = holder
    try:
        edit_provider(modules, 2, limit=11)
        deep_reload("provider")
        assert holder.renamed_helper() == "helper@2"
        assert holder.the_provider is sys.modules["provider"]
        assert holder.limit == 10
    finally:
        del sys.modules[holder.__name__]


MEMO = '''\
import functools


@functools.lru_cache(maxsize=None)
def cached():
    return "cached@%d"
'''


def test_an_lru_cache_wrapper_is_followed_like_a_function_on_every_interpreter(workspace):
    """A module holding another's lru_cache wrapper by no import line (set
    by a registry) depends on it and is rebound: CPython's wrapper is a C
    object, PyPy's a closure; both are the function the user wrote."""
    if sys.version_info < (3, 2):
        pytest.skip("functools.lru_cache needs 3.2+")
    workspace.add("pure")
    workspace.write("pure", "memo_provider.py", MEMO % 1)
    workspace.write("pure", "memo_registry.py", "HANDLERS = {}\n")
    import memo_provider
    import memo_registry

    memo_registry.handler = memo_provider.cached
    assert deep_reload("memo_provider", dry_run=True) == ["memo_provider", "memo_registry"]
    old = dict(vars(memo_provider))
    path = workspace.write("pure", "memo_provider.py", MEMO % 2)
    later = os.stat(path).st_mtime + 2  # the interpreter's reload trusts whole-second mtimes
    os.utime(path, (later, later))
    reload(memo_provider)
    assert rebind(old, memo_provider) == [("memo_registry", "handler")]
    assert memo_registry.handler is memo_provider.cached and memo_registry.handler() == "cached@2"
