"""How dependencies are read from source: the corners."""
import os
import shutil
import tempfile
import types

from compatreload import graph


def statements_of_text(text):
    folder = tempfile.mkdtemp()
    try:
        path = os.path.join(folder, "m.py")
        with open(path, "w") as stream:
            stream.write(text)
        return graph.statements_of(path)
    finally:
        shutil.rmtree(folder)


def test_a_broken_file_still_shows_its_imports():
    statements = statements_of_text(
        "import os\nfrom json import (dumps,\n    loads)\nimport (\ndef broken(:\n    from . import sibling\n"
    )
    assert ("os", False) in statements.imports
    assert (0, "json", (("dumps", "dumps"), ("loads", "loads"))) in statements.froms
    assert (1, "", (("sibling", "sibling"),)) in statements.froms


def test_a_relative_import_above_the_top_level_package_is_ignored():
    assert graph.absolute_base("x", "pkg", 3, False) is None
    module = types.ModuleType("pkg.mod")
    module.__package__ = "pkg"
    statements = graph.ImportStatements((), ((3, "x", (("y", "y"),)),), frozenset(), True)
    assert graph.resolve(module, statements) == (set(), [])


def test_a_star_import_from_a_module_no_longer_loaded_binds_nothing():
    module = types.ModuleType("pkg.mod")
    module.__package__ = "pkg"
    statements = graph.ImportStatements((), ((0, "compatreload_unloaded", (("*", "*"),)),), frozenset(), True)
    assert graph.resolve(module, statements) == (set(), [])


def test_an_unreadable_file_has_no_statements():
    assert graph.statements_of("/nonexistent/compatreload/m.py") is graph.NO_STATEMENTS
