"""Pure Python over the extension."""
from . import _speedups

TAG = "wrapper@1"


def describe():
    return TAG + ">" + _speedups.version()
