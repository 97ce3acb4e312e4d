"""The pytest session report (``pytest --directmem-report=report.html``): every run of every test in one
self-contained page, failing tests first, an index that links to each run's section.

Runs travel as records (report.model) on the test reports, so the page is complete under pytest-xdist
(the controller writes it) and shows runs whose artifacts a passing test already deleted.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any, Sequence

from .html import _write, badge, dumps_cell, esc, oom_line, page, run_details
from .model import anchor_for, run_record

ATTR = "directmem_runs"  # the TestReport attribute carrying the records (serialized by xdist with the report)
ORDER = {"failed": 0, "error": 0, "xpassed": 1, "passed": 2, "xfailed": 3, "skipped": 4}
TEST_COLORS = {"failed": "#b0003a", "error": "#b0003a", "xpassed": "#ef6c00", "passed": "#2e7d32",
               "xfailed": "#607d8b", "skipped": "#9e9e9e"}


def run_anchor(nodeid: str, index: int) -> str:
    return anchor_for(nodeid, f"run{index}")


def report_link(path: Path, anchor: str) -> str:
    """What the failure section prints to point at a run's section of the session report."""
    return f"{path.absolute().as_uri()}#{anchor}"


def attach_runs(report: Any, nodeid: str, runs: Sequence[Any]) -> list[dict[str, Any]]:
    """Put the records of a test's runs on its TestReport (once per test, on the call phase)."""
    records = [run_record(r, name=f"run {i}: {r.workload}", anchor=run_anchor(nodeid, i)) for i, r in enumerate(runs, 1)]
    setattr(report, ATTR, records)
    return records


class SessionReport:
    """A pytest plugin object (registered by plugin.py when the option is set): collects the test reports
    and writes the page at the end of the session; the terminal summary names the file."""

    def __init__(self, path: Path, args: Sequence[str] = (), *, writer: bool = True):
        self.path = path
        self.args = list(args)
        self.writer = writer
        self.tests: dict[str, dict[str, Any]] = {}
        self.started = _dt.datetime.now().astimezone()
        self.outcome: str | None = None

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.add(report)

    def pytest_sessionfinish(self) -> None:
        if not self.writer:
            return
        try:
            self.write()
            self.outcome = f"directmem report: {self.path}"
        except Exception as e:  # noqa: BLE001 - a report failure must not become an INTERNALERROR
            self.outcome = f"directmem report NOT written ({type(e).__name__}: {e})"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.outcome:
            terminalreporter.write_line(self.outcome)

    def add(self, report: Any) -> None:
        e = self.tests.setdefault(report.nodeid, {"nodeid": report.nodeid, "outcome": "passed", "runs": [],
                                                  "failure": None, "duration": 0.0})
        e["duration"] += getattr(report, "duration", 0.0) or 0.0
        records = getattr(report, ATTR, None)
        if records:
            e["runs"] = list(records)
        xfail = hasattr(report, "wasxfail")
        if report.failed:
            e["outcome"] = "failed" if report.when == "call" else ("error" if e["outcome"] != "failed" else "failed")
            text = getattr(report, "longreprtext", "") or str(report.longrepr or "")
            e["failure"] = ((e["failure"] + "\n\n") if e["failure"] else "") + f"[{report.when}] " + text[-6000:]
        elif report.skipped and e["outcome"] == "passed":
            e["outcome"] = "xfailed" if xfail else "skipped"
        elif report.passed and report.when == "call" and xfail:
            e["outcome"] = "xpassed"

    def entries(self) -> list[dict[str, Any]]:
        """Tests that made runs, failures first (then the order they ran in)."""
        with_runs = [e for e in self.tests.values() if e["runs"]]
        return sorted(with_runs, key=lambda e: ORDER.get(e["outcome"], 5))

    def write(self) -> Path:
        return _write(self.path, session_page(self.entries(), self.tests, self.args, self.started))


def _test_badge(outcome: str) -> str:
    return f'<span class="badge" style="background:{TEST_COLORS.get(outcome, "#555")}">test {esc(outcome)}</span>'


def _test_anchor(nodeid: str) -> str:
    return "test-" + anchor_for(nodeid)[4:]


def session_page(entries: list[dict[str, Any]], tests: dict[str, dict[str, Any]], args: Sequence[str],
                 started: _dt.datetime) -> str:
    counts: dict[str, int] = {}
    for e in tests.values():
        counts[e["outcome"]] = counts.get(e["outcome"], 0) + 1
    runs = sum(len(e["runs"]) for e in entries)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: ORDER.get(kv[0], 5)))
    body = [f"<h1>pytest-directmem session report</h1>",
            f'<div class="sub">{len(tests)} tests ({esc(summary) or "none"}); {len(entries)} of them launched '
            f"{runs} run(s). Session started {esc(started.strftime('%Y-%m-%d %H:%M:%S %Z'))} in {esc(os.getcwd())}"
            + (f"; pytest {esc(' '.join(args))}" if args else "") + "</div>"]
    if not entries:
        body.append("<p>No test launched a run (the <code>directmem</code> fixture was not used).</p>")
        return page("pytest-directmem session report", "".join(body))
    head = ("test", "run", "outcome", "OOM / error", "heap dumps", "System.gc() GCs", "duration")
    rows = []
    for e in entries:
        for i, r in enumerate(e["runs"]):
            test = (f'<a href="#{esc(_test_anchor(e["nodeid"]))}">{esc(e["nodeid"])}</a><br>{_test_badge(e["outcome"])}'
                    if i == 0 else "")
            rows.append((test, f'<a href="#{esc(r["anchor"])}">{esc(r["name"])}</a>', badge(r["outcome"], r["outcome_name"]),
                         f'<span class="oom">{esc(oom_line(r))}</span>', dumps_cell(r), str(r["gc"]["explicit_count"]),
                         f"{r.get('duration_s') or 0:.2f}s"))
    body.append('<h2>Runs</h2><table class="runs"><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr>"
                + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows) + "</table>")
    for e in entries:
        failed = e["outcome"] in ("failed", "error")
        body.append(f'<div class="card {"failed" if failed else "passed"}" id="{esc(_test_anchor(e["nodeid"]))}">'
                    f'<h2 style="margin-top:4px">{esc(e["nodeid"])} {_test_badge(e["outcome"])}</h2>'
                    f'<div class="sub">{len(e["runs"])} run(s), test took {e["duration"]:.2f}s</div>')
        if e.get("failure"):
            body.append(f"<details{' open' if failed else ''}><summary>failure</summary>"
                        f"<pre>{esc(e['failure'])}</pre></details>")
        for r in e["runs"]:
            body.append(run_details(r, heading="h3"))
        body.append("</div>")
    return page("pytest-directmem session report", "".join(body))
