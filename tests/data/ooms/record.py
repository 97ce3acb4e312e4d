"""Record harness runs (journal, exceptions log, output, status) for the unit tests of observe.ooms / exits:

    .venv/bin/python tests/data/ooms/record.py [11 17 21 25]

Each case is a main() from tests/data/java or tests/data/exceptions, run by dm.launch; the files kept per
run: journal.jsonl, exceptions.log, stdout.txt, stderr.txt, samples.csv, spec.json, status.json (exit code,
timed out, hs_err head). The expected outcome is what the case provokes (written in the tests), not what was recorded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SOURCES = [ROOT / "tests/data/java/PlainWrap.java", ROOT / "tests/data/java/BgThread.java",
           ROOT / "tests/data/java/MapFailed.java",
           ROOT / "tests/data/java/ExitMain.java", ROOT / "tests/data/exceptions/OomThrows.java"]
CASES = {
    "plain-wrap": (["PlainWrap"], {}),
    "bg-thread": (["BgThread"], {}),
    "exit-3": (["ExitMain", "exit", "3"], {}),
    "okhttp": (["OomThrows", "okhttp"], {}),
    "fatal": (None, {"heap": "40g", "flags": ["-Xms40g"]}),
    "map-failed": (["MapFailed"], {}),
}
KEEP = ("journal.jsonl", "exceptions.log", "stdout.txt", "stderr.txt", "samples.csv", "spec.json")


def main(majors: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    import pytest_directmem as dm

    with tempfile.TemporaryDirectory() as tmp:
        classes = Path(tmp) / "classes"
        subprocess.run(["javac", "--release", "11", "-d", str(classes), *map(str, SOURCES)], check=True)
        for major in majors:
            for case, (program, options) in CASES.items():
                w = dm.workloads.hold("1m", 1) if program is None else dm.workloads.main(*program)
                art = Path(tmp) / f"{major}-{case}"
                limits = {} if case == "map-failed" else {"max_direct": "16m"}
                run = dm.launch(w, jdk=major, classpath=[classes], artifacts_dir=art, timeout=120, **limits, **options)
                dest = HERE / f"jdk{major}-{case}"
                shutil.rmtree(dest, ignore_errors=True)
                dest.mkdir()
                for name in KEEP:
                    if (art / name).exists():
                        shutil.copy(art / name, dest / name)
                hs = sorted(art.glob("hs_err_pid*.log"))
                status = {"exit_code": run.exit_code, "timed_out": False, "hs_err": bool(hs),
                          "jdk": run.jvm.version, "outcome_when_recorded": run.outcome.name}
                if hs:  # the head holds the summary; the rest (threads, maps) is large and machine-specific
                    (dest / "hs_err_head.log").write_text("".join(hs[0].read_text(errors="replace").splitlines(True)[:40]))
                (dest / "status.json").write_text(json.dumps(status, indent=1) + "\n")
                print(dest.name, run.outcome, run.exit_code)


if __name__ == "__main__":
    main(sys.argv[1:] or ["11", "17", "21", "25"])
