"""Prints the compatibility count at the end of a run: programs run / collected."""

from __future__ import annotations

_outcomes: dict[str, str] = {}


def pytest_runtest_logreport(report):
    if "tests/compat/test_programs.py" not in report.nodeid.replace("\\", "/"):
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome
        _outcomes[report.nodeid] = outcome


def pytest_terminal_summary(terminalreporter):
    if not _outcomes:
        return
    run = sum(1 for outcome in _outcomes.values() if outcome == "passed")
    waiting = sum(1 for outcome in _outcomes.values() if outcome == "xfailed")
    terminalreporter.write_line(
        f"compat: {run} programs run / {len(_outcomes)} collected "
        f"({waiting} waiting for other branches, {len(_outcomes) - run - waiting} failing)"
    )
