"""Overhead of one docker-backend run against a bare container running `java` on the same fixture code.

A: dm.launch(churn(200, 1m), backend="docker", heap=64m, max_direct=16m, explicit_gc="disabled"), timed
   around the call (spec, container create/start/wait/remove, python + JPype + JVM in the container, the
   workload, collection of every artifact).
B: a container made with docker-py from the same image, network none, the fixtures jar and the artifacts
   dir mounted the same way, running
   /opt/jdk/bin/java <the same JVM flags> -cp /opt/fx/directmem-fixtures.jar directmem.Main
       --journal /artifacts/journal.jsonl --samples /artifacts/samples.csv churn 200 1048576 0
   timed from create to removal.
Pairs alternate their order (AB, BA, ...) so drift hits both. Prints medians, the median ratio A/B and
the peak memory of both (the container's cgroup peak, read the same way for A and B).

    python bench/docker_overhead.py [--pairs 15] [--jdk 17]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest_directmem as dm  # noqa: E402
from pairs import measure_pairs, report  # noqa: E402
from pytest_directmem.backends import docker as dockerbackend  # noqa: E402
from pytest_directmem.backends.cgroup import PeakPoller  # noqa: E402
from pytest_directmem.backends.engine import docker_client  # noqa: E402
from pytest_directmem.backends.images import RUNTIME_UID  # noqa: E402
from pytest_directmem.config import JvmConfig, to_jvm_args  # noqa: E402
from pytest_directmem.jars import fixtures_jar  # noqa: E402

OPTIONS = dict(heap="64m", max_direct="16m", explicit_gc="disabled")
WORKLOAD = dm.workloads.churn(200, "1m")


def run_a(jdk: str | None, root: Path, i: int) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    run = dm.launch(WORKLOAD, jdk=jdk, backend="docker", artifacts_dir=root / f"a{i}", **OPTIONS)
    return time.perf_counter() - t0, run.peak_rss or 0, str(run.outcome)


def run_b(jdk: str | None, root: Path, i: int) -> tuple[float, int, str]:
    import docker.types

    client = docker_client()
    major = dockerbackend.jdk_major(jdk)
    image = dockerbackend.image_for(major, client)
    art = root / f"b{i}"
    art.mkdir()
    if os.geteuid() == 0:
        os.chown(art, RUNTIME_UID, RUNTIME_UID)
    user = f"{RUNTIME_UID}:{RUNTIME_UID}" if os.geteuid() == 0 else f"{os.getuid()}:{os.getgid()}"
    args = to_jvm_args(JvmConfig.create(jdk=jdk, backend="docker", **OPTIONS), "/artifacts", major)
    cmd = ["/opt/jdk/bin/java", *args, "-cp", "/opt/fx/directmem-fixtures.jar", "directmem.Main",
           "--journal", "/artifacts/journal.jsonl", "--samples", "/artifacts/samples.csv",
           WORKLOAD.name, *WORKLOAD.args]
    mounts = [docker.types.Mount("/opt/fx", str(fixtures_jar().parent), type="bind", read_only=True),
              docker.types.Mount("/artifacts", str(art), type="bind")]
    t0 = time.perf_counter()
    container = client.containers.create(image, cmd, user=user, network_mode="none", mounts=mounts,
                                         working_dir="/artifacts", labels={"io.directmem.bench": "bare"})
    try:
        poller = PeakPoller(container.id, pid_of=lambda: None, stats=lambda: iter(()))
        container.start()
        poller.start()
        code = container.wait()["StatusCode"]
        peak = poller.stop() or 0
        (art / "stdout.txt").write_bytes(container.logs())
    finally:
        container.remove(force=True)
    elapsed = time.perf_counter() - t0
    return elapsed, peak, "DIRECT_OOM" if code == 3 else f"exit {code}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=15)
    ap.add_argument("--jdk", default=None, help="system (default: the host JDK's major, else 17) or a major")
    opts = ap.parse_args()
    results = measure_pairs(lambda root, i: run_a(opts.jdk, root, i), lambda root, i: run_b(opts.jdk, root, i), opts.pairs)
    major = dockerbackend.jdk_major(opts.jdk)
    print(f"image {dockerbackend.image_for(major, docker_client())}; workload {WORKLOAD}; {OPTIONS}; "
          f"{opts.pairs} pairs, order alternating")
    report(results, a="dm.launch, docker backend", b="bare java in a container", memory="cgroup peak", goal=1.3)


if __name__ == "__main__":
    main()
