"""`directmem diagnose DUMP|RUN_DIR [--json] [--report]` on the recorded dumps of tests/data/dumps."""

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DUMPS = Path(__file__).resolve().parents[1] / "data" / "dumps"


def directmem(*args):
    return subprocess.run([sys.executable, "-m", "pytest_directmem.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def test_text_output_names_the_holder_garbage_and_victim():
    out = directmem("diagnose", DUMPS / "jdk17-culprit.hprof.gz")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    top = lines.index("Holders (path from the GC root, largest first):") + 1
    assert lines[top].split() == ["12.0", "MiB", "12", "buffers", "static", "Culprit.CACHE"]
    assert lines[top + 1].strip() == "-> java.util.ArrayList.elementData"
    assert "total 15.0 MiB (15728640 bytes) = held 12.0 MiB + garbage 3.0 MiB (3 unreachable" in out.stdout
    assert "Victim: a half-built java.nio.DirectByteBuffer of 2.0 MiB (2097152 bytes, address 0)" in out.stdout


def test_json_and_html_report(tmp_path):
    report = tmp_path / "dump.html"
    out = directmem("diagnose", DUMPS / "jdk21-mixed.hprof.gz", "--json", "--report", report)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["garbage_bytes"] == 256 << 10 and data["mapped_bytes"] == 64 << 10
    assert data["holders"][0] == {"path": ["static Mixed.PARENT"], "count": 1, "bytes": 1 << 20}
    page = report.read_text()
    assert page.startswith("<!DOCTYPE html>") and "static Mixed.PARENT" in page and "local-holder" in page
    assert "<script" not in page and "http" not in page.split("<main>")[1].split("written by")[0]


def test_a_run_directory_analyses_every_dump_in_it(tmp_path):
    for name in ("jdk11-culprit.hprof.gz", "jdk25-culprit.hprof.gz"):
        shutil.copy(DUMPS / name, tmp_path / name)
    out = directmem("diagnose", tmp_path, "--json")
    assert out.returncode == 0, out.stderr
    assert [d["holders"][0]["count"] for d in json.loads(out.stdout)] == [12, 12]
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = directmem("diagnose", empty)
    assert bad.returncode == 2 and "no heap dump" in bad.stderr


def test_not_a_dump_exits_2(tmp_path):
    f = tmp_path / "x.hprof"
    f.write_text("nope")
    out = directmem("diagnose", f)
    assert out.returncode == 2 and "not an HPROF heap dump" in out.stderr


@pytest.fixture(scope="module")
def diagnosed(tmp_path_factory):
    """A real direct OOM on JDK 17 (local backend) investigated with diagnose=True."""
    import pytest_directmem as dm

    run = dm.launch(dm.workloads.churn(40, "1m", keep_every=2), max_direct="8m", explicit_gc="disabled", jdk="17",
                    diagnose=True, host="java", artifacts_dir=tmp_path_factory.mktemp("diagnosed") / "run")
    assert run.outcome is dm.Outcome.DIRECT_OOM and run.jvm.major == 17, run.summary()
    assert run.diagnosis is not None and run.diagnosis.sites and run.diagnosis.native, run.summary()
    return run


def test_a_diagnosed_run_directory_shows_who_allocated_and_native_memory(diagnosed):
    run = diagnosed
    text = directmem("diagnose", run.artifacts, "-q")
    assert text.returncode == 0, text.stderr
    top = run.diagnosis.sites[0]
    assert "allocation sites (bytes and calls during the run" in text.stdout
    assert " <- ".join(top.stack[:2]) in text.stdout and f"{top.count} calls" in text.stdout
    assert "native (NMT peak committed" in text.stdout and "Holders (path from the GC root" in text.stdout
    data = json.loads(directmem("diagnose", run.artifacts, "--json", "-q").stdout)
    assert [(s["bytes"], s["count"]) for s in data["investigation"]["sites"]][0] == (top.bytes, top.count)
    assert dict(data["investigation"]["native"])["Total"] == run.diagnosis.native["Total"]
    assert data["dumps"][0]["holders"][0]["count"] == run.diagnosis.holders[0].count


def test_the_report_of_a_diagnosed_run_directory_shows_what_the_text_shows(diagnosed, tmp_path):
    """--report of RUN_DIR: the allocation sites (table and flame graph), NMT per category, then the dump."""
    run = diagnosed
    out = directmem("diagnose", run.artifacts, "-q", "--report", tmp_path / "run.html")
    assert out.returncode == 0, out.stderr
    page = (tmp_path / "run.html").read_text()
    method = next(f for f in run.diagnosis.sites[0].stack if f.startswith("directmem.Workloads."))  # the allocating method
    sites = re.search(r'<table class="sites">(.*?)</table>', page, re.S)
    assert sites and html.escape(method) in sites.group(1), "the allocating method is in the sites table"
    flame = re.search(r'<svg class="flame" id="dm-flame"[^>]*>(.*?)</svg>', page, re.S)
    assert flame and f"<title>{html.escape(method)}: " in flame.group(1), "and has its box in the flame graph"
    native = re.search(r'<table class="native">(.*?)</table>', page, re.S).group(1)
    category = max((k for k in run.diagnosis.native if k != "Total"), key=run.diagnosis.native.get)
    assert f"<tr><td>{html.escape(category)}</td>" in native and "<tr><td>Total</td>" in native
    holders = page[page.index("<h2>Direct memory in direct-oom.hprof</h2>"):]  # the dump after the investigation
    assert f'<td class="num">{run.diagnosis.holders[0].count}</td>' in holders
    assert "no allocation sites" not in page and "<script" not in page


def test_the_report_of_a_bare_dump_says_it_has_no_sites_or_nmt(tmp_path):
    out = directmem("diagnose", DUMPS / "jdk17-culprit.hprof.gz", "-q", "--report", tmp_path / "dump.html")
    assert out.returncode == 0, out.stderr
    page = (tmp_path / "dump.html").read_text()
    assert "no allocation sites and no native memory (NMT) here: a bare heap dump holds neither" in page
    assert '<table class="sites">' not in page and '<table class="native">' not in page and "dm-flame" not in page
    assert "static Culprit.CACHE" in page  # the dump's own analysis is still there
