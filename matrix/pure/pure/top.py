"""Diamond top: imports both sides."""
from . import left, right

TAG = "top@1"


def value():
    return TAG + ">" + left.value() + "|" + right.value()
