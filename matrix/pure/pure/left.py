"""Diamond side: `import x.y as z`."""
import pure.base as base_alias

TAG = "left@1"


def value():
    return TAG + ">" + base_alias.base_value()
