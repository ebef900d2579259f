"""One measurement, in a fresh process: ``worker.py SPEC.json`` prints JSON.

Kinds (spec["kind"]):
- reload-floor: import the package, then a bare importlib.reload loop over
  spec["order"] (what deep_reload runs, found beforehand by a dry run in
  another process), ROUNDS times: their median. Never imports compatreload.
- reload-tool: import the package and compatreload, then deep_reload(target):
  the first call (phases, stale references left: the invariant), then
  ROUNDS more calls: their median is the steady state.
- reload-superreload / reload-deepreload / reload-reimport: the peers on the
  same target, where they are installed (superreload is driven over the
  plan, module by module); reload-reimport-plan: reimport given every
  module of the plan at once (reimport alone re-executes only the target).
- changed-floor / changed-tool / changed-ipython: N modules loaded (files
  older than 2 s, see run.py), nothing changed: a bare os.stat loop,
  compatreload.changed(), IPython's autoreload check; the median of
  CHECK_ROUNDS checks after a first one.
- memory: 100 deep_reloads of the package; old versions alive after gc, RSS growth,
  and how many old versions the automatic collector left alive between reloads.

With spec["series"] (reload-floor, reload-tool): also that many calls in a
row and a full collection, per call (see amortized)."""
import gc
import importlib
import json
import os
import sys
import timeit
import types
import weakref

clock = timeit.default_timer


def load(spec):
    sys.path.insert(0, spec["folder"])
    for name in spec["modules"]:
        importlib.import_module(name)
    return [sys.modules[name] for name in spec["modules"]]


def stale_references(package):
    """Bindings in the package's modules that hold an object which is no
    longer the current one of the module that defined it."""
    stale = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith(package + ".") or not isinstance(module, types.ModuleType):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, types.ModuleType):
                stale += sys.modules.get(value.__name__) is not value
            elif isinstance(value, (types.FunctionType, type)) and str(getattr(value, "__module__", "")).startswith(package + "."):
                home = sys.modules.get(value.__module__)
                stale += home is None or vars(home).get(value.__name__) is not value
    return stale


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0


#: In-process repetitions: the floor loop and the tool's steady-state call
#: each run this many times; their median is the process's figure.
ROUNDS = 3

#: In-process repetitions of a changed() check (or its floor, or IPython's):
#: a check costs milliseconds, so more of them cost little and steady the
#: median against this machine's noise (3 gave spreads of 1.5x at 10,000).
CHECK_ROUNDS = 9


def work_functions(spec):
    """Each planned module's work() and its code object. A module executed
    again defines a new function (a peer that patches the old function in
    place gives it new code; deep_reload reuses the code it compiled from
    the same bytes), so it is not re-executed if both are the same. A
    weak reference to the function: the old versions are let go of as usual."""
    functions = [vars(sys.modules[name])["work"] for name in spec["order"]]
    return [(weakref.ref(function), function.__code__) for function in functions]


def not_reexecuted(spec, before):
    """How many modules of the plan (the target and every dependent) still
    run the code they ran before: never executed again, so whatever they
    computed at import time from their dependencies is stale."""
    return sum(old[0]() is new[0]() and old[1] is new[1] for old, new in zip(before, work_functions(spec)))


def full_collections():
    """Full (oldest generation) collections so far: 3.4+; None on 2.7."""
    stats = getattr(gc, "get_stats", None)
    return None if stats is None else stats()[-1]["collections"]


def amortized(call, count):
    """*count* calls of *call* in a row and a full collection after them:
    seconds per call, the collector's work on the garbage they left charged
    to them (a median of single calls leaves it out, or counts it by chance:
    a full collection runs every few reloads and frees every old version
    it finds); and the full collections the calls set off, per call (None
    on 2.7, which does not count them). A full collection before the clock
    starts: the untimed calls before the series (the floor's loops, the
    tool's first and warm calls; not the same garbage for both) are not
    charged to it."""
    gc.collect()
    before = full_collections()
    started = clock()
    for _ in range(count):
        call()
    gc.collect()
    seconds = (clock() - started) / count
    after = full_collections()
    return {"seconds": seconds, "full_collections": None if before is None else (after - before - 1) / float(count)}


def reload_floor(spec):
    load(spec)
    reload = importlib.reload if sys.version_info >= (3, 4) else reload_builtin()

    def loop():
        for name in spec["order"]:
            reload(sys.modules[name])

    times = []
    for _ in range(ROUNDS):
        started = clock()
        loop()
        times.append(clock() - started)
    result = {"seconds": median(times)}
    if spec.get("series"):
        result["series"] = amortized(loop, spec["series"])
    return result


def reload_builtin():
    import __builtin__

    return __builtin__.reload


def reload_tool(spec):
    load(spec)
    import compatreload
    from compatreload import reloading

    before = work_functions(spec)
    started = clock()
    ran = compatreload.deep_reload(spec["target"])
    seconds = clock() - started
    missed = not_reexecuted(spec, before)
    phases, stale = dict(reloading.last_phases), stale_references(spec["package"])
    warm = []
    for _ in range(ROUNDS):
        started = clock()
        compatreload.deep_reload(spec["target"])
        warm.append(clock() - started)
    warm_phases = dict(reloading.last_phases)
    series = amortized(lambda: compatreload.deep_reload(spec["target"]), spec["series"]) if spec.get("series") else None
    namespace_size = sum(len(vars(m)) for m in list(sys.modules.values()) if isinstance(m, types.ModuleType))
    return {
        "seconds": seconds,
        "warm": median(warm),
        "ran": len(ran),
        "phases": phases,
        "warm_phases": warm_phases,
        "stale": stale,
        "not_reexecuted": missed,
        "namespace_size": namespace_size,
        "series": series,
    }


def reload_peer(spec):
    load(spec)
    kind = spec["kind"]
    if kind == "reload-superreload":
        from IPython.extensions.autoreload import superreload

        def run():
            for name in spec["order"]:
                superreload(sys.modules[name])
    elif kind == "reload-deepreload":
        from IPython.lib import deepreload

        def run():
            deepreload.reload(sys.modules[spec["target"]])
    elif kind == "reload-reimport":
        import reimport

        def run():
            reimport.reimport(sys.modules[spec["target"]])
    else:  # reimport given every module of the plan: the same work as deep_reload
        import reimport

        def run():
            reimport.reimport(*[sys.modules[name] for name in spec["order"]])

    before = work_functions(spec)
    started = clock()
    error = None
    try:
        run()
    except Exception as failure:  # a peer that fails on a graph is a result
        error = type(failure).__name__
    seconds = clock() - started
    return {"seconds": seconds, "stale": stale_references(spec["package"]), "error": error,
            "not_reexecuted": not_reexecuted(spec, before)}


def timed_checks(check):
    """Median of CHECK_ROUNDS calls of *check*, after one untimed call (the baseline)."""
    check()
    times = []
    for _ in range(CHECK_ROUNDS):
        started = clock()
        check()
        times.append(clock() - started)
    return {"seconds": median(times)}


def changed_floor(spec):
    paths = [m.__file__ for m in load(spec)]

    def check():
        for path in paths:
            os.stat(path)

    return timed_checks(check)


def changed_tool(spec):
    load(spec)
    import compatreload

    def check():
        assert compatreload.changed(spec["modules"]) == []

    return timed_checks(check)


def changed_ipython(spec):
    load(spec)
    from IPython.extensions.autoreload import ModuleReloader

    reloader = ModuleReloader()
    return timed_checks(lambda: reloader.check(check_all=True))


def rss_kib():
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def memory(spec):
    load(spec)
    import compatreload

    olds = []  # functions, not modules: 2.7 modules take no weak references
    lingering = []  # old versions of the first module alive after each reload, before any collection is asked for
    before = rss_kib()
    for _ in range(spec["rounds"]):
        olds.extend(weakref.ref(vars(sys.modules[name])["work"]) for name in spec["modules"][:50])
        compatreload.deep_reload(spec["target"])
        lingering.append(sum(ref() is not None for ref in olds[::50]))
    gc.collect()
    alive = sum(ref() is not None for ref in olds)
    return {"alive": alive, "checked": len(olds), "rss_growth_kib": rss_kib() - before,
            "most_lingering": max(lingering), "mean_lingering": sum(lingering) / float(len(lingering))}


def plan(spec):
    load(spec)
    import compatreload

    return {"order": compatreload.deep_reload(spec["target"], dry_run=True)}


KINDS = {
    "plan": plan,
    "reload-floor": reload_floor,
    "reload-tool": reload_tool,
    "reload-superreload": reload_peer,
    "reload-deepreload": reload_peer,
    "reload-reimport": reload_peer,
    "reload-reimport-plan": reload_peer,
    "changed-floor": changed_floor,
    "changed-tool": changed_tool,
    "changed-ipython": changed_ipython,
    "memory": memory,
}

if __name__ == "__main__":
    with open(sys.argv[1]) as stream:
        spec = json.load(stream)
    sys.stdout.write(json.dumps(KINDS[spec["kind"]](spec)) + "\n")
