"""cext: a package wrapping a small C extension built at test time."""
from ._speedups import version as ext_version  # noqa: F401

TAG = "cext@1"
