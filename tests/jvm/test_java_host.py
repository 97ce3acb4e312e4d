"""host="java": a plain `java` launcher runs the same Java runner, on the local and docker backends."""

import pytest

import pytest_directmem as dm
from pytest_directmem.backends.cds import archive_path
from pytest_directmem.jars import fixtures_jar
from pytest_directmem.jdk import resolve_jdk
from tests.jvm import python_workloads
from tests.jvm.java_classes import HAS_JAVAC, compile_leak

W = dm.workloads
SEED = dict(heap="64m", max_direct="16m")
COMMON = {"spec.json", "journal.jsonl", "gc.log", "samples.csv", "stdout.txt", "stderr.txt"}


def _files(run):
    return {p.name for p in run.artifacts.iterdir()} - {"status.json"}


@pytest.mark.parametrize("backend", ["local", pytest.param("docker", marks=pytest.mark.docker)])
def test_builtins_give_the_same_run_on_both_hosts(backend, directmem):
    runs = {h: directmem.run(W.churn(200, "1m"), host=h, backend=backend, explicit_gc="disabled", **SEED)
            for h in ("jpype", "java")}
    for host, run in runs.items():
        run.expect("direct-oom")
        assert run.host == host
        assert run.direct.limit == 16 << 20 and run.jvm.version
        assert "java.nio.Bits.reserveMemory" in run.oom.stack[0]
        assert COMMON <= _files(run), _files(run)
    assert runs["java"].oom.message == runs["jpype"].oom.message
    assert _files(runs["java"]) == _files(runs["jpype"])
    assert "directmem.Main" in runs["java"].command and "pytest_directmem.worker" not in runs["java"].command
    events = {e["event"]: e for e in runs["jpype"].events}
    assert events["gc_bridge_detached"]["callbacks"] >= 1  # JPype registered its GC bridge; the worker took it out
    assert events["jvm_starting"]["host_rss"] > 0  # the Python host's own footprint before the JVM exists
    assert not {"gc_bridge_detached", "jvm_starting"} & {e["event"] for e in runs["java"].events}


@pytest.mark.skipif(not HAS_JAVAC, reason="needs javac")
@pytest.mark.parametrize("backend", ["local", pytest.param("docker", marks=pytest.mark.docker)])
def test_main_and_static_on_the_java_host(backend, directmem, tmp_path):
    classes = compile_leak(tmp_path)
    run = directmem.run(W.main("Leak", "4"), host="java", backend=backend, classpath=[classes], **SEED)
    run.expect("completed")
    assert "held 4" in run.stdout and run.host == "java"
    run = directmem.run(W.main("Leak", "40"), host="java", backend=backend, classpath=[classes], **SEED)
    run.expect("direct-oom")
    run = directmem.run(W.static("java.lang.Integer#parseInt", "42"), host="java", backend=backend)
    run.expect("completed")
    assert run.value == 42


def test_heap_oom_writes_a_dump_on_the_java_host(directmem):
    run = directmem.run(W.heap_hog(), host="java", heap="32m")
    run.expect("heap-oom")
    assert len(run.heap_dumps) == 1


def test_call_on_the_java_host_is_a_config_error_naming_host(tmp_path):
    with pytest.raises(dm.ConfigError) as info:
        dm.launch(W.call(python_workloads.pool_count, 1), host="java", artifacts_dir=tmp_path / "a")
    assert info.value.option == "host" and info.value.value == "java"
    assert not (tmp_path / "a").exists()  # nothing started
    with pytest.raises(dm.ConfigError, match="host"):
        dm.launch(W.hold("1m"), host="graal")


def test_each_host_maps_its_own_cds_archive():
    jdk = resolve_jdk("system")
    if jdk.major < 13:
        pytest.skip("no dynamic CDS archives before JDK 13")
    cp = [str(fixtures_jar())]
    assert archive_path(jdk, cp, (), "java") != archive_path(jdk, cp, (), "jpype")
