"""A flame graph of a run's allocation sites (``diagnose=True``): inline SVG, no script, no fetch.

Input: ``run_record()["diagnosis"]["flame"]``, a list of ``{"stack": [frames root first], "bytes", "count",
"kind"}`` (every site of ``run.diagnosis.sites``). Frames equal from the root down merge into one box whose
width is the bytes allocated under it (the whole width: all sites' bytes); a box's colour is the kind of the
allocations under it (direct: counts against MaxDirectMemorySize; unsafe; other JNI mallocs), grey when
they are mixed (``data-kind`` says which); its tooltip (``<title>``) gives the frame, bytes, calls and share.
Boxes narrower than :data:`MIN_PX` are left out (with their children), labels are cut to fit (``…``). The
root is at the bottom.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from ..units import human_size

WIDTH = 1200  # the SVG's own units; the page scales it to its column
ROW = 17
MIN_PX = 3.0  # narrower boxes cannot be read or hovered, and their deep JDK stacks would only add height
CHAR_PX = 6.6  # 11 px DejaVu Sans Mono
COLORS = {"direct": "#e8743b", "unsafe": "#c93f8f", "other": "#3f8fc9", "unknown": "#9a9a9a", "mixed": "#b8b0a0"}
ROOT = "all allocation sites"


@dataclass
class _Node:
    name: str
    bytes: int = 0
    count: int = 0
    kinds: set[str] = field(default_factory=set)
    children: dict[str, _Node] = field(default_factory=dict)


def _tree(sites: list[dict[str, Any]]) -> _Node:
    root = _Node(ROOT)
    for s in sites:
        node = root
        for frame in [ROOT, *s["stack"]]:
            if frame != ROOT:
                node = node.children.setdefault(frame, _Node(frame))
            node.bytes += int(s["bytes"])
            node.count += int(s["count"])
            node.kinds.add(s.get("kind") or "")
    return root


def _depth(node: _Node, scale: float) -> int:
    """Rows the boxes wide enough to draw need."""
    return 1 + max((_depth(c, scale) for c in node.children.values() if c.bytes * scale >= MIN_PX), default=0)


def _label(name: str, width: float) -> str:
    fits = int((width - 6) / CHAR_PX)
    if fits < 3:
        return ""
    return name if len(name) <= fits else name[: fits - 1] + "…"


def flame_svg(sites: list[dict[str, Any]]) -> str:
    """The ``<svg class="flame">`` of `sites` (see the module doc); "" when they allocated no bytes."""
    root = _tree(sites)
    if root.bytes <= 0:
        return ""
    scale = WIDTH / root.bytes
    height = _depth(root, scale) * ROW + 2
    boxes: list[str] = []

    def draw(node: _Node, x: float, level: int) -> None:
        w = node.bytes * scale
        if w < MIN_PX:
            return
        y = height - (level + 1) * ROW
        kind = (next(iter(node.kinds)) or "unknown") if len(node.kinds) == 1 else "mixed"
        calls = f", {node.count} calls" if node.count else ""
        tip = f"{node.name}: {human_size(node.bytes)}{calls}, {100 * node.bytes / root.bytes:.1f}%"
        text = _label(node.name, w)
        boxes.append(
            f'<g class="frame" data-kind="{kind}"><title>{html.escape(tip)}</title>'
            f'<rect x="{x:.1f}" y="{y}" width="{max(w - 0.5, 0.5):.1f}" height="{ROW - 1}" rx="2" '
            f'fill="{COLORS.get(kind, COLORS["unknown"])}"/>'
            + (f'<text x="{x + 3:.1f}" y="{y + ROW - 5}">{html.escape(text)}</text>' if text else "")
            + "</g>")
        cx = x
        for child in sorted(node.children.values(), key=lambda c: (-c.bytes, c.name)):
            draw(child, cx, level + 1)
            cx += child.bytes * scale

    draw(root, 0.0, 0)
    legend = " ".join(f'<span class="key" style="background:{COLORS[k]}"></span>{k}'
                      for k in ("direct", "unsafe", "other"))
    return (f'<div class="flame"><p class="muted">Flame graph of the allocation sites: width = bytes allocated '
            f'during the run, root at the bottom, callers below callees; hover a box for bytes and calls. {legend}'
            f'</p><svg class="flame" id="dm-flame" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
            f'font-family="DejaVu Sans Mono,monospace" font-size="11" xmlns="http://www.w3.org/2000/svg">'
            + "".join(boxes) + "</svg></div>")
