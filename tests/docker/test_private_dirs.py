"""Docker runs that read the user's files from 0700 directories (pytest's tmp_path, a private checkout):
the container user cannot read a bind mount of them, so they are copied in through the engine API."""

from __future__ import annotations

import os
import subprocess
import textwrap

import pytest

import pytest_directmem as dm
from pytest_directmem.backends.engine import engine_url
from tests.jvm.java_classes import HAS_JAVAC, compile_leak

W = dm.workloads
pytestmark = pytest.mark.docker


def _private(path):
    for dirpath, dirnames, filenames in os.walk(path):
        os.chmod(dirpath, 0o700)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o600)
    os.chmod(path, 0o700)


@pytest.mark.skipif(os.geteuid() != 0, reason="as non-root the container runs as the host user, who reads its own files")
def test_a_call_module_in_a_0700_directory(tmp_path, monkeypatch):
    priv = tmp_path / "priv"
    priv.mkdir()
    (priv / "private_workload_mod.py").write_text(textwrap.dedent("""
        def direct_count(jvm, n):
            ByteBuffer = jvm.JClass("java.nio.ByteBuffer")
            held = [ByteBuffer.allocateDirect(1024) for _ in range(n)]
            return len(held)
    """))
    _private(priv)
    monkeypatch.syspath_prepend(str(priv))
    import private_workload_mod

    run = dm.launch(W.call(private_workload_mod.direct_count, 5), backend="docker", jdk="17",
                    artifacts_dir=tmp_path / "a")
    assert run.outcome is dm.Outcome.COMPLETED, run.summary()
    assert run.value == 5


@pytest.mark.skipif(os.geteuid() != 0 or not HAS_JAVAC, reason="root (container uid 1000) and javac needed")
def test_a_main_class_in_a_0700_classpath_directory(tmp_path):
    classes = compile_leak(tmp_path)
    _private(classes)
    # the local engine's path (bind mounts + the input cache), also when the session spreads over engines
    # that see none of this machine's files (there the transport is "copy": tests/docker/test_engines.py)
    run = dm.launch(W.main("Leak", 3), backend="docker", jdk="17", classpath=[classes], heap="64m", max_direct="16m",
                    artifacts_dir=tmp_path / "a", docker_hosts=[engine_url()])
    assert run.outcome is dm.Outcome.COMPLETED, run.summary()
    assert "held 3" in run.stdout
    assert run.container.transport == "bind+copy"
    assert "--mount type=volume,source=directmem-input-cache,target=/directmem/cache,readonly" in run.command
    assert str(classes) not in run.command  # the line mounts the cache, not the unreadable directory
    (run.artifacts / "stdout.txt").unlink()
    again = subprocess.run(run.command, shell=True, capture_output=True, text=True, timeout=120)  # by hand
    assert again.returncode == 0 and "held 3" in (run.artifacts / "stdout.txt").read_text(), again.stderr
