"""Re-import a module from the file it was loaded from, compiled fresh.

During a deep reload, ``pinned(origins)`` puts a finder first on
sys.meta_path that answers only for the modules being re-executed: it
finds each at its original file, even if sys.path now has another file of
that name first, and its loader compiles the source as it is on disk now,
never a cached .pyc (the code a reload compiled from the very same bytes is
run again: bytecode.compiled_code). Every other import goes on as usual."""
import collections
import contextlib
import importlib
import os
import sys
import types

from .bytecode import code_compiled_from, compiled_code
from .changes import digest_of, read_source, settled_digest
from .compat import PY2, exec_code, thread_id
from .origins import module_namespace

if not PY2:
    import importlib.machinery
    import importlib.util


class Origin(object):
    """Where a module was loaded from: its source file and, for a package,
    the folders its submodules are searched in; *compiler*: its loader, if
    that compiles the source its own way (origins.own_compiler), else None;
    *stat*: the file's stat when the reload read its import lines to order
    it (None: not taken), which fresh_code trusts as the file's now."""

    __slots__ = ("path", "search_locations", "compiler", "stat")

    def __init__(self, path, search_locations, compiler=None, stat=None):
        self.path = path
        self.search_locations = search_locations
        self.compiler = compiler
        self.stat = stat


#: A source a reload ran: the module's name, the file's path, its stat
#: taken before reading, the bytes read (None: not read, the file being
#: settled as recorded; see PinnedFinder.fresh_code) and their digest
#: (changes.digest_of: what changed() records, and what bytecode.compiled_code
#: keys its code by).
Ran = collections.namedtuple("Ran", "name path stat data digest")


class PinnedFinder(object):
    """Finds the modules in *origins* (name -> Origin) at their origin.

    Appends each name to *executed* as its execution starts and keeps the
    source it ran in *sources*; re-executes into the module object *reuse*
    names for it (in-place upgrade), else into a new one. Answers only the
    thread that made it: the names other threads import meanwhile (3.x: a
    reload lets them import what it does not re-execute) are collected in
    *imported_elsewhere*, so a rollback leaves them loaded."""

    def __init__(self, origins, reuse=None):
        self.origins = origins
        self.reuse = reuse or {}
        self.executed = []
        self.sources = []  # Ran, in the order they ran
        self.thread = thread_id()
        self.imported_elsewhere = set()

    def origin_for(self, fullname):
        """The Origin to import *fullname* from, for the reloading thread."""
        if thread_id() != self.thread:
            self.imported_elsewhere.add(fullname)
            return None
        return self.origins.get(fullname)

    def fresh_source(self, fullname, path, stat=None):
        """The Ran of *path* as it is on disk now (read after *stat*, its
        stat, taken now if None), noted as what runs."""
        stat = os.stat(path) if stat is None else stat
        data = read_source(path, stat.st_size)
        return self.note(Ran(fullname, path, stat, data, digest_of(data)))

    def note(self, ran):
        """Note *ran* (a Ran) as what runs now; returns it."""
        self.executed.append(ran.name)
        self.sources.append(ran)
        return ran

    def fresh_code(self, fullname, path):
        """The code of *path* as it is on disk now, never from cached
        bytecode: the code compiled before from the same bytes, or compiled
        now. A file whose stat is still the one recorded with its bytes,
        and settled (changes.settled_digest: the rule changed() trusts),
        holds those bytes: when their code is kept, it is not read again.
        The stat is the one the reload ordered the module by (its Origin's),
        as the file's import lines were read then: an edit saved since runs
        at the next reload, which its stat then tells."""
        origin = self.origins.get(fullname)
        # None: the plan could not read the file, or a loader of this reload
        # was asked for another module or file (the module's code asked it)
        planned = origin.stat if origin is not None and origin.path == path else None
        stat = os.stat(path) if planned is None else planned
        digest = settled_digest(fullname, path, stat)
        code = None if digest is None else code_compiled_from(path, digest)
        if code is not None:
            self.note(Ran(fullname, path, stat, None, digest))
            return code
        ran = self.fresh_source(fullname, path, stat if planned is None else None)  # a read: a stat just before it
        return compiled_code(path, ran.data, ran.digest)

    def find_spec(self, fullname, path=None, target=None):
        """PEP 451 (3.4+)."""
        origin = self.origin_for(fullname)
        if origin is None:
            return None
        loader = fresh_loader(origin.compiler, fullname, origin.path)
        loader.finder, loader.compiler = self, origin.compiler
        loader.spec = importlib.util.spec_from_file_location(
            fullname,
            origin.path,
            loader=loader,
            submodule_search_locations=origin.search_locations,
        )
        return loader.spec

    def find_module(self, fullname, path=None):
        """PEP 302 (2.x)."""
        origin = self.origin_for(fullname)
        if origin is None:
            return None
        return LegacyFreshSourceLoader(self, origin)

    def import_again(self, fullname):
        """Import *fullname* (one of the origins) as an import statement
        would, its package first (also when the package is one of the
        origins, dropped with it: an import cycle through the package's
        ``__init__``). A module whose package is not loaded otherwise was
        loaded by file under a dotted name (a plugin host's
        ``spec_from_file_location("plugins.x", path)``, 2.x's
        ``imp.load_source``), which an import statement cannot do: it is
        loaded the same way again, without its package."""
        package, _, tail = fullname.rpartition(".")
        parent = sys.modules.get(package) if package else None
        if PY2 and (not package or parent is not None and "__path__" in module_namespace(parent)):
            return self.import_directly(fullname, parent, tail)
        if not package or parent is not None or package in self.origins:
            return importlib.import_module(fullname)
        if PY2:
            return self.import_directly(fullname, None, tail)
        spec = self.find_spec(fullname)
        module = importlib.util.module_from_spec(spec)
        sys.modules[fullname] = module
        spec._initializing = True  # as importlib does: a thread importing it meanwhile waits
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(fullname, None)
            raise
        finally:
            spec._initializing = False
        return sys.modules[fullname]

    def import_directly(self, fullname, parent, tail):
        """2.x: what ``__import__(fullname)`` does for a module this finder
        loads: load it, then bind it as *tail* on *parent*, its loaded
        package (None: no binding), without going through the import
        statement's machinery once more (its lock is held: exclusive()). As
        on 3.x, where importlib.import_module does not call ``__import__``
        either, a replaced ``__builtin__.__import__`` sees the imports the
        modules' code makes, not this one."""
        module = self.find_module(fullname).load_module(fullname)
        if parent is not None:
            setattr(parent, tail, module)
        return module


if not PY2:

    class Fresh(object):
        """What the loaders of a reload share: execute into the module object
        to reuse, if any, and hand the module over to a lasting loader."""

        finder = spec = compiler = None  # set by PinnedFinder.find_spec

        def create_module(self, spec):
            return self.finder.reuse.get(spec.name)

        def exec_module(self, module):
            attach_loaded_submodules(module)
            super(Fresh, self).exec_module(module)
            hand_over(module, self)

    class FreshSourceLoader(Fresh, importlib.machinery.SourceFileLoader):
        """A SourceFileLoader that compiles the file as it is now and
        neither reads nor writes bytecode."""

        def get_code(self, fullname):
            return self.finder.fresh_code(fullname, self.path)

    class FreshSourceFor(Fresh):
        """Mixed into the type of a loader that compiles its own way (an
        instrumenting import hook): its own get_code and source_to_code
        compile the file as it is now, and no bytecode is read or written
        (SourceLoader.get_code uses none when path_stats fails)."""

        source = None

        def exec_module(self, module):
            self.source = self.finder.fresh_source(self.name, self.path).data
            super(FreshSourceFor, self).exec_module(module)

        def path_stats(self, path):
            raise OSError("compatreload compiles %s from its source" % path)

        def get_data(self, path):
            if path == self.path and self.source is not None:
                return self.source
            return super(FreshSourceFor, self).get_data(path)

    def fresh_loader(compiler, fullname, path):
        """A FreshSourceLoader for module *fullname* at *path*; for a
        *compiler* (the module's own loader), a copy of it (its state, not
        its constructor, whose parameters may be its own) whose type is made
        of FreshSourceFor and the compiler's type."""
        if compiler is None:
            return FreshSourceLoader(fullname, path)
        kind = type(compiler)
        loader = object.__new__(type("Fresh" + kind.__name__, (FreshSourceFor, kind), {}))
        loader.__dict__.update(vars(compiler))
        loader.name, loader.path = fullname, path
        return loader

    def hand_over(module, loader):
        """Once *module* has run, make its ``__loader__`` and
        ``__spec__.loader`` a lasting loader: its own compiler, if it had
        one, else the SourceFileLoader a plain import of its file gives. The
        fresh loader's job is done, and left in place it would keep its
        finder (every source the reload read) alive, and run a later
        get_code() through a finished reload."""
        lasting = loader.compiler or importlib.machinery.SourceFileLoader(loader.name, loader.path)
        loader.spec.loader = lasting  # the module's __spec__
        if getattr(module, "__loader__", None) is loader:  # not a reused module's own
            module.__loader__ = lasting


class LegacyFreshSourceLoader(object):
    """The same as a PEP 302 loader, for 2.x: a new module object, executed
    from the source as it is now; removed from sys.modules if it raises.
    Like 2.x's own import of a source file, it sets no ``__loader__``, so
    pkgutil.get_data() and friends find the file's loader as before."""

    def __init__(self, finder, origin):
        self.finder = finder
        self.origin = origin

    def load_module(self, fullname):
        module = self.finder.reuse.get(fullname) or types.ModuleType(fullname)
        module.__file__ = self.origin.path
        if self.origin.search_locations is None:
            module.__package__ = fullname.rpartition(".")[0]
        else:
            module.__path__ = list(self.origin.search_locations)
            module.__package__ = fullname
            attach_loaded_submodules(module)
        sys.modules[fullname] = module
        try:
            exec_code(self.finder.fresh_code(fullname, self.origin.path), vars(module))
        except BaseException:
            sys.modules.pop(fullname, None)
            raise
        return sys.modules[fullname]


def attach_loaded_submodules(module):
    """Give a package's new module object, before its code runs, the loaded
    submodules its old object held as attributes: the interpreter's own
    reload keeps them (it reuses the namespace), and `from . import sub`
    in the package needs them on 2.7 and 3.6, which look on the package only."""
    namespace = vars(module)
    if "__path__" not in namespace:
        return
    prefix = namespace["__name__"] + "."
    for key, submodule in list(sys.modules.items()):
        tail = key[len(prefix):]
        if key.startswith(prefix) and "." not in tail and submodule is not None:
            namespace[tail] = submodule


@contextlib.contextmanager
def pinned(origins, reuse=None):
    """Put a PinnedFinder for *origins* first on sys.meta_path for the block."""
    finder = PinnedFinder(origins, reuse)
    take_first_place(finder)
    try:
        yield finder
    finally:
        give_up_place(finder)


class Dormant(object):
    """What a reload's finder leaves in its place on sys.meta_path: a finder
    that finds nothing. Removing an entry would move the ones after it
    down while another thread goes through the list by index (importlib's
    _find_spec, 2.x's import.c): that thread would skip one."""

    def find_spec(self, fullname, path=None, target=None):
        return None

    def find_module(self, fullname, path=None):
        return None


DORMANT = Dormant()


def take_first_place(finder):
    """Put *finder* first on sys.meta_path: over the Dormant a reload left
    first, else inserted (a thread going through the list meanwhile may ask
    a finder twice, which is harmless; it skips none)."""
    if sys.meta_path and sys.meta_path[0] is DORMANT:
        sys.meta_path[0] = finder
    else:
        sys.meta_path.insert(0, finder)


def give_up_place(finder):
    """Put the Dormant where *finder* is on sys.meta_path."""
    for index, entry in enumerate(sys.meta_path):
        if entry is finder:
            sys.meta_path[index] = DORMANT
