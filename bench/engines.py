"""Docker runs spread over 1, 2 and 3 engines on this machine, and what the copy transport costs per run.

Starts two extra dockerd (tests/docker/engines.py): E2 in its own mount namespace sharing no path with this
process (every input copied through the engine API, artifacts copied back), E3 sharing the filesystem
(bind mounts). Then, in one run:

  transport  paired runs of the same workload on the session's engine (bind) and on E2 (copy), order
             alternating: the copy's extra milliseconds per run (median of the pair differences) and its
             bytes (uploaded: 0 once the inputs are cached; copied back: the artifacts)
  spread     N runs, W at a time, over [E1], [E1, E2], [E1, E2, E3]: wall time, runs per minute, how many
             runs each engine took. All engines share this machine's CPUs, so this measures the overhead of
             spreading, not a speed-up.
  model      runs per hour for k engines on k machines, from the measured single-engine run time and the
             session's own CPU seconds per run (the limit a single session reaches).

    python bench/engines.py [--runs 24] [--workers 3] [--pairs 8] [--jdk 17]
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytest_directmem as dm  # noqa: E402
from pytest_directmem.backends.engine import configured  # noqa: E402
from tests.docker import engines  # noqa: E402

WORKLOAD = dm.workloads.churn(100, "1m")
OPTIONS = dict(heap="64m", max_direct="16m", explicit_gc="disabled")


def one(url: str, root: Path, jdk: str, name: str) -> dm.Run:
    return dm.launch(WORKLOAD, backend="docker", jdk=jdk, docker_hosts=[url], artifacts_dir=root / name, **OPTIONS)


def transport(bind_url: str, copy_url: str, root: Path, jdk: str, pairs: int) -> float:
    """Prints the paired comparison; returns the copy/bind ratio of median run times."""
    one(bind_url, root, jdk, "warm-bind"), one(copy_url, root, jdk, "warm-copy")
    diffs, bind_t, copy_t, up, down = [], [], [], [], []
    for i in range(pairs):
        order = [(bind_url, "b"), (copy_url, "c")] if i % 2 == 0 else [(copy_url, "c"), (bind_url, "b")]
        t = {}
        for url, tag in order:
            t0 = time.perf_counter()
            run = one(url, root, jdk, f"t{tag}{i}")
            t[tag] = time.perf_counter() - t0
            if tag == "c":
                up.append(run.container.copied_in), down.append(run.container.copied_out)
        bind_t.append(t["b"]), copy_t.append(t["c"]), diffs.append(t["c"] - t["b"])
    med = statistics.median
    print(f"transport  ({pairs} pairs, {WORKLOAD}, {OPTIONS})")
    print(f"  bind  (session's engine)      median {med(bind_t) * 1000:7.0f} ms per run")
    print(f"  copy  (engine sharing no path) median {med(copy_t) * 1000:7.0f} ms per run")
    print(f"  copy - bind, paired           median {med(diffs) * 1000:+7.0f} ms  (min {min(diffs) * 1000:+.0f}, "
          f"max {max(diffs) * 1000:+.0f}); ratio {med(copy_t) / med(bind_t):.2f}")
    print(f"  bytes per run: uploaded median {med(up):.0f} (inputs cached on the engine), "
          f"copied back median {med(down) / 1024:.0f} KiB")
    return med(copy_t) / med(bind_t)


def spread(urls: list[str], root: Path, jdk: str, runs: int, workers: int, tag: str) -> tuple[float, float]:
    """(wall seconds, session CPU seconds per run) of `runs` runs, `workers` at a time, over `urls`."""
    for u in urls:
        one(u, root, jdk, f"warm-{tag}-{u.rsplit(':', 1)[-1]}")
    todo = list(range(runs))
    lock = threading.Lock()
    took: collections.Counter = collections.Counter()

    def worker() -> None:
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            run = dm.launch(WORKLOAD, backend="docker", jdk=jdk, docker_hosts=urls, artifacts_dir=root / f"{tag}{i}",
                            **OPTIONS)
            with lock:
                took[run.container.engine] += 1

    cpu0, t0 = time.process_time(), time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    share = ", ".join(f"{u}: {took[u]}" for u in urls)
    print(f"  {len(urls)} engine(s): {runs} runs in {wall:6.1f} s = {runs / wall * 60:5.1f} runs/min; "
          f"session CPU {cpu / runs * 1000:.0f} ms/run; runs per engine: {share}")
    return wall, cpu / runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=24)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--pairs", type=int, default=8)
    ap.add_argument("--jdk", default="17")
    opts = ap.parse_args()
    reason = engines.why_not()
    if reason:
        sys.exit(f"cannot start extra engines: {reason}")
    main_url = configured()[0]
    with tempfile.TemporaryDirectory(prefix="directmem-bench-engines-") as tmp:
        root = Path(tmp)
        e2 = engines.start(root, isolated=True)
        e3 = engines.start(root, isolated=False)
        try:
            print(f"engines: E1 {main_url} (session's), E2 {e2.url} (own mount namespace, shares no path), "
                  f"E3 {e3.url} (shares the filesystem)")
            slower = transport(main_url, e2.url, root, opts.jdk, opts.pairs)
            print(f"spread  ({opts.runs} runs, {opts.workers} at a time; all engines on this machine's CPUs)")
            results = {k: spread(urls, root, opts.jdk, opts.runs, opts.workers, f"s{k}")
                       for k, urls in ((1, [main_url]), (2, [main_url, e2.url]), (3, [main_url, e2.url, e3.url]))}
        finally:
            engines.stop(e2), engines.stop(e3)
    wall1, cpu1 = results[1]
    local = opts.runs / wall1 * 3600  # runs per hour the session's engine (this machine) sustains, bind mounts
    remote = local / slower  # the same machine reached without a shared filesystem: every run pays the copy
    limit = 3600 / cpu1  # one session process: its own CPU per run (launch, copy, parse) bounds it
    print(f"model  (k engines on k machines like this one, each running {opts.workers} at a time, reached "
          f"without a shared filesystem)")
    print(f"  one engine: {local:.0f} runs/h measured with bind mounts; x 1/{slower:.2f} for the copy = {remote:.0f} "
          f"runs/h; one session process spends {cpu1 * 1000:.0f} ms CPU per run: at most {limit:.0f} runs/h")
    for k in (1, 2, 4, 8, 16):
        print(f"  k={k:2d}: {min(k * remote, limit):7.0f} runs/h  (= min(k x {remote:.0f}, {limit:.0f}))")


if __name__ == "__main__":
    main()
