"""Record whole artifacts directories of real runs, for the load_run tests (tests/unit/test_load_run.py).

For each JDK and scenario: dm.launch into a temp dir, copy the directory to tests/data/rundirs/jdk<N>-<scenario>/
and write beside it ``expected.json``: the launched Run's facts (tests/unit/run_facts.py). Heap dumps are
replaced by empty files of the same name (load_run lists them; their content is the dump reader's business).

    .venv/bin/python tests/data/record/record_rundirs.py [--jdk 11,17,21,25] [--only completed,oom-killed]
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
from tests.unit.run_facts import run_facts  # noqa: E402

W = dm.workloads
SCENARIOS = {
    "completed": (W.churn(100, "1m"), dict(heap="64m", max_direct="16m")),
    "direct-oom": (W.churn(100, "1m"), dict(heap="64m", max_direct="16m", explicit_gc="disabled")),
    "heap-oom": (W.heap_hog("1m"), dict(heap="16m")),
    "timeout": (W.static("java.lang.Thread#sleep", 60_000), dict(timeout=2)),
    "crash": (W.static("directmem.Workloads#crash"), {}),
    "oom-killed": (W.hold("1m"), dict(backend="docker", memory="128m", max_direct="1g")),
}
OUT = ROOT / "tests" / "data" / "rundirs"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jdk", default="11,17,21,25")
    ap.add_argument("--only", default=None, help="comma list of scenarios")
    opts = ap.parse_args()
    names = opts.only.split(",") if opts.only else list(SCENARIOS)
    for jdk in opts.jdk.split(","):
        for name in names:
            workload, options = SCENARIOS[name]
            with tempfile.TemporaryDirectory() as tmp:
                run = dm.launch(workload, jdk=jdk, artifacts_dir=Path(tmp) / "a", **options)
                dest = OUT / f"jdk{jdk}-{name}"
                shutil.rmtree(dest, ignore_errors=True)
                shutil.copytree(run.artifacts, dest)
                for dump in dest.glob("*.hprof"):
                    dump.write_bytes(b"")
                facts = run_facts(run)
                (dest / "expected.json").write_text(json.dumps(facts, indent=1, sort_keys=True) + "\n")
                print(f"jdk{jdk:>3} {name:12} {run.outcome!s:12} exit={run.exit_code}", flush=True)


if __name__ == "__main__":
    main()
