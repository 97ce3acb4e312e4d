"""diagnose=True in a container: async-profiler's library reaches it (mounted read-only), the dump lands in
/artifacts/diagnosis (the host's artifacts dir), and the result equals the local backend's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import pytest_directmem as dm
from pytest_directmem.backends import docker as backend

PROGRAM = Path(__file__).resolve().parents[1] / "diagnose" / "programs" / "HoldTwelve.java"
MIB = 1 << 20
pytestmark = pytest.mark.docker


def test_acceptance_program_in_a_container(directmem, tmp_path):
    classes = tmp_path / "classes"
    subprocess.run(["javac", "--release", "11", "-d", str(classes), str(PROGRAM)], check=True)
    options = dict(classpath=[classes], max_direct="16m", explicit_gc="disabled", diagnose=True)
    run = directmem.run(dm.workloads.main("HoldTwelve", "throw"), backend="docker", memory="512m", **options)
    local = directmem.run(dm.workloads.main("HoldTwelve", "throw"), **options)
    run.expect("direct-oom")
    d = run.diagnosis
    assert d.dump == run.artifacts / "diagnosis" / "direct-oom.hprof" and d.dump.is_file()
    assert run.heap_dumps == []
    assert (d.holders[0].path[0], d.holders[0].count, d.holders[0].bytes) == ("static HoldTwelve.CACHE", 12, 12 * MIB)
    assert d.garbage_bytes == 3 * MIB
    assert d.sites == () and any("no allocation sites" in n for n in run.notes)  # see NO_PROFILER_IN_CONTAINERS
    assert run.oom.message == local.oom.message
    text = run.summary()
    if d.native:
        assert "against container limit 512.0 MiB" in text, text
