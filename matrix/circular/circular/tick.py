"""Cycle tick <-> tock: this side by `from . import` (tick is imported first)."""
from . import tock

TAG = "tick@1"


def value():
    return TAG + ">" + tock.TAG
