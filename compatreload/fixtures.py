"""The matrix fixture packages on disk.

Where they are (``compatreload._matrix`` when installed, ``matrix/`` in a
source checkout), how to lay out a version of them in a temporary folder
on sys.path, and how to build the C extension with the running
interpreter. Version N of a fixture file is its v1 text with every "@1"
replaced by "@N", so versions 1-9 of a file all have the same size."""
import collections
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import types
import warnings

from .compat import EXTENSION_SUFFIXES, invalidate_caches, restore_mtime
from .errors import ExtensionNotReloadedWarning
from .origins import module_file
from .purging import purge

#: package: the top-level name it imports as; roots: folders (relative to
#: the fixture's own) that go on sys.path; needs: (version_info, reason)
#: for a fixture an older interpreter cannot load.
Fixture = collections.namedtuple("Fixture", "name package roots needs")

FIXTURES = collections.OrderedDict(
    (fixture.name, fixture)
    for fixture in (
        Fixture("pure", "pure", (".",), None),
        Fixture("circular", "circular", (".",), None),
        Fixture("cext", "cext", (".",), None),
        Fixture("relative_py2", "relative_py2", (".",), None),
        Fixture("sixmoves", "sixmoves", (".",), None),
        Fixture(
            "namespace",
            "nsfixture",
            ("portion_a", "portion_b"),
            ((3, 3), "namespace packages need 3.3+"),
        ),
    )
)

#: What a fixture is made of; anything else in its folder is left behind.
FIXTURE_SOURCES = (".py", ".c")


def matrix_root():
    """The folder holding the fixtures: installed, or in a source checkout."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.path.join(here, "_matrix"), os.path.join(os.path.dirname(here), "matrix")]
    for candidate in candidates:
        if os.path.isdir(os.path.join(candidate, "pure")):
            return candidate
    raise RuntimeError(
        "compatreload: the matrix fixtures were expected in %s; none is there "
        "(a vendored copy carries no fixtures)" % " or ".join(candidates)
    )


def unavailable_reason(fixture):
    """Why *fixture* cannot load on this interpreter, or None."""
    if fixture.needs and sys.version_info < fixture.needs[0]:
        return fixture.needs[1]
    return None


def render(text, version):
    """Version *version* of a fixture file's v1 *text*."""
    return text.replace("@1", "@%d" % version)


def build_extension(source, name):
    """Compile the C file *source* into the extension module *name* beside
    it, with the compiler and headers of the running interpreter."""
    include = sysconfig.get_paths()["include"]
    compiler = (sysconfig.get_config_var("CC") or "cc").split()
    target = os.path.join(os.path.dirname(source), name + EXTENSION_SUFFIXES[0])
    command = compiler + ["-shared", "-fPIC", "-I" + include, source, "-o", target]
    if sys.platform == "darwin":  # pragma: no cover (the matrix runs on Linux)
        command[1:1] = ["-undefined", "dynamic_lookup"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.communicate()[0]
    if process.returncode != 0:
        raise RuntimeError(
            "compatreload: building %s failed (exit %d): %s\n%s"
            % (name, process.returncode, " ".join(command), printable(output))
        )
    return target


def printable(output):
    """Compiler output as ASCII text (gcc quotes with U+2018), which a
    2.x exception message can carry."""
    return output.decode("utf-8", "replace").encode("ascii", "backslashreplace").decode("ascii")


class Workspace(object):
    """A temporary folder on sys.path holding copies of fixtures.

    Use as a context manager: on exit the fixture packages are purged, the
    folders leave sys.path and the folder is removed."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="compatreload-")
        self.matrix = matrix_root()
        self.sys_path = []
        self.packages = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def source(self, fixture_name, relpath):
        """The v1 text of a fixture file (relpath as in matrix/<fixture>/)."""
        with open(os.path.join(self.matrix, fixture_name, relpath)) as stream:
            return stream.read()

    def path(self, fixture_name, relpath):
        """Where the fixture file lives in this workspace."""
        return os.path.join(self.root, fixture_name, relpath)

    def add(self, fixture_name, version=1):
        """Lay out *version* of the fixture and put its roots on sys.path."""
        fixture = FIXTURES[fixture_name]
        top = os.path.join(self.matrix, fixture_name)
        for folder, subfolders, files in os.walk(top):
            subfolders[:] = [sub for sub in subfolders if sub != "__pycache__"]
            for filename in files:
                if not filename.endswith(FIXTURE_SOURCES):
                    continue  # e.g. .pyc files pip compiled when installing
                relpath = os.path.relpath(os.path.join(folder, filename), top)
                self.write(fixture_name, relpath, render(self.source(fixture_name, relpath), version))
        for root in fixture.roots:
            entry = os.path.normpath(os.path.join(self.root, fixture_name, root))
            sys.path.insert(0, entry)
            self.sys_path.append(entry)
        self.packages.append(fixture.package)
        invalidate_caches()
        return fixture

    def build(self, fixture_name, relpath):
        """Build the C file at *relpath* into an extension beside it."""
        path = self.path(fixture_name, relpath)
        return build_extension(path, os.path.splitext(os.path.basename(path))[0])

    def write(self, fixture_name, relpath, text, same_second=False):
        """Write *text* to the fixture file. With *same_second*, the file
        keeps the mtime it had: the edit the bytecode caches cannot see."""
        path = self.path(fixture_name, relpath)
        folder = os.path.dirname(path)
        if not os.path.isdir(folder):
            os.makedirs(folder)
        before = os.stat(path) if same_second else None
        with open(path, "w") as stream:
            stream.write(text)
        if before is not None:
            restore_mtime(path, before)
        invalidate_caches()
        return path

    def set_version(self, fixture_name, relpath, version, same_second=True):
        """Rewrite one fixture file as *version* (same size as v1)."""
        text = render(self.source(fixture_name, relpath), version)
        return self.write(fixture_name, relpath, text, same_second)

    def loaded_from_here(self):
        """Names of the loaded modules whose file is in this workspace, and
        of the fixture packages (a namespace package has no file)."""
        inside = os.path.join(self.root, "")
        names = set(self.packages)
        for name, module in list(sys.modules.items()):
            path = module_file(module) if isinstance(module, types.ModuleType) else None
            if path is not None and os.path.abspath(path).startswith(inside):
                names.add(name)
        return sorted(names)

    def close(self):
        with warnings.catch_warnings():
            # Unloading the built extension is the point here, not news.
            warnings.simplefilter("ignore", ExtensionNotReloadedWarning)
            for name in self.loaded_from_here():
                purge(name)
        sys.path[:] = [entry for entry in sys.path if entry not in self.sys_path]
        shutil.rmtree(self.root, ignore_errors=True)
        invalidate_caches()
