"""What the garbage collector does during deep_reload and during the floor, per call.

    python benchmarks/collector.py [--shape chain] [--size 1000] [--calls 20] [--repeat 3]

For a generated package (see synth.py), fresh processes alternate: the
floor (a bare reload loop over the modules deep_reload re-executes, in its
order; it never imports compatreload) and the tool (``deep_reload`` of the
root). Each process makes 3 warm-up calls and a full collection, then
*calls* calls and a full collection with ``gc.DEBUG_STATS`` on, and this
script reads the collector's own report from the process's stderr: the
collections of each generation per call, the seconds they took (the
collector's figure), and the objects they found unreachable, per
re-executed module and call. Both compile from source
(``PYTHONDONTWRITEBYTECODE=1``). Prints a markdown table of medians over
*repeat* pairs of processes. Works on 2.7 and 3.x (the report's format is
the same in what is read here). The tool's processes and the plan import
compatreload from the checkout this script is in.

The collector's times are its own clock, with the report's printing left
out. No wall time is shown: with the report on, a call takes 1.5-2.5x as
long as without it (time the calls with run.py)."""
from __future__ import print_function

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run  # noqa: E402
import synth  # noqa: E402

CHILD = r"""
import gc, importlib, json, sys
sys.path.insert(0, sys.argv[2])
import worker
spec = json.load(open(sys.argv[1]))
worker.load(spec)
if spec["kind"] == "tool":
    import compatreload
    def call():
        compatreload.deep_reload(spec["target"])
else:
    reload = importlib.reload if sys.version_info >= (3, 4) else worker.reload_builtin()
    def call():
        for name in spec["order"]:
            reload(sys.modules[name])
for _ in range(3):
    call()
gc.collect()
gc.set_debug(gc.DEBUG_STATS)
for _ in range(spec["calls"]):
    call()
gc.collect()
gc.set_debug(0)
"""

#: One collection in gc.DEBUG_STATS' report: its generation, then (on the
#: "done" line) how many objects it found unreachable when it found any,
#: and its seconds.
COLLECTION = re.compile(
    r"collecting generation (\d)\.\.\..*?done, (?:(\d+) unreachable, \d+ uncollectable, )?([\d.]+)s elapsed", re.S)


def collections_of(report):
    """generation -> [collections, seconds, unreachable] in a DEBUG_STATS report."""
    found = dict((generation, [0, 0.0, 0]) for generation in "012")
    for generation, unreachable, seconds in COLLECTION.findall(report):
        totals = found[generation]
        totals[0] += 1
        totals[1] += float(seconds)
        totals[2] += int(unreachable or 0)
    return found


def measure(spec, kind):
    """One fresh process (worker.load, then the calls): per call,
    generation -> (collections, seconds, unreachable); the closing full
    collection is counted as one of the calls' (it frees what they left)."""
    handle, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(handle, "w") as stream:
        json.dump(dict(spec, kind=kind), stream)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    try:
        process = subprocess.Popen([sys.executable, "-c", CHILD, path, HERE], env=env, stderr=subprocess.PIPE)
        err = process.communicate()[1]
    finally:
        os.remove(path)
    if process.returncode:
        raise RuntimeError("the %s process exited with %d: %s" % (kind, process.returncode, err.decode("utf-8", "replace")[-2000:]))
    calls = float(spec["calls"])
    return dict((generation, (count / calls, seconds / calls, unreachable / calls))
                for generation, (count, seconds, unreachable) in collections_of(err.decode("utf-8", "replace")).items())


def summary(results, modules):
    """The table's cells for *results* (measure()'s, one per process): medians."""
    median = run.median
    line = ["%.2f" % median([per_call[generation][0] for per_call in results]) for generation in "012"]
    line.append("%.1f ms" % (1000 * median([sum(value[1] for value in per_call.values()) for per_call in results])))
    line.append("%.1f" % median([sum(value[2] for value in per_call.values()) / modules for per_call in results]))
    return line


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="chain", choices=synth.SHAPES)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    # every process imports compatreload from this checkout, the plan's (worker.py) too
    paths = [os.path.dirname(HERE)] + [path for path in os.environ.get("PYTHONPATH", "").split(os.pathsep) if path]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    folder = tempfile.mkdtemp(prefix="compatreload-collector-")
    try:
        package = synth.generate(folder, options.shape, options.size)
        spec = {"folder": folder, "package": package, "modules": synth.module_names(package, options.size),
                "calls": options.calls, "bytecode": "off"}
        spec["target"] = spec["modules"][0]
        spec["order"] = run.run_worker(dict(spec, kind="plan"))["order"]
        floors, tools = [], []
        for _ in range(options.repeat):
            floors.append(measure(spec, "floor"))
            tools.append(measure(spec, "tool"))
    finally:
        shutil.rmtree(folder)
    modules = float(len(spec["order"]))
    print("%s, %s, %d modules, root: %d calls and a full collection per process, medians over %d processes each"
          % (".".join(map(str, sys.version_info[:3])), options.shape, options.size, options.calls, options.repeat))
    print()
    print("| | young | middle | full | collector | unreachable per module |")
    print("|---|---|---|---|---|---|")
    for label, results in (("floor", floors), ("deep_reload", tools)):
        print("| %s | %s |" % (label, " | ".join(summary(results, modules))))


if __name__ == "__main__":
    main()
