"""Who imports whom among the loaded modules.

A module's dependencies are the union of:

- the import statements of its source that run at import time (module
  level, class bodies, if/try blocks; not function bodies, which look
  their imports up when called), resolved as the interpreter resolves
  them, Python 2's implicit relative imports included. A file is parsed
  once per version (path, mtime, size, ctime);
- the module objects its namespace holds (e.g. the result of an
  ``importlib.import_module`` call stored at module level).

What neither shows: a module looked up at call time only (by
``importlib.import_module``, ``__import__`` or ``sys.modules[...]`` inside
a function) and objects reached through another module's attributes."""
import ast
import collections
import itertools
import operator
import os
import re
import sys
import types

from .changes import read_source
from .compat import IDENTIFIER, NON_ASCII, PY2, ascii_text, identifiers_in, imap, stamp_of
from .origins import module_namespace, package_of, source_file

#: The import statements of one file.
#: imports: (dotted name, bound as an alias?) per ``import a.b [as z]``;
#: froms: (level, module or "", ((name, alias), ...)) per ``from m import ...``;
#: absolute_import: ``from __future__ import absolute_import`` is in force.
ImportStatements = collections.namedtuple("ImportStatements", "imports froms absolute_import")

NO_STATEMENTS = ImportStatements((), (), True)

#: Nodes whose bodies run later, not at import time.
DEFERRED = (ast.FunctionDef, ast.Lambda) + ((ast.AsyncFunctionDef,) if hasattr(ast, "AsyncFunctionDef") else ())

#: Statements that bind a name to what they define.
DEFINITIONS = tuple(kind for kind in DEFERRED + (ast.ClassDef,) if kind is not ast.Lambda)

_lines = {}  # path -> (stamp_of(stat), ImportLines)
_parsed = {}  # path -> (stamp_of(stat), ImportStatements), files whose import lines do not suffice
_own_names = {}  # path -> (stamp_of(stat), frozenset of names)

RELATIVE = re.compile(br"^[ \t]*from[ \t\\]*\.", re.M)


def import_time_nodes(tree):
    """Every node of *tree* that runs when the module is executed."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node  # a def's name is bound at import time, its body is not run
        if not isinstance(node, DEFERRED):
            pending.extend(ast.iter_child_nodes(node))


def bound_names(node):
    """Names a module-level statement binds, other than by importing."""
    if isinstance(node, DEFINITIONS):
        return [node.name]
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        return [node.id]
    return []


def collect(nodes):
    """The ImportStatements of the import statements among *nodes*."""
    imports, froms = [], []
    for node in nodes:
        if isinstance(node, ast.Import):
            imports.extend((alias.name, alias.asname is not None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names = tuple((alias.name, alias.asname or alias.name) for alias in node.names)
            froms.append((node.level or 0, node.module or "", names))
    return ImportStatements(tuple(imports), tuple(froms), absolute_in(froms))


def absolute_in(froms):
    """Whether absolute imports are in force given the from-imports *froms*:
    always on 3.x; on 2.x with ``from __future__ import absolute_import``."""
    future = ("absolute_import", "absolute_import")
    return not PY2 or any(module == "__future__" and future in names for _, module, names in froms)


#: One-line import statements in their plain forms; others go to the parser.
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = _NAME + r"(?:\." + _NAME + r")*"
_AS = r"(?:[ \t]+as[ \t]+" + _NAME + r")?"
_TAIL = r"[ \t]*(?:#[^\n]*)?\r?\Z"
PLAIN_IMPORT = re.compile(r"import[ \t]+(" + _DOTTED + _AS + r"(?:[ \t]*,[ \t]*" + _DOTTED + _AS + r")*)" + _TAIL)
PLAIN_FROM = re.compile(
    r"from[ \t]*(\.*)[ \t]*(" + _DOTTED + r")?[ \t]+import[ \t]+(\*|" + _NAME + _AS
    + r"(?:[ \t]*,[ \t]*" + _NAME + _AS + r")*)" + _TAIL
)
_CLAUSE = re.compile(r"(" + _DOTTED + r")(?:[ \t]+as[ \t]+(" + _NAME + r"))?")


def plain_statement(line):
    """What collect() takes from *line* (text) if it is a plain one-line
    import statement, without building its syntax tree: ("import",
    ((dotted name, aliased?), ...)) or ("from", (level, module or "",
    ((name, alias or name), ...))); None for any other line."""
    match = PLAIN_IMPORT.match(line)
    if match:
        return "import", tuple((name, bool(alias)) for name, alias in _CLAUSE.findall(match.group(1)))
    match = PLAIN_FROM.match(line)
    if match and (match.group(1) or match.group(2)):
        names = tuple((name, alias or name) for name, alias in _CLAUSE.findall(match.group(3))) or (("*", "*"),)
        return "from", (len(match.group(1)), match.group(2) or "", names)
    return None


def statements_in_lines(lines, path):
    """The ImportStatements of complete import lines (see ImportLines)."""
    imports, froms, others = [], [], []
    for line in lines:
        statement = plain_statement(ascii_text(line))
        if statement is None:
            others.append(line)
        elif statement[0] == "import":
            imports.extend(statement[1])
        else:
            froms.append(statement[1])
    if others:  # continuation lines or unusual forms: the parser decides
        parsed = collect(parse_or_salvage(b"\n".join(others), path).body)
        imports.extend(parsed.imports)
        froms.extend(parsed.froms)
    return ImportStatements(tuple(imports), tuple(froms), absolute_in(froms))


def names_bound_in(tree):
    """Names a parsed module binds at import time by anything but a
    from-import (class bodies included: an over-approximation)."""
    names = set()
    for node in import_time_nodes(tree):
        if isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        else:
            names.update(bound_names(node))
    return frozenset(names)


def parsed_or_nothing(statement):
    try:
        return ast.parse(statement).body
    except (SyntaxError, ValueError):
        return []


def salvage(source):
    """The import statements of a file that does not parse as a whole, one
    statement at a time (any indentation, so function-level ones too: a
    broken module must still be found a dependent, to fail in a rollback)."""
    statements, pending = [], b""
    for line in source.splitlines() + [b"import"]:  # the sentinel flushes the last one
        stripped = line.strip()
        starts = stripped.startswith((b"import ", b"from ")) or stripped == b"import"
        if starts and pending:
            statements.extend(parsed_or_nothing(pending))
            pending = b""
        if starts or pending:
            pending += stripped + b"\n"
            if b"(" not in pending or b")" in pending:
                statements.extend(parsed_or_nothing(pending))
                pending = b""
    return ast.Module(body=statements)


def parse_or_salvage(source, path):
    try:
        return ast.parse(source, path)
    except (SyntaxError, ValueError):
        return salvage(source)


FROM_PREFIXES = (b"from ", b"from\t", b"from.", b"from\\")
KEYWORD_ENDS = (b" ", b"\t", b"\\", b"(")


def statement_end(data, start, end):
    """Where the statement starting at *start*, whose first line ends at
    *end*, ends: continuation lines (parenthesised or backslashed) included."""
    if b"(" in data[start:end] and b")" not in data[start:end]:
        close = data.find(b")", end)
        end = len(data) if close < 0 else close + 1
    while data[start:end].rstrip().endswith(b"\\"):
        newline = data.find(b"\n", end + 1)
        end = len(data) if newline < 0 else newline
    return end


def logical_line_start(data, position):
    """Where the line holding *position* starts; where the ``from`` starts if
    it is the rest of a backslashed ``from x \\`` line."""
    start = data.rfind(b"\n", 0, position) + 1
    before = start
    while before and data[max(before - 3, 0) : before].rstrip(b"\r\n").endswith(b"\\"):
        before = data.rfind(b"\n", 0, before - 1) + 1
        if data[before:position].lstrip().startswith(FROM_PREFIXES):
            return before
    return start


def follows_colon(head):
    """Whether an import statement may start after the text *head* of its
    line: *head* ends with a colon or a semicolon, then ``from ...``."""
    cut = max(head.rfind(b":"), head.rfind(b";"))
    rest = head[cut + 1 :].lstrip()
    return cut >= 0 and (not rest or rest.startswith(FROM_PREFIXES))


def import_lines(data):
    """The lines of *data* (continuation lines included) that start with an
    import statement or have one after a colon or a semicolon, and whether
    all of them start at column 0 with one (see ImportLines)."""
    lines, complete = [], True
    position = data.find(b"import")
    while position >= 0:
        start = logical_line_start(data, position)
        end = data.find(b"\n", position)
        end = len(data) if end < 0 else end
        head = data[start:position]
        stripped = head.lstrip()
        keyword = data[position + 6 : position + 7] in KEYWORD_ENDS
        if (keyword and not stripped) or stripped.startswith(FROM_PREFIXES):
            complete = complete and stripped == head
        elif keyword and follows_colon(head):
            complete = False  # `try: import x`: the whole file is parsed
        else:
            position = data.find(b"import", position + 6)
            continue
        end = statement_end(data, start, end)
        lines.append(data[start:end])  # its names are tokens, whatever it is
        position = data.find(b"import", end)
    return lines, complete


class ImportLines(object):
    """The import lines of one version of a file.

    tokens: the names on them, and "." if one imports relatively: a module
    whose import statements bind X has X's last name component among them
    (or imports relatively from a package X), so they are a cheap filter;
    lines: those lines; complete: every import statement of the file starts
    a line at column 0, so it runs at import time and *text* holds them all
    (an indented or inline import needs the whole file parsed: it may sit
    in a function body): then *lines* are all the import statements of the
    file, parsed without the rest of it. A line inside a string literal may be
    taken for an import: a dependency too many, never one too few."""

    __slots__ = ("tokens", "lines", "complete", "statements")

    def __init__(self, data):
        lines, complete = import_lines(data)
        text = b"\n".join(lines)
        self.lines = tuple(lines)
        non_ascii = NON_ASCII.search(text)
        self.complete = complete and not non_ascii
        tokens = set(identifiers_in(text, data) if non_ascii else IDENTIFIER.findall(ascii_text(text)))
        if RELATIVE.search(text):
            tokens.add(".")
        self.tokens = frozenset(tokens)
        self.statements = None


NO_LINES = ImportLines(b"")


def per_file_version(cache, path, derive, unreadable):
    """``derive(bytes)`` of the file at *path*, computed once per version of
    the file (stamp_of: mtime, size, ctime) and kept in *cache*;
    *unreadable* if it cannot be read."""
    return stat_and_version(cache, path, derive, unreadable)[1]


def stat_and_version(cache, path, derive, unreadable):
    """The stat of the file at *path* now and per_file_version()'s value
    for that version; (None, *unreadable*) if it cannot be read."""
    try:
        stat = os.stat(path)
        return stat, of_version(cache, path, stat, derive)
    except (OSError, IOError):
        return None, unreadable


def of_version(cache, path, stat, derive, data=None):
    """``derive(bytes)`` of the version of the file at *path* whose stat is
    *stat*: *cache*'s for that version, else computed from *data* (its
    bytes, read from *path* if None) and kept as that version's."""
    stamp = stamp_of(stat)
    cached = cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    value = derive(read_source(path, stat.st_size) if data is None else data)
    cache[path] = (stamp, value)
    return value


def lines_of(path):
    """The ImportLines of the file at *path* as it is now (read once per
    file version)."""
    return per_file_version(_lines, path, ImportLines, NO_LINES)


def stat_and_lines(path):
    """The stat of the file at *path* now and the ImportLines of that
    version, or (None, NO_LINES) if it cannot be read."""
    return stat_and_version(_lines, path, ImportLines, NO_LINES)


def lines_of_source(path, stat, data):
    """The ImportLines of *data*, read from *path* whose stat was *stat*
    when the reading began (the source a reload ran: no stat now)."""
    return of_version(_lines, path, stat, ImportLines, data)


def ancestor_packages(name):
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


class SuspectsIndex(object):
    """For the loaded modules: which may import a module named ...X (by_tail,
    by X's last component), and which import relatively from a package P
    (by_package, by every ancestor package P). Kept between reloads and
    updated only for the modules whose ImportLines are another object
    (another file version or path, loaded or unloaded since)."""

    def __init__(self):
        self.indexed = {}  # name -> the ImportLines indexed for it
        self.by_tail = collections.defaultdict(set)
        self.by_package = collections.defaultdict(set)

    def update(self, lines, names):
        """Make the index that of *lines* (name -> ImportLines) for the
        modules *names* (those not in *lines* taken out), the only ones
        whose lines may have changed since the last update."""
        for name in names:
            module_lines, indexed = lines.get(name), self.indexed.get(name)
            if indexed is module_lines:
                continue
            if indexed is not None:
                self.index(name, indexed, set.discard)
                del self.indexed[name]
            if module_lines is not None:
                self.index(name, module_lines, set.add)
                self.indexed[name] = module_lines

    def index(self, name, module_lines, change):
        for token in module_lines.tokens:
            change(self.by_tail[token], name)
        if "." in module_lines.tokens:
            for package in ancestor_packages(name):
                change(self.by_package[package], name)


#: The process's SuspectsIndex, updated by every deep_reload (under the import lock).
SUSPECTS = SuspectsIndex()


def may_import(name, tokens, tails, packages):
    """Whether module *name* with import-line *tokens* may bind a module
    whose last component is in *tails* or a package in *packages*."""
    if tokens & tails:
        return True
    if "." in tokens:
        return any(package in packages for package in ancestor_packages(name))
    return False


def statements_of(path, lines=None):
    """The ImportStatements of the source file at *path*, as it is now (or
    as it was when its ImportLines *lines* were read); NO_STATEMENTS if it
    cannot be read. From the import lines alone when they are complete
    (see ImportLines), else from the whole file."""
    lines = lines_of(path) if lines is None else lines
    if lines is NO_LINES:
        return NO_STATEMENTS
    if not lines.complete:
        return per_file_version(
            _parsed, path, lambda source: collect(import_time_nodes(parse_or_salvage(source, path))), NO_STATEMENTS
        )
    if lines.statements is None:
        lines.statements = statements_in_lines(lines.lines, path)
    return lines.statements


def read_import_lines(names):
    """Read and cache now the import lines of every loaded module's source,
    and the import statements of the modules *names* and of those that may
    import one of them (see may_import: the suspects a reload of one looks
    at first): the work the first deep_reload in a process would do. A
    Watcher does it for the modules it watches when it is made, so that
    the first reload a server runs reads no file but the ones it runs."""
    tails = frozenset(name.rpartition(".")[2] for name in names)
    packages = frozenset(names)
    for name, module in list(sys.modules.items()):
        path = source_file(module) if isinstance(module, types.ModuleType) else None
        if path is not None:
            lines = lines_of(path)
            if name in names or may_import(name, lines.tokens, tails, packages):
                statements_of(path, lines)


def own_names(path):
    """Names the source file at *path* binds at import time by anything but
    a from-import (empty if it cannot be read)."""
    return per_file_version(_own_names, path, lambda source: names_bound_in(parse_or_salvage(source, path)), frozenset())


def is_loaded(name):
    return sys.modules.get(name) is not None


def absolute_base(dotted, package, level, implicit_relative, loaded=is_loaded):
    """The absolute name ``from <level dots><dotted> import ...`` (or
    ``import <dotted>``) refers to inside *package*; None if it climbs
    above the top-level package. *loaded*: is_loaded, or a stand-in that
    notes the names asked about."""
    if level:
        parts = package.split(".") if package else []
        if level - 1 >= len(parts):
            return None
        base = ".".join(parts[: len(parts) - (level - 1)])
        return base + "." + dotted if dotted else base
    if implicit_relative and dotted and loaded(package + "." + dotted.split(".")[0]):
        return package + "." + dotted  # what Python 2 finds first
    return dotted


def star_names(module_name):
    """The names ``from module import *`` takes: __all__ or public names."""
    module = sys.modules.get(module_name)
    if module is None:
        return ()
    namespace = module_namespace(module)
    names = namespace.get("__all__")
    if names is None:
        names = [name for name in namespace if not name.startswith("_")]
    return names


#: module name -> (ImportStatements, package, names asked about, whether
#: each was loaded, the names, the from-imports): what resolve() found
#: last, used again while none of that has changed (see resolve).
_resolved = {}


def loadedness(names):
    """Whether each of *names* is loaded (is_loaded), in C."""
    return tuple(imap(operator.is_not, imap(sys.modules.get, names), itertools.repeat(None)))


def resolve(module, statements):
    """Absolute names of the loaded modules *statements* bind in *module*,
    as a set of names and a list of (module name, name, alias) from-imports
    (not to be changed: it may be the one found last).

    What it finds depends on the statements, the package they are resolved
    in, and which of the names it asks is_loaded() about are loaded; and, for
    ``from m import *``, on m's namespace. Unless there is such an import, it
    is found once while those stay the same, per module name."""
    package = package_of(module)
    implicit = bool(package) and not statements.absolute_import
    name = module_namespace(module).get("__name__")
    kept = _resolved.get(name)
    if (
        kept is not None
        and kept[0] is statements
        and kept[1] == package
        and loadedness(kept[2]) == kept[3]
    ):
        return set(kept[4]), kept[5]
    asked = []

    def loaded(asked_about):
        asked.append(asked_about)
        return is_loaded(asked_about)

    depends, from_bindings, starred = bindings(statements, package, implicit, loaded)
    depends = set(dependency for dependency in depends if loaded(dependency))
    if starred:
        _resolved.pop(name, None)
    else:
        _resolved[name] = (statements, package, tuple(asked), loadedness(asked), frozenset(depends), from_bindings)
    return depends, from_bindings


def forget_resolved(*names):
    """Let go of what resolve() found for the modules *names* (unloaded)."""
    for name in names:
        _resolved.pop(name, None)


def bindings(statements, package, implicit, loaded):
    """The names *statements* may bind in *package* (*loaded*: is_loaded or
    a stand-in), the from-imports, and whether one is ``import *``."""
    depends, from_bindings, starred = set(), [], False
    for dotted, aliased in statements.imports:
        base = absolute_base(dotted, package, 0, implicit, loaded)
        parts = base.split(".")
        # `import a.b.c` binds a and reaches a.b and a.b.c through it;
        # `import a.b.c as z` binds a.b.c only.
        first = len(parts) if aliased else 1
        depends.update(".".join(parts[:end]) for end in range(first, len(parts) + 1))
    for level, dotted, names in statements.froms:
        base = absolute_base(dotted, package, level, implicit, loaded)
        if base is None:
            continue
        for name, alias in names:
            if name == "*":
                starred = True
                stars = star_names(base)
                depends.add(base)
                depends.update(base + "." + star for star in stars if loaded(base + "." + star))
                from_bindings.extend((base, star, star) for star in stars)
            elif loaded(base + "." + name):
                depends.add(base + "." + name)
            else:
                depends.add(base)
                from_bindings.append((base, name, alias))
    return depends, from_bindings, starred


def names_taken_from(name, path, lines):
    """The loaded modules module *name* (its source *path*, ImportLines
    *lines*) takes a name from at import time: ``from m import name`` where
    name is no submodule of m."""
    return set(base for base, _, _ in resolve(sys.modules[name], statements_of(path, lines))[1])


def dependencies(name, module, path, lines, held):
    """Names of the loaded modules *module* (loaded from *path*, whose
    ImportLines are *lines*, holding the modules *held*) depends on."""
    depends = resolve(module, statements_of(path, lines))[0]  # a new set
    depends.update(held)
    depends.discard(name)
    return depends


def cycles_in_order(names, graph):
    """Group *names* into strongly connected components of *graph* and
    return the groups dependencies first (Tarjan's algorithm, iterative)."""
    names = set(names)
    index, lowlink, on_stack, stack, groups = {}, {}, set(), [], []
    for root in sorted(names):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()) & names)))]
        index[root] = lowlink[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowlink[parent] = min(lowlink[parent], lowlink[node])
                if lowlink[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    groups.append(group)
            elif child not in index:
                index[child] = lowlink[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ()) & names))))
            elif child in on_stack:
                lowlink[node] = min(lowlink[node], index[child])
    return groups
