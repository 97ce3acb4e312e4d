"""diagnose=True on real JVMs (JDK 11/17/21/25), against bare java with the same flags, measured here.

Issue 11's acceptance program (programs/HoldTwelve.java: 12 x 1 MiB held in a static list, 3 x 1 MiB
dropped, then 2 MiB asked for, max_direct 16m, DisableExplicitGC): the harness's own dump names the static
field as the top holder with 12 buffers and 12 MiB, the 3 MiB as garbage, run.heap_dumps stays [] (the
JVM writes none for a direct OOM) — also when the OOM is swallowed on another thread — and the run ends
as it does without diagnose and as bare java does. Allocation sites name the allocating methods with their
bytes; NMT's peak "Other" covers unsafe_alloc("1m", 64)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import pytest_directmem as dm
from pytest_directmem.jdk import resolve_jdk

from .test_live_dump import MIB

PROGRAM = __import__("pathlib").Path(__file__).resolve().parent / "programs" / "HoldTwelve.java"
JDKS = ["11", "17", "21", "25"]
FLAGS = ["-XX:MaxDirectMemorySize=16m", "-XX:+DisableExplicitGC"]
OPTIONS = {"max_direct": "16m", "explicit_gc": "disabled"}

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("javac") is None, reason="needs javac")]


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    out = tmp_path_factory.mktemp("holdtwelve")
    subprocess.run(["javac", "--release", "11", "-d", str(out), str(PROGRAM)], check=True)
    return out


def bare_java(jdk: str, classes, flags: list[str], mode: str) -> subprocess.CompletedProcess:
    java = resolve_jdk(jdk).home / "bin" / "java"
    return subprocess.run([str(java), *flags, "-cp", str(classes), "HoldTwelve", mode],
                          capture_output=True, text=True, timeout=300)


def launch(classes, mode: str, jdk: str, **options) -> dm.Run:
    return dm.launch(dm.workloads.main("HoldTwelve", mode), jdk=jdk, classpath=[classes], **options)


def assert_acceptance(run: dm.Run) -> None:
    d = run.diagnosis
    assert d is not None and d.dump is not None and d.dump.is_file(), run.summary()
    assert d.dump.parent == run.artifacts / "diagnosis"
    assert run.heap_dumps == []
    top = d.holders[0]
    assert top.path[0] == "static HoldTwelve.CACHE"
    assert (top.count, top.bytes) == (12, 12 * MIB)
    assert d.garbage_bytes == 3 * MIB
    sites = {s.stack[2]: s for s in d.sites if s.kind == "direct" and len(s.stack) > 2}
    assert 12 * MIB <= sites["HoldTwelve.main"].bytes < 13 * MIB
    assert 3 * MIB <= sites["HoldTwelve.drop"].bytes < 4 * MIB
    assert (sites["HoldTwelve.main"].count, sites["HoldTwelve.drop"].count) == (12, 3)  # every call recorded


@pytest.mark.parametrize("jdk", JDKS)
def test_the_oom_leaves_main(classes, jdk):
    bare = bare_java(jdk, classes, FLAGS, "throw")
    assert bare.returncode != 0 and "java.lang.OutOfMemoryError" in bare.stderr
    plain = launch(classes, "throw", jdk, **OPTIONS)
    run = launch(classes, "throw", jdk, diagnose=True, **OPTIONS)
    assert plain.diagnosis is None
    assert run.outcome is plain.outcome is dm.Outcome.DIRECT_OOM
    assert run.oom.message == plain.oom.message  # the same pool at the failure: the dump changed nothing
    assert run.oom.message in bare.stderr or run.oom.message == "Direct buffer memory"
    assert_acceptance(run)
    assert any(e["event"] == "diagnosis_dump" and e["thread"] == "main" for e in run.events)


@pytest.mark.parametrize("jdk", JDKS)
def test_the_oom_swallowed_on_another_thread(classes, jdk):
    bare = bare_java(jdk, classes, FLAGS, "swallow")
    assert bare.returncode == 0 and "swallowed java.lang.OutOfMemoryError" in bare.stdout
    plain = launch(classes, "swallow", jdk, **OPTIONS)
    run = launch(classes, "swallow", jdk, diagnose=True, **OPTIONS)
    assert run.outcome is plain.outcome
    assert run.stdout.count("swallowed java.lang.OutOfMemoryError") == 1
    assert run.stdout.splitlines()[-1:] == plain.stdout.splitlines()[-1:]
    assert_acceptance(run)
    assert any(e["event"] == "diagnosis_dump" and e["thread"] == "requester" for e in run.events)


@pytest.mark.parametrize("jdk", JDKS)
def test_a_slow_path_that_succeeds_still_succeeds(classes, jdk):
    """With System.gc() enabled the request waits on the slow path, the GC frees the 3 MiB and it succeeds:
    a dump taken meanwhile must not stop that (whether the 20 ms poll sees the short wait is timing)."""
    bare = bare_java(jdk, classes, ["-XX:MaxDirectMemorySize=16m"], "throw")
    assert bare.returncode == 0 and "no OutOfMemoryError" in bare.stdout
    run = launch(classes, "throw", jdk, diagnose=True, max_direct="16m")
    assert run.outcome is dm.Outcome.COMPLETED, run.summary()
    assert "no OutOfMemoryError" in run.stdout
    assert run.heap_dumps == []


@pytest.mark.parametrize("jdk", JDKS)
def test_native_other_covers_unsafe_memory(jdk):
    run = dm.launch(dm.workloads.unsafe_alloc("1m", 64), jdk=jdk, diagnose=True)
    assert run.outcome is dm.Outcome.COMPLETED and run.value["bytes"] == 64 * MIB
    d = run.diagnosis
    assert d.dump is None  # no thread reached the direct slow path
    top = d.sites[0]
    assert top.kind == "unsafe" and top.stack[1] == "directmem.Workloads.unsafeAlloc" and top.count == 64
    assert top.bytes >= run.value["bytes"]
    assert d.native["Other"] >= run.value["bytes"]
    assert d.native_outside_direct >= run.value["bytes"] - (run.direct.peak_used or 0)


@pytest.mark.parametrize("host", ["jpype", "java"])
@pytest.mark.parametrize("jdk", JDKS)
def test_sites_count_every_allocation(jdk, host):
    """churn(N, 1m) allocates N direct buffers of 1 MiB from one method: its site has count N (nativemem=0
    records every malloc, no sampling) and N MiB (plus at most NMT's header per malloc), on both hosts;
    unsafe_alloc's site is "unsafe", never "direct"."""
    n = 37
    run = dm.launch(dm.workloads.churn(n, "1m"), jdk=jdk, host=host, diagnose=True, max_direct="64m")
    assert run.outcome is dm.Outcome.COMPLETED, run.summary()
    mine = [s for s in run.diagnosis.sites if "directmem.Workloads.churn" in s.stack]
    assert len(mine) == 1 and mine[0] is run.diagnosis.sites[0]
    assert mine[0].kind == "direct" and mine[0].stack[0] == "java.nio.DirectByteBuffer.<init>"
    assert mine[0].count == n and n * MIB <= mine[0].bytes <= n * (MIB + 64)
    # the profiler's own messages stay out of the program's output, in profiler.log
    assert "Profiling started" not in run.stdout + run.stderr
    assert "Profiling started" in (Path(run.artifacts) / "profiler.log").read_text()


@pytest.mark.parametrize("jdk", JDKS)
def test_jni_mallocs_are_other_and_equal_bare_javas(jdk, tmp_path):
    """Inflaters N keeps N zlib inflaters: their JNI init's mallocs are a site of kind "other" under
    Inflaters.main, with the calls and bytes that bare java with the same agent records."""
    from pytest_directmem.diagnose.profiler import agent_flag, profiler_library
    from pytest_directmem.diagnose.sites import parse_traces

    n = 9
    src = PROGRAM.parent / "Inflaters.java"
    subprocess.run(["javac", "--release", "11", "-d", str(tmp_path), str(src)], check=True)
    run = dm.launch(dm.workloads.main("Inflaters", n), jdk=jdk, classpath=[tmp_path], diagnose=True)
    assert run.outcome is dm.Outcome.COMPLETED, run.summary()
    java = resolve_jdk(jdk).home / "bin" / "java"
    out = tmp_path / "bare.txt"
    agent = agent_flag(str(profiler_library()), str(out), str(tmp_path / "profiler.log"))
    subprocess.run([str(java), "-XX:NativeMemoryTracking=summary", agent,
                    "-cp", str(tmp_path), "Inflaters", str(n)], check=True, capture_output=True, timeout=120)

    def mine(sites):
        return [(s.kind, s.stack, s.count, s.bytes) for s in sites  # not Inflater.<clinit>'s first-use mallocs
                if "Inflaters.main" in s.stack and s.stack[0] == "java.util.zip.Inflater.init"]

    harness, bare = mine(run.diagnosis.sites), mine(parse_traces(out.read_text()))
    assert harness == bare and len(harness) == 1
    kind, stack, count, nbytes = harness[0]
    assert kind == "other" and stack[0] == "java.util.zip.Inflater.init" and stack[-1] == "Inflaters.main"
    assert count % n == 0 and count >= n and nbytes >= n * 1024  # zlib's inflate state is several KiB


@pytest.mark.parametrize("jdk", ["17", "25"])
def test_churn_that_system_gc_keeps_alive_takes_no_dump(jdk):
    """Each time churn hits the limit, Bits.reserveMemory's System.gc() frees the dropped buffers and the
    reference processing it waits for runs their Cleaners: the request succeeds before the sleeps, so
    diagnose writes no dump (it waits for a thread sleeping there) and the run completes as without it."""
    options = dict(max_direct="16m", heap="64m")
    plain = dm.launch(dm.workloads.churn(100, "1m"), jdk=jdk, **options)
    run = dm.launch(dm.workloads.churn(100, "1m"), jdk=jdk, diagnose=True, **options)
    assert plain.outcome is run.outcome is dm.Outcome.COMPLETED
    assert run.gc.explicit_count > 0  # the slow path ran
    assert run.diagnosis.dump is None and run.heap_dumps == []
