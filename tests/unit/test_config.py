"""Validation and argv assembly: pure, no process starts."""

import functools
import os
import sys
from pathlib import Path

import pytest

import pytest_directmem as dm
from pytest_directmem.config import JvmConfig, format_size, parse_size, to_jvm_args
from pytest_directmem.workloads import call


def module_level_fn(jvm):
    return 1


@pytest.mark.parametrize("value,expected", [
    (0, 0), (1024, 1024), ("512k", 512 << 10), ("16m", 16 << 20), ("16M", 16 << 20), ("1g", 1 << 30),
    ("1G", 1 << 30), ("2t", 2 << 40), ("4096", 4096), (" 8m ", 8 << 20), ("64mb", 64 << 20),
])
def test_parse_size(value, expected):
    assert parse_size(value, "x") == expected


def test_format_size_roundtrips():
    for n in (1, 1000, 1024, 16 << 20, 3 << 30, (16 << 20) - 1000):
        assert parse_size(format_size(n), "x") == n


BAD = [
    # (options, option named in the message, bad value shown)
    ({"max_direct": "16q"}, "max_direct", "16q"),
    ({"max_direct": -1}, "max_direct", "-1"),
    ({"max_direct": 1.5}, "max_direct", "1.5"),
    ({"max_direct": True}, "max_direct", "True"),
    ({"heap": "1k"}, "heap", "1k"),
    ({"heap": "lots"}, "heap", "lots"),
    ({"explicit_gc": "off"}, "explicit_gc", "off"),
    ({"gc": "CMS"}, "gc", "CMS"),
    ({"backend": "k8s"}, "backend", "k8s"),
    ({"jdk": "8"}, "jdk", "8"),
    ({"jdk": "1.8"}, "jdk", "1.8"),
    ({"jdk": "/nonexistent/jdk"}, "jdk", "/nonexistent/jdk"),
    ({"timeout": 0}, "timeout", "0"),
    ({"timeout": -5}, "timeout", "-5"),
    ({"timeout": "10"}, "timeout", "10"),
    ({"classpath": ["/nonexistent/lib.jar"]}, "classpath", "/nonexistent/lib.jar"),
    ({"classpath": "/tmp"}, "classpath", "/tmp"),
    ({"flags": "-Xss1m"}, "flags", "-Xss1m"),
    ({"flags": ["Xss1m"]}, "flags", "Xss1m"),
    ({"flags": ["-cp", "x"]}, "flags", "-cp"),
    ({"heap": "64m", "flags": ["-Xmx128m"]}, "flags", "-Xmx128m"),
    ({"max_direct": "16m", "flags": ["-XX:MaxDirectMemorySize=32m"]}, "flags", "MaxDirectMemorySize=32m"),
    ({"flags": ["-XX:+DisableExplicitGC"]}, "flags", "DisableExplicitGC"),
    ({"gc": "G1", "flags": ["-XX:+UseParallelGC"]}, "flags", "UseParallelGC"),
    ({"heap_dump_on_oom": False, "flags": ["-XX:+HeapDumpOnOutOfMemoryError"]}, "flags", "HeapDumpOnOutOfMemoryError"),
    ({"flags": ["-XX:HeapDumpPath=/tmp"]}, "flags", "HeapDumpPath"),
    ({"properties": {"a": "1"}, "flags": ["-Da=2"]}, "flags", "-Da=2"),
    ({"properties": {"a b": "1"}}, "properties", "a b"),
    ({"properties": ["a=1"]}, "properties", "a=1"),
    ({"heap_dump_on_oom": "yes"}, "heap_dump_on_oom", "yes"),
    ({"memory": "256m"}, "memory", "256m"),  # local backend has no container limits
    ({"backend": "docker", "memory": "1m"}, "memory", "1m"),
    ({"backend": "docker", "cpus": 0}, "cpus", "0"),
    ({"backend": "docker", "cpus": 4096}, "cpus", "4096"),
    ({"max_drect": "16m"}, "max_drect", "16m"),
]


@pytest.mark.parametrize("options,option,shown", BAD, ids=[f"{o}={s}" for _, o, s in BAD])
def test_bad_option_raises_config_error_naming_it(options, option, shown):
    with pytest.raises(dm.ConfigError) as info:
        JvmConfig.create(**options)
    assert info.value.option == option
    assert isinstance(info.value, ValueError)
    assert f"invalid {option}=" in str(info.value) and shown in str(info.value)


@pytest.mark.parametrize("options", [{"memory": "10m"}, {"memory": "lots"}, {"cpus": 0}, {"cpus": 0.5}])
def test_container_limits_on_local_name_the_backend_first(options):
    """A container limit on the local backend: the backend mismatch, not the limit's own minimum, is the error."""
    (name, value), = options.items()
    with pytest.raises(dm.ConfigError) as info:
        JvmConfig.create(**options, sources={name: f"--{name}"})
    assert str(info.value) == f"invalid {name}={value!r} (from --{name}): container limits need backend='docker'"
    with pytest.raises(dm.ConfigError, match="container limits need") as info:
        JvmConfig.create(backend="local", **options)


def test_artifacts_dir_must_be_empty(tmp_path):
    (tmp_path / "old.hprof").write_text("x")
    with pytest.raises(dm.ConfigError, match="artifacts_dir"):
        JvmConfig.create(artifacts_dir=tmp_path)


def test_source_is_named():
    with pytest.raises(dm.ConfigError, match=r"from @pytest.mark.directmem"):
        JvmConfig.create(gc="CMS", sources={"gc": "@pytest.mark.directmem"})


def test_launch_rejects_bad_input_before_any_process(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr("subprocess.Popen", lambda *a, **k: started.append(a))
    with pytest.raises(dm.ConfigError, match="max_direct"):
        dm.launch(dm.workloads.churn(10, "1m"), max_direct="sixteen", artifacts_dir=tmp_path / "a")
    with pytest.raises(dm.ConfigError, match="workload"):
        dm.launch("churn", artifacts_dir=tmp_path / "b")
    assert started == [] and not (tmp_path / "a").exists()


def test_jvm_args_are_pure_and_ordered():
    c = JvmConfig.create(heap="64m", max_direct=16 << 20, explicit_gc="disabled", gc="Parallel",
                         properties={"jdk.nio.maxCachedBufferSize": 262144}, flags=["-Xss512k"])
    a = to_jvm_args(c, "/art", 17)
    assert a == to_jvm_args(c, "/art", 17)
    assert a == [
        "-Xmx64m", "-XX:MaxDirectMemorySize=16m", "-XX:+UseParallelGC", "-XX:+DisableExplicitGC",
        "-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=/art", "-XX:ErrorFile=/art/hs_err_pid%p.log",
        "-Xlog:gc*:file=/art/gc.log:uptime,level,tags:filecount=0",
        "-Xlog:exceptions=info:file=/art/exceptions.log:uptime,tid:filecount=4,filesize=20m",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
        "-Djdk.nio.maxCachedBufferSize=262144", "-Xss512k",
    ]


def test_jvm_args_per_jdk_and_options():
    c = JvmConfig.create(explicit_gc="concurrent", gc="Z", heap_dump_on_oom=False)
    a11, a25 = to_jvm_args(c, "/a", 11), to_jvm_args(c, "/a", 25)
    assert "-XX:+ExplicitGCInvokesConcurrent" in a11
    assert "-XX:+UnlockExperimentalVMOptions" in a11 and "-XX:+UnlockExperimentalVMOptions" not in a25
    assert "--enable-native-access=ALL-UNNAMED" in a25 and "--enable-native-access=ALL-UNNAMED" not in a11
    assert not any("HeapDump" in f for f in a11)
    assert not any(f.startswith(("-Xmx", "-XX:MaxDirect")) for f in a11)  # defaults stay the JVM's


def test_config_is_frozen():
    c = JvmConfig.create()
    with pytest.raises(Exception):
        c.heap = 1  # type: ignore[misc]


@pytest.mark.parametrize("make,option", [
    (lambda: dm.workloads.churn(0, "1m"), "churn.count"),
    (lambda: dm.workloads.churn(10, "1x"), "churn.size"),
    (lambda: dm.workloads.churn(10, "1m", keep_every=-1), "churn.keep_every"),
    (lambda: dm.workloads.hold(0), "hold.size"),
    (lambda: dm.workloads.hold("1m", count=0), "hold.count"),
    (lambda: dm.workloads.heap_hog("3g"), "heap_hog.chunk"),
    (lambda: dm.workloads.unsafe_alloc("1m", -1), "unsafe_alloc.count"),
    (lambda: dm.workloads.socket_write(0, "8k", 1), "socket_write.threads"),
    (lambda: dm.workloads.socket_write(1, "8k", 1, hold="x"), "socket_write.hold"),
    (lambda: dm.workloads.storm(2, "1m", "forever"), "storm.duration"),
    (lambda: dm.workloads.storm(2, "1m", 0), "storm.duration"),
    (lambda: dm.workloads.storm(2, "1m"), "storm.duration"),
    (lambda: dm.workloads.storm(2, "1m", per_thread=0), "storm.per_thread"),
    (lambda: dm.workloads.storm(2, "1m", per_thread=1.5), "storm.per_thread"),
    (lambda: dm.workloads.call(lambda jvm: 1), "call.fn"),
    (lambda: dm.workloads.call(functools.partial(module_level_fn)), "call.fn"),
    (lambda: dm.workloads.call(module_level_fn, object()), "call.args"),
    (lambda: dm.workloads.main("not a class"), "main.class_name"),
    (lambda: dm.workloads.static("java.lang.Thread.sleep"), "static.target"),
    (lambda: dm.workloads.static("java.lang.Thread#sleep", [1]), "static.args"),
])
def test_bad_workload_argument(make, option):
    with pytest.raises(dm.ConfigError) as info:
        make()
    assert info.value.option == option


def test_nested_function_is_refused():
    def inner(jvm):
        return 1

    with pytest.raises(dm.ConfigError, match="module-level"):
        call(inner)


def test_workload_values():
    w = dm.workloads.churn(200, "1m")
    assert w == dm.workloads.churn(200, 1 << 20) and str(w) == "churn(200, 1m)"
    assert w.to_spec() == {"kind": "builtin", "name": "churn", "args": ["200", "1048576", "0"]}
    s = dm.workloads.static("java.lang.Thread#sleep", 5, "x", True, None, 1.5)
    assert s.to_spec()["types"] == ["int", "str", "bool", "null", "float"]
    c = dm.workloads.call(module_level_fn, 1, k="v")
    assert c.to_spec() == {"kind": "call", "name": f"{__name__}:module_level_fn", "args": [1], "kwargs": {"k": "v"}}
    assert dm.workloads.storm(2, "1m", "1.5s").args == ("2", "1048576", "1500", "0")
    bounded = dm.workloads.storm(8, "1m", per_thread=75)
    assert bounded.args == ("8", "1048576", "0", "75") and str(bounded) == "storm(8, 1m, per_thread=75)"
