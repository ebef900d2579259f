"""The shipped stub declares exactly the public API, with its parameters."""
import ast
import inspect
import os
import sys

import pytest

import compatreload

STUB = os.path.join(os.path.dirname(os.path.abspath(compatreload.__file__)), "__init__.pyi")


def parameters(function):
    """Public parameter names (a leading underscore marks a private one)."""
    if sys.version_info[0] == 2:
        names = inspect.getargspec(function).args
    else:
        names = list(inspect.signature(function).parameters)
    return [name for name in names if name != "self" and not name.startswith("_")]


def test_the_stub_and_py_typed_ship_with_the_package():
    assert os.path.isfile(STUB)
    assert os.path.isfile(os.path.join(os.path.dirname(STUB), "py.typed"))


def test_the_stub_declares_every_public_name_with_its_parameters():
    if sys.version_info[0] == 2:
        pytest.skip("the stub is 3.x syntax (annotations); 3.x parses it")
    with open(STUB) as stream:
        tree = ast.parse(stream.read())
    declared = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            declared[node.name] = [argument.arg for argument in node.args.args]
        elif isinstance(node, ast.ClassDef):
            methods = dict((item.name, item) for item in node.body if isinstance(item, ast.FunctionDef))
            init = methods.get("__init__")
            declared[node.name] = [argument.arg for argument in init.args.args[1:]] if init else None
        elif isinstance(node, ast.AnnAssign):
            declared[node.target.id] = None
    assert set(compatreload.__all__) <= set(declared)
    for name in compatreload.__all__:
        value = getattr(compatreload, name)
        if inspect.isfunction(value) or (inspect.isclass(value) and declared[name] is not None):
            assert declared[name] == parameters(value.__init__ if inspect.isclass(value) else value), name
