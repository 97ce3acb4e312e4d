"""The built-in workloads' jar (java-fixtures/ compiled with --release 11), shipped as package data."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import DirectmemError

PACKAGE_JAR = Path(__file__).parent / "_fixtures" / "directmem-fixtures.jar"
SOURCES = Path(__file__).parent.parent / "java-fixtures" / "src"


def fixtures_jar() -> Path:
    """The jar; in a source checkout it is (re)built when a Java source is newer than it."""
    sources = sorted(SOURCES.rglob("*.java")) if SOURCES.is_dir() else []
    stale = not PACKAGE_JAR.exists() or any(s.stat().st_mtime > PACKAGE_JAR.stat().st_mtime for s in sources)
    if stale and sources:
        build(sources)
    if not PACKAGE_JAR.exists():
        raise DirectmemError(f"{PACKAGE_JAR} is missing: run `make fixtures` (needs javac 11+)")
    return PACKAGE_JAR


def build(sources: list[Path]) -> Path:
    from .jdk import file_lock

    javac, jar = shutil.which("javac"), shutil.which("jar")
    if not javac or not jar:
        raise DirectmemError("the fixtures jar is stale or missing and no javac/jar is on PATH: run `make fixtures`")
    with file_lock(PACKAGE_JAR.parent / ".build.lock"), tempfile.TemporaryDirectory() as tmp:
        cmd = [javac, "--release", "11", "-Xlint:-options", "-nowarn", "-d", tmp, *map(str, sources)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise DirectmemError(f"compiling java-fixtures failed:\n{proc.stderr}")
        out = PACKAGE_JAR.with_suffix(".tmp")
        subprocess.run([jar, "cf", str(out), "-C", tmp, "."], check=True)
        out.replace(PACKAGE_JAR)
    return PACKAGE_JAR
