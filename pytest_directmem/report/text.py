"""Text renderings of a Run: one line for repr(), a diagnostic block for failure reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import human_size
from .investigation import investigation_lines
from .model import varying

if TYPE_CHECKING:
    from ..result import Run


def run_oneline(run: Run) -> str:
    bits = [f"Run({run.outcome}", f"workload={run.workload!r}", f"jdk={run.jvm.version}", f"backend={run.backend}"]
    if run.oom:
        bits.append(f"oom={str(run.oom)!r}")
        if len(run.ooms) > 1:
            bits.append(f"ooms={len(run.ooms)}")
    if run.error:
        bits.append(f"error={run.error.splitlines()[0]!r}")
    bits.append(f"dumps={len(run.heap_dumps)}")
    bits.append(f"gc={len(run.gc.events)} (explicit {run.gc.explicit_count}, full {run.gc.full_count})")
    bits.append(f"{run.duration_s:.2f}s")
    bits.append(f"artifacts={str(run.artifacts)!r})")
    return ", ".join(bits)


def _tail(text: str, n: int) -> list[str]:
    lines = text.rstrip("\n").splitlines()
    return lines[-n:] if lines else []


def run_summary(run: Run, tail: int = 40) -> str:
    """What a failing test needs to see: outcome, OOM, command, limits, GC, output tails, artifacts."""
    out = [f"outcome:    {run.outcome}  (exit code {run.exit_code}, {run.duration_s:.2f}s)",
           f"workload:   {run.workload}"]
    ooms = run.ooms or ((run.oom,) if run.oom else ())
    for i, oom in enumerate(ooms):  # the deciding one (the first thrown) first, with thread and catcher
        label = "oom:       " if i == 0 else f"oom {i + 1}/{len(ooms)}:"
        at = f" at {oom.uptime_s:.3f}s" if oom.uptime_s is not None else ""
        out.append(f"{label} [{oom.kind}] {oom}")
        out.append(f"              {oom.where()}{at}")
        if oom.hs_err_summary:
            out.append(f"              hs_err: {oom.hs_err_summary}")
        if oom.stack:
            out += [f"              at {f}" for f in oom.stack[: 8 if i == 0 else 3]]
    if run.error:
        out.append("error:      " + run.error.replace("\n", "\n            "))
    out += [f"note:       {n}" for n in run.notes]
    jvm = f"{run.jvm.version} (major {run.jvm.major}) at {run.jvm.java_home}" if run.jvm.version else "unknown"
    out.append(f"jvm:        {jvm}")
    backend = run.backend + (f", image {run.container.image}" if run.container else "")
    if run.container and run.container.engine:
        backend += f", engine {run.container.engine} ({run.container.transport or 'bind'})"
    out.append(f"backend:    {backend}")
    lim = run.limits
    out.append(
        "limits:     " + ", ".join(f"{k}={v}" for k, v in lim.items() if v not in (None, "-", "default"))
        + f"; computed: max_heap={human_size(run.jvm.max_heap)}, direct limit={human_size(run.direct.limit)}"
    )
    if run.container:
        out.append(f"container:  oom_killed={run.container.oom_killed}, memory={human_size(run.container.memory_limit)}")
    out.append(f"direct:     peak used {human_size(run.direct.peak_used)} in {len(run.direct.samples)} samples"
               + (f"; time to OOM {run.time_to_oom_s:.2f}s" if run.time_to_oom_s is not None else ""))
    if run.mapped.peak_count:
        out.append(f"mapped:     peak used {human_size(run.mapped.peak_used)} in {run.mapped.peak_count} buffers")
    out.append(f"completed:  {'yes: the workload returned normally' if run.workload_completed else 'no: the workload did not return normally'}")
    causes = ", ".join(f"{k} x{v}" for k, v in run.gc.by_cause().items()) or "none"
    out.append(f"gc:         {len(run.gc.events)} events (explicit {run.gc.explicit_count}, full {run.gc.full_count}, "
               f"pauses {run.gc.total_pause_ms:.1f} ms); causes: {causes}")
    out.append(f"heap dumps: {len(run.heap_dumps)}" + "".join(f"\n            {p}" for p in run.heap_dumps))
    if run.hs_err:
        out.append(f"hs_err:     {run.hs_err}")
    out.append(f"peak RSS:   {human_size(run.peak_rss)}")
    out += investigation_lines(run)  # diagnose=True
    out.append(f"command:    {run.command}")
    out.append(f"artifacts:  {run.artifacts}")
    for name, text in (("stderr", run.stderr), ("stdout", run.stdout)):
        lines = _tail(text, tail)
        out.append(f"--- last {len(lines)} lines of {name} ---" if lines else f"--- {name}: empty ---")
        out += lines
    return "\n".join(out)


def records_table(records: list[dict]) -> str:
    """Runs side by side (one row each) from run records (report.model.run_record), for `directmem compare`."""
    differ = varying(records)  # a column for each of JDK, host, backend, engine that differs between the rows
    head = ("variant", *(h for h, _ in differ), "outcome", "OOM / error", "heap dumps", "System.gc() GCs", "full GCs",
            "direct peak/limit", "to OOM", "time", "expected")
    body = []
    for i, r in enumerate(records):
        msg = r["oom"]["text"] if r.get("oom") else (r["error"].splitlines()[0] if r.get("error") else "-")
        exp = r.get("expected")
        body.append((r["name"], *(values[i] for _, values in differ), r["outcome_name"], msg, str(len(r["heap_dumps"])), str(r["gc"]["explicit_count"]),
                     str(r["gc"]["full_count"]),
                     f"{human_size(r['direct']['peak_used'])}/{human_size(r['direct']['limit'])}",
                     "-" if r.get("time_to_oom_s") is None else f"{r['time_to_oom_s']:.2f}s", f"{r['duration_s']:.2f}s",
                     "-" if not exp else ("ok: " if r.get("matched") else "NOT MET: ") + " or ".join(exp)))
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    line = lambda row: "  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(tuple("-" * x for x in widths)), *map(line, body)])
