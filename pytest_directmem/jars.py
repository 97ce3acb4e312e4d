"""The only place that runs javac: the fixtures jar and the framework scenario jars, keyed by content hash.

Each jar carries ``META-INF/directmem/<name>.sha256``: the hash of its sources (paths and bytes) and of
what they compile against. In a source checkout a jar whose stamp differs is rebuilt with
``javac --release 11`` under a file lock (pytest-xdist workers build it once); an installed wheel has no
sources and uses the jar it ships. ``python -m pytest_directmem.jars`` builds the fixtures jar (make).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable, Sequence

from .errors import DirectmemError

PACKAGE_DIR = Path(__file__).parent
JAR_DIR = PACKAGE_DIR / "_fixtures"
JAVA_SOURCES = PACKAGE_DIR.parent / "java-fixtures"  # present in a source checkout only
PACKAGE_JAR = JAR_DIR / "directmem-fixtures.jar"
SOURCES = JAVA_SOURCES / "src"


def fixtures_jar() -> Path:
    """The built-in workloads' jar (java-fixtures/src), rebuilt in a checkout when its sources changed."""
    return ensure_jar(PACKAGE_JAR, SOURCES, "fixtures")


def ensure_jar(jar: Path, sources: Path, name: str, *, classpath: Callable[[], Sequence[Path]] = lambda: (),
               compile_against: str = "") -> Path:
    """`jar`, built from the .java files under `sources` when its stamp is not their hash.

    `classpath` is called only when a build is needed (e.g. resolving Maven jars); `compile_against`
    names what they are (it is part of the hash). Raises DirectmemError when the jar is missing and
    cannot be built (no sources, no javac, a compile error with javac's output)."""
    files = sorted(sources.rglob("*.java")) if sources.is_dir() else []
    if not files:
        if jar.is_file():
            return jar
        raise DirectmemError(f"{jar} is missing and {sources} is not here to build it (make fixtures in a checkout)")
    digest = _digest(files, sources, compile_against)
    if _stamp(jar, name) == digest:
        return jar
    from .jdk import cache_dir, file_lock

    with file_lock(cache_dir() / f".lock-jar-{name}"):
        if _stamp(jar, name) != digest:
            _build(jar, files, name, digest, [str(p) for p in classpath()])
    return jar


def _digest(files: list[Path], root: Path, compile_against: str) -> str:
    h = hashlib.sha256(compile_against.encode() + b"\0")
    for f in files:
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _stamp(jar: Path, name: str) -> str | None:
    try:
        with zipfile.ZipFile(jar) as zf:
            return zf.read(f"META-INF/directmem/{name}.sha256").decode().strip()
    except (OSError, KeyError, zipfile.BadZipFile):
        return None


def javac_tools() -> tuple[str, str]:
    """(javac, jar) from JAVA_HOME, else PATH; DirectmemError when there is none (JDK 11+ needed)."""
    from .environment import environment

    home = environment().java_home
    if home and (home / "bin" / "javac").is_file() and (home / "bin" / "jar").is_file():
        return str(home / "bin" / "javac"), str(home / "bin" / "jar")
    javac, jar = shutil.which("javac"), shutil.which("jar")
    if not javac or not jar:
        raise DirectmemError("building the scenario jars needs javac and jar (JDK 11+) on PATH or in JAVA_HOME")
    return javac, jar


def _build(jar: Path, files: list[Path], name: str, digest: str, classpath: list[str]) -> None:
    javac, jar_tool = javac_tools()
    with tempfile.TemporaryDirectory(prefix=f"directmem-{name}-") as tmp:
        classes = Path(tmp) / "classes"
        cmd = [javac, "--release", "11", "-Xlint:-options", "-nowarn", "-d", str(classes)]
        if classpath:
            cmd += ["-cp", os.pathsep.join(classpath)]
        proc = subprocess.run(cmd + [str(f) for f in files], capture_output=True, text=True)
        if proc.returncode != 0:
            raise DirectmemError(f"compiling {files[0].parent} ({name}) failed:\n{proc.stderr}")
        stamp = classes / "META-INF" / "directmem" / f"{name}.sha256"
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest + "\n")
        jar.parent.mkdir(parents=True, exist_ok=True)
        out = jar.with_suffix(".tmp")
        subprocess.run([jar_tool, "cf", str(out), "-C", str(classes), "."], check=True, capture_output=True)
        out.replace(jar)


if __name__ == "__main__":  # make fixtures
    print(fixtures_jar(), file=sys.stderr)
