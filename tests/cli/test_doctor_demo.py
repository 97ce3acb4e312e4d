"""`directmem doctor` and `directmem demo`, run as real processes."""

import json
import os
import subprocess
import sys

import pytest

CLI = [sys.executable, "-c", "from pytest_directmem.cli import main; main()"]


def cli(*args, env=None, cwd=None, timeout=300):
    return subprocess.run(CLI + list(args), capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, **(env or {})})


def no_docker_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DIRECTMEM_REQUIRE_DOCKER")}
    return {**env, "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}


def test_doctor_without_docker_says_so_and_exits_0(tmp_path):
    proc = subprocess.run(CLI + ["doctor", "--offline"], capture_output=True, text=True, timeout=300,
                          env=no_docker_env(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "warn  docker    no Docker engine: " in out and "local runs work" in out
    assert "ok    jpype     jpype1 " in out and "ok    jpype     started a JVM " in out
    assert "ok    fixtures  fixtures jar " in out
    assert "system JDK (jdk=system, the default): " in out and "majors here (11: " in out
    assert out.rstrip().endswith("ready (local backend only)")


def test_doctor_requiring_docker_fails_without_one(tmp_path):
    proc = subprocess.run(CLI + ["doctor", "--offline", "--require-docker", "--json"], capture_output=True, text=True,
                          timeout=300, env=no_docker_env(tmp_path))
    assert proc.returncode == 1
    checks = json.loads(proc.stdout)
    docker = [c for c in checks if c["area"] == "docker"]
    assert docker and docker[0]["status"] == "fail" and docker[0]["message"].startswith("no Docker engine: ")
    env = {**no_docker_env(tmp_path), "DIRECTMEM_REQUIRE_DOCKER": "1"}  # the plugin's variable means the same
    assert subprocess.run(CLI + ["doctor", "--offline"], capture_output=True, env=env, timeout=300).returncode == 1


@pytest.mark.docker
def test_doctor_with_docker_lists_engine_and_images():
    proc = cli("doctor", "--offline", "--require-docker")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok    docker    Docker engine " in proc.stdout and "(API " in proc.stdout
    assert "images " in proc.stdout
    assert proc.stdout.rstrip().endswith("ready")


@pytest.mark.slow
def test_demo_runs_the_seed_story_and_can_write_a_report(tmp_path):
    proc = cli("demo", "--report", "seed.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(ln.startswith("churn, explicit GC on") and "COMPLETED" in ln for ln in lines)
    assert any(ln.startswith("churn, -XX:+DisableExplicitGC") and "DIRECT_OOM" in ln for ln in lines)
    assert any(ln.startswith("heap OOM control") and "HEAP_OOM" in ln for ln in lines)
    assert "so the JVM's HeapDumpOnOutOfMemoryError hook never ran" in proc.stdout
    assert (tmp_path / "directmem-artifacts" / "demo" / "2-churn" / "journal.jsonl").exists()
    page = (tmp_path / "seed.html").read_text()
    assert page.count('id="dm-oom-marker-') == 2 and "heap dump: 1 written" in page


@pytest.mark.docker
@pytest.mark.slow
def test_run_on_docker_with_a_memory_limit(tmp_path):
    proc = cli("run", "churn", "--count", "50", "--size", "1m", "--max-direct", "16m", "--disable-explicit-gc",
               "--backend", "docker", "--memory", "256m", "--jdk", "17", "--expect", "direct-oom", "--json",
               "--report", str(tmp_path / "docker.html"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["backend"] == "docker" and summary["container"]["memory_limit"] == 256 << 20
    assert "checking the docker runtime image for JDK 17" in proc.stderr
    assert "container memory 256 MiB" in (tmp_path / "docker.html").read_text()


def test_run_on_docker_without_an_engine_exits_3(tmp_path):
    proc = subprocess.run(CLI + ["run", "churn", "--count", "5", "--size", "1m", "--backend", "docker", "--jdk", "17"],
                          capture_output=True, text=True, timeout=120, env=no_docker_env(tmp_path))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "cannot run here: no Docker engine answers" in proc.stderr and proc.stdout == ""
