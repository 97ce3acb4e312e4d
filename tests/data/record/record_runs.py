"""Record real runs of the harness for the classification unit tests.

For each JDK and scenario, run dm.launch and keep what classification reads: journal.jsonl,
stdout/stderr (tail), and the process status. Output: tests/data/runs/jdk<N>-<scenario>/.

    .venv/bin/python tests/data/record/record_runs.py [--jdk 11,17,21,25]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

import pytest_directmem as dm  # noqa: E402
from pytest_directmem.artifacts import read_journal  # noqa: E402
from tests.jvm import python_workloads  # noqa: E402

W = dm.workloads
SEED = dict(heap="64m", max_direct="16m")
SCENARIOS = {
    "churn-explicit": (W.churn(200, "1m"), SEED),
    "churn-disabled": (W.churn(200, "1m"), {**SEED, "explicit_gc": "disabled"}),
    "heap-hog": (W.heap_hog("1m"), {"heap": "32m"}),
    "unsafe-huge": (W.unsafe_alloc("1048576g", 1), SEED),
    "crash": (W.static("directmem.Workloads#crash"), {}),
    "error": (W.static("java.lang.Integer#parseInt", "x"), {}),
    "timeout": (W.static("java.lang.Thread#sleep", 60_000), {"timeout": 2}),
    "python-heap": (W.call(python_workloads.python_heap_hog), {"heap": "32m", "timeout": 15}),
}
KEEP_LINES = 40  # of each end: thread dumps are long, the evidence sits at both ends


def tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    if len(lines) > 2 * KEEP_LINES:
        lines = lines[:KEEP_LINES] + [f"[... {len(lines) - 2 * KEEP_LINES} lines left out ...]"] + lines[-KEEP_LINES:]
    return "\n".join(lines) + ("\n" if lines else "")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jdk", default="11,17,21,25")
    ap.add_argument("--only", default=None, help="comma list of scenarios")
    opts = ap.parse_args()
    out_root = ROOT / "tests" / "data" / "runs"
    names = opts.only.split(",") if opts.only else list(SCENARIOS)
    for jdk in opts.jdk.split(","):
        for name in names:
            workload, options = SCENARIOS[name]
            with tempfile.TemporaryDirectory() as tmp:
                run = dm.launch(workload, jdk=jdk, artifacts_dir=Path(tmp) / "a", **options)
                dest = out_root / f"jdk{jdk}-{name}"
                shutil.rmtree(dest, ignore_errors=True)
                dest.mkdir(parents=True)
                shutil.copy(run.artifacts / "journal.jsonl", dest / "journal.jsonl")
                (dest / "stdout.txt").write_text(tail(run.artifacts / "stdout.txt"))
                (dest / "stderr.txt").write_text(tail(run.artifacts / "stderr.txt"))
                killed = [e for e in read_journal(dest) if e["event"] == "killed"]
                status = {"exit_code": run.exit_code, "timed_out": bool(killed),
                          "hs_err": run.hs_err is not None, "jdk": run.jvm.version, "workload": str(workload),
                          "options": {k: str(v) for k, v in options.items()},
                          "outcome_when_recorded": str(run.outcome)}
                (dest / "status.json").write_text(json.dumps(status, indent=1) + "\n")
                print(f"jdk{jdk:>3} {name:16} {run.outcome!s:12} exit={run.exit_code}")


if __name__ == "__main__":
    main()
