"""Text rendering of incident runs: the side-by-side table of `directmem reproduce`."""

from __future__ import annotations

import textwrap
from typing import Any, Sequence

from ..config import human_size
from .model import Incident
from .runner import JobFailure

_ALLOCATION = ("java.nio.Bits.", "java.nio.DirectByteBuffer.", "java.nio.ByteBuffer.allocateDirect")
HEAD = ("variant", "JDK", "outcome", "dumps", "GCs sys/full", "direct limit", "max heap", "container", "time", "pins")


def incident_header(incident: Incident) -> str:
    wrap = lambda label, text: textwrap.fill(text, 110, initial_indent=f"{label:<9}", subsequent_indent=" " * 9)  # noqa: E731
    return "\n".join([
        f"== {incident.id}: {incident.title}",
        wrap("sources:", "; ".join(incident.sources)),
        wrap("cause:", incident.cause),
        wrap("varies:", incident.vary),
    ])


def _time(run: Any) -> str:
    if run.time_to_oom_s is not None:
        return f"OOM {run.time_to_oom_s:.2f}s"
    word = "killed" if run.container is not None and run.container.oom_killed else "ran"
    return f"{word} {run.duration_s:.2f}s"


def _pins(result: Any) -> str:
    if result.expected is None:
        return f"not pinned for {result.major}"
    bad = result.mismatches
    return "ok" if not bad else f"DIFFERS: {', '.join(name for name, _, _ in bad)}"


def _engine(result: Any) -> str:
    """The Docker engine that ran the result, as configured (run.container.engine), "-" for a local run."""
    if isinstance(result, JobFailure):
        return "-"
    c = result.run.container
    return c.engine if c is not None and c.engine else "-"


def row(result: Any, *, engine: bool = False) -> tuple[tuple[str, ...], list[str]]:
    """The table row of one result and the lines printed under it (OOM message, error); with `engine`, a column
    after the container's naming the Docker engine that ran it."""
    if isinstance(result, JobFailure):
        cells = (result.variant.name, result.job.jdk or "system", "NO RUN", *("",) * 5, *("-",) * engine, "", "-")
        return cells, [result.message]
    run = result.run
    c = run.container
    container = "-" if c is None else f"{human_size(c.memory_limit)}{', OOMKilled' if c.oom_killed else ''}"
    cells = (result.variant.name, run.jvm.version or "?", str(run.outcome), str(len(run.heap_dumps)),
             f"{run.gc.explicit_count}/{run.gc.full_count}", human_size(run.direct.limit), human_size(run.jvm.max_heap),
             container, *(_engine(result),) * engine, _time(run), _pins(result))
    under = []
    if run.oom is not None:
        stack = run.oom.stack
        caller = next((f for f in stack if not f.startswith(_ALLOCATION)), None)
        top = f"  at {stack[0]}" if stack else ""
        if caller and caller != stack[0]:
            top += f" <- {caller}"
        under.append(f"{run.oom}{top}")
    elif run.error:
        under.append(run.error.splitlines()[0])
    return cells, under


def show_engines(results: Sequence[Any], configured: Sequence[str] = ()) -> bool:
    """Whether the table needs the engine column: more than one engine configured, or the results ran on several."""
    return len(configured) > 1 or len({_engine(r) for r in results} - {"-"}) > 1


def table(results: Sequence[Any], *, engine: bool = False) -> str:
    """Variants side by side, one row per result; `engine` adds the column naming each run's Docker engine."""
    head = HEAD[:8] + ("engine",) + HEAD[8:] if engine else HEAD
    rows = [row(r, engine=engine) for r in results]
    widths = [max(len(x) for x in col) for col in zip(head, *(cells for cells, _ in rows))]
    fmt = lambda cells: "  ".join(c.ljust(widths[i]) for i, c in enumerate(cells)).rstrip()  # noqa: E731
    indent = " " * (widths[0] + widths[1] + 4)
    out = [fmt(head), fmt(tuple("-" * w for w in widths))]
    for cells, under in rows:
        out.append(fmt(cells))
        out += [indent + u for u in under]
    return "\n".join(out)


def differences(results: Sequence[Any]) -> str:
    """Expected vs. measured for every result that does not match its pins."""
    blocks = []
    for r in results:
        if r.ok:
            continue
        if isinstance(r, JobFailure):
            blocks.append(r.explain())
            continue
        text = r.explain().split("\n\n", 1)[0]
        blocks.append(text + (f"\n  artifacts: {r.run.artifacts}" if r.run.artifacts else ""))
    return "\n\n".join(blocks)
