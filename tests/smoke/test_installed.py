"""What a user gets from `pip install pytest-directmem` (a wheel, not the checkout): the README example,
an incident against its pins, a Netty scenario, a docker run and `directmem doctor`."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import pytest_directmem as dm

W = dm.workloads
PKG = Path(dm.__file__).parent
CLI = [sys.executable, "-m", "pytest_directmem.cli"]


def test_the_package_is_installed_not_a_checkout():
    assert str(PKG.resolve()).startswith(os.path.realpath(sys.prefix)), PKG
    assert not (PKG.parent / "java-fixtures").exists()
    for name in ("_fixtures/directmem-fixtures.jar", "_fixtures/directmem-netty.jar", "incidents/expected.json"):
        assert (PKG / name).is_file(), name
    assert json.loads((PKG / "incidents" / "expected.json").read_text())
    with zipfile.ZipFile(PKG / "_fixtures" / "directmem-netty.jar") as zf:
        assert any(n.startswith("directmem/netty/") for n in zf.namelist())


README_EXAMPLE = '''
import pytest
import pytest_directmem as dm

W = dm.workloads

@pytest.mark.directmem(heap="64m", max_direct="16m")
def test_disable_explicit_gc_breaks_churn(directmem):
    ok = directmem.run(W.churn(200, "1m"))
    assert ok.outcome is dm.Outcome.COMPLETED
    assert ok.gc.explicit_count > 0               # Bits.reserveMemory called System.gc()

    run = directmem.run(W.churn(200, "1m"), explicit_gc="disabled")
    run.expect(dm.Outcome.DIRECT_OOM)             # on mismatch: the whole run summary
    assert run.heap_dumps == []
    assert run.oom.stack[0].startswith("java.nio.Bits.reserveMemory")
    assert run.direct.limit == 16 * 2**20         # what the JVM computed
    if run.jvm.major >= 17:                       # "Cannot reserve N bytes ... (allocated: A, limit: L)"
        assert run.oom.limit == 16 * 2**20
'''


def test_the_readme_example_passes(tmp_path):
    (tmp_path / "test_readme.py").write_text(README_EXAMPLE)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


def test_an_incident_matches_its_pins(tmp_path):
    proc = subprocess.run([*CLI, "reproduce", "seed-victim", "--jdk", "17", "--json", str(tmp_path / "r.json")],
                          capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "not pinned" not in proc.stdout
    assert "2 of 2 runs match their pins" in proc.stdout


def test_a_netty_scenario_runs_from_the_shipped_jar(tmp_path):
    run = dm.launch(dm.netty.alloc("1m", allocator="pooled"),
                    **dm.netty.options("4.1.140.Final", netty_max_direct="16m"), max_direct="64m",
                    artifacts_dir=tmp_path / "a")
    assert run.outcome is dm.Outcome.FRAMEWORK_OOM, run.summary()


def test_a_docker_run(tmp_path):
    from pytest_directmem.backends.engine import docker_unavailable_reason

    if docker_unavailable_reason() and os.environ.get("DIRECTMEM_REQUIRE_DOCKER") != "1":
        pytest.skip(docker_unavailable_reason())
    run = dm.launch(W.churn(200, "1m"), backend="docker", jdk="17", memory="256m", heap="64m", max_direct="16m",
                    explicit_gc="disabled", artifacts_dir=tmp_path / "a")
    assert run.outcome is dm.Outcome.DIRECT_OOM and run.heap_dumps == [], run.summary()
    assert run.container is not None and not run.container.oom_killed


def test_doctor_is_ready():
    proc = subprocess.run([*CLI, "doctor", "--offline"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ready" in proc.stdout
