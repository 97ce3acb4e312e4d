#!/usr/bin/env python3
"""Re-make the recorded diagnosis files of tests/data/diagnosis/ from real runs with diagnose=True.

    .venv/bin/python tests/data/diagnosis/record.py [11 17 21 25]

For each JDK: jdk<N>-holdtwelve.sites.txt.gz (async-profiler nativemem text traces of HoldTwelve "throw",
tests/diagnose/programs/HoldTwelve.java, max_direct 16m, DisableExplicitGC) and jdk<N>-unsafe.sites.txt.gz
plus jdk<N>-unsafe.native.json (unsafe_alloc("1m", 64)): what Diagnose.java and the profiler wrote.
(jdk<N>-*.collapsed are the older bytes-only format, kept for parse_collapsed; recorded the same way with
``collapsed,total`` before sites had counts.)
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest_directmem as dm

HERE = Path(__file__).resolve().parent
PROGRAM = HERE.parents[1] / "diagnose" / "programs" / "HoldTwelve.java"


def main(jdks: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["javac", "--release", "11", "-d", tmp, str(PROGRAM)], check=True)
        for n in jdks:
            runs = {
                "holdtwelve": dm.launch(dm.workloads.main("HoldTwelve", "throw"), jdk=n, classpath=[tmp],
                                        max_direct="16m", explicit_gc="disabled", diagnose=True),
                "unsafe": dm.launch(dm.workloads.unsafe_alloc("1m", 64), jdk=n, diagnose=True),
            }
            for name, run in runs.items():
                d = run.artifacts / "diagnosis"
                (HERE / f"jdk{n}-{name}.sites.txt.gz").write_bytes(
                    gzip.compress((d / "sites.txt").read_bytes(), mtime=0))
                if name == "unsafe" and (d / "native.json").is_file() and n != "11":  # 11: the NMT-off record (JPype then)
                    shutil.copy(d / "native.json", HERE / f"jdk{n}-{name}.native.json")
                print(f"jdk{n} {name}: {run.outcome}, {(d / 'sites.txt').stat().st_size} bytes of sites")


if __name__ == "__main__":
    main(sys.argv[1:] or ["11", "17", "21", "25"])
