"""On Python 2 `import os` here first looks for relative_py2.os and, not
finding it, caches sys.modules["relative_py2.os"] = None."""
import json  # noqa: F401
import os  # noqa: F401

try:
    import helper  # Python 2: the implicit relative import of relative_py2.helper
except ImportError:  # Python 3 has no implicit relative imports
    from . import helper

TAG = "user@1"


def value():
    return TAG + ">" + helper.TAG
