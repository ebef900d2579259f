"""Chain middle: depends on a by `from . import` and by a from-import alias."""
from . import a
from .a import value as a_value

TAG = "b@1"


def value():
    return TAG + ">" + a.value()
