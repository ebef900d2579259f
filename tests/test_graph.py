"""How dependencies are read from source: the corners."""
import os
import shutil
import sys
import tempfile
import types

from compatreload import deep_reload, graph


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
        "X = 1\nimport os\nfrom json import (dumps,\n    loads)\nimport (\ndef broken(:\n    from . import sibling\n"
    )
    assert ("os", False) in statements.imports
    assert (0, "json", (("dumps", "dumps"), ("loads", "loads"))) in statements.froms
    assert (1, "", (("sibling", "sibling"),)) in statements.froms


def test_a_relative_import_above_the_top_level_package_is_ignored():
    assert graph.absolute_base("x", "pkg", 3, False) is None
    module = types.ModuleType("pkg.mod")
    module.__package__ = "pkg"
    statements = graph.ImportStatements((), ((3, "x", (("y", "y"),)),), True)
    assert graph.resolve(module, statements) == (set(), [])


def test_a_star_import_from_a_module_no_longer_loaded_binds_nothing():
    module = types.ModuleType("pkg.mod")
    module.__package__ = "pkg"
    statements = graph.ImportStatements((), ((0, "compatreload_unloaded", (("*", "*"),)),), True)
    assert graph.resolve(module, statements) == (set(), [])


def test_a_star_import_binds_the_names_the_module_exports_now(workspace):
    """What ``from m import *`` binds is found again each time (m's __all__
    may change with any reload of m), unlike other imports (see resolve)."""
    workspace.add("pure")
    workspace.write("pure", "star_base.py", "__all__ = ['one']\none = two = 1\n")
    user_path = workspace.write("pure", "star_user.py", "from star_base import *\n")
    import star_user  # noqa: F401

    user, statements = sys.modules["star_user"], graph.statements_of(user_path)
    assert graph.resolve(user, statements) == (set(["star_base"]), [("star_base", "one", "one")])
    workspace.write("pure", "star_base.py", "__all__ = ['one', 'two']\none = two = 1\n")
    deep_reload("star_base", rebind=False)
    user = sys.modules["star_user"]
    expected = [("star_base", "one", "one"), ("star_base", "two", "two")]
    assert graph.resolve(user, statements) == (set(["star_base"]), expected)


def test_an_unreadable_file_has_no_statements():
    assert graph.statements_of("/nonexistent/compatreload/m.py") is graph.NO_STATEMENTS


def statements_by_parser(data, path):
    return graph.collect(graph.import_time_nodes(graph.parse_or_salvage(data, path)))


def test_import_lines_give_what_the_parser_gives_on_the_standard_library():
    """Over the interpreter's own top-level standard library: where a file's
    import lines are complete, they give every import the parser finds at
    import time (a line inside a string may add one, never drop one)."""
    library = os.path.dirname(os.__file__)
    checked = 0
    for name in sorted(os.listdir(library)):
        path = os.path.join(library, name)
        if not name.endswith(".py"):
            continue
        with open(path, "rb") as stream:
            data = stream.read()
        lines = graph.ImportLines(data)
        if not lines.complete:
            continue
        checked += 1
        fast, parsed = graph.statements_in_lines(lines.lines, path), statements_by_parser(data, path)
        assert set(fast.imports) >= set(parsed.imports), path
        assert set(fast.froms) >= set(parsed.froms), path
        assert fast.absolute_import == parsed.absolute_import, path
    assert checked >= 20  # the fast path is the common one


def write_module(folder, text):
    path = os.path.join(folder, "m.py")
    with open(path, "w") as stream:
        stream.write(text)
    return path


IMPORT_FORMS = """\
import a.b.c, d as e
from . import sibling
from.. parent import (x,
    y as z)
from f import *  # a comment
from g \\
    import h
"""


def test_every_import_form_at_column_0_is_read_without_parsing_the_file():
    lines = graph.ImportLines(IMPORT_FORMS.encode("ascii"))
    assert lines.complete
    fast = graph.statements_in_lines(lines.lines, "m.py")
    parsed = statements_by_parser(IMPORT_FORMS.encode("ascii"), "m.py")
    assert sorted(fast.imports) == sorted(parsed.imports) and len(fast.imports) == 2
    assert sorted(fast.froms) == sorted(parsed.froms) and len(fast.froms) == 4
    assert set(["a", "b", "c", "d", "e", ".", "parent", "x", "y", "z", "f", "g", "h"]) <= lines.tokens


def test_an_import_in_a_block_or_after_a_colon_makes_the_whole_file_parsed():
    folder = tempfile.mkdtemp()
    try:
        for text, complete, found, not_found in [
            ("try: import json\nexcept ImportError: json = None\n", False, "json", None),
            ("if True:\n    import json\ndef later():\n    import shelve\n", False, "json", "shelve"),
            ("import os; import json\n", True, "json", None),
            ("# a comment \\\nimport json\n", True, "json", None),
            ('"""\nimport shelve\n"""\nimport json\n', True, "json", None),
            ('"""Doc: see `from . import x`; or `import y`."""\nimport json\n', True, "json", None),
            ("if True: from os import path\nimport json\n", False, "json", None),
        ]:
            path = write_module(folder, text)
            lines = graph.lines_of(path)
            assert "json" in lines.tokens and lines.complete == complete, text
            names = [name for name, _ in graph.statements_of(path).imports]
            assert found in names and not_found not in names, text
    finally:
        shutil.rmtree(folder)


def test_the_suspects_index_follows_edits_and_unloads():
    index = graph.SuspectsIndex()
    first = graph.ImportLines(b"import pkg.tail\nfrom . import x\n")
    index.update({"app.a": first, "app.b": graph.ImportLines(b"import other\n")}, ["app.a", "app.b"])
    assert index.by_tail["tail"] == set(["app.a"]) and index.by_package["app"] == set(["app.a"])
    index.update({"app.a": first, "app.b": graph.ImportLines(b"import pkg.tail\n")}, ["app.b"])  # b edited
    assert index.by_tail["tail"] == set(["app.a", "app.b"]) and not index.by_tail["other"]
    index.update({"app.b": graph.ImportLines(b"import other\n")}, ["app.a", "app.b"])  # a unloaded, b edited back
    assert not index.by_tail["tail"] and not index.by_package["app"]
    assert index.by_tail["other"] == set(["app.b"])
    index.update({"app.a": first}, ["app.c"])  # only the names given are looked at
    assert "app.a" not in index.by_tail["tail"]


def test_salvage_keeps_the_imports_among_other_lines():
    tree = graph.salvage(b"x = (\ndef broken(:\n    pass\nimport os\ny = 2\nfrom json import dumps\n")
    statements = graph.collect(tree.body)
    assert statements.imports == (("os", False),) and statements.froms == ((0, "json", (("dumps", "dumps"),)),)


def test_import_line_names_are_read_in_the_file_s_encoding():
    """On 3.x a module name may be any identifier (PEP 3131); a file whose
    encoding cannot be told is read as UTF-8. On 2.x names are ASCII."""
    utf8 = u"from caf\xe9 import V\n".encode("utf-8")
    latin1 = u"# coding: latin-1\nfrom caf\xe9 import V\n".encode("latin-1")
    unknown = b"# coding: no-such-encoding\n" + utf8
    expected = u"caf\xe9" if sys.version_info[0] > 2 else "caf"
    for data in (utf8, latin1, unknown):
        lines = graph.ImportLines(data)
        assert expected in lines.tokens and not lines.complete, data
