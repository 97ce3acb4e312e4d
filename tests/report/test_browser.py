"""The reports as a reader sees them: headless Chromium renders the page, the test looks at the pixels.

Needs Debian's chromium package (apt-get install chromium). Skipped when it is missing, unless
DIRECTMEM_REQUIRE_CHROMIUM=1 (CI), which makes a missing browser a failure.
"""

import os
import re

import numpy as np
import pytest
from PIL import Image

from tests.report.browser import dump_dom, find_chromium, screenshot
from pytest_directmem.report.html import write_comparison_report, write_run_report
from pytest_directmem.report.timeline import COLORS

REQUIRE = "DIRECTMEM_REQUIRE_CHROMIUM"


@pytest.fixture(scope="module", autouse=True)
def chromium():
    if find_chromium() is None:
        reason = "no chromium on PATH (apt-get install chromium)"
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{reason} and {REQUIRE}=1", pytrace=False)
        pytest.skip(f"{reason}; {REQUIRE}=1 turns this skip into a failure")


def pixels_near(img: np.ndarray, hex_color: str, tol: int = 30) -> int:
    rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(img[:, :, :3].astype(int) - rgb).max(axis=2) <= tol).sum())


def blend(hex_color: str, alpha: float) -> str:
    """The colour of `hex_color` drawn with `alpha` over the white plot background."""
    rgb = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(alpha * c + (1 - alpha) * 255):02x}" for c in rgb)


def load(png) -> np.ndarray:
    return np.asarray(Image.open(png).convert("RGB"))


def svg_group_has_drawing(dom: str, gid: str) -> bool:
    """The group exists in the rendered DOM and holds a path with coordinates (or a use of a marker path)."""
    m = re.search(rf'<g id="{re.escape(gid)}"[^>]*>(.*?)</g>', dom, re.S)
    return bool(m and re.search(r'<(path d="M\s*-?\d|use )', m.group(1)))


@pytest.mark.slow
def test_comparison_shows_timeline_and_oom_marker(seed_runs, tmp_path):
    page = write_comparison_report(seed_runs, tmp_path / "compare.html")
    dom = dump_dom(page)
    anchors = re.findall(r'<g id="dm-direct-used-([^"]+)"', dom)
    assert len(anchors) == 3, "one direct-pool line per run"
    assert all(svg_group_has_drawing(dom, f"dm-direct-used-{a}") for a in anchors)
    oom_markers = re.findall(r'<g id="dm-oom-marker-([^"]+)"', dom)
    assert oom_markers == anchors[1:], "an OOM marker on the DisableExplicitGC run and the heap OOM control only"
    assert all(svg_group_has_drawing(dom, f"dm-oom-marker-{a}") for a in oom_markers)
    assert svg_group_has_drawing(dom, f"dm-gc-explicit-marker-{anchors[0]}")

    img = load(screenshot(page, tmp_path / "compare.png", width=1400, height=1800))
    assert img.shape[:2] == (1800, 1400)
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 200, "the screenshot is blank"
    assert pixels_near(img, COLORS["used"], 12) > 150, "the direct-pool line is not drawn"
    assert pixels_near(img, blend(COLORS["used"], 0.25), 6) > 5000, "the direct-pool area is not drawn"
    assert pixels_near(img, COLORS["oom"], 12) > 150, "the OOM marker is not drawn"
    assert pixels_near(img, COLORS["explicit"], 12) > 100, "System.gc() collections are not drawn"


@pytest.mark.slow
def test_a_completed_run_has_no_oom_marker(seed_runs, tmp_path):
    """The pixel check can fail: a run without an OOM has (almost) none of the marker's red."""
    page = write_run_report(seed_runs[0][1], tmp_path / "completed.html")
    img = load(screenshot(page, tmp_path / "completed.png", width=1400, height=1200))
    assert pixels_near(img, COLORS["used"], 12) > 100
    assert pixels_near(img, blend(COLORS["used"], 0.25), 6) > 2000
    assert pixels_near(img, COLORS["oom"], 12) < 20
    assert "dm-oom-marker" not in dump_dom(page)
