"""Containers as a sandbox for untrusted workloads (no capabilities, no privilege escalation, read-only
root), the engine's own limits (CPU quota, memory the worker needs) and the same errors as the local
backend. Every container this process creates is checked gone afterwards."""

from __future__ import annotations

import os
import threading
import time

import pytest

import pytest_directmem as dm
from pytest_directmem.backends import docker as backend
from pytest_directmem.config import JvmConfig
from pytest_directmem.config_checks import MIN_CPUS, MIN_MEMORY
from pytest_directmem.backends.engine import engine_url
from pytest_directmem.launcher import run_config
from tests.docker.engine import left_behind

W = dm.workloads
pytestmark = pytest.mark.docker


def mine(client):
    return left_behind(client)[0]


def test_a_running_container_has_no_capabilities_no_new_privileges_and_a_read_only_root(client, tmp_path):
    box: dict = {}
    t = threading.Thread(target=lambda: box.update(run=dm.launch(
        W.storm(1, "1k", "4s"), backend="docker", jdk="17", memory="256m", artifacts_dir=tmp_path / "a",
        docker_hosts=[engine_url()])))  # the engine `client` talks to, also when the session has several
    t.start()
    seen = None
    deadline = time.monotonic() + 120
    while seen is None and time.monotonic() < deadline:
        running = [c for c in mine(client) if c.status == "running"]
        if running:
            seen = client.api.inspect_container(running[0].id)
        time.sleep(0.2)
    t.join(180)
    assert seen is not None, "no running container seen"
    host = seen["HostConfig"]
    assert host["CapDrop"] == ["ALL"] and not host.get("CapAdd")
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["ReadonlyRootfs"] is True and "/tmp" in host["Tmpfs"]
    run = box["run"]
    assert run.outcome is dm.Outcome.COMPLETED, run.summary()
    assert "--cap-drop ALL --security-opt no-new-privileges --read-only --tmpfs /tmp:" in run.command
    assert "hsperfdata" not in (run.stderr or "") and "Read-only file system" not in (run.stderr or "")


def test_the_seed_story_holds_in_the_hardened_container(tmp_path):
    run = dm.launch(W.churn(200, "1m"), backend="docker", jdk="17", memory="256m", heap="64m", max_direct="16m",
                    artifacts_dir=tmp_path / "a")
    assert run.outcome is dm.Outcome.COMPLETED and run.gc.explicit_count > 0, run.summary()
    run = dm.launch(W.churn(200, "1m"), backend="docker", jdk="17", memory="256m", heap="64m", max_direct="16m",
                    explicit_gc="disabled", artifacts_dir=tmp_path / "b")
    assert run.outcome is dm.Outcome.DIRECT_OOM and run.heap_dumps == [], run.summary()


def test_below_the_cpu_minimum_the_engine_refuses_and_its_error_surfaces(client, tmp_path):
    below = JvmConfig(backend="docker", jdk="17", cpus=MIN_CPUS * 0.9, artifacts_dir=tmp_path / "a")
    with pytest.raises(dm.DirectmemError, match="cfs_quota_us: invalid argument") as info:
        run_config(W.churn(1, "4k"), below)
    assert "join thread" not in str(info.value)
    assert mine(client) == []  # not left in Created
    # at the minimum the engine starts it (a JVM at 1% of a CPU is slow: a short timeout may end it)
    run = dm.launch(W.churn(1, "4k"), backend="docker", jdk="17", cpus=MIN_CPUS, timeout=5, artifacts_dir=tmp_path / "b")
    assert run.outcome in (dm.Outcome.COMPLETED, dm.Outcome.TIMEOUT), run.summary()
    assert run.container is not None and run.container.id
    with pytest.raises(dm.ConfigError, match="invalid cpus=0.001"):
        dm.launch(W.churn(1, "4k"), backend="docker", cpus=0.001, artifacts_dir=tmp_path / "c")
    assert not (tmp_path / "c").exists()


def test_the_memory_minimum_is_what_the_worker_needs(tmp_path):
    run = dm.launch(W.churn(1, "4k"), backend="docker", jdk="17", memory=MIN_MEMORY, artifacts_dir=tmp_path / "a")
    assert run.outcome is dm.Outcome.COMPLETED, run.summary()
    assert run.peak_rss is not None and MIN_MEMORY // 2 < run.peak_rss < MIN_MEMORY  # the worker's own need
    tight = run_config(W.churn(1, "4k"), JvmConfig(backend="docker", jdk="17", memory=MIN_MEMORY // 3,
                                                   artifacts_dir=tmp_path / "b"))
    assert tight.outcome is dm.Outcome.OOM_KILLED, tight.summary()


@pytest.mark.parametrize("backend_name", ["local", "docker"])
def test_an_unobtainable_jdk_major_is_a_config_error_on_both_backends(backend_name, tmp_path):
    with pytest.raises(dm.ConfigError, match="invalid jdk='12'"):
        dm.launch(W.churn(1, "4k"), backend=backend_name, jdk="12", artifacts_dir=tmp_path / "a")
    assert not (tmp_path / "a").exists()
