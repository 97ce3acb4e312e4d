"""dm.okhttp: the seed-004 scenario under the harness equals bare `java` running the same class."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

import pytest_directmem as dm
from pytest_directmem.jars import fixtures_jar
from pytest_directmem.jdk import resolve_jdk


def _bare(jdk: str, *args: str) -> dict:
    home = resolve_jdk(jdk).home
    cp = os.pathsep.join([str(dm.okhttp.scenario_jar()), str(fixtures_jar()),
                          *map(str, dm.okhttp.classpath().resolve_classpath())])
    proc = subprocess.run([str(home / "bin" / "java"), "-Xmx128m", "-XX:MaxDirectMemorySize=16m", "-cp", cp,
                           "directmem.okhttp.OkHttpScenarios", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("jdk", ["17", "11"])
def test_seed_okhttp_equals_bare_java(jdk):
    bare = _bare(jdk, "1000", "16384")
    run = dm.launch(dm.okhttp.seed(free=1000, body="16k"), jdk=jdk, heap="128m", max_direct="16m", **dm.okhttp.options())
    got = run.value if isinstance(run.value, dict) else json.loads(run.value)
    keys = ("result", "response_code", "callback_thread", "callback_error_head", "suppressed",
            "oom_via_try_write", "oom_via_temporary_buffer", "oom_via_ssl_socket", "tls")
    assert {k: got[k] for k in keys} == {k: bare[k] for k in keys}, run.summary()


def test_okhttp_arguments_are_checked_before_any_run():
    with pytest.raises(dm.ConfigError) as e:
        dm.okhttp.seed(free="lots")
    assert e.value.option == "okhttp.seed.free"
    with pytest.raises(dm.ConfigError):
        dm.okhttp.seed(body=0)
    with pytest.raises(dm.ConfigError):
        dm.okhttp.classpath("")
    assert str(dm.okhttp.seed(1000, "16k")) == "static(directmem.okhttp.OkHttpScenarios#seed, '1000', '16384')"
