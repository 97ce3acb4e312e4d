"""Docker run planning is pure: options and inputs in, mounts/copies/spec/limits/argv out. No engine needed."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

import pytest_directmem as dm
from pytest_directmem.backends import docker as D
from pytest_directmem.backends.common import PACKAGE_ROOT
from pytest_directmem.backends.transport import Placement, plan_inputs
from pytest_directmem.config import JvmConfig

W = dm.workloads
JAR = PACKAGE_ROOT / "pytest_directmem" / "_fixtures" / "directmem-fixtures.jar"


def plan(workload, tmp_path, decide=None, import_dirs=(), **options):
    config = JvmConfig.create(backend="docker", **options)
    kw = {} if decide is None else {"decide": decide}
    return D.plan_run(workload, config, tmp_path / "art", image="img:1", major=17, user="1000:1000", jar_path=JAR,
                      import_dirs=list(import_dirs), **kw)


def test_plan_is_pure_and_complete(tmp_path):
    (tmp_path / "art").mkdir()
    before = sorted(tmp_path.rglob("*"))
    p = plan(W.churn(10, "1m"), tmp_path, heap="64m", max_direct="16m", memory="256m", cpus=1)
    assert sorted(tmp_path.rglob("*")) == before  # nothing written
    assert p.limits["mem_limit"] == p.limits["memswap_limit"] == 256 << 20 and p.limits["nano_cpus"] == 10 ** 9
    assert p.limits["network_mode"] == "none" and p.limits["cap_drop"] == ["ALL"] and p.limits["read_only"]
    assert "-Xmx64m" in p.jvm_args and "-XX:MaxDirectMemorySize=16m" in p.jvm_args
    assert "-XX:HeapDumpPath=/artifacts" in p.jvm_args and "-XX:ErrorFile=/artifacts/hs_err_pid%p.log" in p.jvm_args
    assert p.spec["workload"] == {"kind": "builtin", "name": "churn", "args": ["10", "1048576", "0"]}
    assert p.spec["classpath"][0].endswith("/_fixtures/directmem-fixtures.jar")
    assert json.loads(json.dumps(p.spec)) == p.spec
    assert any(m.target == "/artifacts" and not m.read_only for m in p.mounts)


def test_same_inputs_same_plan(tmp_path):
    a, b = plan(W.hold("1m"), tmp_path, max_direct="16m"), plan(W.hold("1m"), tmp_path, max_direct="16m")
    assert a == b


def test_unreadable_inputs_are_copied_not_mounted(tmp_path):
    cp = tmp_path / "classes"
    cp.mkdir()
    copy_all = lambda inputs, uid, gid: plan_inputs(inputs, uid, gid, copy_all=True)  # noqa: E731
    p = plan(W.main("Leak"), tmp_path, decide=copy_all, classpath=[cp])
    assert [m.target for m in p.mounts] == ["/artifacts"]  # only the artifacts are bound
    assert {c.input.source for c in p.copies} == {str(PACKAGE_ROOT / "pytest_directmem"), str(cp)}
    assert all(isinstance(c, Placement) and c.copy for c in p.copies)
    assert p.spec["classpath"][1] == next(c.target for c in p.copies if c.input.source == str(cp))


def test_call_workloads_get_their_import_dirs(tmp_path):
    from tests.jvm import python_workloads

    here = str(Path(python_workloads.__file__).parent)
    p = plan(W.call(python_workloads.pool_count, 1), tmp_path, import_dirs=[here])
    assert p.spec["sys_path"] == ["/directmem/py/0"]
    assert any(m.source == here and m.target == "/directmem/py/0" and m.read_only for m in p.mounts)
    assert plan(W.churn(1, "1k"), tmp_path, import_dirs=[here]).spec["sys_path"] == []


def test_the_docker_run_line_carries_limits_mounts_and_hardening(tmp_path):
    p = plan(W.churn(10, "1m"), tmp_path, memory="256m", cpus=1.5)
    line = D.docker_run_command(p, p.command)
    argv = shlex.split(line)
    assert argv[:3] == ["docker", "run", "--rm"] and "img:1" in argv
    for opt in ("--network none", "--memory 256m --memory-swap 256m", "--cpus 1.5", "--cap-drop ALL",
                "--security-opt no-new-privileges", "--read-only", "--user 1000:1000"):
        assert opt in line


@pytest.mark.parametrize("jdk,major", [("17", 17), ("21", 21)])
def test_jdk_major(jdk, major):
    assert D.jdk_major(jdk) == major
