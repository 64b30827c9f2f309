"""Pytest plugin: print how long each notebook took to execute under nbval."""

from __future__ import annotations

from collections import defaultdict

_seconds: dict[str, float] = defaultdict(float)
_failed: set[str] = set()


def pytest_runtest_logreport(report) -> None:
    """Add each cell's set-up, call and tear-down time to its notebook's total."""
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _seconds[path] += report.duration
        if report.failed:
            _failed.add(path)


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the table of execution times, slowest first."""
    if not _seconds:
        return
    write = terminalreporter.write_line
    terminalreporter.section("notebook execution times (quick mode)")
    width = max(len(path) for path in _seconds)
    write(f"{'notebook':<{width}}  {'seconds':>8}  result")
    for path, seconds in sorted(_seconds.items(), key=lambda item: -item[1]):
        result = "FAILED" if path in _failed else "ok"
        write(f"{path:<{width}}  {seconds:8.1f}  {result}")
    write(f"{'total':<{width}}  {sum(_seconds.values()):8.1f}")
