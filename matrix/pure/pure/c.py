"""Chain end: depends on b by an absolute `import` and a from-import."""
import pure.b
from pure.b import value as b_value

TAG = "c@1"


def value():
    return TAG + ">" + pure.b.value()
