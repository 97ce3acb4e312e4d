"""The docker backend on a real engine: container-derived limits, kernel OOM kills, parity with the local
backend, and cleanup on every path (timeout, Ctrl-C of pytest, pytest SIGKILLed + the sweep).

Every test checks afterwards that no container launched by this process is left (autouse fixture).
Without an engine the plugin skips them (fails with DIRECTMEM_REQUIRE_DOCKER=1).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pytest_directmem as dm
from pytest_directmem.backends import docker as backend
from pytest_directmem.artifacts import read_journal
from pytest_directmem.observe.journal import first
from tests.docker.engine import left_behind
from tests.jvm.java_classes import HAS_JAVAC, compile_leak

W = dm.workloads
MiB = 1 << 20
SEED = dict(heap="64m", max_direct="16m")
pytestmark = pytest.mark.docker


# --- limits the JVM derives from the container --------------------------------------------------------


def test_default_direct_limit_follows_the_container_heap(directmem):
    run = directmem.run(W.hold("1m"), backend="docker", memory="512m", cpus=1)
    run.expect("direct-oom")
    assert "--memory 512m --memory-swap 512m --cpus 1 " in run.command
    # no -Xmx, no -XX:MaxDirectMemorySize: heap = 25% of the container, direct limit = max heap
    assert run.direct.limit == run.jvm.max_heap, run.summary()
    assert 100 * MiB <= run.direct.limit <= 140 * MiB, run.summary()
    assert run.oom.limit == run.direct.limit  # JDK 17+ puts the limit in the message
    assert run.container.memory_limit == 512 * MiB and not run.container.oom_killed
    assert run.container.image.startswith("directmem-runtime:jdk17-") and run.jvm.major == 17


@pytest.mark.slow
def test_memory_beyond_the_container_is_a_kernel_oom_kill(directmem):
    run = directmem.run(W.hold("1m"), backend="docker", memory="128m", max_direct="1g")
    run.expect("oom-killed")
    assert run.oom is None and run.heap_dumps == []  # the JVM never saw it coming
    assert run.container.oom_killed and run.exit_code == 137 == run.container.exit_code
    assert 64 * MiB < run.peak_rss <= 128 * MiB  # the cgroup's peak: up to the limit


@pytest.mark.parametrize("jdk", ["17", "21"])
def test_disable_explicit_gc_churn_is_a_direct_oom_without_dump(directmem, jdk):
    run = directmem.run(W.churn(200, "1m"), backend="docker", jdk=jdk, explicit_gc="disabled", memory="256m", **SEED)
    run.expect("direct-oom")
    assert run.heap_dumps == [] and run.gc.explicit_count == 0
    assert run.jvm.major == int(jdk) and run.container.image.startswith(f"directmem-runtime:jdk{jdk}-")
    assert (run.oom.requested, run.oom.limit) == (MiB, 16 * MiB)


def test_unsafe_memory_is_invisible_to_the_limit_but_not_to_the_cgroup(directmem):
    run = directmem.run(W.unsafe_alloc("64m", 2), backend="docker", max_direct="16m", memory="512m")
    run.expect("completed")
    assert run.direct.peak_used < run.direct.limit == 16 * MiB
    assert run.peak_rss > 128 * MiB  # the container's cgroup peak saw the 128 MiB


# --- same workload, same outcome on both backends -----------------------------------------------------

PARITY = {
    "churn-completes": (W.churn(200, "1m"), SEED, "completed"),
    "churn-disabled": (W.churn(200, "1m"), dict(explicit_gc="disabled", **SEED), "direct-oom"),
    "heap-hog": (W.heap_hog("1m"), dict(heap="32m"), "heap-oom"),
    "hold": (W.hold("1m"), dict(max_direct="16m"), "direct-oom"),
}


@pytest.mark.slow
@pytest.mark.parametrize("backend_name", ["local", "docker"])
@pytest.mark.parametrize("case", list(PARITY))
def test_same_outcome_on_both_backends(directmem, case, backend_name):
    workload, options, outcome = PARITY[case]
    run = directmem.run(workload, backend=backend_name, **options)
    run.expect(outcome)
    assert (run.container is None) == (backend_name == "local")
    assert len(run.heap_dumps) == (1 if outcome == "heap-oom" else 0)
    if outcome == "direct-oom":
        assert run.oom.limit == 16 * MiB and "java.nio.Bits.reserveMemory" in run.oom.stack[0]


# --- user code, reproduction ---------------------------------------------------------------------------


def test_python_call_workloads_see_the_users_modules(directmem):
    ok = directmem.run(W.call(python_workloads.pool_count, 3), backend="docker")
    ok.expect("completed")
    assert ok.value == 3
    bad = directmem.run(W.call(python_workloads.raises), backend="docker")
    bad.expect("error")
    assert "ValueError: on purpose" in bad.error and "python_workloads.py" in bad.error


@pytest.mark.skipif(not HAS_JAVAC, reason="needs javac to compile the main class")
def test_main_class_from_a_mounted_classpath(directmem, tmp_path):
    classes = compile_leak(tmp_path)
    ok = directmem.run(W.main("Leak", 4), backend="docker", classpath=[classes], **SEED)
    ok.expect("completed")
    assert "held 4" in ok.stdout


def docker_run_on(run, line: str) -> str:
    """`line` after `docker [-H URL] `: a line names the engine with -H when it ran on another engine than
    DOCKER_HOST's that sees this machine's files (one that sees none is repeated on the engine here)."""
    m = re.match(r"docker (?:-H (\S+) )?", line)
    assert m, line
    assert m.group(1) in (None, run.container.engine), (line, run.container.engine)
    return line[m.end():]


@pytest.mark.skipif(not shutil.which("docker"), reason="needs the docker CLI to rerun the commands")
def test_reproducing_commands_rerun_the_same_way(tmp_path):
    from pytest_directmem.config import JvmConfig

    config = JvmConfig.create(backend="docker", explicit_gc="disabled", memory="256m", **SEED)
    art = tmp_path / "a"
    art.mkdir()
    proc = backend.DockerBackend().launch(W.churn(50, "1m"), config, art)
    run = dm.load_run(art)
    run.expect("direct-oom")
    assert docker_run_on(run, run.command).startswith("run --rm --network none ")
    assert "--memory 256m --memory-swap 256m" in run.command
    (art / "journal.jsonl").unlink()
    rerun = subprocess.run(run.command, shell=True, capture_output=True, timeout=120)
    assert rerun.returncode == 3, rerun.stderr  # the worker's exit code for an OOM
    assert first(read_journal(art), "oom")["message"] == run.oom.message
    # the same JVM without Python: java ... directmem.Main churn 50 1048576 0, in the same container setup
    assert docker_run_on(run, proc.java_command).startswith("run ") and " /opt/jdk/bin/java " in proc.java_command
    bare = subprocess.run(proc.java_command, shell=True, capture_output=True, timeout=120, text=True)
    assert bare.returncode == 3, bare.stderr  # directmem.Main's exit code for an OOM


def test_a_java_home_path_is_a_config_error(tmp_path):
    from pytest_directmem.jdk import resolve_jdk

    home = str(resolve_jdk("system").home)
    with pytest.raises(dm.ConfigError, match="docker backend needs a JDK major") as info:
        dm.launch(W.churn(1, "1k"), backend="docker", jdk=home, artifacts_dir=tmp_path / "a")
    assert info.value.option == "jdk" and info.value.value == home
    assert not (tmp_path / "a" / "spec.json").exists()


# --- cleanup on every path -----------------------------------------------------------------------------


def test_timeout_dumps_threads_and_removes_the_container(directmem):
    run = directmem.run(W.static("java.lang.Thread#sleep", 600_000), backend="docker", timeout=3)
    run.expect("timeout")
    assert run.duration_s < 10 and run.exit_code == 137
    assert "Full thread dump" in run.stdout  # SIGQUIT before the kill


def test_crashed_worker_is_crashed_and_removed(directmem):
    run = directmem.run(W.static("directmem.Workloads#crash"), backend="docker")
    run.expect("crashed")
    assert run.hs_err is not None and "SIGSEGV" in run.hs_err.read_text(errors="replace")


INNER_TEST = """
import pytest_directmem as dm

def test_sleeps(directmem):
    directmem.run(dm.workloads.static("java.lang.Thread#sleep", 600000), backend="docker", timeout=600)
"""


def start_inner_pytest(tmp_path, client) -> tuple[subprocess.Popen, object]:
    """A pytest process whose one test runs a 10-minute container; returns it once the container runs."""
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "-p", "no:xdist",
         f"--basetemp={tmp_path / 'inner-tmp'}", "test_inner.py"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running = [c for c in left_behind(client, proc.pid)[0] if c.status == "running"]
        if running:
            return proc, client.containers.get(running[0].id)
        if proc.poll() is not None:
            pytest.fail(f"the inner pytest ended early:\n{proc.stdout.read()}")
        time.sleep(0.1)
    proc.kill()
    pytest.fail("the inner pytest started no container within 120 s")


@pytest.mark.slow
def test_ctrl_c_of_pytest_removes_the_container(tmp_path, client):
    proc, container = start_inner_pytest(tmp_path, client)
    time.sleep(0.5)  # inside container.wait()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, out  # pytest: interrupted
    assert "KeyboardInterrupt" in out
    assert left_behind(client, proc.pid)[0] == []


@pytest.mark.slow
def test_killed_pytest_leaves_a_watched_orphan_that_the_reaper_removes(tmp_path, client):
    proc, container = start_inner_pytest(tmp_path, client)
    labels = container.labels
    assert labels[backend.LABEL_ARTIFACTS].startswith(str(tmp_path)) and labels[backend.LABEL_SESSION]
    top = " ".join(" ".join(p) for p in container.top()["Processes"])
    assert "timeout -s KILL 630 python3 -m pytest_directmem.worker" in top  # the in-container watchdog (fallback)
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 10  # SIGKILL: no cleanup ran in pytest; the session's reaper removes it
    while left_behind(client, proc.pid)[0] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left_behind(client, proc.pid)[0] == []
    assert backend.sweep_stale_containers(client) >= 0


def test_sweep_spares_live_owners_and_removes_orphans(client, tmp_path):
    import docker.errors

    from pytest_directmem.backends.docker import image_for, jdk_major

    image = image_for(jdk_major("17"), client)
    me = os.getpid()
    dead_pid = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1  # a pid no process can have (no reuse race)
    common = {backend.LABEL_SESSION: "sweep-test", backend.LABEL_HOST: socket.gethostname()}
    live = client.containers.create(image, ["sleep", "60"], network_mode="none", labels={
        **common, backend.LABEL_PID: str(me), backend.LABEL_PID_START: backend._pid_start(me)})
    orphan = client.containers.create(image, ["sleep", "60"], network_mode="none", labels={
        **common, backend.LABEL_PID: str(dead_pid)})
    reused = client.containers.create(image, ["sleep", "60"], network_mode="none", labels={
        **common, backend.LABEL_PID: str(me), backend.LABEL_PID_START: "1"})  # my pid, not my start time
    try:
        for c in (live, orphan, reused):
            try:
                c.start()
            except docker.errors.NotFound:  # xdist: another worker's sweep was first
                pass
        assert backend.sweep_stale_containers(client) >= 0

        def left() -> set[str]:
            return {c.id for c in client.containers.list(all=True, filters={"label": f"{backend.LABEL_SESSION}=sweep-test"})}

        # another process's sweep may be removing an orphan at the same moment: this sweep's remove then gets
        # 409 "removal in progress" and the container is listed until that removal ends
        deadline = time.monotonic() + 60
        while left() != {live.id} and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left() == {live.id}
    finally:
        for c in (live, orphan, reused):
            try:
                c.remove(force=True)
            except Exception:  # noqa: BLE001 - swept already
                pass


# --- the cgroup peak reader, on fake cgroup trees (v1 and v2 layouts) -----------------------------------


def fake_proc(tmp_path, mountinfo: str, pid: int, cgroup: str):
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "mountinfo").write_text(mountinfo)
    (proc / str(pid)).mkdir()
    (proc / str(pid) / "cgroup").write_text(cgroup)
    return proc


def test_cgroup_v2_peak_file_is_found_through_the_init_process(tmp_path):
    from pytest_directmem.backends.cgroup import candidate_files

    root = tmp_path / "cg2"
    scope = root / "system.slice" / "docker-abc.scope"
    scope.mkdir(parents=True)
    (scope / "memory.peak").write_text("123\n")
    (scope / "memory.current").write_text("100\n")
    proc = fake_proc(tmp_path, f"35 24 0:30 / {root} rw,nosuid - cgroup2 cgroup2 rw\n", 42,
                     "0::/system.slice/docker-abc.scope\n")
    assert candidate_files("abc", 42, proc=str(proc))[0] == scope / "memory.peak"
    assert candidate_files("abc", None, proc=str(proc))[0] == scope / "memory.peak"  # the systemd guess


def test_cgroup_v1_in_a_cgroup_namespace_and_the_poller_keeps_the_max(tmp_path):
    from pytest_directmem.backends import cgroup

    mnt = tmp_path / "memory"
    (mnt / "ctr").mkdir(parents=True)
    peak = mnt / "ctr" / "memory.max_usage_in_bytes"
    peak.write_text("10\n")
    proc = fake_proc(tmp_path, f"40 30 0:40 /docker {mnt} rw - cgroup cgroup rw,memory\n", 7, "4:memory:/docker/ctr\n")
    assert cgroup.candidate_files("ctr", 7, proc=str(proc))[0] == peak
    poller = cgroup.PeakPoller("ctr", pid_of=lambda: None, stats=lambda: iter(()))
    poller._find = lambda: [peak]
    poller.start()
    for value in (50, 30):
        (mnt / "next").write_text(f"{value}\n")
        os.replace(mnt / "next", peak)
        deadline = time.monotonic() + 10
        while poller.peak != 50 and time.monotonic() < deadline:
            time.sleep(0.01)
    time.sleep(0.1)  # a few readings of 30
    peak.unlink()  # the container stopped: its cgroup is gone
    poller._thread.join(5)
    assert not poller._thread.is_alive() and poller.stop() == 50 and poller.source == str(peak)


from tests.jvm import python_workloads  # noqa: E402  (module-level functions for call())


def test_load_run_rebuilds_the_launched_run(directmem):
    run = directmem.run(W.hold("1m"), backend="docker", memory="128m", max_direct="1g")
    run.expect("oom-killed")
    again = dm.load_run(run.artifacts)
    assert again == run and again.container == run.container and again.container.oom_killed
    from pytest_directmem.backends.engine import configured

    assert again.container.engine in configured()  # DOCKER_HOST or the local socket, or one of the session's engines


def test_a_crash_keeps_its_hs_err_file(directmem):
    """The container is removed, the JVM's fatal error report stays in the artifacts directory."""
    run = directmem.run(W.static("directmem.Workloads#crash"), backend="docker")
    run.expect("crashed")
    assert run.hs_err is not None and run.hs_err.parent == run.artifacts
    assert "A fatal error has been detected by the Java Runtime Environment" in run.hs_err.read_text()
    assert dm.load_run(run.artifacts).hs_err == run.hs_err
