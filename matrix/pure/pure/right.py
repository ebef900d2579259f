"""Diamond side: a star import."""
from .base import *  # noqa: F401,F403 (the star import is what this fixture tests)

MY_TAG = "right@1"


def value():
    return MY_TAG + ">" + base_value()  # noqa: F405
