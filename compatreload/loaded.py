"""The loaded modules, indexed to find the dependents of a module, and
kept between reloads: each look at sys.modules redoes only what changed.

LoadedModules() is one view of every loaded module: what each holds (see
holding.py), its source file and import lines, the keys that are another
name of a module loaded under its own. Building it afresh means looking
at every loaded namespace and every source file's stat, in Python, which
is most of a deep reload of a module few others import. INDEX keeps what
it found of each module (a Record) and finds what changed since with
loops in C (map over operator.is_, itertools.chain): the sys.modules
entries replaced, added or removed; the namespaces that hold another
object, or a module object under another key. Only those are looked at
again in Python, their import lines read again (once per file version):
the lines of a module are those of the source it was looked at with, not
of an edit nothing re-executed, which no stat of every source looks for;
the modules a reload re-executes take their lines from their files as
they are now.

INDEX holds the namespaces it looked at and the objects they held then
(see Record): forget() lets go of the modules a reload replaced or
rebound and of those purge() unloads, so that it keeps no replaced
version alive once those return; an object a namespace let go of
otherwise stays alive until the next look. What such a record
contributed (the names of the modules it holds) stays until the next
update, which redoes only what the new record contributes otherwise
(ModulesIndex.set_aside). Used under locking.exclusive()
(deep_reload, rebind and purge take it), so one thread at a time."""
import bisect
import collections
import itertools
import operator
import sys
import types

from .compat import imap, string_types
from .graph import NO_LINES, SUSPECTS, dependencies, lines_of, lines_of_source, stat_and_lines
from .holding import NOTHING, look_at, loaded_held
from .origins import module_namespace, parent_and_tail, ran_from_bytecode_alone, source_file

MISSING = object()
END = (MISSING,)  # after the items of each namespace compared: see changed_namespaces
MISSING_NOW = object()  # after the last of them, now

_compared = operator.attrgetter("compared")
_module_keys = operator.attrgetter("module_keys")
_module_values = operator.attrgetter("module_values")
_namespace_of = operator.attrgetter("namespace")
_size_of = operator.attrgetter("size")


class Record(object):
    """What was found of the module object *module*, loaded as *name*: its
    namespace; what that held (*compared*: its values, strong references,
    since an id alone could be reused by a later object, then END's item;
    *module_keys*, *module_values*: the keys that held a module object,
    which matter since a submodule's own key is left out, and those
    objects), and what look_at() found (*definers*, *modules*); its own
    ``__name__`` and its source file."""

    __slots__ = (
        "name", "module", "namespace", "compared", "size", "definers", "modules", "module_keys", "module_values",
        "own_name", "path",
    )

    def __init__(self, name, module):
        self.name = name
        self.module = module
        namespace = module_namespace(module)
        # The C loops take dicts; another mapping (of an object that only
        # claims to be a module) is looked at once, as it is now (a copy).
        self.namespace = namespace if isinstance(namespace, dict) else dict(namespace)
        keys, values = keys_and_values(self.namespace)
        self.definers, self.modules, self.module_keys, self.module_values = look_at(name, keys, values)
        self.size = len(values)
        values.append(MISSING)  # END's item
        self.compared = values
        self.own_name = self.namespace.get("__name__")
        self.path = source_file(module)

    def held(self):
        """The names of the loaded modules it holds (holding.loaded_held)."""
        return loaded_held(self.definers, self.modules)

    def mentioned(self):
        """The names of the modules it holds, loaded now or not."""
        return itertools.chain(self.definers, self.modules[::2])

    def alias_of(self, name):
        """The name this module is loaded under if *name* is another key of
        it (``sys.modules["settings"] = app.settings``), else None."""
        own = self.own_name
        if own != name and isinstance(own, string_types) and sys.modules.get(own) is self.module:
            return own
        return None


def is_module_named(value, name):
    return isinstance(value, types.ModuleType) and module_namespace(value).get("__name__") == name


def keys_and_values(namespace):
    """The keys and the values of *namespace* as two lists in the same order
    (cheaper than its items: no pair is made), taken again should another
    thread change its keys meanwhile."""
    keys, values = list(namespace), list(namespace.values())
    return (keys, values) if list(namespace) == keys else keys_and_values(namespace)


def groups_differing(now, before, sizes):
    """Indexes of the groups (runs of *sizes* items, in order) in which the
    iterators ``now()`` and ``before()`` give another object (identity).
    One pass in C over both that keeps nothing per item: operator.indexOf
    consumes the flags up to the next difference; in Python, only the group
    of each is found and the rest of it skipped (in C), so the cost is
    linear however many groups differ."""
    flags = imap(operator.is_, now(), before())
    position = next_difference(flags, 0)
    if position is None:  # the common case
        return []
    ends, total = [], 0
    for size in sizes:
        total += size
        ends.append(total)
    found = []
    while position is not None:
        group = bisect.bisect_right(ends, position)
        found.append(group)
        end = ends[group]
        skipped = end - position - 1
        next(itertools.islice(flags, skipped, skipped), None)  # the rest of the group
        position = next_difference(flags, end)
    return found


def next_difference(flags, start):
    """The position of the next False of the iterator *flags*, whose next
    item is at position *start*, or None: consumed up to it, in C."""
    try:
        return start + operator.indexOf(flags, False)
    except ValueError:
        return None


def changed_namespaces(records):
    """The records among *records* whose namespace holds other objects, or
    a module object under another key, than at its look: C loops over all
    of them, Python only where one differs.

    The namespaces whose size changed are set apart first, so that the
    others line up item by item. Each namespace's items are followed by
    END, and a fresh object follows the last: should another thread change
    a size meanwhile, the items no longer line up from there, and END (or
    the fresh object, if the items now came out fewer) meeting an item marks
    every namespace from there on as changed (looked at again for nothing,
    but none is missed)."""
    namespaces = list(imap(_namespace_of, records))
    sizes = list(imap(len, namespaces))
    if sizes != list(imap(_size_of, records)):
        changed = [record for record, size in zip(records, sizes) if size != record.size]
        return changed + changed_namespaces([record for record, size in zip(records, sizes) if size == record.size])
    parts = [END] * (2 * len(namespaces))
    parts[::2] = list(imap(dict.values, namespaces))
    keys = list(imap(_module_keys, records))
    key_counts = list(imap(len, keys))

    def values_now():
        return itertools.chain(itertools.chain.from_iterable(parts), itertools.repeat(MISSING_NOW))

    def values_before():
        return itertools.chain.from_iterable(imap(_compared, records))

    def modules_now():
        repeated = itertools.chain.from_iterable(imap(itertools.repeat, namespaces, key_counts))
        return imap(dict.get, repeated, itertools.chain.from_iterable(keys))

    def modules_before():
        return itertools.chain.from_iterable(imap(_module_values, records))

    differing = set(groups_differing(values_now, values_before, [size + 1 for size in sizes]))
    differing.update(groups_differing(modules_now, modules_before, key_counts))
    return [records[index] for index in sorted(differing)]


class ModulesIndex(object):
    """What LoadedModules holds, kept up to date by update(); see above.

    records: name -> Record of every sys.modules entry that is a module;
    entries, world: sys.modules as it was at the last update (a dict, and
    its keys and values as lists); held, sources, aliases, aliases_of,
    holders, lines: as LoadedModules' (a value is replaced, never changed
    in place, but holders' sets: LoadedModules shares those, as it shares
    graph.SUSPECTS'); line_sources: name -> path of the modules in lines;
    mentions: name -> the modules whose record names it among what it
    holds (which changes when its sys.modules entry does)."""

    def __init__(self):
        self.records, self.entries, self.world = {}, {}, None
        # names of: renamed modules; records let go of whose entries were not;
        # entries let go of (whatever sys.modules holds there now)
        self.renamed, self.unlooked, self.forgotten = set(), set(), set()
        # name -> what the record let go of by set_aside() mentioned (a tuple)
        self.set_aside_mentions = {}
        self.held, self.holders, self.mentions = {}, {}, collections.defaultdict(set)
        self.sources, self.aliases, self.aliases_of = {}, {}, {}
        self.lines, self.line_sources = {}, {}
        self.lines_pending, self.lines_dropped = set(), set()  # names, for read_lines
        self.ran_lines = {}  # name -> (path, ImportLines) of the source a reload ran, for read_lines

    def update(self):
        """Bring everything up to date with sys.modules (and read_lines())."""
        items = list(sys.modules.items())
        names = list(imap(operator.itemgetter(0), items))
        entries = list(imap(operator.itemgetter(1), items))
        world = self.world
        if world is not None and names == world[0] and all(imap(operator.is_, entries, world[1])):
            moved, gone = [], []
        else:
            previous = self.entries
            moved = [name for name, entry in items if previous.get(name, MISSING) is not entry]
            self.entries = dict(items)
            gone = [name for name in previous if name not in self.entries]
        self.world = (names, entries)
        moved_names = set(moved)
        stable = [record for record in imap(self.records.get, names) if record is not None]
        if moved_names:
            stable = [record for record in stable if record.name not in moved_names]
        refresh = moved + [record.name for record in changed_namespaces(stable)]
        refresh.extend(name for name in self.unlooked if name not in moved_names and name in self.entries)
        self.unlooked.clear()
        for name in gone:
            self.drop(name)
        for name in refresh:
            entry = self.entries[name]
            record = Record(name, entry) if isinstance(entry, types.ModuleType) else None
            if record is not None and self.may_replace(name, record):
                self.replace(name, record)
                continue
            if name in self.records or name in self.set_aside_mentions:
                self.drop(name)
            if record is not None:
                self.add(name, record)
        for name in list(self.set_aside_mentions):  # set aside, and no longer loaded
            self.drop(name)
        keys = moved_names.union(gone, self.forgotten)
        self.forgotten.clear()
        if keys:
            self.follow_sys_modules(keys, set(refresh))
        self.read_lines()
        self.ran_lines.clear()  # those of modules replaced since, or not recorded, are not needed

    def ran(self, sources):
        """A reload ran *sources* (pinning.Ran: name, path, stat before
        reading, bytes...): the import lines of each are those of what ran
        (read_lines takes them for the module's next record, without a stat
        of its file)."""
        for ran in sources:
            self.ran_lines[ran.name] = (ran.path, lines_of_source(ran.path, ran.stat, ran.data))

    def add(self, name, record):
        self.records[name] = record
        if record.own_name != name:
            self.renamed.add(name)
        self.contribute(name)

    def drop(self, name):
        self.withdraw(name)
        self.records.pop(name, None)
        self.renamed.discard(name)

    def set_aside(self, name):
        """Let go of the record of *name* (and of every object it holds) but
        not yet of what it contributed (held, holders, mentions, sources):
        the next update replaces that with what the module's new record
        contributes, redoing only what differs (see replace), or withdraws
        it if the module is gone. Most modules a reload replaces hold the
        same modules as before. Nothing reads what was contributed before
        an update."""
        record = self.records.pop(name, None)
        if record is not None:
            self.set_aside_mentions[name] = tuple(record.mentioned())
            self.renamed.discard(name)

    def may_replace(self, name, record):
        """Whether *record*, of a module loaded under its own name, can
        take the place of the one of *name* set aside, also of such a module."""
        return name in self.set_aside_mentions and name in self.held and record.alias_of(name) is None

    def replace(self, name, record):
        """Make *record* that of *name* in place of the one set aside: what
        it contributes is what that did (contribute()), but for what differs."""
        before = self.set_aside_mentions.pop(name)
        self.records[name] = record
        if record.own_name != name:
            self.renamed.add(name)
        mentioned = tuple(record.mentioned())
        if mentioned != before:
            self.unmention(name, before)
            for module_name in mentioned:
                self.mentions[module_name].add(name)
        self.set_held(name, record.held())
        self.set_source(name, record.path)

    def follow_sys_modules(self, keys, refreshed):
        """The sys.modules *keys* now hold another entry (or none): redo
        what depended on them, the held sets naming them and the aliases."""
        for key in keys:
            for name in list(self.mentions.get(key, ())):
                if name not in refreshed:
                    self.set_held(name, self.records[name].held())
        for name in list(self.renamed):
            record = self.records[name]
            if name not in refreshed and (name in self.aliases) != (record.alias_of(name) is not None):
                self.withdraw(name)
                self.contribute(name)

    def contribute(self, name):
        """Add what the record of *name* holds to held, holders, sources..."""
        record = self.records[name]
        own = record.alias_of(name)
        if own is not None:
            self.aliases[name] = own
            self.aliases_of[own] = self.aliases_of.get(own, []) + [name]
            return
        for mentioned in record.mentioned():
            self.mentions[mentioned].add(name)
        self.set_held(name, record.held())
        self.set_source(name, record.path)

    def withdraw(self, name):
        """Take back what contribute() added for *name*."""
        own = self.aliases.pop(name, None)
        if own is not None:
            others = [alias for alias in self.aliases_of[own] if alias != name]
            if others:
                self.aliases_of[own] = others
            else:
                del self.aliases_of[own]
        record = self.records.get(name)
        mentioned = self.set_aside_mentions.pop(name, None) if record is None else record.mentioned()
        if mentioned is not None and name in self.held:
            self.unmention(name, mentioned)
            self.set_held(name, None)
        self.set_source(name, None)

    def set_source(self, name, path):
        """Make *path* (None: none) the source of *name*, its lines to be
        read (again) by read_lines, or dropped."""
        if path is not None:
            self.sources[name] = path
            self.lines_pending.add(name)
        elif self.sources.pop(name, None) is not None:
            self.lines_dropped.add(name)
            self.lines_pending.discard(name)

    def unmention(self, name, mentioned):
        """Take *name* out of mentions of each of *mentioned*."""
        for module_name in mentioned:
            mentioning = self.mentions[module_name]
            mentioning.discard(name)
            if not mentioning:
                del self.mentions[module_name]

    def set_held(self, name, held):
        """Make *held* (None: nothing, not loaded) what *name* holds, and
        holders its reverse."""
        before = self.held.pop(name, NOTHING)
        if held is None:
            held = NOTHING
        else:
            self.held[name] = held
        holders = self.holders
        for module_name in before.difference(held) if before else ():
            holding = holders[module_name]
            holding.discard(name)
            if not holding:
                del holders[module_name]
        for module_name in held.difference(before) if before else held:
            holding = holders.get(module_name)
            if holding is None:
                holders[module_name] = set([name])
            else:
                holding.add(name)

    def read_lines(self):
        """The ImportLines (lines_of) of the source of each module whose
        record was made since the last call, those of the modules no longer
        recorded left out: lines holds those of the source each module was
        first looked at with (or again, once looked at again: re-executed,
        replaced, its namespace changed; for a module a reload ran, those of
        the source it ran: see ran()), not of what a file says now that
        nothing re-executed (see LoadedModules.take_fresh_lines). Modules 2.x loaded from
        bytecode alone drop out. The dicts are replaced, never changed in
        place: a LoadedModules made before keeps its own."""
        pending, dropped = self.lines_pending, self.lines_dropped
        if not pending and not dropped:
            return
        lines, line_sources = dict(self.lines), dict(self.line_sources)
        for name in dropped:
            lines.pop(name, None)
            line_sources.pop(name, None)
        for name in pending:  # each has a source (withdraw() takes it out)
            path = self.sources[name]
            ran = self.ran_lines.get(name)
            found = ran[1] if ran is not None and ran[0] == path else lines_of(path)
            if found is NO_LINES and ran_from_bytecode_alone(self.records[name].module, path):
                continue
            lines[name], line_sources[name] = found, path
        self.lines, self.line_sources = lines, line_sources
        SUSPECTS.update(lines, pending | dropped)
        pending.clear()
        dropped.clear()

    def forget(self, names):
        """Let go of the modules *names*, replaced or unloaded (taken as new
        sys.modules entries by the next update), and look again at their
        packages, whose namespaces the import system changes when it loads one."""
        names = list(names)
        for name in names:
            self.set_aside(name)
            self.entries.pop(name, None)
        self.forgotten.update(names)  # what depends on their entries is redone
        self.world = None  # it holds the entries as they were
        tails = collections.defaultdict(list)
        for name in names:
            parent, tail = parent_and_tail(name)
            tails[parent].append(tail)
        self.look_again(parent for parent in tails if not self.took_submodules(parent, tails[parent]))

    def took_submodules(self, name, tails):
        """Whether the record of package *name* could be brought up to date in
        place (or there is none): the import system set each of its *tails*
        to another object of that submodule (``pkg.sub`` after a reload of
        ``pkg.sub``), where the record saw one. The old objects are let go
        of; the rest is compared by the next update as any namespace (which
        finds this one changed if anything else did: another size, another
        order, the old object under a second key). Looking at the whole
        namespace again instead cost a reload of one module of a
        1,000-module package 0.3 ms (2.7: 0.7)."""
        record = self.records.get(name)
        if record is None:
            return True
        values = list(record.module_values)
        index_of = dict(zip(record.module_keys, itertools.count()))
        replacements = {}  # id of an old object -> the new one (the olds stay alive meanwhile)
        for tail in tails:
            own_name = name + "." + tail
            index = index_of.get(tail)
            old = None if index is None else values[index]
            new = record.namespace.get(tail)
            if not (is_module_named(old, own_name) and is_module_named(new, own_name)):
                return False  # not a submodule under its own name: looked at again
            values[index] = replacements[id(old)] = new
        compared = record.compared
        held_at = imap(operator.contains, itertools.repeat(replacements), imap(id, compared))
        for position in list(itertools.compress(itertools.count(), held_at)):  # one pass in C: a reload of all is linear
            compared[position] = replacements[id(compared[position])]
        record.module_values = tuple(values)
        return True

    def look_again(self, names):
        """Let go of what was found of the modules *names*, whose namespaces
        were changed in place (rebound): looked at afresh by the next update."""
        for name in names:
            if name in self.records:
                self.set_aside(name)
                self.unlooked.add(name)


#: The process's ModulesIndex, used by every deep_reload (under exclusive()).
INDEX = ModulesIndex()


def joined(first, second):
    """``first | second``, or one of them when it holds the other: most
    modules' suspects by import line are those that hold its objects, and a
    root reload keeps the suspects of every module it re-executes."""
    if second <= first:
        return first
    if first <= second:
        return second
    return first | second


class LoadedModules(object):
    """A view of sys.modules: what each loaded module holds, and where to
    look for the modules that may depend on a given one: INDEX brought up
    to date, its dicts copied where it changes them in place, shared where
    it replaces them (lines, sources) or as SUSPECTS' are (holders).

    sources: name -> source path of every loaded module that has one;
    lines: name -> the ImportLines of that source as INDEX read it (see
    ModulesIndex.read_lines), and as it is now for the modules a reload
    re-executes (take_fresh_lines);
    held: name -> the names of the loaded modules each loaded module holds
    (see holding.py); holders: the reverse of held; by_tail, by_package:
    see graph.SuspectsIndex; aliases: key -> name, for the sys.modules keys
    that are another name of a module loaded under its own
    (``sys.modules["settings"] = app.settings``): they are left out of
    everything above, since the module is there under its own name;
    aliases_of is the reverse."""

    def __init__(self):
        INDEX.update()
        self.lines, self.sources = INDEX.lines, INDEX.line_sources
        self.held, self.holders = dict(INDEX.held), INDEX.holders
        self.aliases, self.aliases_of = dict(INDEX.aliases), dict(INDEX.aliases_of)
        self.by_tail, self.by_package = SUSPECTS.by_tail, SUSPECTS.by_package
        self.found_suspects = {}  # name -> suspects(name): a reload asks twice (graph, rebinding)
        self.stats = {}  # name -> stat: see take_fresh_lines

    def suspects(self, name):
        """The loaded modules that may depend on module *name*: those that
        hold its objects, and those whose import lines may bind it."""
        found = self.found_suspects.get(name)
        if found is None:
            found = self.found_suspects[name] = self.find_suspects(name)
        return found

    def find_suspects(self, name):
        """The union of the index's sets for *name* (read, never changed)."""
        found = joined(self.by_tail.get(name.rpartition(".")[2], NOTHING), self.by_package.get(name, NOTHING))
        found = joined(found, self.holders.get(name, NOTHING))
        for alias in self.aliases_of.get(name, ()):
            found = joined(found, self.by_tail.get(alias.rpartition(".")[2], NOTHING))
        return found

    def dependents_and_graph(self, targets, paths):
        """The modules of *paths* (name -> source path) that depend on a
        name in *targets*, directly or transitively, and the dependency
        graph of those and the targets. Only suspects are parsed."""
        graph, aliases = {}, self.aliases

        def depends(name):
            if name not in graph:
                found = dependencies(name, sys.modules[name], paths[name], self.lines[name], self.held[name])
                if aliases and any(dependency in aliases for dependency in found):
                    found = set(aliases.get(dependency, dependency) for dependency in found)
                    found.discard(name)
                graph[name] = found  # dependencies() made it: no other set per module
            return graph[name]

        targets = [self.aliases.get(name, name) for name in targets]
        found, pending = set(), list(targets)
        while pending:
            dependency = pending.pop()
            for importer in self.suspects(dependency):
                if importer in paths and importer not in found and dependency in depends(importer):
                    found.add(importer)
                    pending.append(importer)
        chosen = found | set(name for name in targets if name in paths)
        for name in self.take_fresh_lines(chosen, paths):
            graph.pop(name, None)
        for name in chosen:
            depends(name)
        return chosen, graph

    def take_fresh_lines(self, names, paths):
        """Make lines those of the files of *names* as they are now (the
        modules a reload re-executes: they run what the files say now, so
        that orders them), and stats the stat each file had when they were
        read (None: unreadable); return the names whose lines were another."""
        fresh = []
        for name in names:
            self.stats[name], found = stat_and_lines(paths[name])
            if found is not self.lines[name]:
                fresh.append((name, found))
        if fresh:
            self.lines = dict(self.lines)  # INDEX's, shared: see read_lines
            self.lines.update(fresh)
        return [name for name, _ in fresh]
