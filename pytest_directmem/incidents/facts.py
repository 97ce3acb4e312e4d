"""Facts: the robust, comparable things a Run shows, by name. Expectations pin their values per JDK.

A fact is measured from a finished Run into a JSON scalar (str, int, bool or None), so pinned and
measured values compare with ``==`` and print the same way. Facts are chosen to be deterministic:
zero vs. some GCs rather than GC counts, a frame's presence rather than line numbers.

| fact | value |
|---|---|
| ``outcome`` | ``"DIRECT_OOM"``, ``"COMPLETED"``... |
| ``oom.kind``, ``oom.message``, ``oom.thread`` | from ``run.oom`` (None without an OOM) |
| ``oom.requested``, ``oom.limit`` | parsed from the message (None on JDK 11's "Direct buffer memory") |
| ``oom.top_frame`` | the first frame without its source position: ``"java.nio.Bits.reserveMemory"`` |
| ``frame:<method>`` | True when a frame of the OOM's stack is that method |
| ``heap_dumps``, ``hs_err`` | the number of ``*.hprof`` files; whether an hs_err file exists |
| ``gc.explicit``, ``gc.full``, ``gc.events`` | ``"0"`` or ``">0"``: collections caused by System.gc(), full ones, any |
| ``gc.explicit_names`` | the distinct names of System.gc() collections: ``"Pause Full"`` |
| ``gc.collector`` | ``"G1"``, ``"Serial"``... |
| ``direct.limit``, ``jvm.max_heap`` | bytes the JVM computed |
| ``direct.limit_is_heap`` | the direct limit equals Runtime.maxMemory() (the default rule) |
| ``direct.pool_used`` | ``"0"`` or ``">0"``: whether the direct pool ever held anything |
| ``rss_beyond_pool>=<size>`` | peak RSS (cgroup peak in a container) minus the pool's peak is at least size |
| ``container.oom_killed``, ``exit_code`` | the engine's OOMKilled flag; the worker's exit status |
| ``oom.caught_by``, ``oom.carried_by`` | the method that caught the first OOM; the first throwable that carried it (None before the harness reports them) |
| ``oom.thread_unported`` | ``oom.thread`` with ``:PORT`` removed (okhttp names its threads after the URL) |
| ``workload_completed``, ``mapped.peak_count`` | ``run.workload_completed``; the "mapped" pool's peak buffer count (None where not reported) |
| ``error`` | the first line of ``run.error`` (``"java.io.IOException: Map failed"``; None without) |
| ``error.cause`` | ``"class: message"`` of the first cause of the error the workload threw |
| ``stderr:<text>`` | True when the JVM's stderr has that text (e.g. ``Exception in thread "JDBM writer"``) |
| ``value.<key>`` | a member of the workload's return value |
| ``note.<key>`` | a member of the last ``note`` event the workload journaled |
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable

from ..config import human_size, parse_size
from ..result import Run

_POSITION = re.compile(r"\(.*\)$")


def _some(n: int) -> str:
    return ">0" if n else "0"


def _frames(run: Run) -> list[str]:
    return [_POSITION.sub("", f) for f in (run.oom.stack if run.oom else ())]


def _oom(attr: str) -> Callable[[Run], Any]:
    return lambda run: getattr(run.oom, attr) if run.oom else None


def _value(run: Run) -> dict[str, Any]:
    v = run.value
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except ValueError:
            return {}
    return v if isinstance(v, dict) else {}


def _notes(run: Run) -> dict[str, Any]:
    from ..observe.journal import notes

    return notes(run.events)


def _error_cause(run: Run) -> str | None:
    if run.error is None:
        return None
    for e in run.events:
        if e.get("event") == "error" and e.get("causes"):
            c = e["causes"][0]
            return f"{c.get('class')}: {c.get('message')}" if c.get("message") is not None else str(c.get("class"))
    return None


def _rss_beyond_pool(run: Run, size: str) -> bool | None:
    if run.peak_rss is None:
        return None
    return run.peak_rss - (run.direct.peak_used or 0) >= parse_size(size, "rss_beyond_pool")


SIMPLE: dict[str, Callable[[Run], Any]] = {
    "outcome": lambda run: str(run.outcome),
    "oom.kind": _oom("kind"),
    "oom.message": _oom("message"),
    "oom.thread": _oom("thread"),
    "oom.requested": _oom("requested"),
    "oom.limit": _oom("limit"),
    "oom.top_frame": lambda run: (_frames(run) or [None])[0],
    "heap_dumps": lambda run: len(run.heap_dumps),
    "hs_err": lambda run: run.hs_err is not None,
    "gc.explicit": lambda run: _some(run.gc.explicit_count),
    "gc.full": lambda run: _some(run.gc.full_count),
    "gc.events": lambda run: _some(len(run.gc.events)),
    "gc.explicit_names": lambda run: ", ".join(sorted({e.name for e in run.gc.events if e.explicit})) or None,
    "gc.collector": lambda run: run.gc.collector,
    "direct.limit": lambda run: run.direct.limit,
    "jvm.max_heap": lambda run: run.jvm.max_heap,
    "direct.limit_is_heap": lambda run: None if run.direct.limit is None else run.direct.limit == run.jvm.max_heap,
    "direct.pool_used": lambda run: _some(run.direct.peak_used or 0),
    "container.oom_killed": lambda run: None if run.container is None else run.container.oom_killed,
    "exit_code": lambda run: run.exit_code,
    "oom.caught_by": lambda run: getattr(run.oom, "caught_by", None),
    "oom.carried_by": lambda run: (tuple(getattr(run.oom, "carried_by", None) or ()) or (None,))[0],
    "oom.thread_unported": lambda run: re.sub(r":\d+", "", run.oom.thread) if run.oom and run.oom.thread else None,
    "workload_completed": lambda run: getattr(run, "workload_completed", None),
    "mapped.peak_count": lambda run: getattr(getattr(run, "mapped", None), "peak_count", None),
    "error": lambda run: run.error.splitlines()[0] if run.error else None,
    "error.cause": _error_cause,
}
PARAMETRIZED: dict[str, Callable[[Run, str], Any]] = {
    "frame:": lambda run, method: method in _frames(run),
    "value.": lambda run, key: _value(run).get(key),
    "note.": lambda run, key: _notes(run).get(key),
    "rss_beyond_pool>=": _rss_beyond_pool,
    "stderr:": lambda run, text: text in (run.stderr or ""),
}


def check_name(name: str) -> str:
    """The name, or ValueError when no fact has it (incident definitions are checked at import)."""
    if name in SIMPLE:
        return name
    if any(name.startswith(p) and len(name) > len(p) for p in PARAMETRIZED):
        if name.startswith("rss_beyond_pool>="):
            parse_size(name[len("rss_beyond_pool>="):], name)
        return name
    raise ValueError(f"unknown fact {name!r}; known: {', '.join([*SIMPLE, *(p + '...' for p in PARAMETRIZED)])}")


def measure(run: Run, names: Iterable[str]) -> dict[str, Any]:
    """{fact: value} for a finished run."""
    out: dict[str, Any] = {}
    for name in names:
        if name in SIMPLE:
            out[name] = SIMPLE[name](run)
            continue
        prefix = next(p for p in PARAMETRIZED if name.startswith(p))
        out[name] = PARAMETRIZED[prefix](run, name[len(prefix):])
    return out


_BYTES = ("direct.limit", "jvm.max_heap", "oom.requested", "oom.limit")


def show(name: str, value: Any) -> str:
    """A value as tables print it: byte counts with their MiB, booleans as yes/no."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name in _BYTES and isinstance(value, int) and value >= 1 << 20:
        return f"{value} ({human_size(value)})"
    return str(value)
