"""The facts of a Run that load_run must reproduce, as JSON-able data (paths relative to the artifacts dir)."""

from __future__ import annotations

import dataclasses
from typing import Any


def _oom(oom: Any) -> dict[str, Any] | None:
    if oom is None:
        return None
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(oom).items()}


def run_facts(run: Any) -> dict[str, Any]:
    rel = lambda p: None if p is None else p.name  # noqa: E731
    return {
        "outcome": run.outcome.name,
        "oom": _oom(run.oom),
        "ooms": [_oom(o) for o in run.ooms],
        "workload_completed": run.workload_completed, "host": run.host,
        "mapped": {"peak_used": run.mapped.peak_used, "peak_count": run.mapped.peak_count},
        "cli_command": run.cli_command,
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
