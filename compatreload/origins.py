"""What a loaded module was loaded from, read without side effects.

Everything here reads a module's real namespace (module_namespace) rather
than using getattr or vars(), so lazy modules (six.moves, apipkg's) never
import anything because they were inspected."""
import os
import sys
import types
import zipimport

from .compat import (
    EXTENSION_SUFFIXES,
    OWN_COMPILE,
    PLAIN_COMPILE,
    PY2,
    PYC_FILE_MAY_HAVE_SOURCE,
    source_loader_kind,
    string_types,
)

#: The kinds of loaded module, by what can be done with them.
SOURCE = "source"  # a .py file compatreload can re-execute
EXTENSION = "extension"  # a C extension: never re-initialised
BUILTIN = "builtin"  # compiled into the interpreter
NAMESPACE = "namespace"  # a PEP 420 package: no code of its own
OTHER = "other"  # zip imports, frozen or sourceless modules, placeholders


#: The namespace slot of every module object: reading it bypasses a subclass's
#: ``__dict__`` property (apipkg's lazy modules import everything on it).
MODULE_DICT = types.ModuleType.__dict__["__dict__"]
read_module_dict = MODULE_DICT.__get__


def module_namespace(module):
    """The namespace of *module*; of anything else in sys.modules (PyPy's
    cffi ``Lib`` objects claim to be modules through ``__class__``), its
    ``__dict__`` or an empty one."""
    try:
        return read_module_dict(module)
    except TypeError:  # not a module by its real type
        return getattr(module, "__dict__", {})


def module_file(module):
    """The module's ``__file__`` if it is a string, else None."""
    path = module_namespace(module).get("__file__")
    return path if isinstance(path, string_types) else None


#: (id of a module, its relative ``__file__``) -> the working directory at
#: compatreload's first look at it. 2.x gives a relative ``__file__`` and
#: ``__path__`` to what it imports through sys.path's "" entry (``python -m``,
#: a REPL), and a plugin host may load a file by a relative path: both are
#: relative to the directory the process was in then, not to one a daemon
#: moves to later (``os.chdir("/")``).
_first_directories = {}


def absolute_path(module, path):
    """*path*, one of *module*'s own (``__file__``, an entry of ``__path__``),
    made absolute: a relative one against the working directory at the first
    look at *module* (see _first_directories)."""
    if os.path.isabs(path):
        return os.path.normpath(path)
    key = (id(module), module_file(module))
    directory = _first_directories.get(key)
    if directory is None:
        directory = _first_directories.setdefault(key, os.getcwd())
    return os.path.normpath(os.path.join(directory, path))


def remember_directories():
    """Take the first look at every loaded module with a relative
    ``__file__`` (done when compatreload is imported)."""
    for module in list(sys.modules.values()):
        path = module_file(module) if isinstance(module, types.ModuleType) else None
        if path is not None:
            absolute_path(module, path)


#: An absolute ``__file__`` -> source_file() of a module that has it (a
#: relative one also depends on the module: see _first_directories).
_sources = {}


def source_file(module):
    """Absolute path of the .py file the module was loaded from, or None.

    2.x sets ``__file__`` to the .pyc when it loaded one: the .py beside it
    is the source. On 3.x a .pyc ``__file__`` means the module was loaded
    from bytecode alone: it has no source."""
    path = module_file(module)
    if path is None:
        return None
    try:
        return _sources[path]
    except KeyError:
        source = source_of(module, path)
    if os.path.isabs(path):
        _sources[path] = source
    return source


def source_of(module, path):
    if archive_of(module) is not None:
        return None
    stem, ending = os.path.splitext(path)
    if ending in (".pyc", ".pyo"):
        if not PYC_FILE_MAY_HAVE_SOURCE:
            return None
        path = stem + ".py"
    elif ending != ".py" and not loaded_as_source(module, path):
        return None
    return absolute_path(module, path)


def loaded_as_source(module, path):
    """Whether *module*, whose ``__file__`` *path* is not a .py, .pyc or
    .pyo, was loaded from it as source: a plugin host's or a legacy
    program's ``imp.load_source("settings", "settings.conf")``,
    ``SourceFileLoader`` of any file name. 2.x gives such a module no loader,
    as it gives every import: there the file must be there at the first look
    and not be an extension."""
    if path.endswith(EXTENSION_SUFFIXES) or source_loader_kind(loader_of(module)) != PLAIN_COMPILE:
        return False
    return not PY2 or os.path.isfile(absolute_path(module, path))


def loader_of(module):
    return module_namespace(module).get("__loader__")


def own_compiler(module):
    """The loader of *module* if it compiles its source its own way (3.x: an
    instrumenting import hook's SourceFileLoader, see source_loader_kind),
    so that a reload compiles the new source through it too; else None."""
    loader = loader_of(module)
    return loader if source_loader_kind(loader) == OWN_COMPILE else None


def archive_of(module):
    """The zip archive *module* was imported from by zipimport (a zipapp, a
    zipped egg, a zip on sys.path), else None. Its ``__file__`` then names
    a path inside the archive: no file to stat, read or run again."""
    loader = loader_of(module)
    if issubclass(type(loader), zipimport.zipimporter):  # its real type: a proxy is never asked
        return loader.archive
    return None


def loaded_from_bytecode(module):
    """Whether *module*'s ``__file__`` is a .pyc or .pyo: certainly loaded
    from bytecode alone on 3.x (source_file() is then None); maybe on 2.x,
    where it is also the case of a .pyc cached beside its source."""
    return (module_file(module) or "").endswith((".pyc", ".pyo"))


def ran_from_bytecode_alone(module, source):
    """Whether *module*, whose source_file() is *source*, was loaded from
    bytecode alone: on 2.x its ``__file__`` is a .pyc or .pyo and no .py is
    there (3.x gives no source_file() for such a module)."""
    return loaded_from_bytecode(module) and not os.path.isfile(source)


def kind_of(name, module):
    """Classify the module registered under *name* as one of the kinds above."""
    path = module_file(module)
    if path is not None and path.endswith(EXTENSION_SUFFIXES):
        return EXTENSION
    source = source_file(module)
    if source is not None and not ran_from_bytecode_alone(module, source):
        return SOURCE
    if name in sys.builtin_module_names:
        return BUILTIN
    if path is None and "__path__" in module_namespace(module):
        return NAMESPACE
    return OTHER


def package_of(module):
    """The package relative imports in *module* are resolved against."""
    namespace = module_namespace(module)
    package = namespace.get("__package__")
    if package:
        return package
    name = namespace.get("__name__") or ""
    if "__path__" in namespace:
        return name
    return name.rpartition(".")[0]


def parent_and_tail(name):
    """Split "a.b.c" into ("a.b", "c"); a top-level name has parent ""."""
    parent, _, tail = name.rpartition(".")
    return parent, tail


remember_directories()
