"""Overhead of one local run against bare `java` running the same fixture code, paired run by run.

A: dm.launch(churn(200, 1m), heap=64m, max_direct=16m, explicit_gc="disabled"), timed around the
   call (spec, worker start, JPype, JVM, workload, collection of every artifact).
B: java <the same JVM flags> -cp directmem-fixtures.jar directmem.Main --journal ... churn 200 1048576 0
   (same JDK, same flags, same Java code, same journal and sampler), timed around the process.
Pairs alternate their order (AB, BA, ...) so drift hits both. Prints medians and the median ratio
A/B, and the peak RSS of both (wait4 of the child; for A, the worker process).

    python bench/local_overhead.py [--pairs 15] [--jdk 17]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest_directmem as dm  # noqa: E402
from pairs import measure_pairs, report  # noqa: E402
from pytest_directmem.config import JvmConfig, to_jvm_args  # noqa: E402
from pytest_directmem.jars import fixtures_jar  # noqa: E402
from pytest_directmem.jdk import resolve_jdk  # noqa: E402

OPTIONS = dict(heap="64m", max_direct="16m", explicit_gc="disabled")
WORKLOAD = dm.workloads.churn(200, "1m")


def run_a(jdk: str | None, root: Path, i: int) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    run = dm.launch(WORKLOAD, jdk=jdk, artifacts_dir=root / f"a{i}", **OPTIONS)
    return time.perf_counter() - t0, run.peak_rss or 0, str(run.outcome)


def run_b(jdk: str | None, root: Path, i: int) -> tuple[float, int, str]:
    home = resolve_jdk(jdk)
    art = root / f"b{i}"
    art.mkdir()
    args = to_jvm_args(JvmConfig.create(jdk=jdk, **OPTIONS), str(art), home.major)
    cmd = [str(home.java), *args, "-cp", str(fixtures_jar()), "directmem.Main",
           "--journal", str(art / "journal.jsonl"), "--samples", str(art / "samples.csv"),
           WORKLOAD.name, *WORKLOAD.args]
    t0 = time.perf_counter()
    with open(art / "stdout.txt", "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=art)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss * 1024, "DIRECT_OOM" if proc.returncode == 3 else f"exit {proc.returncode}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=15)
    ap.add_argument("--jdk", default=None, help="system (default), a major, or a JAVA_HOME")
    opts = ap.parse_args()
    results = measure_pairs(lambda root, i: run_a(opts.jdk, root, i), lambda root, i: run_b(opts.jdk, root, i), opts.pairs)
    jdk = resolve_jdk(opts.jdk)
    print(f"JDK {jdk.version} ({jdk.home}); workload {WORKLOAD}; {OPTIONS}; {opts.pairs} pairs, order alternating")
    report(results, a="dm.launch, local backend", b="bare java", memory="peak RSS", goal=1.2)


if __name__ == "__main__":
    main()
