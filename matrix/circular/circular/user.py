"""Outside both cycles, depends on each by a from-import."""
from .ping import value as ping_value
from .tick import value as tick_value

TAG = "user@1"


def value():
    return TAG + ">" + ping_value() + "|" + tick_value()
