"""python -m compatreload: the self-check report."""
import json
import os
import subprocess
import sys

import pytest

from compatreload import RELOAD_IMPL, __main__, fixtures, selfcheck


def run_main(argv, capsys):
    code = __main__.main(argv)
    return code, capsys.readouterr()


def test_table_reports_every_scenario(capsys):
    code, out = run_main([], capsys)
    assert code == 0, out.out
    lines = out.out.splitlines()
    assert lines[0].endswith("reload is " + RELOAD_IMPL)
    for name, _, _ in selfcheck.SCENARIOS:
        row = [line for line in lines if line.startswith(name)]
        assert len(row) == 1 and (" pass " in row[0] or " skip " in row[0]), row
    assert lines[-1] == "%d scenarios, 0 failed" % len(selfcheck.SCENARIOS)


def test_json_report(capsys):
    code, out = run_main(["--json"], capsys)
    report = json.loads(out.out)
    assert code == 0
    assert report["reload_impl"] == RELOAD_IMPL and report["failed"] == 0
    results = dict((row["scenario"], row["result"]) for row in report["scenarios"])
    expected_skips = set(
        name for name, fixture, _ in selfcheck.SCENARIOS
        if fixtures.unavailable_reason(fixtures.FIXTURES[fixture])
        or ("watchdog" in name and selfcheck.watchdog_observer() is None)
    )
    assert set(name for name, result in results.items() if result == "skip") == expected_skips
    assert all(row["seconds"] >= 0 for row in report["scenarios"])


def test_bad_arguments_print_usage(capsys):
    code, out = run_main(["--yaml"], capsys)
    assert code == 2 and out.err.startswith("usage: python -m compatreload")


def test_a_failing_scenario_is_a_row_and_exit_1(monkeypatch, capsys):
    def broken(workspace):
        selfcheck.expect("found", "wanted", "what was checked")

    monkeypatch.setattr(selfcheck, "SCENARIOS", [("broken", "pure", broken)])
    code, out = run_main([], capsys)
    assert code == 1
    assert "fail" in out.out and "what was checked: expected 'wanted', found 'found'" in out.out
    assert out.out.rstrip().endswith("1 scenarios, 1 failed")


def test_a_skipped_scenario_names_its_reason(monkeypatch, capsys):
    def no_tool(workspace):
        raise selfcheck.ScenarioSkipped("the tool is not installed")

    monkeypatch.setattr(selfcheck, "SCENARIOS", [("no tool", "pure", no_tool)])
    code, out = run_main([], capsys)
    assert code == 0 and "skip" in out.out and "the tool is not installed" in out.out


def test_cext_scenario_skips_without_a_compiler(monkeypatch, capsys):
    monkeypatch.setattr(fixtures.sysconfig, "get_config_var", lambda name: "no-such-compiler-here")
    cext = [entry for entry in selfcheck.SCENARIOS if entry[1] == "cext"]
    monkeypatch.setattr(selfcheck, "SCENARIOS", cext)
    code, out = run_main([], capsys)
    assert code == 0 and "skip" in out.out and "no C compiler" in out.out


def test_a_c_compile_error_names_the_command(workspace):
    workspace.write("cext", "broken.c", "this is not C\n")
    with pytest.raises(RuntimeError) as raised:
        workspace.build("cext", "broken.c")
    assert "building broken failed" in str(raised.value) and "broken.c" in str(raised.value)


def test_missing_fixtures_say_where_they_were_expected(monkeypatch):
    monkeypatch.setattr(fixtures.os.path, "isdir", lambda path: False)
    with pytest.raises(RuntimeError) as raised:
        fixtures.matrix_root()
    assert "the matrix fixtures were expected in" in str(raised.value)


def test_python_dash_m_in_a_fresh_process():
    env = dict(os.environ)
    env.pop("COVERAGE_PROCESS_START", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "compatreload"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
    )
    output = process.communicate()[0].decode("utf-8")
    assert process.returncode == 0, output
    assert "reload is " + RELOAD_IMPL in output and " failed" in output


def test_sixmoves_scenario_skips_without_six(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "six", None)  # what an uninstalled six looks like to import
    sixmoves = [entry for entry in selfcheck.SCENARIOS if entry[1] == "sixmoves"]
    monkeypatch.setattr(selfcheck, "SCENARIOS", sixmoves)
    code, out = run_main([], capsys)
    assert code == 0 and "six is not installed" in out.out


def test_file_events_scenario_skips_without_watchdog(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "watchdog", None)
    monkeypatch.setitem(sys.modules, "watchdog.observers", None)
    events = [entry for entry in selfcheck.SCENARIOS if "watchdog" in entry[0]]
    monkeypatch.setattr(selfcheck, "SCENARIOS", events)
    code, out = run_main([], capsys)
    assert code == 0 and "the watchdog package is not installed: watch() polls" in out.out


def test_the_rollback_scenario_fails_when_nothing_raises(monkeypatch, capsys):
    """The self-check must notice a reload that swallows a broken edit."""
    monkeypatch.setattr(selfcheck, "deep_reload", lambda *args, **kwargs: [])
    rollback = [entry for entry in selfcheck.SCENARIOS if entry[0].startswith("deep_reload rollback")]
    monkeypatch.setattr(selfcheck, "SCENARIOS", rollback)
    code, out = run_main([], capsys)
    assert code == 1 and "the broken module did not raise" in out.out
