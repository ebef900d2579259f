"""deep_reload() and rebind(): re-execute a module and everything that
depends on it, dependencies first, cycles together, all or nothing."""
import logging
import os
import sys
import timeit
import types
import warnings

from .bytecode import discard_cached_bytecode, discard_cached_lines
from .changes import executed_digest, record_executed
from .collecting import collect_discarded, lists_subclasses
from .compat import SYS_MODULES_ORDER, invalidate_caches, outlive_namespace, string_types
from .errors import ExtensionNotReloadedWarning, ReloadError, SourceChangedError
from .graph import cycles_in_order, names_taken_from
from .holding import definitions_of
from .loaded import INDEX, LoadedModules
from .locking import exclusive, executing, import_lock, waited_for_imports_elsewhere
from .origins import (
    BUILTIN,
    EXTENSION,
    NAMESPACE,
    SOURCE,
    absolute_path,
    archive_of,
    kind_of,
    module_namespace,
    own_compiler,
)
from .pinning import Origin, pinned
from .purging import check_module_name
from .rebinding import Rebinder, Replacement, plain_assign
from .transaction import Transaction
from .upgrading import Upgrader

log = logging.getLogger("compatreload")

#: Never re-executed, whatever depends on what.
NEVER_REEXECUTED = ("__main__",)


class Prefixes(object):
    """Module names and package prefixes: "app" covers app and app.*, not apple."""

    def __init__(self, names, argument):
        if isinstance(names, string_types):
            names = [names]
        try:
            names = list(names)
        except TypeError:
            raise TypeError(
                "%s must be a module name or a list of them, got %s" % (argument, type(names).__name__)
            )
        for name in names:
            check_module_name(name, argument)
        self.names = tuple(names)

    def __contains__(self, module_name):
        return any(
            module_name == name or module_name.startswith(name + ".") for name in self.names
        )


def target_names(target):
    """The names of the loaded modules *target* designates, in order, as
    the str keys of sys.modules (on 2.x a name may be given as unicode)."""
    items = list(target) if isinstance(target, (list, tuple)) else [target]
    names = []
    for item in items:
        if isinstance(item, types.ModuleType):
            name = module_namespace(item).get("__name__")
            if sys.modules.get(name) is not item:
                raise ReloadError(
                    "deep_reload(): module object %r is not the one in sys.modules[%r] "
                    "(it was reloaded or unloaded since); pass the current one or its name"
                    % (item, name)
                )
        elif isinstance(item, string_types):
            check_module_name(item, "deep_reload")
            name = item
            if sys.modules.get(name) is None:
                raise ReloadError("deep_reload(): %s is not loaded; import it first" % name)
        else:
            raise TypeError(
                "deep_reload() expects a module, a module name or a list/tuple of them, got %s %r"
                % (type(item).__name__, item)
            )
        name = str(name)  # 2.x: a unicode name as the str key sys.modules has (the check above found it)
        if name not in names:
            names.append(name)
    return names


def check_targets(names, excluded):
    for name in names:
        if name in excluded:
            raise ValueError("deep_reload(): target %s is excluded by exclude=%r" % (name, excluded.names))
        kind = kind_of(name, sys.modules[name])
        if name in NEVER_REEXECUTED or kind not in (SOURCE, EXTENSION, NAMESPACE):
            raise ReloadError("deep_reload(): %s cannot be re-executed: %s" % (name, refusal(name, kind)))
        if kind == EXTENSION:
            warnings.warn(
                "compatreload: %s is a C extension and was not re-initialised (a rebuilt "
                "binary needs a new process); its Python dependents are reloaded" % name,
                ExtensionNotReloadedWarning,
                stacklevel=4,
            )


def refusal(name, kind):
    """Why the loaded module *name*, of kind *kind*, cannot be re-executed."""
    entry = sys.modules[name]
    if name in NEVER_REEXECUTED:
        return "it is the program's main module"
    if kind == BUILTIN:
        return "it is built into the interpreter"
    if not issubclass(type(entry), types.ModuleType):
        return (
            "sys.modules[%r] holds a %s.%s object, not a module (as when a module replaces itself "
            "there), so there is no module to re-execute; the 3.5+ way, "
            "sys.modules[__name__].__class__ = SubclassOfModuleType, keeps one"
            % (name, type(entry).__module__, type(entry).__name__)
        )
    archive = archive_of(entry)
    if archive is not None:
        return "it was imported from the zip archive %s (zipimport), not from a source file" % archive
    return (
        "it has no Python source file (frozen, loaded from bytecode alone, or compiled by its loader "
        "from another language)"
    )


def reexecutable(loaded, excluded):
    """name -> source path of the loaded modules a deep reload may re-execute
    (those kind_of() calls SOURCE: a .py file, which no extension has)."""
    candidates = dict(loaded.sources)
    for name in NEVER_REEXECUTED:
        candidates.pop(name, None)
    if excluded.names:
        for name in [name for name in candidates if name in excluded]:
            del candidates[name]
    return candidates


def plan(names, excluded):
    """The groups to re-execute, dependencies first, the graph used, the
    source paths and the LoadedModules index."""
    loaded = LoadedModules()
    candidates = reexecutable(loaded, excluded)
    chosen, graph = loaded.dependents_and_graph(names, candidates)
    return cycles_in_order(chosen, graph), graph, candidates, loaded


def in_import_order(groups, graph, loaded, paths):
    """The groups, each member list in the order to import it: a cycle
    starts with the member whose import started first, as the original
    import did (it imported the others; they may need it to have started
    first: a package whose ``__init__`` imports them); compat.SYS_MODULES_ORDER
    tells it. On 2.x, where sys.modules has no order, a member imported
    from outside the cycle, then by name, and a member that takes a name
    from another before it (see taking_names_first). One pass over the
    graph for all groups."""
    cycle_of = dict((name, index) for index, group in enumerate(groups) if len(group) > 1 for name in group)
    if not cycle_of:
        return groups
    imported_from_outside = set(
        dependency
        for name, depends in graph.items()
        for dependency in depends
        if dependency in cycle_of and cycle_of.get(name) != cycle_of[dependency]
    )
    started = import_start_ranks()
    ordered = []
    for group in groups:
        group = sorted(group, key=lambda name: (started[name], name not in imported_from_outside, name))
        if len(group) > 1 and SYS_MODULES_ORDER is None:
            group = taking_names_first(group, loaded, paths)
        ordered.append(group)
    return ordered


def taking_names_first(members, loaded, paths):
    """*members* of a cycle (in the order preferred), each placed before the
    members it takes a name from at import time (``from .b import helper``):
    imported first, it makes such a member run to its end (the member's
    ``import a`` gets the half-run one), which it must have done before the
    name is taken. A cycle of such from-imports keeps the preferred order."""
    within = set(members)
    takes_from = dict(
        (name, names_taken_from(name, paths[name], loaded.lines[name]) & within - set([name])) for name in members
    )
    order, placed = [], set()
    while len(order) < len(members):
        pending = [name for name in members if name not in placed]
        ready = [name for name in pending if all(name not in takes_from[taker] for taker in pending)]
        name = (ready or pending)[0]
        order.append(name)
        placed.add(name)
    return order


def import_start_ranks():
    """name -> a rank of every loaded module by when its import started
    (lowest first), from the order of sys.modules (SYS_MODULES_ORDER); 0
    for all where it has none."""
    names = list(sys.modules)
    if SYS_MODULES_ORDER is None:
        return dict.fromkeys(names, 0)
    if SYS_MODULES_ORDER == "completed":
        names.reverse()
    return dict((name, index) for index, name in enumerate(names))


def origins_of(groups, paths, loaded):
    """name -> Origin for every module to re-execute; ReloadError, before
    anything changes, if a source file is gone. *loaded*: the LoadedModules
    of the plan, which just took a stat of every file and read its import
    lines (take_fresh_lines): only a file it could not read is looked for
    again."""
    origins = {}
    stats = loaded.stats
    for group in groups:
        for name in group:
            path = paths[name]
            if stats[name] is None and not os.path.isfile(path):
                raise ReloadError(
                    "deep_reload(): %s was loaded from %s, which no longer exists; "
                    "nothing was reloaded" % (name, path)
                )
            module = sys.modules[name]
            search = module_namespace(module).get("__path__")
            search = None if search is None else [absolute_path(module, entry) for entry in search]
            origins[name] = Origin(path, search, own_compiler(module), stats[name])
    return origins


def execute(group, finder, aliases_of):
    """Drop the group from sys.modules together and import it again through
    *finder* (the PinnedFinder), in the group's order; then point the other
    sys.modules keys of each (*aliases_of*: name -> keys) at its new module,
    so that the modules that run next and import it by such a key get the
    new module too."""
    for name in group:
        del sys.modules[name]
    for name in group:
        if name not in sys.modules:
            finder.import_again(name)
    for name in group:
        for alias in aliases_of.get(name, ()):
            sys.modules[alias] = sys.modules[name]


def after_execution(name, path, old_namespace, transaction, upgrade):
    """Run the module's ``__reload__(old_namespace)`` hook, then upgrade."""
    namespace = module_namespace(sys.modules[name])
    hook = namespace.get("__reload__")
    if callable(hook):
        hook(old_namespace)
    if upgrade:
        Upgrader(name, path, transaction).module(old_namespace, namespace)


#: Seconds per phase of the last completed deep_reload in this process
#: (graph, bookkeeping, executing, rebinding): read by benchmarks/.
last_phases = {}


class PhaseClock(object):
    """Adds the time since the previous lap to a phase; publish() makes the
    phases of a completed reload last_phases."""

    def __init__(self):
        self.phases = {}
        self.last = timeit.default_timer()

    def lap(self, phase):
        now = timeit.default_timer()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - self.last
        self.last = now

    def publish(self):
        last_phases.clear()
        last_phases.update(self.phases)


def check_sources(sources, expected, old_modules):
    """Raise SourceChangedError if a module ran another source than the one
    expected: *expected* (name -> digest) for the changed modules, what ran
    last for the others (a file saved while the reload read it)."""
    for ran in sources:
        wanted = expected.get(ran.name) or executed_digest(ran.name, old_modules.get(ran.name))
        if wanted is not None and ran.digest != wanted:
            raise SourceChangedError(
                "deep_reload(): %s changed while it was being reloaded (%s); nothing was "
                "reloaded, try again once the file is saved" % (ran.name, ran.path)
            )


def may_be_imported(groups, graph, loaded):
    """A predicate: whether executing *groups* may import the module named
    so: a module of the groups, a dependency of one, or a module not loaded
    yet whose last name component is on the import lines of one."""
    names, tails = set(), set()
    for group in groups:
        for name in group:
            names.add(name)
            names.update(graph.get(name, ()))
            tails.update(loaded.lines[name].tokens)
    return lambda name: name in names or name.rpartition(".")[2] in tails


def rebinding_candidates(loaded, old_modules):
    """The modules that may hold an old object of a re-executed module:
    its suspects before the reload (holders and importers), the modules
    re-executed and those imported since the plan (by the reload, or by
    another thread meanwhile: 3.x lets them import).
    (A module the reload did not run cannot have taken one since.)"""
    names = set(old_modules)
    for name in old_modules:
        names.update(loaded.suspects(name))
    names.update(name for name in sys.modules if name not in loaded.held and name not in loaded.aliases)
    return names


def deep_reload(target, exclude=(), rebind=True, upgrade=False, dry_run=False, _expected_sources=None):
    """Re-execute *target* and every loaded module that depends on it.

    *target*: a module, the name of a loaded module, or a list/tuple of
    them (one transaction for all). Each module runs exactly once, from
    the file it was loaded from, compiled from its source as it is now
    (the code compiled from the same bytes by an earlier reload is reused;
    a file whose stat is still the one recorded with its bytes, and not
    racy, is not read again: changes.settled_digest);
    dependencies run before dependents, and the modules of an import cycle
    are dropped from sys.modules together and imported again. Modules in
    *exclude* (names or package prefixes) are not re-executed and not
    followed. ``__main__``, built-in and C-extension modules are never
    re-executed. With *rebind*, the bindings other modules hold to the old
    objects are pointed at the new ones (see rebind()). If anything raises,
    sys.modules, package attributes and every binding are restored to the
    objects they held and the exception propagates. A class version let
    go of that nothing else holds is gone from its bases'
    ``__subclasses__()`` when it returns (see collecting.py). With
    *dry_run*, returns what would run and executes nothing.

    Returns the names re-executed, in the order they ran."""
    excluded = Prefixes(exclude, "exclude")
    names = target_names(target)
    clock = PhaseClock()
    with exclusive():
        with import_lock():
            while True:
                check_targets(names, excluded)
                groups, graph, paths, loaded = plan(names, excluded)
                if not waited_for_imports_elsewhere(lambda: may_be_imported(groups, graph, loaded)):
                    break
            groups = in_import_order(groups, graph, loaded, paths)
            clock.lap("graph")
            if dry_run:
                order = [name for group in groups for name in group]
                for name in order if upgrade else ():
                    Upgrader(name, paths[name], None).preview(module_namespace(sys.modules[name]))
                return order
            origins = origins_of(groups, paths, loaded)
        with executing(names_and_aliases(origins, loaded.aliases_of)):
            finder, listed = run_transaction(groups, origins, loaded, rebind, upgrade, clock, _expected_sources)
        if listed:  # run_transaction has let go of the old versions
            collect_discarded()
        record_executed((ran.name, sys.modules[ran.name], ran.path, ran.stat, ran.digest) for ran in finder.sources)
        INDEX.ran(finder.sources)
        executed_paths = [ran.path for ran in finder.sources]
        discard_cached_bytecode(*executed_paths)
        discard_cached_lines(*executed_paths)
        clock.lap("bookkeeping")
        clock.publish()
    log.info("reloaded %s", ", ".join(finder.executed))
    return list(finder.executed)


def names_and_aliases(origins, aliases_of):
    """The modules to re-execute and the other sys.modules keys of each."""
    names = set(origins)
    for name in origins:
        names.update(aliases_of.get(name, ()))
    return names


def run_transaction(groups, origins, loaded, rebind, upgrade, clock, expected_sources):
    """Execute *groups* and rebind, all or nothing; returns the PinnedFinder
    (what ran, and the sources it ran) and whether a class of the versions
    let go of is listed by a base that stays (see collecting.py)."""
    old_modules = dict((name, sys.modules[name]) for name in origins)
    old_namespaces = dict((name, dict(module_namespace(module))) for name, module in old_modules.items())
    definitions = definitions_of(old_namespaces)
    discarded_subclasses = lists_subclasses(definitions)
    with pinned(origins, old_modules if upgrade else None) as finder:
        with Transaction(finder.imported_elsewhere) as transaction:
            if upgrade:
                for name, module in old_modules.items():
                    transaction.keep_namespace(module, old_namespaces[name])
            invalidate_caches()
            clock.lap("bookkeeping")
            for group in groups:
                execute(group, finder, loaded.aliases_of)
                for name in group:
                    after_execution(name, origins[name].path, old_namespaces[name], transaction, upgrade)
            clock.lap("executing")
            if expected_sources is not None:
                check_sources(finder.sources, expected_sources, old_modules)
            if rebind:
                replacements = [
                    Replacement(name, old_namespaces[name], sys.modules[name], old_modules[name], definitions[name])
                    for name in old_modules
                ]
                rebinder = Rebinder(replacements, transaction.assign, loaded.lines, loaded.aliases)
                rebound = rebinder.run(rebinding_candidates(loaded, old_modules), old_modules)
                log.debug("rebound %d bindings", len(rebound))
                INDEX.look_again(name for name, _ in rebound)
            clock.lap("rebinding")
    INDEX.forget(old_modules)  # their namespaces hold new objects, or are new
    for name, module in old_modules.items():
        if sys.modules.get(name) is not module:
            outlive_namespace(module, module_namespace(module))
    return finder, discarded_subclasses


def rebind(old, new, exclude=()):
    """Point the bindings loaded modules hold to *old*'s objects at *new*'s.

    *old*: a dict snapshot of a module's namespace taken before it was
    reloaded by any means (``old = dict(vars(m)); reload(m)``); *new*: the
    module after. Modules in *exclude* (names or package prefixes) are not
    touched. Returns the sorted (module name, attribute) pairs rebound."""
    if not isinstance(old, dict):
        raise TypeError("rebind() expects old to be a dict snapshot of a namespace, got %s" % type(old).__name__)
    if not isinstance(new, types.ModuleType):
        raise TypeError("rebind() expects new to be a module, got %s" % type(new).__name__)
    excluded = Prefixes(exclude, "exclude")
    name = module_namespace(new).get("__name__")
    with exclusive(), import_lock():
        skip = set(key for key in sys.modules if key in excluded or sys.modules[key] is new)
        rebound = Rebinder([Replacement(name, old, new)], plain_assign).run(skip=skip)
        INDEX.look_again([name] + [module_name for module_name, _ in rebound])  # reloaded or rebound since the last look
        return rebound
