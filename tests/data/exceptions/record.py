"""Record -Xlog:exceptions logs from bare java for the parser's unit tests (tests/unit/test_exceptions.py).

    .venv/bin/python tests/data/exceptions/record.py [11 17 21 25]

For each JDK and case: ``jdkNN-CASE.log`` (the exceptions log, gzipped when over 16 KiB), ``jdkNN-CASE.out``
(stdout + stderr) and a line in manifest.json (exit code, command). The programs: OomThrows.java here and
the shared cases tests/data/java/BgThread.java and PlainWrap.java.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = ["OomThrows.java", "../java/BgThread.java", "../java/PlainWrap.java"]  # the shared case programs
FLAGS = ["-Xmx64m", "-XX:MaxDirectMemorySize=16m"]
CASES = {
    "bg-thread": ["BgThread"],
    "plain-wrap": ["PlainWrap"],
    "swallow": ["OomThrows", "swallow"],
    "okhttp": ["OomThrows", "okhttp"],
    "rethrow": ["OomThrows", "rethrow"],
    "compiled": ["OomThrows", "compiled"],
    "retry": ["OomThrows", "retry"],
    "heap": ["OomThrows", "heap"],
}


def main(majors: list[str]) -> None:
    sys.path.insert(0, str(HERE.parents[2]))
    from pytest_directmem.jdk import resolve_jdk

    manifest_path = HERE / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        classes = Path(tmp) / "classes"
        subprocess.run(["javac", "--release", "11", "-d", str(classes), *[str(HERE / s) for s in SOURCES]], check=True)
        for major in majors:
            jdk = resolve_jdk(major)
            for case, program in CASES.items():
                log = Path(tmp) / f"{major}-{case}.log"
                argv = [str(jdk.java), *FLAGS, f"-Xlog:exceptions=info:file={log}:uptime,tid", "-cp", str(classes), *program]
                p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
                name = f"jdk{major}-{case}"
                for old in HERE.glob(name + ".log*"):
                    old.unlink()
                data = log.read_bytes()
                if len(data) > 16384:
                    (HERE / f"{name}.log.gz").write_bytes(gzip.compress(data, mtime=0))
                else:
                    (HERE / f"{name}.log").write_bytes(data)
                (HERE / f"{name}.out").write_text(p.stdout + p.stderr)
                manifest[name] = {"exit_code": p.returncode, "version": jdk.version,
                                  "command": " ".join(["java", *FLAGS, "-Xlog:exceptions=info:file=F:uptime,tid", *program])}
                print(name, p.returncode, len(data))
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:] or ["11", "17", "21", "25"])
