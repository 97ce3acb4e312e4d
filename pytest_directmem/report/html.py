"""Self-contained HTML reports (inline CSS and SVG, no script, nothing fetched): one run, a comparison.

    write_run_report(run, "run.html")
    write_comparison_report([("explicit GC", run1), ("DisableExplicitGC", run2)], "compare.html")

The pages are built from run records (report.model), so a pytest session report can draw runs whose
artifacts are gone (report.session).
"""

from __future__ import annotations

import datetime as _dt
import html
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from ..config import human_size
from .model import anchor_for, run_record, varying
from .timeline import timeline_svg
from .investigation import investigation_html

if TYPE_CHECKING:
    from ..result import Run

OUTCOME_COLORS = {  # badge background per outcome
    "completed": "#2e7d32", "direct-oom": "#b0003a", "heap-oom": "#8e24aa", "framework-oom": "#ad1457",
    "native-oom": "#6a1b9a", "oom-killed": "#4a148c", "crashed": "#37474f", "timeout": "#ef6c00", "error": "#5d4037",
}
CSS = """
body{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
main{max-width:1320px;margin:0 auto;padding:18px 28px 40px}
h1{font-size:22px;margin:4px 0 2px}h2{font-size:18px;margin:26px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}.sub{color:#555;font-size:13px;margin-bottom:10px}
.badge{display:inline-block;color:#fff;border-radius:4px;padding:1px 7px;font-size:12px;font-weight:bold;
 font-family:"DejaVu Sans Mono",monospace;white-space:nowrap}
.miss{background:#fff3cd;color:#6d4c00;border:1px solid #e0b400}.hit{background:#e8f5e9;color:#1b5e20;border:1px solid #81c784}
table{border-collapse:collapse;font-size:13px;background:#fff;margin:6px 0 10px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}table.facts th{width:170px;background:#f7f7f7}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;margin:12px 0}
.card.failed{border-left:5px solid #b0003a}.card.passed{border-left:5px solid #2e7d32}
pre{background:#f4f4f4;border:1px solid #e2e2e2;padding:6px 8px;overflow-x:auto;font-size:12px;white-space:pre-wrap;
 word-break:break-all;margin:4px 0}
.oom{font-family:"DejaVu Sans Mono",monospace;font-size:13px;color:#7a0c0e}.dump-yes{color:#1b7f3b;font-weight:bold}
.dump-no{color:#7a0c0e;font-weight:bold}.timeline svg{width:100%;height:auto}summary{cursor:pointer;color:#0b57d0}
a{color:#0b57d0}.muted{color:#777}
.flame svg{width:100%;height:auto;background:#fff;border:1px solid #ddd}.flame text{fill:#1d1d1f;pointer-events:none}
.flame .key{display:inline-block;width:11px;height:11px;margin:0 3px 0 10px;vertical-align:-1px;border-radius:2px}
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def badge(outcome: str, name: str | None = None) -> str:
    color = OUTCOME_COLORS.get(outcome, "#555")
    return f'<span class="badge" style="background:{color}">{esc(name or outcome.upper().replace("-", "_"))}</span>'


def expectation_badge(rec: dict[str, Any]) -> str:
    exp = rec.get("expected")
    if not exp:
        return ""
    ok = rec.get("matched")
    return f' <span class="badge {"hit" if ok else "miss"}">expected {esc(" or ".join(exp))}: {"met" if ok else "NOT met"}</span>'


def page(title: str, body: str) -> str:
    when = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="pytest-directmem"><title>{esc(title)}</title>'
            f'<style>{CSS}</style></head><body><main>{body}'
            f'<p class="muted" style="margin-top:30px;font-size:12px">written by pytest-directmem on {esc(when)}; '
            f'self-contained: open it anywhere, nothing is fetched.</p></main></body></html>\n')


def oom_line(rec: dict[str, Any]) -> str:
    if rec.get("oom"):
        return rec["oom"]["text"]
    if rec.get("error"):
        return rec["error"].splitlines()[0]
    return "-"


def dumps_cell(rec: dict[str, Any]) -> str:
    dumps = rec.get("heap_dumps") or []
    if dumps:
        return f'<span class="dump-yes">{len(dumps)}</span> ' + ", ".join(
            f"{esc(os.path.basename(d['path']))} ({human_size(d['size'])})" for d in dumps)
    flag = "HeapDumpOnOutOfMemoryError on" if rec.get("heap_dump_on_oom") else "HeapDumpOnOutOfMemoryError off"
    return f'<span class="dump-no">none</span> <span class="muted">({flag})</span>'


def _stack(oom: dict[str, Any], n: int = 12) -> str:
    frames = oom.get("stack") or []
    lines = [esc(oom["text"])] + [f"    at {esc(f)}" for f in frames[:n]]
    if len(frames) > n:
        lines.append(f"    ... {len(frames) - n} more")
    return "<pre class=\"oom\">" + "\n".join(lines) + "</pre>"


def facts_table(rec: dict[str, Any]) -> str:
    d, gc, jvm, lim = rec["direct"], rec["gc"], rec["jvm"], rec.get("limits") or {}
    rows: list[tuple[str, str]] = [
        ("outcome", badge(rec["outcome"], rec["outcome_name"]) + expectation_badge(rec)
         + f' <span class="muted">exit code {esc(rec.get("exit_code"))}, {rec.get("duration_s") or 0:.2f}s</span>'),
        ("workload", esc(rec["workload"])),
    ]
    if rec.get("oom"):
        o = rec["oom"]
        at = "" if o.get("uptime_s") is None else f' at JVM uptime {"~" if o.get("uptime_approx") else ""}{o["uptime_s"]:.2f}s'
        tto = f', {rec["time_to_oom_s"]:.2f}s after the workload started' if rec.get("time_to_oom_s") is not None else ""
        ooms = rec.get("ooms") or []
        where = ooms[0]["where"] if ooms else f'thread {o.get("thread") or "?"}'
        rows.append(("OutOfMemoryError", f'<span class="oom">[{esc(o["kind"])}] {esc(o["text"])}</span>'
                     f'<br><span class="muted">{esc(where)}{esc(at)}{esc(tto)}</span>'))
        for i, later in enumerate(ooms[1:], start=2):  # every other OOM, in throw order, after the deciding one
            t = "" if later.get("uptime_s") is None else f' at JVM uptime {later["uptime_s"]:.2f}s'
            rows.append((f"OOM {i} of {len(ooms)}", f'<span class="oom">[{esc(later["kind"])}] {esc(later["text"])}</span>'
                         f'<br><span class="muted">{esc(later["where"])}{esc(t)}</span>'))
    if rec.get("error"):
        rows.append(("error", f"<pre>{esc(rec['error'])}</pre>"))
    rows.append(("heap dumps", dumps_cell(rec)))
    rows.append(("direct pool", f"peak {human_size(d.get('peak_used'))} of limit {human_size(d.get('limit'))} "
                 f"<span class=\"muted\">({d.get('sample_count', 0)} samples)</span>"))
    mapped = rec.get("mapped") or {}
    if mapped.get("peak_count"):
        rows.append(("mapped pool", f"peak {human_size(mapped.get('peak_used'))} in {mapped['peak_count']} buffers"))
    causes = ", ".join(f"{esc(k)} ×{v}" for k, v in (gc.get("by_cause") or {}).items()) or "none"
    rows.append(("GC", f"{gc['count']} events: <b>System.gc() ×{gc['explicit_count']}</b>, full ×{gc['full_count']}, "
                 f"pauses {gc['total_pause_ms']:.1f} ms<br><span class=\"muted\">causes: {causes}</span>"))
    rows.append(("JVM", f"{esc(jvm.get('version') or '?')} (major {esc(jvm.get('major'))}, {esc(jvm.get('vendor') or '')}) "
                 f"at {esc(jvm.get('java_home'))}; max heap {human_size(jvm.get('max_heap'))}"))
    shown = ", ".join(f"{esc(k)}={esc(v)}" for k, v in lim.items() if v not in (None, "-", "default"))
    rows.append(("options", shown or "-"))
    c = rec.get("container")
    backend = esc(rec.get("backend"))
    if c:
        engine = f"; engine {esc(c['engine'])} ({esc(c.get('transport') or 'bind')})" if c.get("engine") else ""
        backend += (f"; image {esc(c.get('image'))}{engine}; container memory {human_size(c.get('memory_limit'))}"
                    f"{' — <b>OOM-killed by the kernel</b>' if c.get('oom_killed') else ''}")
    rows.append(("backend", backend))
    rows.append(("peak RSS", human_size(rec.get("peak_rss"))))
    rows += [("note", esc(n)) for n in rec.get("notes") or ()]
    if rec.get("hs_err"):
        rows.append(("hs_err", esc(rec["hs_err"])))
    return '<table class="facts">' + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>"


def reproduce_block(rec: dict[str, Any]) -> str:
    out = ["<h3>Reproduce</h3>"]
    if rec.get("cli_command"):
        out.append(f'<div class="sub">with the CLI:</div><pre>{esc(rec["cli_command"])}</pre>')
    out.append(f'<div class="sub">the same worker on the same spec:</div><pre>{esc(rec.get("command") or "-")}</pre>')
    if rec.get("artifacts"):
        uri = Path(rec["artifacts"]).as_uri() if os.path.isabs(rec["artifacts"]) else esc(rec["artifacts"])
        out.append(f'<div class="sub">artifacts (journal, samples, gc.log, output, dumps): '
                   f'<a href="{esc(uri)}">{esc(rec["artifacts"])}</a></div>')
    return "".join(out)


def run_details(rec: dict[str, Any], *, timeline: bool = True, heading: str | None = "h2") -> str:
    """Timeline, facts, OOM stack, reproduction and output tails of one run, under an anchor."""
    parts = [f'<section id="{esc(rec["anchor"])}">']
    if heading:
        parts.append(f'<{heading}>{esc(rec["name"])} {badge(rec["outcome"], rec["outcome_name"])}</{heading}>')
    if timeline:
        parts.append(f'<div class="timeline" id="timeline-{esc(rec["anchor"])}">{timeline_svg([rec])}</div>')
    parts.append(facts_table(rec))
    if rec.get("oom"):
        parts.append("<h3>OOM stack</h3>" + _stack(rec["oom"]))
    parts.append(investigation_html(rec.get("diagnosis")))  # diagnose=True
    parts.append(reproduce_block(rec))
    for name in ("stderr", "stdout"):
        tail = rec.get(f"{name}_tail") or []
        if tail:
            parts.append(f"<details><summary>last {len(tail)} lines of {name}</summary>"
                         f"<pre>{esc(chr(10).join(tail))}</pre></details>")
    parts.append("</section>")
    return "".join(parts)


def runs_table(records: Sequence[dict[str, Any]], *, link: bool = True) -> str:
    differ = varying(list(records))  # a column for each of JDK, host, backend, engine that differs between the rows
    head = ("run", "options", *(h for h, _ in differ), "outcome", "OOM / error", "heap dumps", "System.gc() GCs",
            "full GCs", "direct peak / limit", "time to OOM", "duration")
    rows = []
    for i, r in enumerate(records):
        name = f'<a href="#{esc(r["anchor"])}">{esc(r["name"])}</a>' if link else esc(r["name"])
        tto = f"{r['time_to_oom_s']:.2f}s" if r.get("time_to_oom_s") is not None else "-"
        rows.append((name, esc(r.get("options_text") or ""), *(esc(values[i]) for _, values in differ), badge(r["outcome"], r["outcome_name"]) + expectation_badge(r),
                     f'<span class="oom">{esc(oom_line(r))}</span>', dumps_cell(r), str(r["gc"]["explicit_count"]),
                     str(r["gc"]["full_count"]), f"{human_size(r['direct']['peak_used'])} / {human_size(r['direct']['limit'])}",
                     tto, f"{r.get('duration_s') or 0:.2f}s"))
    num = {i + len(differ) for i in (5, 6, 8, 9)}
    return ('<table class="runs"><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr>"
            + "".join("<tr>" + "".join(f'<td{" class=num" if i in num else ""}>{c}</td>' for i, c in enumerate(row))
                      + "</tr>" for row in rows) + "</table>")


def run_page(rec: dict[str, Any]) -> str:
    body = (f'<h1>directmem run: {esc(rec["workload"])} {badge(rec["outcome"], rec["outcome_name"])}'
            f'{expectation_badge(rec)}</h1><div class="sub">{esc(oom_line(rec))}</div>'
            + run_details(rec, heading=None))
    return page(f"directmem run: {rec['workload']} — {rec['outcome_name']}", body)


def comparison_page(records: Sequence[dict[str, Any]], *, title: str | None = None, subtitle: str = "") -> str:
    title = title or "directmem compare: " + (records[0]["workload"] if records else "")
    body = [f"<h1>{esc(title)}</h1>"]
    if subtitle:
        body.append(f'<div class="sub">{esc(subtitle)}</div>')
    body.append(runs_table(records))
    body.append(f'<div class="timeline" id="comparison-timeline">{timeline_svg(list(records))}</div>')
    body.append("<h2>Runs</h2>")
    for r in records:
        body.append(f'<div class="card">{run_details(r, timeline=False, heading="h3")}</div>')
    return page(title, "".join(body))


def _records(items: Iterable[Any]) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(items, 1):
        if isinstance(item, dict):
            out.append(item)
            continue
        name, run = item if isinstance(item, tuple) else (None, item)
        out.append(run_record(run, name=name or f"{i}. {run.workload}", anchor=anchor_for(i, name or run.workload)))
    return out


def write_run_report(run: Run | dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the page of one run (a Run or a run record); returns the path."""
    rec = run if isinstance(run, dict) else run_record(run, anchor=anchor_for(run.workload))
    return _write(path, run_page(rec))


def write_comparison_report(runs: Iterable[Run | tuple[str, Run] | dict[str, Any]], path: str | os.PathLike[str],
                            *, title: str | None = None, subtitle: str = "") -> Path:
    """Write one page comparing runs: a table side by side and one timeline panel per run on the same axes."""
    return _write(path, comparison_page(_records(runs), title=title, subtitle=subtitle))


def _write(path: str | os.PathLike[str], text: str) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(p)
    return p
