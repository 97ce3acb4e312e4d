"""Every OutOfMemoryError, the outcome rule and main()'s launcher semantics, each case against bare java
run in the test (same JDK, same flags, same program). Run with --directmem-jdk=11,17,21,25.

Programs: tests/data/java (BgThread, PlainWrap, WrappedOom, MapFailed from the public reports in
/work/shared/cases; ExitMain, LateThread). The bare run also writes -Xlog:exceptions, read with the same
parser: the harness must report the same thread and catcher as the plain JVM's own log.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

import pytest_directmem as dm
from pytest_directmem.observe.exceptions import parse_exceptions_log
from pytest_directmem.observe.ooms import FATAL_CLASS
from tests.jvm.java_classes import HAS_JAVAC

pytestmark = pytest.mark.skipif(not HAS_JAVAC, reason="javac is needed to compile the test programs")
W = dm.workloads
JAVA = Path(__file__).resolve().parent.parent / "data" / "java"
PROGRAMS = ["BgThread.java", "PlainWrap.java", "MapFailed.java", "ExitMain.java", "LateThread.java", "SwallowExit.java"]
DIRECT = dict(max_direct="16m", timeout=180)
UNCAUGHT = re.compile(r'^Exception in thread "(?P<thread>[^"]*)" (?P<text>.*)$', re.M)


@pytest.fixture(scope="module")
def classes(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("oom-cases")
    subprocess.run(["javac", "--release", "11", "-d", str(out), *[str(JAVA / p) for p in PROGRAMS]], check=True)
    return out


@pytest.fixture(scope="module")
def netty_classes(tmp_path_factory):
    netty = dm.maven("io.netty:netty-codec:4.0.31.Final")
    out = tmp_path_factory.mktemp("netty-case")
    cp = os.pathsep.join(map(str, netty.resolve_classpath()))
    subprocess.run(["javac", "--release", "11", "-cp", cp, "-d", str(out), str(JAVA / "WrappedOom.java")], check=True)
    return [out, netty]


class Bare:
    """One bare `java` run: exit code, output, and its own exceptions log read by the harness's parser."""

    def __init__(self, run: dm.Run, classpath: list, flags: list[str], program: list[str], tmp: Path):
        entries = [p for e in classpath for p in (e.resolve_classpath() if hasattr(e, "resolve_classpath") else [e])]
        log = tmp / "bare-exceptions.log"
        argv = [str(Path(run.jvm.java_home) / "bin" / "java"), *flags, f"-Xlog:exceptions=info:file={log}:uptime,tid",
                f"-XX:ErrorFile={tmp}/bare_hs_err_%p.log", "-cp", os.pathsep.join(map(str, entries)), *program]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=tmp)
        self.exit_code, self.output = p.returncode, p.stdout + p.stderr
        self.ooms = parse_exceptions_log(log.read_text(errors="replace")) if log.exists() else ()
        self.uncaught = [(m.group("thread"), m.group("text")) for m in UNCAUGHT.finditer(self.output)]


def check_first_oom_like_bare(run: dm.Run, bare: Bare) -> None:
    """The deciding OOM: the same thread and catcher as bare java's exceptions log shows."""
    assert bare.ooms, bare.output
    assert run.oom is run.ooms[0]
    assert run.oom.thread == bare.ooms[0].thread, run.summary()
    assert run.oom.message == bare.ooms[0].message
    bare_catcher = bare.ooms[0].caught_by
    if bare_catcher is not None and bare_catcher.startswith(("java.", "sun.", "jdk.")):
        bare_catcher = None  # bare java's launcher frames (none here): the harness's runner instead
    if bare.ooms[0].handled is None and any(t == run.oom.thread and x.startswith("java.lang.OutOfMemoryError")
                                            for t, x in bare.uncaught):
        bare_catcher = None  # no handler logged for the main thread's outermost frame: the JVM printed it uncaught
    assert run.oom.caught_by == bare_catcher, run.summary()


@pytest.mark.parametrize("exit_on_oom", [False, True], ids=["plain", "ExitOnOutOfMemoryError"])
def test_background_thread_oom_while_main_returns(directmem, classes, tmp_path, exit_on_oom):
    flags = ["-XX:+ExitOnOutOfMemoryError"] if exit_on_oom else []
    run = directmem.run(W.main("BgThread"), classpath=[classes], flags=flags, **DIRECT)
    bare = Bare(run, [classes], ["-XX:MaxDirectMemorySize=16m", *flags], ["BgThread"], tmp_path)
    assert bare.exit_code == 0 and ("JDBM writer", bare.uncaught[0][1]) == bare.uncaught[0]
    run.expect(dm.Outcome.DIRECT_OOM)
    assert run.exit_code == bare.exit_code and run.workload_completed
    assert run.oom.thread == "JDBM writer" and run.oom.caught_by is None and run.oom.carried_by == ()
    assert run.oom.uptime_s is not None and run.oom.uptime_s > 0
    assert "main goes on" in run.stdout and "main goes on" in bare.output
    check_first_oom_like_bare(run, bare)
    assert 'thread "JDBM writer", not caught' in run.summary()


def test_plain_wrap_is_the_oom_it_carries(directmem, classes, tmp_path):
    run = directmem.run(W.main("PlainWrap"), classpath=[classes], **DIRECT)
    bare = Bare(run, [classes], ["-XX:MaxDirectMemorySize=16m"], ["PlainWrap"], tmp_path)
    assert bare.exit_code == 1 and bare.uncaught[0] == ("main", "java.io.IOException: store write failed")
    assert "Caused by: java.lang.OutOfMemoryError" in bare.output
    run.expect(dm.Outcome.DIRECT_OOM)
    assert run.exit_code == bare.exit_code and not run.workload_completed and run.error is None
    assert run.oom.caught_by == "PlainWrap.main"
    assert run.oom.carried_by == ("java.io.IOException: store write failed",)
    assert run.oom.stack[0].startswith("java.nio.Bits.reserveMemory(")
    check_first_oom_like_bare(run, bare)


def test_netty_40_decoder_exception_carries_the_oom(directmem, netty_classes, tmp_path):
    run = directmem.run(W.main("WrappedOom"), classpath=netty_classes, **DIRECT)
    bare = Bare(run, netty_classes, ["-XX:MaxDirectMemorySize=16m"], ["WrappedOom"], tmp_path)
    assert bare.exit_code == 1
    assert bare.uncaught[0][1].startswith("io.netty.handler.codec.DecoderException: java.lang.OutOfMemoryError")
    run.expect(dm.Outcome.DIRECT_OOM)
    assert run.exit_code == bare.exit_code
    assert run.oom.caught_by.startswith("io.netty.handler.codec.ByteToMessageDecoder.")
    assert run.oom.carried_by[0] == bare.uncaught[0][1]
    check_first_oom_like_bare(run, bare)


def test_map_failed_is_native_and_the_mapped_pool_is_seen(directmem, classes, tmp_path):
    # At vm.max_map_count every new mapping fails, the JVM's own too (a JIT or metaspace commit: "mmap failed to
    # map 65536 bytes", a fatal native OOM). Which comes first, the workload's FileChannel.map failing or the
    # JVM's own mapping, and whether the JVM dies after "Map failed" (FileChannelImpl.map calls System.gc() and
    # sleeps 100 ms before its second try), is a race, in bare java too (seen on 17, 21 and 25). Certain: a
    # native OOM. The heap is committed up front (-Xms = -Xmx), as in the map-failed incident, so that a
    # growing or shrinking heap is not one more mapping in the race.
    committed = ["-Xms64m"]
    run = directmem.run(W.main("MapFailed"), classpath=[classes], heap="64m", flags=committed, timeout=300)
    bare = Bare(run, [classes], ["-Xmx64m", *committed], ["MapFailed"], tmp_path)
    bare_fatal = "There is insufficient memory for the Java Runtime Environment" in bare.output
    bare_maps = [o for o in bare.ooms if o.message == "Map failed"]
    assert bare_fatal or bare_maps, bare.output  # bare java: a native OOM either way
    run.expect(dm.Outcome.NATIVE_OOM)
    maps = [o for o in run.ooms if o.message == "Map failed"]
    if maps:  # the workload's map failed: by the rule, with its thread and catcher, as bare java logs them
        assert run.ooms[0] is maps[0] and maps[0].thread == "main"
        assert maps[0].caught_by.startswith("sun.nio.ch.FileChannelImpl.map")  # it retries once after a GC
        if bare_maps:
            assert (maps[0].thread, maps[0].caught_by) == (bare_maps[0].thread, bare_maps[0].caught_by)
    wrapped = [o for o in maps if o.carried_by]
    if run.oom.class_name == FATAL_CLASS:  # the JVM's own mapping failed: its own words and hs_err
        assert run.oom.message.startswith("Native memory allocation (mmap) failed to map ") and run.hs_err
        assert "There is insufficient memory for the Java Runtime Environment" in run.stdout + run.stderr
        assert not wrapped or wrapped[0].carried_by == ("java.io.IOException: Map failed",)
    else:  # the workload's map failed twice, and the IOException that carried the second ended main
        assert maps and run.oom is maps[0], run.summary()
        assert wrapped and wrapped[0].carried_by == ("java.io.IOException: Map failed",)
        if not bare_fatal:
            assert run.exit_code == bare.exit_code
            assert [o.message for o in run.ooms][:2] == [o.message for o in bare_maps][:2]
    # the mapped pool (not the direct pool) held them: the harness samples it; the program printed its MXBean
    counts = [(int(c), int(u)) for c, u in re.findall(r"mapped\{count=(\d+), used=(\d+)\}", run.stdout)]
    assert counts, run.stdout
    count, used = max(counts)
    assert count >= 20000 and run.mapped.peak_count >= 0.9 * count and run.mapped.peak_used >= 0.9 * used, run.summary()
    assert f"{run.mapped.peak_count} buffers" in run.summary()


def test_the_jvms_fatal_native_oom(directmem, tmp_path):
    run = directmem.run(W.hold("1m", 1), heap="40g", flags=["-Xms40g"], timeout=120)
    bare = Bare(run, [], ["-Xmx40g", "-Xms40g"], ["-version"], tmp_path)
    fatal = re.search(r"Native memory allocation \(mmap\) failed to map (\d+) bytes", bare.output)
    if bare.exit_code == 0 or not fatal:
        pytest.skip(f"this machine commits 40 GiB: bare java exited {bare.exit_code}")
    run.expect(dm.Outcome.NATIVE_OOM)
    assert run.exit_code == bare.exit_code == 1
    assert run.oom.kind == "native" and run.oom.class_name == FATAL_CLASS
    assert run.oom.requested == int(fatal.group(1))
    assert run.oom.hs_err_summary.startswith("Out of Memory Error (")
    assert "hs_err: Out of Memory Error" in run.summary() and not run.workload_completed


@pytest.mark.parametrize("how,code", [("exit", 0), ("exit", 3), ("halt", 4)])
def test_main_that_ends_the_jvm(directmem, classes, tmp_path, how, code):
    run = directmem.run(W.main("ExitMain", how, str(code)), classpath=[classes], **DIRECT)
    bare = Bare(run, [classes], [], ["ExitMain", how, str(code)], tmp_path)
    assert bare.exit_code == code and "not reached" not in bare.output
    assert run.exit_code == bare.exit_code and "not reached" not in run.stdout
    assert run.ooms == () and run.oom is None
    if code == 0:
        run.expect(dm.Outcome.COMPLETED)
        assert run.workload_completed and run.error is None
    else:
        run.expect(dm.Outcome.ERROR)
        assert not run.workload_completed
        assert f"System.exit({code}) or Runtime.halt({code})" in run.error


@pytest.mark.parametrize("code", [0, 3, 5])
def test_exit_after_a_swallowed_oom(directmem, classes, tmp_path, code):
    """The first OOM decides (DIRECT_OOM) and the run says the program ended the JVM itself: no claim that
    the worker died, also for 3, the code the runner itself exits with after an uncaught direct OOM."""
    run = directmem.run(W.main("SwallowExit", str(code)), classpath=[classes], **DIRECT)
    bare = Bare(run, [classes], ["-XX:MaxDirectMemorySize=16m"], ["SwallowExit", str(code)], tmp_path)
    swallowed = re.search(r"^swallowed: .*$", bare.output, re.M)
    assert bare.exit_code == code and swallowed, bare.output
    run.expect(dm.Outcome.DIRECT_OOM)
    assert run.exit_code == bare.exit_code and swallowed.group(0) in run.stdout
    assert run.workload_completed is (code == 0)
    check_first_oom_like_bare(run, bare)
    assert run.oom.thread == "worker-1"
    assert any(n.startswith(f"the workload ended the JVM: System.exit({code}) or Runtime.halt({code})")
               for n in run.notes), run.notes
    assert not any("died" in n or "never journaled" in n for n in run.notes), run.notes


def test_exit_from_a_thread_after_main_returned(directmem, classes, tmp_path):
    run = directmem.run(W.main("ExitMain", "exit", "5", "thread"), classpath=[classes], **DIRECT)
    bare = Bare(run, [classes], [], ["ExitMain", "exit", "5", "thread"], tmp_path)
    assert bare.exit_code == 5 and "ending with exit(5)" in bare.output
    run.expect(dm.Outcome.ERROR)
    assert run.exit_code == 5 and "ending with exit(5)" in run.stdout
    assert run.workload_completed and "after the workload returned" in run.error


def test_non_daemon_thread_runs_out_after_main_returned(directmem, classes, tmp_path):
    run = directmem.run(W.main("LateThread"), classpath=[classes], **DIRECT)
    bare = Bare(run, [classes], ["-XX:MaxDirectMemorySize=16m"], ["LateThread"], tmp_path)
    assert bare.exit_code == 0 and bare.uncaught[0][0] == "late writer"
    run.expect(dm.Outcome.DIRECT_OOM)
    assert run.exit_code == bare.exit_code and run.workload_completed
    assert run.oom.thread == "late writer" and run.oom.caught_by is None
    check_first_oom_like_bare(run, bare)


def test_main_that_throws_the_oom_exits_like_bare_java(directmem, tmp_path):
    from tests.jvm.java_classes import compile_leak

    classes = compile_leak(tmp_path / "leak")
    run = directmem.run(W.main("Leak", "64"), classpath=[classes], **DIRECT)
    bare = Bare(run, [classes], ["-XX:MaxDirectMemorySize=16m"], ["Leak", "64"], tmp_path)
    assert bare.exit_code == 1 and bare.uncaught[0][0] == "main"
    run.expect(dm.Outcome.DIRECT_OOM)
    assert run.exit_code == bare.exit_code and not run.workload_completed
    assert run.oom.caught_by is None and run.oom.thread == "main"
    check_first_oom_like_bare(run, bare)
