"""Benchmarks: deep_reload and changed() against their floors and peers.

    python benchmarks/run.py [--sizes 100,1000,5000] [--repeat 5] [--output benchmarks/RESULTS.md]

Every measurement runs in a fresh process (benchmarks/worker.py); the floor
runs in a process that never imports compatreload; floor and tool runs
alternate; both run with PYTHONDONTWRITEBYTECODE=1 (the same bytecode
setting: everything compiles from source). Reported: medians, the spread
(min-max) and the ratio of the medians, measured in the same run."""
from __future__ import print_function

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import synth  # noqa: E402


def run_worker(spec, timeout=None):
    """The worker's JSON answer; None if it ran longer than *timeout* seconds
    (it is killed). Popen and polling: 2.7 has no subprocess timeout."""
    handle, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(handle, "w") as stream:
        json.dump(spec, stream)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    if spec.get("bytecode") == "written":
        del env["PYTHONDONTWRITEBYTECODE"]
    output = tempfile.TemporaryFile()
    try:
        process = subprocess.Popen([sys.executable, os.path.join(HERE, "worker.py"), path], env=env, stdout=output)
        deadline = None if timeout is None else time.time() + timeout
        while process.poll() is None:
            if deadline is not None and time.time() > deadline:
                process.kill()
                process.wait()
                return None
            time.sleep(0.05)
        if process.returncode:
            raise subprocess.CalledProcessError(process.returncode, "worker.py %s" % spec["kind"])
        output.seek(0)
        return json.loads(output.read().decode("utf-8").strip().splitlines()[-1])
    finally:
        output.close()
        os.remove(path)


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0


def ms(seconds):
    return "%.1f" % (seconds * 1000.0)


def spread(values):
    return "%s-%s" % (ms(min(values)), ms(max(values)))


def installed(module):
    return subprocess.call([sys.executable, "-c", "import " + module], stderr=open(os.devnull, "w")) == 0


def reload_rows(folder, shape, size, repeat, peers, peer_timeout, bytecode="off", labels=("root", "leaf"), series=0):
    """Rows of deep_reload against the floor; *bytecode* "written": every
    process of the rows writes and reads bytecode caches (the floor's reload
    then loads an unchanged module's .pyc instead of compiling it); *series*:
    the root's processes also time that many calls in a row (worker.amortized)."""
    package = synth.generate(folder, shape, size, package="synth_%s_%d_%s" % (shape, size, bytecode))
    spec = {"folder": folder, "package": package, "modules": synth.module_names(package, size), "bytecode": bytecode}
    rows = []
    for label, target in [(label, spec["modules"][0 if label == "root" else -1]) for label in labels]:
        spec.update(target=target, kind="plan", series=series if label == "root" else 0)
        spec["order"] = run_worker(spec)["order"]
        floor_results, tools = [], []
        for _ in range(repeat):
            floor_results.append(run_worker(dict(spec, kind="reload-floor")))
            tools.append(run_worker(dict(spec, kind="reload-tool")))
        floors = [floor["seconds"] for floor in floor_results]
        seconds = [tool["seconds"] for tool in tools]
        warm = [tool["warm"] for tool in tools]
        phases = dict((phase, median([tool["phases"][phase] for tool in tools])) for phase in tools[0]["phases"])
        warm_phases = dict((phase, median([tool["warm_phases"][phase] for tool in tools])) for phase in tools[0]["warm_phases"])
        row = {
            "shape": shape, "size": size, "target": label, "ran": tools[0]["ran"],
            "floor": median(floors), "floor_spread": spread(floors),
            "tool": median(seconds), "tool_spread": spread(seconds),
            "warm": median(warm), "warm_spread": spread(warm),
            "phases": phases, "warm_phases": warm_phases, "stale": tools[0]["stale"],
            "not_reexecuted": tools[0]["not_reexecuted"], "namespace_size": tools[0]["namespace_size"],
            "bytecode": bytecode,
        }
        if spec["series"]:
            row["series"] = dict(
                (key, amortized_median([result["series"] for result in results]))
                for key, results in (("floor", floor_results), ("tool", tools)))
            row["series_calls"] = spec["series"]
        for peer in peers:
            result = run_worker(dict(spec, kind="reload-" + peer), timeout=peer_timeout)
            if result is None:
                result = {"seconds": peer_timeout, "stale": -1, "not_reexecuted": -1, "error": "killed after %d s" % peer_timeout}
            row.setdefault("peers", []).append(
                (peer, result["seconds"], result["stale"], result["not_reexecuted"], result["error"]))
        rows.append(row)
    return rows


def amortized_median(series):
    """The median seconds per call and full collections per call (None on
    2.7) of worker.amortized results."""
    collections = [result["full_collections"] for result in series]
    return (median([result["seconds"] for result in series]),
            spread([result["seconds"] for result in series]),
            None if None in collections else median(collections))


def changed_rows(folder, size, repeat):
    package = synth.generate(folder, "fanout", size, package="flat_%d" % size)
    spec = {"folder": folder, "package": package, "modules": synth.module_names(package, size)}
    kinds = ["changed-floor", "changed-tool"] + (["changed-ipython"] if installed("IPython") else [])
    results = dict((kind, []) for kind in kinds)
    for _ in range(repeat):
        for kind in kinds:
            results[kind].append(run_worker(dict(spec, kind=kind))["seconds"])
    return dict((kind, (median(values), spread(values))) for kind, values in results.items())


RELOAD_HEADER = [
    "| shape | modules | target | re-executed | floor | first call | ratio | phases, first | steady | ratio | phases, steady | stale refs left | loaded namespace entries |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
]


def markdown(reloads, changes, memory_result):
    interpreter = "%s %s" % (platform.python_implementation(), platform.python_version())
    lines = [
        "# Benchmark results", "",
        "Interpreter: %s. Times in ms: median (min-max) over the repeats; ratio = median / floor median, "
        "measured in the same run. Floor: a bare reload loop over the same modules in the same order, in a "
        "process that never imported compatreload (median of 3 loops per process). All runs with "
        "PYTHONDONTWRITEBYTECODE=1 (but the section with bytecode written). First call: the first deep_reload in a fresh process, which reads the import "
        "lines of every loaded source and builds the loaded-modules index (a Watcher reads the lines when it is "
        "made; the first reload builds the index). Steady: the median of the 3 calls after it, as in a "
        "long-running server. No file changes between the calls: deep_reload compiles a module's source "
        "once and runs that code again while the file's bytes are the same (the floor compiles every module "
        "each time; see the section with bytecode written). Phases (ms): "
        "graph / executing / rebinding / bookkeeping." % interpreter,
        "", "## deep_reload", "",
    ] + RELOAD_HEADER

    def phase_text(phases):
        return " / ".join(ms(phases.get(phase, 0)) for phase in ("graph", "executing", "rebinding", "bookkeeping"))

    def reload_line(row):
        return "| %s | %d | %s | %d | %s (%s) | %s (%s) | %.2fx | %s | %s (%s) | %.2fx | %s | %d | %d |" % (
            row["shape"], row["size"], row["target"], row["ran"], ms(row["floor"]), row["floor_spread"],
            ms(row["tool"]), row["tool_spread"], row["tool"] / row["floor"], phase_text(row["phases"]),
            ms(row["warm"]), row["warm_spread"], row["warm"] / row["floor"], phase_text(row["warm_phases"]),
            row["stale"], row["namespace_size"])

    lines.extend(reload_line(row) for row in reloads if row["bytecode"] == "off")
    written = [reload_line(row) for row in reloads if row["bytecode"] == "written"]
    if written:
        lines += ["", "## deep_reload with bytecode written", "",
                  "The same, but every process writes and reads bytecode caches (PYTHONDONTWRITEBYTECODE unset): "
                  "the floor's reload loads each unchanged module from its .pyc, which its first import wrote; "
                  "deep_reload never reads a .pyc (its mtime check misses a same-second edit), it runs the code "
                  "it compiled itself from the same bytes.", ""] + RELOAD_HEADER + written
    amortized = [row for row in reloads if "series" in row]
    if amortized:
        lines += ["", "## deep_reload amortized, the collector included", "",
                  "The root target of the sizes below: per process, %d calls in a row (after the calls above "
                  "and a full collection, untimed, so that their garbage is not charged to the series) "
                  "and a full collection after them, timed together, per call. A full collection runs every "
                  "few reloads and frees the old versions it finds; a median of single calls leaves that out "
                  "for the floor, which sets one off less often, and counts it by chance. Here both pay for "
                  "the garbage they left. Full collections: those the calls set off, per call "
                  "(3.4+, from gc.get_stats)." % amortized[0]["series_calls"], "",
                  "| shape | modules | bytecode | floor per call | deep_reload per call | ratio | full collections per call, floor / deep_reload |",
                  "|---|---|---|---|---|---|---|"]
        for row in amortized:
            floor, tool = row["series"]["floor"], row["series"]["tool"]
            counts = "-" if floor[2] is None else "%.2f / %.2f" % (floor[2], tool[2])
            lines.append("| %s | %d | %s | %s (%s) | %s (%s) | %.2fx | %s |" % (
                row["shape"], row["size"], row["bytecode"], ms(floor[0]), floor[1], ms(tool[0]), tool[1],
                tool[0] / floor[0], counts))
    peer_rows = [(row, peer) for row in reloads for peer in row.get("peers", ())]
    if peer_rows:
        lines += ["", "## Peers (same graph, same target; one run each)", "",
                  "Stale refs: bindings to an object that is no longer its module's current one; not re-executed: "
                  "modules of the plan (the target and its dependents) that still hold their old functions, so "
                  "whatever they computed at import time is stale.", "",
                  "| shape | modules | target | peer | time | stale refs left | not re-executed | failed with | deep_reload, first call | stale refs left | not re-executed |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for row, (peer, seconds, stale, missed, error) in peer_rows:
            unknown = stale < 0  # killed: nothing to count
            lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %d | %d of %d |" % (
                row["shape"], row["size"], row["target"], peer, ">" + ms(seconds) if unknown else ms(seconds),
                "-" if unknown else stale, "-" if unknown else "%d of %d" % (missed, row["ran"]), error or "-",
                ms(row["tool"]), row["stale"], row["not_reexecuted"], row["ran"]))
    lines += ["", "## changed(), nothing changed", "",
              "Files older than 2 s (not racy); per process the median of 9 checks after a first one.", "",
              "| modules | os.stat floor | changed() | ratio | IPython autoreload check |", "|---|---|---|---|---|"]
    for size, result in sorted(changes.items()):
        floor, tool = result["changed-floor"], result["changed-tool"]
        ipython = result.get("changed-ipython")
        lines.append("| %d | %s (%s) | %s (%s) | %.2fx | %s |" % (
            size, ms(floor[0]), floor[1], ms(tool[0]), tool[1], tool[0] / floor[0],
            "%s (%s)" % (ms(ipython[0]), ipython[1]) if ipython else "not installed"))
    lines += ["", "## Memory", "",
              "%d deep_reloads of a %d-module package: %d of %d old function versions alive after gc; RSS growth %d KiB. "
              "Between the reloads, before any collection was asked for, the automatic collector had left at most "
              "%d old versions of a module alive (%.1f on average)." % (
                  memory_result["rounds"], memory_result["size"], memory_result["alive"], memory_result["checked"],
                  memory_result["rss_growth_kib"], memory_result["most_lingering"], memory_result["mean_lingering"]), ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--shapes", default=",".join(synth.SHAPES))
    parser.add_argument("--changed-sizes", default="2000,10000")
    parser.add_argument("--written-sizes", default="1000", help="sizes also run with bytecode written (root target)")
    parser.add_argument("--series-sizes", default="1000", help="sizes whose root also runs calls in a row (amortized)")
    parser.add_argument("--series-calls", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--memory-rounds", type=int, default=100)
    parser.add_argument("--peer-timeout", type=int, default=60, help="seconds before a peer's run is killed")
    parser.add_argument("--output", default=os.path.join(HERE, "RESULTS.md"))
    options = parser.parse_args()
    peers = []
    if sys.version_info >= (3, 11) and installed("IPython"):
        peers = ["superreload", "deepreload"]
    elif sys.version_info[0] == 2 and installed("reimport"):
        peers = ["reimport", "reimport-plan"]
    folder = tempfile.mkdtemp(prefix="compatreload-bench-")
    series_sizes = [int(size) for size in options.series_sizes.split(",") if size]

    def series_of(size):
        return options.series_calls if size in series_sizes else 0

    try:
        reloads = []
        for size in [int(size) for size in options.sizes.split(",")]:
            for shape in options.shapes.split(","):
                reloads.extend(reload_rows(folder, shape, size, options.repeat, peers if size <= 1000 else [], options.peer_timeout, series=series_of(size)))
                print("done: %s %d" % (shape, size), file=sys.stderr)
        for size in [int(size) for size in options.written_sizes.split(",") if size]:
            for shape in options.shapes.split(","):
                reloads.extend(reload_rows(folder, shape, size, options.repeat, [], 0, "written", ("root",), series_of(size)))
                print("done, bytecode written: %s %d" % (shape, size), file=sys.stderr)
        changes = dict((int(size), changed_rows(folder, int(size), options.repeat)) for size in options.changed_sizes.split(","))
        package = synth.generate(folder, "fanout", 1000, package="memory_1000")
        memory_spec = {"folder": folder, "package": package, "modules": synth.module_names(package, 1000),
                       "target": package + ".m0", "rounds": options.memory_rounds, "kind": "memory"}
        memory_result = dict(run_worker(memory_spec), rounds=options.memory_rounds, size=1000)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    text = markdown(reloads, changes, memory_result)
    with open(options.output, "w") as stream:
        stream.write(text)
    print(text)


if __name__ == "__main__":
    main()
