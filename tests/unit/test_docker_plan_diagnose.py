"""Docker run planning with diagnose=True (pure, no engine): async-profiler's library mounted read-only and
the agent, the diagnosis dir and NMT flags as the container sees them."""

from __future__ import annotations

import pytest_directmem as dm
from pytest_directmem.backends import docker as backend
from pytest_directmem.backends.common import PACKAGE_ROOT
from pytest_directmem.config import JvmConfig


def test_plan_mounts_the_profiler_read_only(tmp_path):
    lib = tmp_path / "libasyncProfiler.so"
    lib.write_bytes(b"")
    config = JvmConfig.create(backend="docker", diagnose=True)
    plan = backend.plan_run(dm.workloads.hold("1m"), config, tmp_path, image="img", major=17, user="1:1",
                            jar_path=PACKAGE_ROOT / "pytest_directmem" / "_fixtures" / "x.jar",
                            import_dirs=[], profiler=lib)
    mount = [m for m in plan.mounts if m.source == str(lib)]
    assert len(mount) == 1 and mount[0].read_only and mount[0].target == f"{backend.PROFILER_DIR}/{lib.name}"
    agent = [a for a in plan.jvm_args if a.startswith("-agentpath:")]
    assert agent == [f"-agentpath:{mount[0].target}=start,nativemem=0,include=*Unsafe.allocateMemory0,include=Java_*,"
                     "exclude=org.jpype.*,exclude=Java_org_jpype_*,exclude=Java_java_lang_ClassLoader_*,"
                     f"exclude=Java_jdk_internal_loader_*,traces,file={backend.ARTIFACTS}/diagnosis/sites.txt,"
                     f"log={backend.ARTIFACTS}/profiler.log"]
    assert f"-Ddirectmem.diagnose={backend.ARTIFACTS}/diagnosis" in plan.jvm_args
