"""Real JVMs on the local backend: every built-in workload and every outcome reachable locally."""

import os
import signal
import subprocess

import pytest

import pytest_directmem as dm
from pytest_directmem.artifacts import read_journal
from pytest_directmem.observe.journal import first
from tests.jvm.java_classes import HAS_JAVAC, compile_leak

W = dm.workloads
MiB = 1 << 20
SEED = dict(heap="64m", max_direct="16m")


def test_churn_with_explicit_gc_completes_thanks_to_system_gc(directmem):
    run = directmem.run(W.churn(200, "1m"), **SEED)
    run.expect(dm.Outcome.COMPLETED)
    assert run.value == {"allocated": 200, "kept": 0}
    assert run.gc.explicit_count > 0, run.summary()
    assert run.direct.limit == 16 * MiB
    assert 0 < run.direct.peak_used <= 16 * MiB
    assert run.oom is None and run.heap_dumps == []


def test_churn_with_disable_explicit_gc_is_a_direct_oom_without_dump(directmem):
    run = directmem.run(W.churn(200, "1m"), explicit_gc="disabled", heap_dump_on_oom=True, **SEED)
    run.expect("direct-oom")
    assert run.heap_dumps == []  # thrown from Java code: HeapDumpOnOutOfMemoryError never fires
    assert run.gc.explicit_count == 0
    assert "java.nio.Bits.reserveMemory" in run.oom.stack[0]
    assert run.oom.kind == "direct" and run.oom.thread
    if run.jvm.major >= 17:
        assert (run.oom.requested, run.oom.limit) == (MiB, 16 * MiB)
    # java.nio.Bits backs off ~0.5 s (1+2+...+256 ms) before it gives up
    assert run.time_to_oom_s >= 0.5


def test_keep_every_keeps_buffers_alive(directmem):
    run = directmem.run(W.churn(40, "1m", keep_every=4), **SEED)
    run.expect("completed")
    assert run.value == {"allocated": 40, "kept": 10}
    assert run.direct.peak_used >= 10 * MiB


def test_hold_until_oom_and_hold_count(directmem):
    leak = directmem.run(W.hold("1m"), **SEED)
    leak.expect("direct-oom")
    assert leak.gc.explicit_count > 0  # the rescue GC ran, and could not free held buffers
    assert leak.direct.peak_used == 16 * MiB
    held = directmem.run(W.hold("1m", count=8), **SEED)
    held.expect("completed")
    assert held.value == {"held": 8, "bytes": 8 * MiB}
    assert held.direct.peak_used >= 8 * MiB
    assert held.direct.samples and held.direct.samples[-1].capacity == held.direct.samples[-1].used


def test_heap_hog_is_a_heap_oom_with_dump(directmem):
    run = directmem.run(W.heap_hog("1m"), heap="32m")
    run.expect("heap-oom")
    assert run.oom.message == "Java heap space" and run.oom.kind == "heap"
    assert len(run.heap_dumps) == 1 and run.heap_dumps[0].stat().st_size > 1 * MiB
    assert "Dumping heap to" in run.stdout


def test_no_dump_when_disabled(directmem):
    run = directmem.run(W.heap_hog("1m"), heap="32m", heap_dump_on_oom=False)
    run.expect("heap-oom")
    assert run.heap_dumps == []


def test_unsafe_memory_is_invisible_to_the_limit(directmem):
    run = directmem.run(W.unsafe_alloc("64m", 2), **SEED)
    run.expect("completed")
    assert run.value == {"allocated": 2, "bytes": 128 * MiB}
    assert run.direct.peak_used < run.direct.limit  # the pool never saw it ...
    assert run.peak_rss > 128 * MiB  # ... the process did


def test_unsafe_beyond_malloc_is_a_native_oom(directmem):
    run = directmem.run(W.unsafe_alloc("1048576g", 1), **SEED)
    run.expect("native-oom")
    assert run.oom.kind == "native" and run.oom.requested == 1 << 50


def test_socket_write_over_loopback(directmem):
    run = directmem.run(W.socket_write(2, "64k", 50), **SEED)
    run.expect("completed")
    assert run.value["writes"] == 100 and run.value["bytes"] == 100 * 64 * 1024


def test_storm_without_explicit_gc_runs_out(directmem):
    run = directmem.run(W.storm(2, "1m", "3s"), heap="64m", max_direct="8m", explicit_gc="disabled")
    run.expect("direct-oom")
    assert run.gc.explicit_count == 0


def test_storm_bounded_by_volume_allocates_exactly_that(directmem):
    run = directmem.run(W.storm(3, "1m", per_thread=40), heap="64m", max_direct="16m")
    run.expect("completed")
    assert run.value == {"allocations": 120, "threads": 3}
    assert run.gc.explicit_count >= 1, run.summary()  # 120 MiB through 16 MiB: Bits' System.gc() freed the garbage


def test_storm_with_explicit_gc_collects_again_and_again(directmem):
    run = directmem.run(W.storm(2, "1m", "1s"), heap="64m", max_direct="8m")
    assert run.outcome in (dm.Outcome.COMPLETED, dm.Outcome.DIRECT_OOM), run.summary()
    assert run.gc.explicit_count >= 2, run.summary()
    assert run.value is None or run.value["allocations"] > 8


def test_static_method_error_and_value(directmem):
    err = directmem.run(W.static("java.lang.Integer#parseInt", "x"))
    err.expect("error")
    assert "java.lang.NumberFormatException" in err.error and err.oom is None
    ok = directmem.run(W.static("java.lang.Math#max", 3, 7))
    ok.expect("completed")
    assert ok.value == 7


def test_crash_is_crashed_with_hs_err(directmem):
    run = directmem.run(W.static("directmem.Workloads#crash"))
    run.expect("crashed")
    assert run.hs_err is not None and "SIGSEGV" in run.hs_err.read_text(errors="replace")
    assert run.exit_code != 0


def test_timeout_kills_the_group_and_keeps_artifacts(directmem):
    run = directmem.run(W.static("java.lang.Thread#sleep", 120_000), timeout=2)
    run.expect("timeout")
    assert run.duration_s < 10
    pid = first(read_journal(run.artifacts), "worker_started")["pid"]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert run.artifacts.is_dir() and (run.artifacts / "spec.json").exists()
    assert str(run.artifacts) in run.summary()
    assert "Full thread dump" in run.stdout  # SIGQUIT before the kill: where was it stuck?


def test_python_call_workloads(directmem):
    ok = directmem.run(W.call(python_workloads.pool_count, 3))
    ok.expect("completed")
    assert ok.value == 3
    oom = directmem.run(W.call(python_workloads.python_held_buffers), **SEED)
    oom.expect("direct-oom")
    bad = directmem.run(W.call(python_workloads.raises))
    bad.expect("error")
    assert "ValueError: on purpose" in bad.error and "python_workloads.py" in bad.error


@pytest.mark.skipif(not HAS_JAVAC, reason="needs javac to compile the main class")
def test_main_class_from_classpath(directmem, tmp_path):
    classes = compile_leak(tmp_path)
    ok = directmem.run(W.main("Leak", 4), classpath=[classes], **SEED)
    ok.expect("completed")
    assert "held 4" in ok.stdout
    leak = directmem.run(W.main("Leak", 100), classpath=[classes], **SEED)
    leak.expect("direct-oom")
    assert any(f.startswith("Leak.main(") for f in leak.oom.stack)


def test_reproducing_command_reruns_the_same_way(directmem, tmp_path):
    run = directmem.run(W.churn(50, "1m"), explicit_gc="disabled", **SEED)
    run.expect("direct-oom")
    for name in ("journal.jsonl", "samples.csv", "gc.log"):
        (run.artifacts / name).unlink()
    proc = subprocess.run(run.command, shell=True, capture_output=True, timeout=60)
    assert proc.returncode == 3  # the worker's exit code for an OOM
    events = read_journal(run.artifacts)
    assert first(events, "oom")["message"] == run.oom.message


from tests.jvm import python_workloads  # noqa: E402  (module-level functions for call())


def test_load_run_rebuilds_the_launched_run(directmem):
    for run in (directmem.run(W.churn(50, "1m"), explicit_gc="disabled", **SEED), directmem.run(W.churn(5, "1m"))):
        again = dm.load_run(run.artifacts)
        assert again == run and again.events == run.events and again.spec == run.spec
        assert (again.outcome, again.oom, again.gc, again.direct, again.jvm, again.container, again.exit_code,
                again.command) == (run.outcome, run.oom, run.gc, run.direct, run.jvm, run.container, run.exit_code,
                                   run.command)


def test_max_ram_percentage_sets_the_heap_as_bare_java_does(directmem, tmp_path):
    """The option added as one row of config.OPTIONS: the heap the JVM computes equals bare java's."""
    from pytest_directmem.artifacts import read_journal as journal
    from pytest_directmem.jars import fixtures_jar
    from pytest_directmem.jdk import resolve_jdk

    run = directmem.run(W.hold("1m", 2), max_ram_percentage=10)
    run.expect("completed")
    assert "--max-ram-percentage 10" in run.cli_command
    java = str(resolve_jdk(run.limits["jdk"]).java)
    subprocess.run([java, "-XX:MaxRAMPercentage=10", "-cp", str(fixtures_jar()), "directmem.Main", "--journal",
                    str(tmp_path / "journal.jsonl"), "hold", "1048576", "2"], check=True, capture_output=True)
    assert run.jvm.max_heap == first(journal(tmp_path), "jvm_started")["max_heap"]
    with pytest.raises(dm.ConfigError, match="max_ram_percentage"):
        directmem.run(W.hold("1m", 2), max_ram_percentage=150)
