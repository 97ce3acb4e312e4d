#!/usr/bin/env python3
"""Re-make the recorded heap dumps of tests/data/dumps/ from real JVM runs (live=false dumps, gzipped).

    .venv/bin/python tests/data/dumps/record/record_dumps.py            # all
    .venv/bin/python tests/data/dumps/record/record_dumps.py culprit    # names containing "culprit"

Writes jdk<N>-culprit.hprof.gz (and beside each dump the program's stdout, jdk<N>-<name>.stdout.txt: the
OOM message, whose "allocated" the analysis must equal) for N in 11 17 21 25 (Culprit.java: the issue-11 acceptance program),
jdk<N>-netty.hprof.gz (NettyHold.java with netty-buffer 4.1.115.Final) and jdk<N>-mixed.hprof.gz
(Mixed.java: slices, a read-only view, a mapped file, a thread-local holder, garbage) for the JDKs in
NETTY_JDKS / MIXED_JDKS. JDKs come from pytest_directmem.jdk.resolve_jdk(N) (the harness's own
resolution), javac is the system one, always --release 11. Small heaps and -Xshare:off (no archived
heap objects in the dump) keep the files small.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pytest_directmem.jdk import resolve_jdk
from pytest_directmem.frameworks.maven import maven

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
JDKS = ("11", "17", "21", "25")
NETTY = "io.netty:netty-buffer:4.1.115.Final"
NETTY_JDKS = ("17",)
MIXED_JDKS = ("21",)
# Netty sizes its pool by the limit (arenas = min(2 x cores, limit / chunk / 6), chunk 4 MiB): with 16m it
# has no arena and allocates unpooled; 64m gives it two, so the dump shows chunks shared by many buffers
NETTY_FLAGS = ("-XX:MaxDirectMemorySize=64m",)
FLAGS = ["-Xshare:off", "-Xmx16m", "-XX:+UseSerialGC", "-XX:MaxDirectMemorySize=16m", "-XX:+DisableExplicitGC"]


def _java(n: str) -> str:
    return str(resolve_jdk(n).home / "bin" / "java")


def _run(n: str, main: str, cp: str, extra: list[str], name: str, work: Path, flags: tuple[str, ...] = ()) -> None:
    out = DATA / f"jdk{n}-{name}.hprof.gz"
    raw = work / f"jdk{n}-{name}.hprof"
    raw.unlink(missing_ok=True)
    cmd = [_java(n), *FLAGS, *flags, "-cp", cp, main, str(raw), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    print(f"jdk{n} {name}: exit {proc.returncode} {proc.stdout.strip()[:120]} {proc.stderr.strip()[-300:]}")
    if proc.returncode != 0 or not raw.exists():
        raise SystemExit(f"no dump from {' '.join(cmd)}")
    out.with_name(f"jdk{n}-{name}.stdout.txt").write_text(proc.stdout)
    with raw.open("rb") as src, gzip.open(out, "wb", compresslevel=9) as dst:
        shutil.copyfileobj(src, dst)
    print(f"  -> {out.name}: {raw.stat().st_size} bytes raw, {out.stat().st_size} gzipped")


def main(argv: list[str]) -> None:
    want = argv[1] if len(argv) > 1 else ""
    work = Path(tempfile.mkdtemp(prefix="dm-dumps-"))
    netty_cp = ":".join(str(p) for p in maven(NETTY).resolve_classpath())
    classes = work / "classes"
    subprocess.run(["javac", "--release", "11", "-d", str(classes), "-cp", netty_cp,
                    *map(str, HERE.glob("*.java"))], check=True)
    for n in JDKS:
        if want in f"jdk{n}-culprit":
            _run(n, "Culprit", str(classes), [], "culprit", work)
        if n in NETTY_JDKS and want in f"jdk{n}-netty":
            _run(n, "NettyHold", f"{classes}:{netty_cp}", [], "netty", work, NETTY_FLAGS)
        if n in MIXED_JDKS and want in f"jdk{n}-mixed":
            _run(n, "Mixed", str(classes), [str(work / "mapped.bin")], "mixed", work)
    shutil.rmtree(work)


if __name__ == "__main__":
    main(sys.argv)
