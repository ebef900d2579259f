"""Synthetic packages for the benchmarks: N modules in one of three shapes.

- chain: m{i} imports m{i-1} (a deep chain; m0 is the root, the last is the leaf);
- fanout: every module imports m0 (one module imported by all);
- dag: each module imports up to three random earlier ones, and every 25th
  module also imports the next one at module level, closing an import cycle.

Every module defines a constant, a function and a class, and from-imports
the function of each module it imports (except across a cycle's back
edge), so a reload that leaves dependents alone leaves stale bindings the
benchmark can count. Runs on 2.7 and 3.x."""
import os
import random
import time

SHAPES = ("chain", "fanout", "dag")

MODULE = '''\
{imports}
VALUE = {index}


def work(x):
    return x + VALUE


class Thing(object):
    def method(self):
        return work(1)
'''


def imports_of(shape, index, count, rng):
    if index == 0:
        return []
    if shape == "chain":
        return [index - 1]
    if shape == "fanout":
        return [0]
    earlier = sorted(set(rng.randrange(index) for _ in range(3)))
    if index % 25 == 0 and index + 1 < count:
        earlier.append(index + 1)  # a back edge: closes a cycle with the next module
    return earlier


def generate(folder, shape, count, package=None, seed=20261121):
    """Write package *package* (default synth_<shape>_<count>) into *folder*;
    returns its name. Cycle edges use `import pkg.mN` (a mutual `from .
    import` cannot load on 2.7 and 3.6). Its files are an hour old, as a
    deployed package's are: a file modified in the last 2 s is "racy", read
    and hashed by every check and every reload (see changes.py), which a
    freshly written one would be for the first seconds of a run."""
    package = package or "synth_%s_%d" % (shape, count)
    rng = random.Random(seed)
    root = os.path.join(folder, package)
    os.makedirs(root)
    with open(os.path.join(root, "__init__.py"), "w") as stream:
        stream.write("")
    for index in range(count):
        lines = []
        for other in imports_of(shape, index, count, rng):
            lines.append("import %s.m%d" % (package, other))
            in_cycle = other > index or (shape == "dag" and other % 25 == 0 and other + 1 == index)
            if not in_cycle:  # a from-import of a partly initialised cycle partner would fail
                lines.append("from %s.m%d import work as work_%d" % (package, other, other))
        with open(os.path.join(root, "m%d.py" % index), "w") as stream:
            stream.write(MODULE.format(imports="\n".join(lines), index=index))
    old = int(time.time()) - 3600
    for name in os.listdir(root):
        os.utime(os.path.join(root, name), (old, old))
    return package


def module_names(package, count):
    return ["%s.m%d" % (package, index) for index in range(count)]
