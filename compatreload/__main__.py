"""python -m compatreload [--json]: the self-check report.

Prints which reload this interpreter resolved, then one row per matrix
scenario (scenario, result, time). Exits 1 if any scenario failed."""
import json
import sys

from .selfcheck import run_all

USAGE = "usage: python -m compatreload [--json]"


def format_table(report):
    lines = [
        "compatreload self-check on %s: reload is %s" % (report["interpreter"], report["reload_impl"]),
        "",
        "%-44s %-6s %8s  %s" % ("scenario", "result", "time", "detail"),
    ]
    for row in report["scenarios"]:
        lines.append(
            "%-44s %-6s %7.3fs  %s" % (row["scenario"], row["result"], row["seconds"], row["detail"])
        )
    lines.append("")
    lines.append("%d scenarios, %d failed" % (len(report["scenarios"]), report["failed"]))
    return "\n".join(lines)


def main(argv=None):
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments not in ([], ["--json"]):
        sys.stderr.write(USAGE + "\n")
        return 2
    report = run_all()
    if arguments:
        sys.stdout.write(json.dumps(report, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(format_table(report) + "\n")
    return 1 if report["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
