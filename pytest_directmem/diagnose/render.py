"""A DumpAnalysis as text (the CLI's output) and as a self-contained HTML page (``--report``), with a run's
allocation sites and native memory when the dump came with a run made with diagnose=True."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ..config import human_size
from .model import DumpAnalysis, Holder

if TYPE_CHECKING:
    from ..result import Run

__all__ = ["analysis_text", "analysis_html", "diagnose_html", "write_analysis_report"]

_ARROW = "\n      -> "


def _holder_lines(holders: tuple[Holder, ...], limit: int) -> list[str]:
    out = []
    for h in holders[:limit]:
        out.append(f"  {human_size(h.bytes):>10}  {h.count:>5} buffer{'s' if h.count != 1 else ' '}  {h.path[0]}"
                   + "".join(f"{_ARROW}{step}" for step in h.path[1:]))
    if len(holders) > limit:
        rest = holders[limit:]
        out.append(f"  ... {len(rest)} more holders, {human_size(sum(h.bytes for h in rest))}")
    return out


def analysis_text(a: DumpAnalysis, limit: int = 10) -> str:
    """Holders (largest first) with their paths, garbage, totals; then memory outside the limit."""
    lines = [f"{a.dump}: {a.hprof_version}, {a.objects} objects, {len(a.buffers)} direct buffers",
             "", "Direct memory counted against MaxDirectMemorySize (buffers with a cleaner and no fd):",
             f"  total {human_size(a.total_bytes)} ({a.total_bytes} bytes) = held {human_size(a.held_bytes)}"
             f" + garbage {human_size(a.garbage_bytes)} ({a.garbage_count} unreachable buffers waiting for "
             "their Cleaner)", "", "Holders (path from the GC root, largest first):"]
    lines += _holder_lines(a.holders, limit) or ["  (none)"]
    if a.victim is not None:
        lines += ["", f"Victim: a half-built {a.victim.cls} of {human_size(a.victim.capacity)} "
                      f"({a.victim.capacity} bytes, address 0): the allocation that failed"]
    if a.native_holders:
        lines += ["", f"Outside the limit: mapped {human_size(a.mapped_bytes)}, made by native code "
                      f"{human_size(a.native_bytes)}"]
        lines += _holder_lines(a.native_holders, limit)
    return "\n".join(lines)


def _analysis_body(a: DumpAnalysis, heading: str, after_facts: str = "") -> str:
    """Facts, holders and memory outside the limit of one dump, under `heading` ("h1" alone, "h2" in a run's page);
    `after_facts` goes between the facts and the holders."""
    from ..report.html import esc

    sub = "h3" if heading == "h2" else "h2"

    def table(holders: tuple[Holder, ...]) -> str:
        rows = "".join(f'<tr><td class="num">{esc(human_size(h.bytes))}</td><td class="num">{h.count}</td>'
                       f'<td><pre>{esc(chr(10).join(h.path))}</pre></td></tr>'
                       for h in holders)
        return ('<table><tr><th>bytes</th><th>buffers</th><th>path from the GC root</th></tr>'
                f'{rows or "<tr><td colspan=3>(none)</td></tr>"}</table>')

    facts = [("dump", a.dump), ("format", a.hprof_version), ("objects", a.objects), ("direct buffers", len(a.buffers)),
             ("counted (cleaner, no fd)", f"{human_size(a.total_bytes)} ({a.total_bytes} bytes)"),
             ("held", human_size(a.held_bytes)),
             ("garbage", f"{human_size(a.garbage_bytes)} in {a.garbage_count} buffers waiting for their Cleaner"),
             ("mapped (fd)", human_size(a.mapped_bytes)), ("made by native code", human_size(a.native_bytes)),
             ("victim", "-" if a.victim is None else
              f"{a.victim.cls}, {human_size(a.victim.capacity)} ({a.victim.capacity} bytes): the failed request")]
    return (f"<{heading}>Direct memory in {esc(Path(a.dump).name)}</{heading}>"
            '<div class="sub">who holds the direct buffers of this heap dump</div><table class="facts">'
            + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts) + "</table>" + after_facts
            + f"<{sub}>Holders</{sub}>" + table(a.holders)
            + f"<{sub}>Outside the limit (mapped, made by native code)</{sub}>" + table(a.native_holders))


def analysis_html(a: DumpAnalysis) -> str:
    """The page of one dump alone (no run: no allocation sites, no NMT)."""
    from ..report.html import page

    return page(f"directmem diagnose {Path(a.dump).name}", _analysis_body(a, "h1"))


NO_SITES = ("no allocation sites and no native memory (NMT) here: {what} holds neither; they are recorded while a "
            "run runs with --diagnose (diagnose=True), and directmem diagnose RUN_DIR of that run shows them")


def _investigation_part(run: Run | None, what: str) -> str:
    """The run's allocation sites (with the flame graph) and NMT as the run page draws them, or why there are none."""
    from ..report.html import esc
    from ..report.investigation import investigation_record, sites_and_native_html

    rec = investigation_record(run) if run is not None else None
    head = "<h2>Who allocated and where native memory went</h2>"
    if rec is None:
        return head + f'<p class="none">{esc(NO_SITES.format(what=what))}</p>'
    shown = sites_and_native_html(rec)
    missing = [part for part, key in (("allocation sites", "sites"), ("native memory (NMT)", "native")) if not rec[key]]
    why = [n for n in run.notes if n.startswith("diagnosis:")] if run is not None else []
    note = (f'<p class="none">no {" and no ".join(missing)} recorded in this run'
            + "".join(f"<br>{esc(n)}" for n in why) + "</p>") if missing else ""
    return f'{head}<div class="investigation" id="investigation">{shown}{note}</div>'


def diagnose_html(analyses: Sequence[DumpAnalysis], *, run: Run | None = None, target: str | os.PathLike[str] = "",
                  what: str = "a bare heap dump") -> str:
    """The page of `directmem diagnose TARGET --report`: the same investigation as its text. For a run made with
    diagnose=True (`run`), its allocation sites (table and flame graph, report.investigation's) and NMT peak per
    category first; else a sentence saying why there are none (`what`: "a bare heap dump", ...); then every dump."""
    from ..report.html import esc, page

    name = Path(target).name if target else (Path(analyses[0].dump).name if analyses else "?")
    if run is None and len(analyses) == 1:
        return page(f"directmem diagnose {name}", _analysis_body(analyses[0], "h1", _investigation_part(None, what)))
    sub = f"run {esc(run.workload)}: {esc(run.outcome.value)}" if run is not None else f"{len(analyses)} heap dumps"
    body = [f"<h1>directmem diagnose {esc(name)}</h1><div class=\"sub\">{sub}; {esc(target)}</div>",
            _investigation_part(run, what)]
    body += [_analysis_body(a, "h2") for a in analyses]
    if not analyses:
        body.append('<h2>Heap dump</h2><p class="none">no heap dump in this run: no thread had to wait in '
                    "Bits.reserveMemory after its System.gc() and retries, so none was taken</p>")
    return page(f"directmem diagnose {name}", "".join(body))


def write_analysis_report(a: DumpAnalysis | Sequence[DumpAnalysis], path: str | os.PathLike[str], *,
                          run: Run | None = None, target: str | os.PathLike[str] = "",
                          what: str = "a bare heap dump") -> Path:
    """Write :func:`diagnose_html` of one or several analyses (and the run's investigation) to `path`."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    analyses = [a] if isinstance(a, DumpAnalysis) else list(a)
    out.write_text(diagnose_html(analyses, run=run, target=target, what=what), encoding="utf-8")
    return out
