"""The timeline of one or more runs as inline SVG (matplotlib, no pyplot state, no network).

x: JVM uptime (s). Direct pool used (filled) and capacity, the direct limit, heap used, the mapped pool, GC events as
vertical lines coloured by cause (System.gc() orange and solid, with a marker on top), the OOM point
(red cross and line, its message) and, in a container, the memory limit. SVG groups carry ids
(``dm-direct-used-<anchor>``, ``dm-oom-marker-<anchor>`` ...) so tests can find what was drawn.
"""

from __future__ import annotations

import io
import re
import textwrap
from typing import Any

MiB = 1 << 20
COLORS = {
    "used": "#1f77b4", "capacity": "#08306b", "heap": "#8c8c8c", "limit": "#222222", "container": "#984ea3",
    "rss": "#c5a3cc", "mapped": "#2ca25f", "oom": "#e41a1c", "explicit": "#ff7f00", "start": "#bbbbbb",
}
OTHER_CAUSE_COLORS = ("#4daf4a", "#a65628", "#f781bf", "#17becf", "#999999", "#bcbd22", "#7570b3")
EXPLICIT = "System.gc()"


def _cause_colors(records: list[dict[str, Any]]) -> dict[str, str]:
    causes = sorted({(e[1] or f"{e[4] or 'other'} (no cause)") for r in records for e in r["gc"].get("events", ()) if e[1] != EXPLICIT})
    out = {c: OTHER_CAUSE_COLORS[i % len(OTHER_CAUSE_COLORS)] for i, c in enumerate(causes)}
    out[EXPLICIT] = COLORS["explicit"]
    return out


def _extent(records: list[dict[str, Any]]) -> tuple[float, float]:
    """(max x in seconds, max y in MiB) over every run, so panels share their axes."""
    xs, ys = [0.5], [1.0]
    for r in records:
        s = r["direct"].get("samples") or []
        xs += [p[0] / 1000.0 for p in s] + [e[0] for e in r["gc"].get("events", ())]
        xs += [v for v in (r.get("end_s"), (r.get("oom") or {}).get("uptime_s")) if v]
        ys += [(p[1] or 0) / MiB for p in s] + [(p[2] or 0) / MiB for p in s] + [(p[3] or 0) / MiB for p in s]
        ys += [(p[4] or 0) / MiB for p in s if len(p) > 4]
        ys += [v / MiB for v in (r["direct"].get("limit"), r["direct"].get("peak_used")) if v]
        mem = (r.get("container") or {}).get("memory_limit")
        if mem and mem / MiB <= 4 * max(ys):
            ys.append(mem / MiB)
    return max(xs) * 1.04, max(ys) * 1.12


def _wrap(text: str, width: int = 58, lines: int = 4) -> str:
    return "\n".join(textwrap.wrap(text, width)[:lines])


def _panel(ax: Any, r: dict[str, Any], colors: dict[str, str], ymax: float) -> None:
    a = r["anchor"]
    samples = r["direct"].get("samples") or []
    t = [p[0] / 1000.0 for p in samples]
    used = [(p[1] or 0) / MiB for p in samples]
    if samples:
        ax.fill_between(t, used, step="post", color=COLORS["used"], alpha=0.25, linewidth=0, gid=f"dm-direct-fill-{a}")
        ax.step(t, used, where="post", color=COLORS["used"], linewidth=2.2, label="direct used", gid=f"dm-direct-used-{a}")
        ax.step(t, [(p[2] or 0) / MiB for p in samples], where="post", color=COLORS["capacity"], linewidth=1,
                linestyle=(0, (4, 2)), label="direct capacity", gid=f"dm-direct-capacity-{a}")
        mapped = [(p[4] or 0) / MiB if len(p) > 4 else 0.0 for p in samples]
        if any(mapped):  # the "mapped" pool (FileChannel.map): outside the direct limit
            ax.step(t, mapped, where="post", color=COLORS["mapped"], linewidth=1.6, label="mapped pool used",
                    gid=f"dm-mapped-used-{a}")
        if any(p[3] is not None for p in samples):
            ax.plot(t, [(p[3] or 0) / MiB for p in samples], color=COLORS["heap"], linewidth=1, label="heap used",
                    gid=f"dm-heap-used-{a}")
    else:
        ax.text(0.5, 0.5, "no direct-pool samples (the JVM did not start or died at once)", transform=ax.transAxes,
                ha="center", va="center", color="#666666", gid=f"dm-no-samples-{a}")
    limit = r["direct"].get("limit")
    if limit:
        ax.axhline(limit / MiB, color=COLORS["limit"], linestyle="--", linewidth=1.4,
                   label="direct limit (MaxDirectMemorySize)", gid=f"dm-direct-limit-{a}")
        ax.annotate(f"limit {limit / MiB:g} MiB", (0.004, limit / MiB), xycoords=("axes fraction", "data"),
                    xytext=(0, 2), textcoords="offset points", ha="left", va="bottom", fontsize=8, color=COLORS["limit"])
    start = r.get("workload_start_s")
    if start:
        ax.axvline(start, color=COLORS["start"], linewidth=1, linestyle=":", gid=f"dm-workload-start-{a}")
    container = _container(ax, r, ymax)
    _gc_events(ax, r, colors, ymax)
    _oom(ax, r, ymax)
    dumps = r.get("heap_dumps") or []
    dump_text = f"heap dump: {len(dumps)} written" if dumps else (
        "heap dump: none" + (" (HeapDumpOnOutOfMemoryError was on)" if r.get("heap_dump_on_oom") else ""))
    ax.set_title(f"{r['name']}  —  {r['outcome_name']}", loc="left", fontsize=11, fontweight="bold")
    ax.set_title(dump_text + (f"  ·  {container}" if container else ""), loc="right", fontsize=9,
                 color="#1b7f3b" if dumps else "#7a0c0e").set_gid(f"dm-heap-dump-{a}")
    ax.set_ylabel("MiB")
    ax.grid(True, color="#eeeeee", linewidth=0.8)
    ax.set_axisbelow(True)


def _container(ax: Any, r: dict[str, Any], ymax: float) -> str | None:
    """Draw the container's memory limit when it fits the scale; return the container's caption."""
    c = r.get("container")
    if not c:
        return None
    a = r["anchor"]
    mem = c.get("memory_limit")
    killed = " — OOM-killed by the kernel" if c.get("oom_killed") else ""
    if mem and mem / MiB <= ymax:
        ax.axhline(mem / MiB, color=COLORS["container"], linestyle="-.", linewidth=1.4,
                   label="container memory limit", gid=f"dm-container-limit-{a}")
    text = f"container memory {mem / MiB:g} MiB" if mem else "container without memory limit"
    rss = r.get("peak_rss")
    if rss:
        text += f", peak usage {rss / MiB:.0f} MiB"
    if mem and mem / MiB > ymax:
        text += " (limit off this scale)"
    return text + killed


def _gc_events(ax: Any, r: dict[str, Any], colors: dict[str, str], ymax: float) -> None:
    a = r["anchor"]
    if not r["gc"].get("events"):
        ax.text(0.005, 0.985, "no GC in the log", transform=ax.transAxes, ha="left", va="top", fontsize=8.5,
                color="#666666", gid=f"dm-gc-none-{a}")
    by_cause: dict[str, list[float]] = {}
    for e in r["gc"].get("events", ()):
        by_cause.setdefault(e[1] or f"{e[4] or 'other'} (no cause)", []).append(e[0])
    for cause, xs in sorted(by_cause.items(), key=lambda kv: kv[0] != EXPLICIT):
        explicit = cause == EXPLICIT
        slug = "explicit" if explicit else "other-" + re.sub(r"\W+", "-", cause).strip("-").lower()
        label = f"GC: {cause}" + ("  (explicit)" if explicit else "")
        ax.vlines(xs, 0, ymax * (0.93 if explicit else 0.88), colors=colors[cause], linewidth=1.6 if explicit else 1.0,
                  linestyles="solid" if explicit else (0, (2, 2)), alpha=0.85 if explicit else 0.7,
                  label=label, gid=f"dm-gc-{slug}-{a}")
        ax.plot(xs, [ymax * (0.955 if explicit else 0.9)] * len(xs), linestyle="none",
                marker="v" if explicit else "|", markersize=8 if explicit else 7, color=colors[cause],
                gid=f"dm-gc-{slug}-marker-{a}")


def _oom(ax: Any, r: dict[str, Any], ymax: float) -> None:
    oom = r.get("oom")
    if not oom or oom.get("uptime_s") is None:
        return
    a = r["anchor"]
    x = oom["uptime_s"]
    samples = [p for p in r["direct"].get("samples") or [] if p[0] / 1000.0 <= x + 1e-9]
    y = (samples[-1][1] or 0) / MiB if samples else 0.0
    if oom.get("kind") == "heap" and samples and samples[-1][3] is not None:
        y = samples[-1][3] / MiB
    ax.axvline(x, color=COLORS["oom"], linewidth=1.6, gid=f"dm-oom-line-{a}")
    ax.plot([x], [y], marker="X", markersize=15, color=COLORS["oom"], markeredgecolor="white", markeredgewidth=1.2,
            linestyle="none", label="OutOfMemoryError", gid=f"dm-oom-marker-{a}", zorder=5)
    when = f"{'~' if oom.get('uptime_approx') else ''}{x:.2f}s"
    text = f"OOM [{oom['kind']}] at {when}\n" + _wrap(oom.get("text") or "OutOfMemoryError")
    ax.annotate(text, xy=(x, y), xytext=(0.03, 0.62), textcoords="axes fraction", fontsize=8.5, ha="left", va="top",
                color="#7a0c0e", gid=f"dm-oom-message-{a}", zorder=6,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": "#fff5f5", "edgecolor": COLORS["oom"]},
                arrowprops={"arrowstyle": "->", "color": COLORS["oom"], "linewidth": 1.2})


def timeline_svg(records: list[dict[str, Any]], *, width_in: float = 12.5, panel_in: float = 3.4) -> str:
    """One panel per record, stacked, sharing both axes; returns an <svg> element (no XML prolog)."""
    import matplotlib
    from matplotlib.figure import Figure

    colors = _cause_colors(records)
    xmax, ymax = _extent(records)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "directmem", "font.size": 9,
                                "font.family": "DejaVu Sans"}):
        n = max(len(records), 1)
        fig = Figure(figsize=(width_in, panel_in * n + 0.5), layout="constrained")
        axes = fig.subplots(n, 1, sharex=True, sharey=True, squeeze=False)[:, 0]
        for ax, r in zip(axes, records):
            _panel(ax, r, colors, ymax)
            ax.set_xlim(0, xmax)
            ax.set_ylim(0, ymax)
        axes[-1].set_xlabel("JVM uptime (s)")
        handles: dict[str, Any] = {}
        for ax in axes:
            for h, label in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(label, h)
        if handles:
            fig.legend(list(handles.values()), list(handles.keys()), loc="outside right upper", fontsize=8.5,
                       frameon=False)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]
