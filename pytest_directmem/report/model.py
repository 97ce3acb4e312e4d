"""A Run as plain JSON-able data: what the HTML pages draw and what ``directmem run --json`` prints.

A record survives pytest-xdist (it travels on the test report to the controller) and outlives the
artifacts directory (passing tests delete theirs), so it carries everything a page shows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..observe.journal import first
from .investigation import investigation_record

if TYPE_CHECKING:
    from ..result import OomError, Run

MAX_POINTS = 1500  # samples kept per run for the timeline (peaks survive the thinning)
def anchor_for(*parts: object) -> str:
    """An HTML id made of the parts ("tests/test_x.py::test_y[jdk17]", 1 -> "tests-test_x.py-test_y-jdk17--run1")."""
    text = "--".join(re.sub(r"[^\w.-]+", "-", str(p)).strip("-") for p in parts)
    return "run-" + text[-150:]


def _thin(samples: list[list[int | None]]) -> list[list[int | None]]:
    """At most ~MAX_POINTS samples: per bucket, keep the lowest and the highest `used` (in time order)."""
    if len(samples) <= MAX_POINTS:
        return samples
    step = len(samples) / (MAX_POINTS / 2)
    out: list[list[int | None]] = []
    i = 0.0
    while int(i) < len(samples):
        bucket = samples[int(i):max(int(i + step), int(i) + 1)]
        lo = min(bucket, key=lambda s: s[1] or 0)
        hi = max(bucket, key=lambda s: s[1] or 0)
        out += sorted({id(lo): lo, id(hi): hi}.values(), key=lambda s: s[0] or 0)
        i += step
    if out[-1] is not samples[-1]:
        out.append(samples[-1])
    return out


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def oom_record(oom: OomError, uptime_s: float | None = None, uptime_approx: bool = False) -> dict[str, Any]:
    """One OutOfMemoryError as JSON-able data: the record's ``oom`` and each entry of its ``ooms``.

    Keys: kind, class_name, message, text (``str(oom)``), requested/allocated/limit (bytes or None), stack
    (frames), thread, caught_by, carried_by, where (thread and catcher in words), hs_err_summary, uptime_s (JVM
    uptime in seconds when thrown: the exceptions log; for ``oom``, run_record falls back to the journal or
    the last sample, then uptime_approx is true)."""
    return {"kind": oom.kind, "class_name": oom.class_name, "message": oom.message, "text": str(oom),
            "requested": oom.requested, "allocated": oom.allocated, "limit": oom.limit, "stack": list(oom.stack),
            "thread": oom.thread, "caught_by": oom.caught_by, "carried_by": list(oom.carried_by), "where": oom.where(),
            "hs_err_summary": oom.hs_err_summary, "uptime_s": oom.uptime_s if uptime_s is None else uptime_s,
            "uptime_approx": uptime_approx}


def run_record(run: Run, *, name: str | None = None, anchor: str | None = None, timeline: bool = True,
               **extra: Any) -> dict[str, Any]:
    """Everything a report shows about `run`, as JSON-able data. `timeline=False` drops samples and GC events."""
    events = run.events
    oom_event, start, started = first(events, "oom"), first(events, "workload_start"), first(events, "jvm_started")
    uptimes = [e["uptime_ms"] for e in events if isinstance(e.get("uptime_ms"), (int, float))]
    samples = [[s.uptime_ms, s.used, s.capacity, s.heap_used, s.mapped_used] for s in run.direct.samples]
    oom_at = oom_event.get("uptime_ms") if oom_event else None
    if run.oom is not None and run.oom.uptime_s is not None:
        oom_at = run.oom.uptime_s * 1000.0  # the exceptions log: when it was thrown
    oom_approx = False
    if run.oom is not None and oom_at is None and (samples or uptimes):
        oom_at, oom_approx = max([s[0] for s in samples] + uptimes), True  # the worker never journaled it
    input_args = run.jvm.input_args or tuple((started or {}).get("input_args") or ())
    spec = run.spec or None
    dump_flag = any(a == "-XX:+HeapDumpOnOutOfMemoryError" for a in (input_args or (spec or {}).get("jvm_args") or ()))
    rec: dict[str, Any] = {
        "name": name or run.workload, "anchor": anchor or anchor_for(name or run.workload),
        "workload": run.workload, "outcome": run.outcome.value, "outcome_name": run.outcome.name,
        "exit_code": run.exit_code, "duration_s": run.duration_s, "backend": run.backend, "host": run.host,
        "limits": dict(run.limits),
        "oom": None if run.oom is None else oom_record(run.oom, None if oom_at is None else oom_at / 1000.0, oom_approx),
        "ooms": [oom_record(o) for o in run.ooms],
        "workload_completed": run.workload_completed,
        "mapped": {"peak_used": run.mapped.peak_used, "peak_count": run.mapped.peak_count},
        "error": run.error, "notes": list(run.notes), "value": run.value,
        "heap_dumps": [{"path": str(p), "size": _size(p)} for p in run.heap_dumps],
        "heap_dump_on_oom": dump_flag, "hs_err": str(run.hs_err) if run.hs_err else None,
        "gc": {"collector": run.gc.collector, "count": len(run.gc.events), "explicit_count": run.gc.explicit_count,
               "full_count": run.gc.full_count, "total_pause_ms": run.gc.total_pause_ms, "by_cause": run.gc.by_cause()},
        "direct": {"limit": run.direct.limit, "peak_used": run.direct.peak_used, "sample_count": len(samples)},
        "jvm": {"version": run.jvm.version, "major": run.jvm.major, "max_heap": run.jvm.max_heap,
                "vendor": run.jvm.vendor, "java_home": run.jvm.java_home},
        "container": None if run.container is None else {
            "oom_killed": run.container.oom_killed, "memory_limit": run.container.memory_limit,
            "image": run.container.image, "id": run.container.id, "exit_code": run.container.exit_code,
            "engine": run.container.engine, "transport": run.container.transport,
            "copied_in": run.container.copied_in, "copied_out": run.container.copied_out},
        "peak_rss": run.peak_rss, "time_to_oom_s": run.time_to_oom_s,
        "workload_start_s": start["uptime_ms"] / 1000.0 if start and "uptime_ms" in start else None,
        "end_s": max(uptimes) / 1000.0 if uptimes else None,
        "artifacts": str(run.artifacts) if run.artifacts else None,
        "command": run.command, "cli_command": run.cli_command,
        "stdout_tail": run.stdout.rstrip("\n").splitlines()[-40:], "stderr_tail": run.stderr.rstrip("\n").splitlines()[-40:],
        "diagnosis": investigation_record(run),
    }
    if timeline:
        rec["direct"]["samples"] = _thin(samples)
        rec["gc"]["events"] = [[e.uptime_s, e.cause, e.kind, e.pause_ms, e.name] for e in run.gc.events]
    rec.update(extra)
    return rec


# what may differ between the runs of a comparison besides their options: (column heading, value of a record)
ASPECTS = (("JDK", lambda r: (r.get("jvm") or {}).get("version")), ("host", lambda r: r.get("host")),
           ("backend", lambda r: r.get("backend")), ("engine", lambda r: (r.get("container") or {}).get("engine")))


def varying(records: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(heading, one value per record) for each aspect whose value differs between `records` (run_record dicts):
    JDK (the version the JVM reported, ``java.version``), host (jpype or java), backend, engine (the Docker engine
    URL, compared between the records that ran on one). A missing value is "-"."""
    out = []
    for heading, get in ASPECTS:
        values = [str(get(r) or "-") for r in records]
        present = {v for v in values if v != "-"} if heading == "engine" else set(values)
        if len(present) > 1:
            out.append((heading, values))
    return out


def comparison_heading(workload: str, records: list[dict[str, Any]]) -> str:
    """The line above a comparison: the workload on the one JDK all runs used (with its home when that is shared
    too), or, when the runs differ in JDK, host, backend or engine, which of those differ (they are columns)."""
    differ = [heading for heading, _ in varying(records)]
    note = f"; the runs differ in {', '.join(differ)} (see the table)" if differ else ""
    if not records or "JDK" in differ:
        return workload + note
    jvm = records[0].get("jvm") or {}
    homes = {(r.get("jvm") or {}).get("java_home") for r in records}
    home = f" ({jvm.get('java_home')})" if len(homes) == 1 else ""
    return f"{workload} on JDK {jvm.get('version')}{home}{note}"
