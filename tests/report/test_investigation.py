"""The investigation section (diagnose=True) of a real run of issue 11's acceptance program: in the failure
text and in the HTML report as headless Chromium renders it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import pytest_directmem as dm
from pytest_directmem.report.html import write_run_report
from tests.report.browser import dump_dom, find_chromium, screenshot

PROGRAM = Path(__file__).resolve().parents[1] / "diagnose" / "programs" / "HoldTwelve.java"
MIB = 1 << 20

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def diagnosed(tmp_path_factory):
    classes = tmp_path_factory.mktemp("holdtwelve")
    subprocess.run(["javac", "--release", "11", "-d", str(classes), str(PROGRAM)], check=True)
    run = dm.launch(dm.workloads.main("HoldTwelve", "throw"), classpath=[classes], max_direct="16m",
                    explicit_gc="disabled", diagnose=True, artifacts_dir=tmp_path_factory.mktemp("run") / "a")
    assert run.outcome is dm.Outcome.DIRECT_OOM and run.diagnosis.holders, run.summary()
    return run


def test_failure_text_has_the_investigation(diagnosed):
    text = diagnosed.summary()
    section = text[text.index("investigation (diagnose=True):"):text.index("command:")]
    assert f"dump:     {diagnosed.diagnosis.dump}" in section
    assert re.search(r"12\.0 MiB in 12 buffers  static HoldTwelve\.CACHE -> java\.util\.ArrayList\.elementData",
                     section), section
    assert re.search(r"garbage:  3\.0 MiB unreachable.*DisableExplicitGC", section), section
    assert re.search(r"\d+\.\d MiB +12 calls direct  java\.nio\.DirectByteBuffer\.<init> <- "
                     r"java\.nio\.ByteBuffer\.allocateDirect <- HoldTwelve\.main", section), section
    if diagnosed.diagnosis.native:
        assert "native (NMT peak committed, against peak RSS" in section and "Other " in section
    with pytest.raises(AssertionError, match="investigation"):
        diagnosed.expect("completed")  # a failed expectation carries the section


def test_no_section_without_diagnose(seed_runs):
    assert all("investigation" not in run.summary() for _, run in seed_runs)


def test_html_investigation_in_chromium(diagnosed, tmp_path):
    if find_chromium() is None:
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    page = write_run_report(diagnosed, tmp_path / "run.html")
    dom = dump_dom(page)
    section = re.search(r'<div class="investigation" id="investigation">(.*?)</div>', dom, re.S)
    assert section, "the investigation section is in the rendered page"
    html = section.group(1)
    holders = re.search(r'<table class="holders">(.*?)</table>', html, re.S).group(1)
    first = re.findall(r"<tr>(.*?)</tr>", holders, re.S)[1]
    assert re.findall(r'<td class="num">([^<]*)</td>', first) == ["12.0 MiB", "12"]
    assert "static HoldTwelve.CACHE\njava.util.ArrayList.elementData" in first
    assert "garbage: 3.0 MiB" in html
    sites = re.search(r'<table class="sites">(.*?)</table>', html, re.S).group(1)
    main_row = next(r for r in re.findall(r"<tr>(.*?)</tr>", sites, re.S) if "HoldTwelve.main" in r)
    assert re.findall(r'<td class="num">([^<]*)</td>', main_row)[1] == "12"  # calls

    # the flame graph: one box per merged frame, the allocating method named in a box wide enough to read
    flame = re.search(r'<svg class="flame" id="dm-flame"[^>]*>(.*?)</svg>', dom, re.S)
    assert flame, "the flame graph is in the rendered page"
    frames = []  # (kind, title, width, label) of each box
    for kind, body in re.findall(r'<g class="frame" data-kind="(\w+)">(.*?)</g>', flame.group(1), re.S):
        label = re.search(r"<text[^>]*>([^<]*)</text>", body)
        frames.append((kind, re.search(r"<title>([^<]*)</title>", body).group(1),
                       float(re.search(r'<rect [^>]*width="([\d.]+)"', body).group(1)), label and label.group(1)))
    assert len(frames) >= 4
    boxes = {title.split(":")[0]: (kind, w, text) for kind, title, w, text in frames}
    kind, width, text = boxes["HoldTwelve.main"]
    assert kind == "direct" and text == "HoldTwelve.main"
    assert width > 0.9 * 1200  # under main: 12 MiB itself and 3 MiB through drop(), nearly all the sites' bytes
    titles = {t.split(":")[0]: t for _, t, *_ in frames}
    assert re.match(r"HoldTwelve\.main: 15\.0 MiB, 15 calls, ", titles["HoldTwelve.main"])
    assert re.match(r"HoldTwelve\.drop: 3\.0 MiB, 3 calls, ", titles["HoldTwelve.drop"])
    assert boxes["java.nio.DirectByteBuffer.&lt;init&gt;"][0] == "direct"

    from pytest_directmem.report.flame import COLORS
    from tests.report.test_browser import load, pixels_near
    img = load(screenshot(page, tmp_path / "run.png", width=1400, height=4000))
    assert pixels_near(img, COLORS["direct"], 10) > 20000, "the flame graph's direct boxes are not drawn"


def test_diagnose_report_of_the_run_directory_in_chromium(diagnosed, tmp_path):
    """`directmem diagnose RUN_DIR --report`: the same sites table, flame graph and NMT as the run page, rendered."""
    if find_chromium() is None:
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    import sys

    page = tmp_path / "diagnose.html"
    out = subprocess.run([sys.executable, "-m", "pytest_directmem.cli", "diagnose", str(diagnosed.artifacts), "-q",
                          "--report", str(page)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    dom = dump_dom(page)
    sites = re.search(r'<table class="sites">(.*?)</table>', dom, re.S).group(1)
    main_row = next(r for r in re.findall(r"<tr>(.*?)</tr>", sites, re.S) if "HoldTwelve.main" in r)
    assert re.findall(r'<td class="num">([^<]*)</td>', main_row)[1] == "12"  # calls
    flame = re.search(r'<svg class="flame" id="dm-flame"[^>]*>(.*?)</svg>', dom, re.S)
    assert flame and re.search(r"<title>HoldTwelve\.main: 15\.0 MiB, 15 calls, ", flame.group(1))
    if diagnosed.diagnosis.native:
        assert re.search(r'<table class="native">.*<td>Other</td>', dom, re.S)
    assert "static HoldTwelve.CACHE\njava.util.ArrayList.elementData" in dom  # the dump's holders follow

    from pytest_directmem.report.flame import COLORS
    from tests.report.test_browser import load, pixels_near
    img = load(screenshot(page, tmp_path / "diagnose.png", width=1400, height=3000))
    assert pixels_near(img, COLORS["direct"], 10) > 20000, "the flame graph's direct boxes are not drawn"
