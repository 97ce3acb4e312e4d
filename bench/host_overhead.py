"""Per-run fixed cost of the two hosts against bare `java`, paired, printed side by side in one run.

Rows (A against B, each pair in alternating order so drift hits both; ratios are medians of the pairs):
  session-jpype   8 x dm.launch(churn(200, 1m), heap 64m, max_direct 16m, DisableExplicitGC -> direct OOM)
                  in this process, host="jpype"   vs  8 bare `java ... directmem.Main churn 200 1048576 0`
  session-java    the same 8 runs with host="java"  vs  the same 8 bare java runs
  trivial-jpype   one dm.launch(hold(1k, 1)), host="jpype"  vs  one bare java doing the same
  trivial-java    the same with host="java"
  process         the whole `directmem run churn ... -q` process (Python start, import, launch, collect) from
                  the installed wheel (bench/installed.py; or --python) vs one bare java run of the same churn
  floor rows      the least any JPype host can cost, no harness: session-floor forks this process (JPype
                  imported once, no JVM yet) per run and the child calls startJVM and directmem.Main.main with
                  bare java's flags and arguments; process-floor is `python -c "import jpype; startJVM; Main.main"`
Bare java gets the same JDK, the same flags (to_jvm_args: -Xlog:gc into a file, dump path, ...) and the same
journal/sampler, so the difference is the host. The machine may be shared: the figures are indicative.

    python bench/host_overhead.py [--pairs 3] [--jdk 17]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytest_directmem as dm  # noqa: E402
from pytest_directmem.config import JvmConfig, to_jvm_args  # noqa: E402
from pytest_directmem.jars import fixtures_jar  # noqa: E402
from pytest_directmem.jdk import resolve_jdk  # noqa: E402
from installed import installed_python  # noqa: E402 - bench/installed.py

CHURN = (dm.workloads.churn(200, "1m"), dict(heap="64m", max_direct="16m", explicit_gc="disabled"))
TRIVIAL = (dm.workloads.hold("1k", 1), {})
SESSION_RUNS = 8
GOALS = {"session-jpype": 1.15, "session-java": 1.05, "process": 1.30}


def bare(jdk: str | None, case: tuple, root: Path) -> float:
    j, flags, main_args = _bare_argv(jdk, case, root)
    argv = [str(j.java), *flags, "-cp", str(fixtures_jar()), "directmem.Main", *main_args]
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def _bare_argv(jdk: str | None, case: tuple, root: Path) -> tuple[Any, list[str], list[str]]:
    """(the JDK, bare java's flags, directmem.Main's arguments) for one run into root (created)."""
    workload, options = case
    config = JvmConfig.create(jdk=jdk, **options)
    j = resolve_jdk(jdk)
    root.mkdir(parents=True)
    main_args = ["--journal", str(root / "journal.jsonl"), "--samples", str(root / "samples.csv"), workload.name,
                 *workload.args]
    return j, to_jvm_args(config, str(root), j.major), main_args


FLOOR_SCRIPT = """import json, sys, jpype
jpype.startJVM(sys.argv[1], *sys.argv[4:], classpath=[sys.argv[2]], convertStrings=False, interrupt=False)
jpype.JClass("directmem.Main").main(jpype.JArray(jpype.JString)(json.loads(sys.argv[3])))
"""


def floor_process(jdk: str | None, case: tuple, root: Path) -> float:
    j, flags, main_args = _bare_argv(jdk, case, root)
    argv = [sys.executable, "-c", FLOOR_SCRIPT, str(j.libjvm), str(fixtures_jar()), json.dumps(main_args), *flags]
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def floor_fork(jdk: str | None, case: tuple, root: Path) -> float:
    """One run of the minimal forked JPype host: fork (JPype imported here already), startJVM, Main.main."""
    import os

    import jpype

    j, flags, main_args = _bare_argv(jdk, case, root)
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: no JVM exists in this process before this line
        try:
            os.chdir(root)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1), os.dup2(null, 2)
            jpype.startJVM(str(j.libjvm), *flags, classpath=[str(fixtures_jar())], convertStrings=False, interrupt=False)
            jpype.JClass("directmem.Main").main(jpype.JArray(jpype.JString)(main_args))  # System.exit
        finally:
            os._exit(1)
    os.waitpid(pid, 0)
    return time.perf_counter() - t0


def harness(jdk: str | None, case: tuple, root: Path, host: str) -> float:
    workload, options = case
    t0 = time.perf_counter()
    dm.launch(workload, jdk=jdk, host=host, artifacts_dir=root, **options)
    return time.perf_counter() - t0


def process(jdk: str | None, root: Path, host: str, python: str) -> float:
    cmd = [python, "-m", "pytest_directmem.cli", "run", "churn", "--count", "200", "--size", "1m",
           "--heap", "64m", "--max-direct", "16m", "--disable-explicit-gc", "--host", host, "-q",
           "--artifacts-dir", str(root)] + (["--jdk", jdk] if jdk else [])
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def paired(a, b, pairs: int, tmp: Path, name: str) -> tuple[list[float], list[float]]:
    ta, tb = [], []
    a(tmp / f"{name}-warm-a"), b(tmp / f"{name}-warm-b")
    for i in range(pairs):
        for f, out in ((a, ta), (b, tb)) if i % 2 == 0 else ((b, tb), (a, ta)):
            out.append(f(tmp / f"{name}-{i}-{len(out)}-{'a' if f is a else 'b'}"))
    return ta, tb


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--jdk", default=None)
    p.add_argument("--python", default=None, help="a python with the package installed, for the process rows "
                   "(default: the wheel of this checkout, built and installed into a fresh venv, as users get it)")
    ns = p.parse_args()
    jdk = ns.jdk
    rows = []
    with tempfile.TemporaryDirectory(prefix="directmem-bench-") as t:
        tmp = Path(t)

        def session(host: str):
            return lambda root: sum(harness(jdk, CHURN, root / str(k), host) for k in range(SESSION_RUNS))

        def bare_session(root: Path) -> float:
            return sum(bare(jdk, CHURN, root / str(k)) for k in range(SESSION_RUNS))

        for host in ("jpype", "java"):
            rows.append((f"session-{host}", f"{SESSION_RUNS} churn runs in-session, host={host}",
                         *paired(session(host), bare_session, ns.pairs, tmp, f"s{host}")))
        import jpype  # noqa: F401 - imported once, as a fork server would; no JVM in this process
        rows.append(("session-floor", f"{SESSION_RUNS} churn runs, forked minimal JPype host",
                     *paired(lambda r: sum(floor_fork(jdk, CHURN, r / str(k)) for k in range(SESSION_RUNS)),
                             bare_session, ns.pairs, tmp, "sfloor")))
        for host in ("jpype", "java"):
            rows.append((f"trivial-{host}", f"trivial run hold(1k, 1), host={host}",
                         *paired(lambda r, h=host: harness(jdk, TRIVIAL, r, h), lambda r: bare(jdk, TRIVIAL, r),
                                 ns.pairs * 3, tmp, f"t{host}")))
        python = ns.python or installed_python(tmp / "wheel")
        for host in ("jpype", "java"):
            rows.append((f"process-{host}" if host == "java" else "process", f"`directmem run churn` process, host={host}",
                         *paired(lambda r, h=host: process(jdk, r, h, python), lambda r: bare(jdk, CHURN, r),
                                 ns.pairs * 2, tmp, f"p{host}")))
        rows.append(("process-floor", "`python -c` minimal JPype host process",
                     *paired(lambda r: floor_process(jdk, CHURN, r), lambda r: bare(jdk, CHURN, r), ns.pairs * 2, tmp,
                             "pfloor")))
    med = statistics.median
    print(f"JDK {resolve_jdk(jdk).version}; {ns.pairs} pairs (trivial x3, process x2); machine possibly shared: indicative")
    print(f"{'row':<15} {'what':<44} {'A median':>9} {'bare java':>9} {'ratio':>6}  goal")
    for key, what, ta, tb in rows:
        ratio = med([x / y for x, y in zip(ta, tb)])
        goal = GOALS.get(key)
        print(f"{key:<15} {what:<44} {med(ta):>8.3f}s {med(tb):>8.3f}s {ratio:>6.2f}  {'<= ' + str(goal) if goal else ''}")


if __name__ == "__main__":
    main()
