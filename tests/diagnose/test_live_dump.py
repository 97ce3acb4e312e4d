"""analyze_dump against bare java, measured in the test: the acceptance program (Culprit.java) runs on each
JDK with the recorded flags, prints the JVM's own "direct" BufferPoolMXBean (buffers, bytes) and the OOM
message, and dumps itself with live=false; the analysis must find the same buffers and bytes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pytest_directmem as dm
from pytest_directmem.jdk import resolve_jdk

RECORD = Path(__file__).resolve().parents[1] / "data" / "dumps" / "record"
sys.path.insert(0, str(RECORD))
from record_dumps import FLAGS  # noqa: E402  (the recorded dumps' flags)

MIB = 1 << 20

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("javac") is None, reason="needs javac")]


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    out = tmp_path_factory.mktemp("culprit")
    subprocess.run(["javac", "--release", "11", "-d", str(out), str(RECORD / "Culprit.java")], check=True)
    return out


@pytest.mark.parametrize("jdk", ["11", "17", "21", "25"])
def test_analysis_equals_the_jvms_own_count(classes, tmp_path, jdk):
    dump = tmp_path / "culprit.hprof"
    java = resolve_jdk(jdk).home / "bin" / "java"
    proc = subprocess.run([str(java), *FLAGS, "-cp", str(classes), "Culprit", str(dump), "pool"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    count, used = map(int, re.search(r"^POOL (\d+) (\d+)$", proc.stdout, re.M).groups())
    message = re.search(r"^OOM (.*)$", proc.stdout, re.M).group(1)
    a = dm.analyze_dump(dump)
    assert a.total_bytes == used
    assert len([b for b in a.buffers if b.kind == "direct"]) == count
    allocated = re.search(r"allocated: (\d+)", message)
    if allocated:  # 17+: "Cannot reserve N bytes of direct buffer memory (allocated: A, limit: L)"
        assert a.total_bytes == int(allocated.group(1))
        assert a.victim is not None and a.victim.capacity == int(re.search(r"reserve (\d+) bytes", message).group(1))
    else:
        assert message == "Direct buffer memory"
        assert a.victim is not None and a.victim.capacity == 2 * MIB
    assert (a.holders[0].path[0], a.holders[0].count, a.holders[0].bytes) == ("static Culprit.CACHE", 12, 12 * MIB)
    assert a.garbage_bytes == 3 * MIB
