"""Who imports whom among the loaded modules.

A module's dependencies are the union of:

- the import statements of its source that run at import time (module
  level, class bodies, if/try blocks; not function bodies, which look
  their imports up when called), resolved as the interpreter resolves
  them, Python 2's implicit relative imports included. A file is parsed
  once per version (path, mtime, size);
- the module objects its namespace holds (e.g. the result of an
  ``importlib.import_module`` call stored at module level).

What neither shows: a module looked up at call time only (by
``importlib.import_module``, ``__import__`` or ``sys.modules[...]`` inside
a function) and objects reached through another module's attributes."""
import ast
import collections
import os
import re
import sys
import types

from .compat import CLASS_TYPES, PY2, stamp_of
from .origins import module_namespace, package_of

#: The import statements of one file.
#: imports: (dotted name, bound as an alias?) per ``import a.b [as z]``;
#: froms: (level, module or "", ((name, alias), ...)) per ``from m import ...``;
#: own_names: names the module binds by anything but a from-import;
#: absolute_import: ``from __future__ import absolute_import`` is in force.
ImportStatements = collections.namedtuple(
    "ImportStatements", "imports froms own_names absolute_import"
)

NO_STATEMENTS = ImportStatements((), (), frozenset(), True)

#: Nodes whose bodies run later, not at import time.
DEFERRED = (ast.FunctionDef, ast.Lambda) + ((ast.AsyncFunctionDef,) if hasattr(ast, "AsyncFunctionDef") else ())

#: Statements that bind a name to what they define.
DEFINITIONS = tuple(kind for kind in DEFERRED + (ast.ClassDef,) if kind is not ast.Lambda)

_parsed = {}  # path -> ((mtime, size), ImportStatements)
_tokens = {}  # path -> ((mtime, size), names on its import lines)

#: A line that starts an import statement, and the names in it.
IMPORT_LINE = re.compile(br"^[ \t]*(?:import|from)[ \t][^\n]*", re.M)
IDENTIFIER = re.compile(br"[A-Za-z_][A-Za-z0-9_]*")
RELATIVE = re.compile(br"^[ \t]*from[ \t]+\.", re.M)


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


def collect(tree):
    """The ImportStatements of a parsed module."""
    imports, froms, own_names, absolute = [], [], set(), not PY2
    for node in import_time_nodes(tree):
        if isinstance(node, ast.Import):
            imports.extend((alias.name, alias.asname is not None) for alias in node.names)
            own_names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names = tuple((alias.name, alias.asname or alias.name) for alias in node.names)
            froms.append((node.level or 0, node.module or "", names))
            absolute = absolute or (node.module == "__future__" and ("absolute_import", "absolute_import") in names)
        else:
            own_names.update(bound_names(node))
    return ImportStatements(tuple(imports), tuple(froms), frozenset(own_names), absolute)


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


def import_lines(data):
    """The text of every import statement in *data*, continuation lines
    (parenthesised or backslashed) included."""
    for match in IMPORT_LINE.finditer(data):
        start, end = match.start(), match.end()
        text = data[start:end]
        if b"(" in text and b")" not in text:
            close = data.find(b")", end)
            end = len(data) if close < 0 else close + 1
        while data[start:end].rstrip().endswith(b"\\"):
            newline = data.find(b"\n", end + 1)
            end = len(data) if newline < 0 else newline
        yield data[start:end]


def per_file_version(cache, path, derive, unreadable):
    """``derive(bytes)`` of the file at *path*, computed once per version of
    the file (mtime, size) and kept in *cache*; *unreadable* if it cannot be
    read."""
    try:
        stamp = stamp_of(os.stat(path))
        cached = cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        with open(path, "rb") as stream:
            data = stream.read()
    except (OSError, IOError):
        return unreadable
    value = derive(data)
    cache[path] = (stamp, value)
    return value


def tokens_of(data):
    lines = b"\n".join(import_lines(data))
    tokens = set(token.decode("ascii") for token in IDENTIFIER.findall(lines))
    if RELATIVE.search(lines):
        tokens.add(".")
    return frozenset(tokens)


def import_tokens(path):
    """The names on the import lines of the file at *path* (and "." if it
    has a relative import): a module whose import statements bind X has
    X's last name component among them, or imports relatively from a
    package X. Read once per file version; a cheap filter before parsing."""
    return per_file_version(_tokens, path, tokens_of, frozenset())


def suspects_index(paths):
    """For the modules *paths* (name -> source path): which may import a
    module named ...X (by X's last component), and which import
    relatively from a package P (by every ancestor package P)."""
    by_tail, by_package = collections.defaultdict(set), collections.defaultdict(set)
    for name, path in paths.items():
        tokens = import_tokens(path)
        for token in tokens:
            by_tail[token].add(name)
        if "." in tokens:
            parts = name.split(".")
            for end in range(1, len(parts)):
                by_package[".".join(parts[:end])].add(name)
    return by_tail, by_package


def may_import(name, tokens, tails, packages):
    """Whether module *name* with import-line *tokens* may bind a module
    whose last component is in *tails* or a package in *packages*."""
    if tokens & tails:
        return True
    if "." in tokens:
        parts = name.split(".")
        return any(".".join(parts[:end]) in packages for end in range(1, len(parts)))
    return False


def statements_of(path):
    """The ImportStatements of the source file at *path*, as it is now;
    NO_STATEMENTS if it cannot be read."""

    def parse(source):
        try:
            return collect(ast.parse(source, path))
        except (SyntaxError, ValueError):
            return collect(salvage(source))

    return per_file_version(_parsed, path, parse, NO_STATEMENTS)


def is_loaded(name):
    return sys.modules.get(name) is not None


def absolute_base(dotted, package, level, implicit_relative):
    """The absolute name ``from <level dots><dotted> import ...`` (or
    ``import <dotted>``) refers to inside *package*; None if it climbs
    above the top-level package."""
    if level:
        parts = package.split(".") if package else []
        if level - 1 >= len(parts):
            return None
        base = ".".join(parts[: len(parts) - (level - 1)])
        return base + "." + dotted if dotted else base
    if implicit_relative and dotted and is_loaded(package + "." + dotted.split(".")[0]):
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


def resolve(module, statements):
    """Absolute names of the loaded modules *statements* bind in *module*,
    as a set of names and a list of (module name, name, alias) from-imports."""
    package = package_of(module)
    implicit = bool(package) and not statements.absolute_import
    depends, from_bindings = set(), []
    for dotted, aliased in statements.imports:
        base = absolute_base(dotted, package, 0, implicit)
        parts = base.split(".")
        # `import a.b.c` binds a and reaches a.b and a.b.c through it;
        # `import a.b.c as z` binds a.b.c only.
        first = len(parts) if aliased else 1
        depends.update(".".join(parts[:end]) for end in range(first, len(parts) + 1))
    for level, dotted, names in statements.froms:
        base = absolute_base(dotted, package, level, implicit)
        if base is None:
            continue
        for name, alias in names:
            if name == "*":
                stars = star_names(base)
                depends.add(base)
                depends.update(base + "." + star for star in stars if is_loaded(base + "." + star))
                from_bindings.extend((base, star, star) for star in stars)
            elif is_loaded(base + "." + name):
                depends.add(base + "." + name)
            else:
                depends.add(base)
                from_bindings.append((base, name, alias))
    return set(name for name in depends if is_loaded(name)), from_bindings


#: Objects that name the module that defined them in ``__module__``.
DEFINED = (types.FunctionType,) + CLASS_TYPES


def held_modules(module_name, module):
    """Names of the loaded modules *module*'s namespace holds, by their
    module objects (except its own submodules, set by the import system)
    or by functions and classes they defined: what the executed version
    bound, whatever its file says now."""
    held = set()
    for key, value in list(module_namespace(module).items()):
        if isinstance(value, types.ModuleType):
            name = module_namespace(value).get("__name__")
            if sys.modules.get(name) is value and name != module_name + "." + key:
                held.add(name)
        elif isinstance(value, DEFINED):
            name = getattr(value, "__module__", None)
            if name != module_name and is_loaded(name):
                held.add(name)
    return held


def dependencies(name, module, path, held):
    """Names of the loaded modules *module* (loaded from *path*, holding
    the modules *held*) depends on."""
    depends = held | resolve(module, statements_of(path))[0]
    depends.discard(name)
    return depends


def dependents_and_graph(targets, paths):
    """The modules of *paths* (name -> source path) that depend on a name
    in *targets*, directly or transitively, and the dependency graph of
    those and the targets. Only suspects (see import_tokens) are parsed."""
    held = dict((name, held_modules(name, sys.modules[name])) for name in paths)
    holders = collections.defaultdict(set)
    for name, modules in held.items():
        for module_name in modules:
            holders[module_name].add(name)
    by_tail, by_package = suspects_index(paths)
    graph = {}

    def depends(name):
        if name not in graph:
            graph[name] = dependencies(name, sys.modules[name], paths[name], held[name])
        return graph[name]

    found, pending = set(), list(targets)
    while pending:
        dependency = pending.pop()
        suspects = by_tail.get(dependency.rpartition(".")[2], set()) | by_package.get(dependency, set())
        for importer in suspects | holders.get(dependency, set()):
            if importer not in found and dependency in depends(importer):
                found.add(importer)
                pending.append(importer)
    chosen = found | set(name for name in targets if name in paths)
    for name in chosen:
        depends(name)
    return chosen, graph


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
