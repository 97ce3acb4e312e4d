"""The facts of a Run that load_run must reproduce, as JSON-able data (paths relative to the artifacts dir)."""

from __future__ import annotations

import dataclasses
from typing import Any


# OomError fields added with run.ooms (2026-11-30): shown when set, so directories recorded before them
# (no exceptions.log: None / ()) keep their expected facts.
_OOM_ADDED = ("caught_by", "carried_by", "uptime_s", "hs_err_summary")


def run_facts(run: Any) -> dict[str, Any]:
    rel = lambda p: None if p is None else p.name  # noqa: E731
    return {
        "outcome": run.outcome.name,
        "oom": None if run.oom is None else {k: list(v) if isinstance(v, tuple) else v
                                             for k, v in dataclasses.asdict(run.oom).items()
                                             if k not in _OOM_ADDED or v not in (None, ())},
        "error": run.error,
        "heap_dumps": [rel(p) for p in run.heap_dumps],
        "hs_err": rel(run.hs_err),
        "gc": {"collector": run.gc.collector, "explicit": run.gc.explicit_count, "full": run.gc.full_count,
               "events": [[e.gc_id, e.uptime_s, e.name, e.cause, e.kind, e.pause_ms] for e in run.gc.events]},
        "direct": {"limit": run.direct.limit, "peak_used": run.direct.peak_used, "samples": len(run.direct.samples)},
        "jvm": {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(run.jvm).items()},
        "container": None if run.container is None else dataclasses.asdict(run.container),
        "exit_code": run.exit_code, "timed_out": run.timed_out, "duration_s": run.duration_s,
        "peak_rss": run.peak_rss, "command": run.command, "java_command": run.java_command,
        "backend": run.backend, "workload": run.workload, "limits": run.limits, "value": run.value,
        "time_to_oom_s": run.time_to_oom_s, "notes": list(run.notes),
    }
