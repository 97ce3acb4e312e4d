"""report/flame.py: the flame graph of allocation sites, from site records (pure: no browser, no JVM)."""

from __future__ import annotations

import re

from pytest_directmem.report.flame import COLORS, MIN_PX, WIDTH, flame_svg

MIB = 1 << 20


def boxes(svg: str) -> dict[str, tuple[str, float, float, str | None]]:
    """name -> (kind, x, width, label) of each drawn box."""
    out = {}
    for kind, body in re.findall(r'<g class="frame" data-kind="(\w+)">(.*?)</g>', svg, re.S):
        title = re.search(r"<title>([^<]*)</title>", body).group(1)
        rect = re.search(r'<rect x="([\d.]+)" y="\d+" width="([\d.]+)"', body)
        label = re.search(r"<text[^>]*>([^<]*)</text>", body)
        out[title.split(":")[0]] = (kind, float(rect.group(1)), float(rect.group(2)), label and label.group(1))
    return out


def test_frames_merge_from_the_root_and_widths_are_bytes():
    sites = [
        {"stack": ["T.main", "java.nio.ByteBuffer.allocateDirect", "java.nio.DirectByteBuffer.<init>"],
         "bytes": 3 * MIB, "count": 3, "kind": "direct"},
        {"stack": ["T.main", "T.raw", "sun.misc.Unsafe.allocateMemory"], "bytes": MIB, "count": 1, "kind": "unsafe"},
        {"stack": ["T.tiny"], "bytes": 1, "count": 1, "kind": "other"},  # far below MIN_PX: not drawn
    ]
    svg = flame_svg(sites)
    b = boxes(svg)
    assert set(b) == {"all allocation sites", "T.main", "java.nio.ByteBuffer.allocateDirect",
                      "java.nio.DirectByteBuffer.&lt;init&gt;", "T.raw", "sun.misc.Unsafe.allocateMemory"}
    assert b["T.main"][0] == "mixed" and b["T.raw"][0] == "unsafe"
    assert b["java.nio.ByteBuffer.allocateDirect"][0] == "direct"
    assert abs(b["T.main"][2] - WIDTH) < 1  # 4 MiB of 4 MiB + 1 byte
    assert abs(b["java.nio.ByteBuffer.allocateDirect"][2] - 0.75 * WIDTH) < 1
    assert b["T.raw"][1] > b["java.nio.ByteBuffer.allocateDirect"][1]  # larger children first, left to right
    assert b["java.nio.DirectByteBuffer.&lt;init&gt;"][3] == "java.nio.DirectByteBuffer.&lt;init&gt;"
    assert re.search(r"<title>T\.main: 4\.0 MiB, 4 calls, 100\.0%</title>", svg)
    assert f'fill="{COLORS["direct"]}"' in svg and f'fill="{COLORS["unsafe"]}"' in svg
    # 4 rows: root, T.main, allocateDirect|T.raw, <init>|allocateMemory
    assert re.search(r'viewBox="0 0 1200 (\d+)"', svg).group(1) == str(4 * 17 + 2)
    assert MIN_PX > WIDTH / (4 * MIB)


def test_labels_are_cut_to_fit_and_empty_input_draws_nothing():
    long = "a.VeryLongClassName.withAVeryLongMethodName"
    sites = [{"stack": [long], "bytes": 5, "count": 1, "kind": "direct"},
             {"stack": ["b.B.b"], "bytes": 95, "count": 0, "kind": ""},
             {"stack": ["c.C.c"], "bytes": 1, "count": 1, "kind": "direct"}]  # 12 px: drawn, no room for a label
    b = boxes(flame_svg(sites))
    assert b[long][3].endswith("…") and long.startswith(b[long][3][:-1]) and 3 <= len(b[long][3]) < 10
    assert b["b.B.b"][3] == "b.B.b" and b["b.B.b"][0] == "unknown"
    assert b["c.C.c"][3] is None
    assert "calls" not in re.search(r"<title>b\.B\.b[^<]*</title>", flame_svg(sites)).group(0)  # count 0: unknown
    assert flame_svg([]) == "" and flame_svg([{"stack": ["x"], "bytes": 0, "count": 0, "kind": ""}]) == ""
