"""A pytest session that is interrupted mid-run — pytest-timeout (signal and thread methods) or SIGKILL —
leaves no worker after 5 s and no container after 10 s, on both backends; with the signal method the
failure report shows the run so far."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.docker.engine import engine, left_behind

INNER = """
import pytest
import pytest_directmem as dm

@pytest.mark.timeout({timeout}, method="{method}")
def test_sleeps(directmem):
    directmem.run(dm.workloads.static("java.lang.Thread#sleep", 600000), backend="{backend}", timeout=600)
"""


def _start(tmp_path, backend, method="signal", timeout=600):
    (tmp_path / "test_inner.py").write_text(INNER.format(timeout=timeout, method=method, backend=backend))
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "-p", "no:xdist",
         "-p", "timeout", f"--basetemp={tmp_path / 'inner-tmp'}", "test_inner.py"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _running(tmp_path, proc, backend, client):
    """Wait until the run's workload runs; return the local worker's pid or the container."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the inner pytest ended early:\n{proc.stdout.read()}")
        if backend == "docker":
            running = [c for c in left_behind(client, proc.pid)[0] if c.status == "running"]
            if running:
                return running[0]
        else:
            for journal in tmp_path.glob("inner-tmp/*/directmem/*/journal.jsonl"):
                events = [json.loads(ln) for ln in journal.read_text().splitlines() if ln.strip()]
                if any(e.get("event") == "workload_start" for e in events):
                    return next(e["pid"] for e in events if e.get("event") == "worker_started")
        time.sleep(0.1)
    proc.kill()
    pytest.fail("the inner run did not start within 180 s")


def _gone_within(check, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def _assert_cleaned(backend, client, proc_pid, worker, t_end):
    if backend == "docker":
        assert _gone_within(lambda: left_behind(client, proc_pid)[0] == [], 10 - (time.monotonic() - t_end)), \
            "a container is left 10 s after the session ended"
    else:
        assert _gone_within(lambda: not os.path.exists(f"/proc/{worker}"), 5 - (time.monotonic() - t_end)), \
            "the worker is alive 5 s after the session ended"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["local", pytest.param("docker", marks=pytest.mark.docker)])
@pytest.mark.parametrize("method", ["signal", "thread"])
def test_pytest_timeout_mid_run_leaves_nothing_and_reports_the_run(tmp_path, backend, method):
    pytest.importorskip("pytest_timeout")
    client = engine() if backend == "docker" else None
    # the timeout is long enough for the run to start on a slow machine; the test waits for it either way
    proc = _start(tmp_path, backend, method, timeout=40 if backend == "docker" else 20)
    worker = _running(tmp_path, proc, backend, client)
    out, _ = proc.communicate(timeout=120)
    t_end = time.monotonic()
    _assert_cleaned(backend, client, proc.pid, worker, t_end)
    assert "Timeout" in out
    assert "directmem: run 1 started: static(java.lang.Thread#sleep, 600000)" in out
    if method == "signal":  # the test fails normally: its report shows the run so far
        assert proc.returncode == 1, out
        assert "directmem run interrupted" in out and "[run 1] INTERRUPTED while running" in out
        assert "workload_start" in out
    else:  # pytest-timeout ends the process with os._exit(1)
        assert proc.returncode == 1, out


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["local", pytest.param("docker", marks=pytest.mark.docker)])
def test_sigkill_of_the_session_leaves_no_worker_or_container(tmp_path, backend):
    client = engine() if backend == "docker" else None
    proc = _start(tmp_path, backend)
    worker = _running(tmp_path, proc, backend, client)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    _assert_cleaned(backend, client, proc.pid, worker, time.monotonic())
    if backend == "docker":
        from pytest_directmem.backends.docker import LABEL_PID

        assert client.volumes.list(filters={"label": f"{LABEL_PID}={proc.pid}"}) == []
