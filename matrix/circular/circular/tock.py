"""Cycle tick <-> tock: this side by `import` (a mutual `from . import`
cannot load on 2.7 and 3.6, which look the name up on the package only)."""
import circular.tick

TAG = "tock@1"


def value():
    return TAG + ">" + circular.tick.TAG
