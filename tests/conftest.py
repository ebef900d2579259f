"""Shared fixtures: a workspace of matrix fixtures on sys.path, and the
bytecode setting (written or not) every reload test runs under."""
import sys

import pytest

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


def need(fixture_name):
    """Skip, naming the reason, where the fixture cannot load."""
    reason = unavailable_reason(FIXTURES[fixture_name])
    if reason:
        pytest.skip(reason)
