"""Fail under CI when an env of the matrix left no coverage data.

tox skips an env whose interpreter is missing (skip_missing_interpreters),
which suits a developer's machine; under CI (the CI variable set) that
would be a silent hole, so this turns it into a failure.

usage: require_every_interpreter.py TOXWORKDIR ENV [ENV ...]"""
import os
import sys


def main(workdir, envs):
    missing = [env for env in envs if not os.path.exists(os.path.join(workdir, ".coverage." + env))]
    in_ci = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
    if not missing:
        print("every env of the matrix ran: %s" % " ".join(envs))
        return 0
    print("envs that did not run (interpreter missing?): %s" % " ".join(missing))
    return 1 if in_ci else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
