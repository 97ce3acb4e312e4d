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
    assert re.search(r"\d+\.\d MiB direct  java\.nio\.DirectByteBuffer\.<init> <- java\.nio\.ByteBuffer\.allocateDirect"
                     r" <- HoldTwelve\.main", section), section
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
    assert "HoldTwelve.main" in re.search(r'<table class="sites">(.*?)</table>', html, re.S).group(1)
    png = screenshot(page, tmp_path / "run.png")
    assert Path(png).stat().st_size > 0
