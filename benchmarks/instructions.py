"""Instructions per deep_reload, counted by valgrind: an A/B this machine's noise does not move.

    python benchmarks/instructions.py [--shape chain] [--size 1000] [--calls 2] [--written] [--leaf] ROOT [ROOT ...]

Wall times on this machine move by 10-30% between runs; the instructions a
call executes move by hundredths of a percent, so an A/B of a change of a
few percent is read off one run. For the compatreload checkout at each ROOT
(the first is the baseline), a fresh process imports a generated package,
calls ``deep_reload`` of its root (or, with --leaf, of its last module) once (the first call, which builds what
later calls reuse), then *calls* more times; another process calls it once
only. Their difference, per call, is what a steady reload executes
(valgrind's cachegrind, no cache simulation). With --written, bytecode is
written and every process starts with all of the package's ``.pyc`` files
in place (a reload removes them; they are compiled again first).

Instructions are not time: a cache miss costs more than an add, and the
kernel's work (stat, open, read) is not counted at all, which is why there
is no floor here (its reload loop is mostly system calls and compiling).
For times and ratios to the floor, see run.py."""
from __future__ import print_function

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import synth  # noqa: E402

CHILD = r"""
import importlib, sys
folder, package, size, calls, root, target = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
sys.path[:0] = [root, folder]
names = ["%s.m%d" % (package, index) for index in range(size)]
for name in names:
    importlib.import_module(name)
import compatreload
for _ in range(1 + calls):
    compatreload.deep_reload(names[target])
"""


def instructions(folder, package, size, calls, root, written, target):
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if written:
        # the same start for every process: the package and compatreload compiled
        subprocess.check_call([sys.executable, "-m", "compileall", "-q", folder, os.path.join(root, "compatreload")], env=env)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [
        "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
        sys.executable, "-c", CHILD, folder, package, str(size), str(calls), root, str(target),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, errors = process.communicate()
    if process.returncode:
        raise SystemExit("the measured process failed:\n" + errors.decode("utf-8", "replace"))
    found = re.search(r"I\s+refs:\s+([\d,]+)", errors.decode("utf-8", "replace"))
    return int(found.group(1).replace(",", ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+", help="compatreload checkouts (the folder holding compatreload/)")
    parser.add_argument("--shape", default="chain", choices=synth.SHAPES)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=2)
    parser.add_argument("--written", action="store_true", help="bytecode written (default: compiling)")
    parser.add_argument("--leaf", action="store_true", help="reload the leaf, the last module (default: the root)")
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="compatreload-instructions-")
    try:
        package = synth.generate(folder, options.shape, options.size)
        print("| %s, %s %d, %s | instructions per call | / %s |" % (
            sys.version.split()[0], options.shape + (" leaf" if options.leaf else " root"), options.size,
            "bytecode written" if options.written else "compiling", options.roots[0]))
        print("|---|---|---|")
        baseline = None
        for root in [os.path.abspath(root) for root in options.roots]:
            counts = [instructions(folder, package, options.size, calls, root, options.written, -1 if options.leaf else 0)
                for calls in (0, options.calls)]
            per_call = (counts[1] - counts[0]) / float(options.calls)
            baseline = baseline or per_call
            print("| %s | %.1f M | %.3f |" % (root, per_call / 1e6, per_call / baseline))
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
