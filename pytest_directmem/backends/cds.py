"""A dynamic CDS archive of the worker's own classes (JPype, the fixtures, JMX), per JDK and classpath.

JPype's start loads ~1000 classes; mapping them from an archive saves tens of milliseconds a run.
The first run of a (JDK, classpath) pair first runs a short warm-up worker that dumps the archive
at exit (once per machine, under a lock); every run then maps it. Off with DIRECTMEM_CDS=0, below JDK 13 (no dynamic
archives), without a base archive, and when the user's flags touch CDS themselves.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable

from ..jdk import Jdk, cache_dir, file_lock

QUIET = "-Xlog:cds*=off"  # the dump warns about old-format classes; never pollute the run's stdout


def _stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}:missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def archive_path(jdk: Jdk, classpath: list[str], user_flags: tuple[str, ...], host: str = "jpype") -> Path | None:
    """Where this (JDK, classpath)'s archive lives, or None when CDS is not for this run."""
    from ..environment import environment

    if not environment().cds or jdk.major < 13:
        return None
    if any("Xshare" in f or "SharedArchiveFile" in f or "ArchiveClassesAtExit" in f for f in user_flags):
        return None
    if not (jdk.home / "lib" / "server" / "classes.jsa").is_file():
        return None
    if host == "java":
        key = "\n".join(["java", str(jdk.home), jdk.version, _stamp(str(jdk.libjvm)), *map(_stamp, classpath)])
        return cache_dir() / "cds" / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.jsa"
    jpype_files = _jpype_files()
    if jpype_files is None:
        return None
    key = "\n".join([str(jdk.home), jdk.version, _stamp(str(jdk.libjvm)), *map(_stamp, jpype_files),
                     *map(_stamp, classpath)])
    return cache_dir() / "cds" / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.jsa"


def _jpype_files() -> list[str] | None:
    """JPype's Python package and C extension, located without importing them: `import jpype` in the
    launching process costs 0.1-0.5 s (its C module imports numpy when installed). None: not installed."""
    from importlib.util import find_spec

    try:
        files = [spec.origin for spec in (find_spec("jpype"), find_spec("_jpype")) if spec is not None and spec.origin]
    except (ImportError, ValueError):
        return None
    return files if len(files) == 2 else None


def flags(jdk: Jdk, classpath: list[str], user_flags: tuple[str, ...],
          warm_up: Callable[[list[str], Path], int | None], host: str = "jpype") -> list[str]:
    """The flags that map the archive, dumping it first (once, under a lock) with `warm_up`.

    warm_up(extra_flags, directory) runs a short worker and returns its exit code. A failed dump
    leaves a .failed marker so later runs do not pay for it again.
    """
    final = archive_path(jdk, classpath, user_flags, host)
    if final is None:
        return []
    failed = final.with_suffix(".failed")
    if not final.is_file() and not failed.exists():
        with file_lock(final.with_suffix(".lock")):
            if not final.is_file() and not failed.exists():
                with tempfile.TemporaryDirectory(prefix="directmem-cds-", dir=final.parent) as tmp:
                    dump = Path(tmp) / "dump.jsa"
                    code = warm_up([QUIET, f"-XX:ArchiveClassesAtExit={dump}"], Path(tmp))
                    if code == 0 and dump.is_file() and dump.stat().st_size > 0:
                        os.replace(dump, final)
                    else:
                        failed.write_text(f"warm-up exit code {code}\n")
    return [QUIET, f"-XX:SharedArchiveFile={final}"] if final.is_file() else []
