"""The investigation section of a run with ``diagnose=True``: text (failure output) and HTML.

:func:`investigation_record` turns ``run.diagnosis`` into JSON-able data (``run_record()["diagnosis"]``);
:func:`investigation_lines` and :func:`investigation_html` show it: the top holders with their paths, the
garbage (and whether System.gc() can ever free it: not under DisableExplicitGC), the top allocation sites,
and NMT's native categories against the process's peak RSS or the container's memory limit.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from ..units import human_size
from .flame import flame_svg

if TYPE_CHECKING:
    from ..result import Run

TOP = 5
SITE_FRAMES = 6


def esc(value: object) -> str:  # report.html's, without importing it (html imports this module)
    return html.escape("" if value is None else str(value))


def investigation_record(run: Run) -> dict[str, Any] | None:
    """None without ``diagnose=True``; else ``{"dump", "holders": [{path, count, bytes}], "garbage_bytes",
    "explicit_gc", "sites": [{stack, bytes, count, kind}] (top entries, stacks cut), "flame": [{stack (root
    first, whole), bytes, count, kind}] (every site, for :func:`pytest_directmem.report.flame.flame_svg`),
    "native": [[category, bytes]] (largest first, "Total" last), "native_outside_direct", "rss",
    "memory_limit"}`` (sizes in bytes; top entries only)."""
    d = run.diagnosis
    if d is None:
        return None
    native = sorted(((k, v) for k, v in d.native.items() if k != "Total"), key=lambda kv: -kv[1])[:8]
    if "Total" in d.native:
        native.append(("Total", d.native["Total"]))
    return {
        "dump": str(d.dump) if d.dump else None,
        "holders": [{"path": list(h.path), "count": h.count, "bytes": h.bytes} for h in d.holders[:TOP]],
        "more_holders": max(0, len(d.holders) - TOP),
        "garbage_bytes": d.garbage_bytes,
        "explicit_gc": run.limits.get("explicit_gc"),
        "sites": [{"stack": list(s.stack[:SITE_FRAMES]), "bytes": s.bytes, "count": s.count, "kind": s.kind}
                  for s in d.sites[:TOP]],
        "flame": [{"stack": list(reversed(s.stack)), "bytes": s.bytes, "count": s.count, "kind": s.kind}
                  for s in d.sites],
        "native": [[k, v] for k, v in native],
        "native_outside_direct": d.native_outside_direct,
        "rss": run.peak_rss,
        "memory_limit": run.container.memory_limit if run.container else None,
    }


def _garbage_text(rec: dict[str, Any]) -> str:
    text = f"{human_size(rec['garbage_bytes'])} unreachable, waiting for their Cleaner"
    if rec["garbage_bytes"] and rec.get("explicit_gc") == "disabled":
        text += ("; DisableExplicitGC: the System.gc() of Bits.reserveMemory never collects it, only a GC "
                 "the heap needs")
    return text


def _against(rec: dict[str, Any]) -> str:
    if rec.get("memory_limit"):
        return f"container limit {human_size(rec['memory_limit'])}"
    return f"peak RSS {human_size(rec['rss'])}" if rec.get("rss") else "RSS unknown"


def investigation_lines(run: Run) -> list[str]:
    """The section of ``run_summary``: [] without ``diagnose=True``."""
    rec = investigation_record(run)
    if rec is None:
        return []
    out = ["investigation (diagnose=True):",
           f"  dump:     {rec['dump'] or 'none (no thread had to wait in Bits.reserveMemory after its System.gc() and retries: no dump is taken)'}"]
    if rec["dump"]:
        out.append("  holders:" + ("" if rec["holders"] else "  (none)"))
        for h in rec["holders"]:
            out.append(f"    {human_size(h['bytes']):>9} in {h['count']} buffers  " + " -> ".join(h["path"]))
        if rec["more_holders"]:
            out.append(f"    ... {rec['more_holders']} more")
        out.append(f"  garbage:  {_garbage_text(rec)}")
    return out + _sites_and_native(rec)


def sites_and_native_lines(run: Run) -> list[str]:
    """The allocation sites and NMT part of the section ([] without ``diagnose=True``): for
    ``directmem diagnose RUN_DIR``, which prints the dumps' holders in full itself."""
    rec = investigation_record(run)
    return [] if rec is None else _sites_and_native(rec)


def _sites_and_native(rec: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if rec["sites"]:
        out.append("  allocation sites (bytes and calls during the run, largest first):")
        for s in rec["sites"]:
            calls = f"{s.get('count') or '?'} calls"
            out.append(f"    {human_size(s['bytes']):>9} {calls:>11} {s['kind']:<6}  " + " <- ".join(s["stack"]))
    if rec["native"]:
        out.append(f"  native (NMT peak committed, against {_against(rec)}): "
                   + ", ".join(f"{k} {human_size(v)}" for k, v in rec["native"]))
        if rec["native_outside_direct"] is not None:
            out.append(f"  Unsafe/other native in 'Other' beyond the direct pool: "
                       f"{human_size(rec['native_outside_direct'])}")
    return out


def _table(css: str, heads: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    """A table whose numeric columns align right and whose list cells (paths, stacks) are one line each."""
    def cell(v: Any) -> str:
        if isinstance(v, (list, tuple)):
            return f"<td><pre>{esc(chr(10).join(v))}</pre></td>"
        num = isinstance(v, int) or str(v)[:1].isdigit()  # counts and sizes ("12.0 MiB") align right
        return f'<td class="num">{esc(str(v))}</td>' if num else f"<td>{esc(str(v))}</td>"
    body = "".join("<tr>" + "".join(map(cell, r)) + "</tr>" for r in rows)
    empty = f'<tr><td colspan={len(heads)}>(none)</td></tr>'
    return (f'<table class="{css}"><tr>' + "".join(f"<th>{esc(h)}</th>" for h in heads) + "</tr>"
            + (body or empty) + "</table>")


def investigation_html(rec: dict[str, Any]) -> str:
    """The run page's section (``rec`` is ``run_record()["diagnosis"]``); "" for None."""
    if not rec:
        return ""

    parts = ['<div class="investigation" id="investigation"><h3>Investigation</h3>']
    parts.append(f"<p>dump at the first direct OOM: <code>{esc(rec['dump'] or 'none')}</code></p>")
    if rec["dump"]:
        parts.append("<h4>Holders</h4>" + _table("holders", ("bytes", "buffers", "path from the GC root"),
                                                 [(human_size(h["bytes"]), h["count"], h["path"]) for h in rec["holders"]]))
        parts.append(f'<p class="garbage">garbage: {esc(_garbage_text(rec))}</p>')
    parts.append(sites_and_native_html(rec))
    parts.append("</div>")
    return "".join(parts)


def sites_and_native_html(rec: dict[str, Any]) -> str:
    """The allocation sites (table and flame graph) and NMT part of the section ("" when the run recorded
    neither): for the run page and for ``directmem diagnose RUN_DIR --report``, which shows the dumps itself."""
    parts: list[str] = []
    if rec["sites"]:
        rows = [(human_size(s["bytes"]), s.get("count") or "?", s["kind"], s["stack"]) for s in rec["sites"]]
        parts.append("<h4>Allocation sites</h4>"
                     + _table("sites", ("bytes", "calls", "kind", "stack (innermost first)"), rows)
                     + flame_svg(rec.get("flame") or []))
    if rec["native"]:
        rows = "".join(f'<tr><td>{esc(k)}</td><td class="num">{esc(human_size(v))}</td></tr>'
                       for k, v in rec["native"])
        if rec["native_outside_direct"] is not None:
            rows += (f'<tr><td>Unsafe/other native in "Other" beyond the direct pool</td>'
                     f'<td class="num">{esc(human_size(rec["native_outside_direct"]))}</td></tr>')
        parts.append(f"<h4>Native memory (NMT peak committed) against {esc(_against(rec))}</h4>"
                     f'<table class="native"><tr><th>category</th><th>bytes</th></tr>{rows}</table>')
    return "".join(parts)
