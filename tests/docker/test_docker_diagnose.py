"""diagnose=True in a container: async-profiler's library reaches it (mounted read-only), the dump lands in
/artifacts/diagnosis (the host's artifacts dir), and the result equals the local backend's. Allocation sites
with host="java" equal the local java host's; the JPype host runs without them, because the image's python3
(Debian's, non-PIE) dies under nativemem (diagnose/profiler.py NON_PIE), which a test here measures."""

from __future__ import annotations

import os
import re
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
    assert d.sites == () and any("no allocation sites" in n and "non-PIE" in n for n in run.notes)
    assert run.oom.message == local.oom.message
    text = run.summary()
    if d.native:
        assert "against container limit 512.0 MiB" in text, text


def program_sites(run: dm.Run) -> dict[tuple[str, ...], tuple[str, int, int]]:
    return {s.stack: (s.kind, s.count, s.bytes) for s in run.diagnosis.sites if any("HoldTwelve" in f for f in s.stack)}


@pytest.mark.parametrize("jdk", ["11", "17", "21", "25"])
def test_java_host_in_a_container_has_allocation_sites(directmem, tmp_path, jdk):
    classes = tmp_path / "classes"
    subprocess.run(["javac", "--release", "11", "-d", str(classes), str(PROGRAM)], check=True)
    options = dict(classpath=[classes], max_direct="16m", explicit_gc="disabled", diagnose=True, host="java", jdk=jdk)
    run = directmem.run(dm.workloads.main("HoldTwelve", "throw"), backend="docker", memory="512m", **options)
    local = directmem.run(dm.workloads.main("HoldTwelve", "throw"), **options)
    run.expect("direct-oom")
    agent = r"-agentpath:(/directmem/cache/[0-9a-f]{24}|%s)/libasyncProfiler.so=start,nativemem=0," % backend.PROFILER_DIR
    assert re.search(agent, run.command)  # bound, or copied to an engine that shares no filesystem
    sites, local_sites = program_sites(run), program_sites(local)
    seen = f"container {sites}\nlocal {local_sites}\n{run.summary()}"
    assert sites.keys() == local_sites.keys() and len(sites) == 2, seen  # main's 12 MiB, drop()'s 3 MiB
    for stack, (kind, count, nbytes) in sites.items():
        assert (kind, count) == local_sites[stack][:2], seen  # same kind and number of mallocs as the local java host
        assert abs(nbytes - local_sites[stack][2]) <= 64 * count, seen  # NMT's malloc headers may differ per JDK build
    main = next(v for k, v in sites.items() if k[2:3] == ("HoldTwelve.main",))
    assert main[:2] == ("direct", 12) and 12 * MIB <= main[2] < 12 * MIB + 12 * 64, seen
    assert run.diagnosis.holders[0].path[0] == "static HoldTwelve.CACHE"


def test_the_images_python_dies_under_nativemem(directmem):
    """The measured cause of NON_PIE: in the runtime image, JPype starting a JVM with nativemem is killed by
    SIGSEGV (exit 139) while the same JVM without the agent starts; the image's python3 is an ET_EXEC."""
    from pytest_directmem.backends.engine import docker_client
    from pytest_directmem.backends.images import LIBJVM
    from pytest_directmem.diagnose.profiler import profiler_library

    client = docker_client()
    image = backend.image_for(17, client)
    lib = profiler_library()
    script = ("import jpype,sys; jpype.startJVM(sys.argv[1], *sys.argv[2:]); "
              "print('started', jpype.JClass('java.lang.System').getProperty('java.version'))")

    def start(*flags: str) -> tuple[int, str]:
        c = client.containers.run(image, ["python3", "-c", script, LIBJVM, *flags], detach=True,
                                  volumes={str(lib): {"bind": "/p/libasyncProfiler.so", "mode": "ro"}},
                                  network_mode="none", labels=backend.owner_labels())  # not an orphan to sweep
        try:
            code = c.wait(timeout=120)["StatusCode"]
            return code, c.logs().decode(errors="replace")
        finally:
            c.remove(force=True)

    code, out = start()
    assert code == 0 and out.startswith("started 17"), out
    assert start("-agentpath:/p/libasyncProfiler.so=start,event=cpu,file=/tmp/x.txt")[0] == 0
    code, out = start("-agentpath:/p/libasyncProfiler.so=start,nativemem=0,traces,file=/tmp/x.txt")
    assert code == 139, out
    head = 'head -c 18 "$(readlink -f "$(command -v python3)")" | od -An -tx1'
    c = client.containers.run(image, ["sh", "-c", head], remove=True, network_mode="none")
    assert c.decode().split()[16:18] == ["02", "00"]  # e_type ET_EXEC: not position independent
