"""A DumpAnalysis as text (the CLI's output) and as a self-contained HTML page (``--report``)."""

from __future__ import annotations

import os
from pathlib import Path

from ..config import human_size
from .model import DumpAnalysis, Holder

__all__ = ["analysis_text", "analysis_html", "write_analysis_report"]

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


def analysis_html(a: DumpAnalysis) -> str:
    from ..report.html import esc, page

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
    body = (f"<h1>Direct memory in {esc(Path(a.dump).name)}</h1>"
            '<div class="sub">who holds the direct buffers of this heap dump</div><table class="facts">'
            + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts) + "</table>"
            + "<h2>Holders</h2>" + table(a.holders)
            + "<h2>Outside the limit (mapped, made by native code)</h2>" + table(a.native_holders))
    return page(f"directmem diagnose {Path(a.dump).name}", body)


def write_analysis_report(a: DumpAnalysis, path: str | os.PathLike[str]) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(analysis_html(a), encoding="utf-8")
    return out
