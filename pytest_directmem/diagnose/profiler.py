"""async-profiler's library for allocation sites (``diagnose=True``), from Maven Central, extracted once.

``tools.profiler:async-profiler:4.6`` is a jar carrying ``linux-x64/libasyncProfiler.so`` (and arm64,
macOS builds). :func:`profiler_library` resolves it with :func:`pytest_directmem.maven` (cached, offline
afterwards) and extracts the library of this machine into ``<cache>/async-profiler/4.6/``.
"""

from __future__ import annotations

import os
import platform
import zipfile
from pathlib import Path

from ..errors import ConfigError, DirectmemError

COORDINATE = "tools.profiler:async-profiler:4.6"
LIBRARY = "libasyncProfiler.so"
_PLATFORMS = {("Linux", "x86_64"): "linux-x64", ("Linux", "aarch64"): "linux-arm64"}


def profiler_library() -> Path:
    """The host's ``libasyncProfiler.so``. Raises DirectmemError when this platform has no build or
    Maven cannot resolve the jar (no network and no cached copy)."""
    from ..frameworks.maven import maven
    from ..jdk import cache_dir, file_lock

    plat = _PLATFORMS.get((platform.system(), platform.machine()))
    if plat is None:
        raise DirectmemError(f"async-profiler has no library for {platform.system()} {platform.machine()}")
    version = COORDINATE.rsplit(":", 1)[1]
    target = cache_dir() / "async-profiler" / version / plat / LIBRARY
    if target.is_file():
        return target
    try:
        jars = maven(COORDINATE, transitive=False).resolve_classpath()
    except ConfigError as e:
        raise DirectmemError(f"async-profiler {COORDINATE}: {e.reason}") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(target.parent / ".lock"):
        if not target.is_file():
            with zipfile.ZipFile(jars[0]) as zf:
                data = zf.read(f"{plat}/{LIBRARY}")
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            tmp.replace(target)
    return target


def agent_flag(library: str, sites_file: str, log_file: str) -> str:
    """The -agentpath flag: every native allocation (nativemem=0: each malloc is a sample) on a stack
    through Unsafe.allocateMemory0 or a JNI function (``include=``: without it the JVM's and Python's own
    mallocs make the output ~20 MB; ``exclude=``: JPype's natives, under which the host's Python runs and
    mallocs, 2 MB of stacks in a JPype run, and class loading's natives, ~1 MB of the JVM's own mallocs under
    ``Java_java_lang_ClassLoader_*`` / ``Java_jdk_internal_loader_*``), written as async-profiler's text
    ``traces`` (bytes and calls per stack, see :mod:`.sites`) to `sites_file` when the JVM exits.
    ``*Unsafe...`` matches the dotted frame names of the text format (``*/Unsafe...`` would not).
    ``log=``: the profiler's own messages ("Profiling started", warnings) go to `log_file` (its directory
    must exist when the JVM starts), not into the program's stdout, where a test asserting on the output
    would see them."""
    return (f"-agentpath:{library}=start,nativemem=0,include=*Unsafe.allocateMemory0,include=Java_*,"
            f"exclude=org.jpype.*,exclude=Java_org_jpype_*,"
            f"exclude=Java_java_lang_ClassLoader_*,exclude=Java_jdk_internal_loader_*,traces,file={sites_file},"
            f"log={log_file}")


# Measured 2026-11-30 (gdb on Debian's /usr/bin/python3.11 + JPype 1.7.1 + JDK 17, the runtime image's python3):
# the JVM dies at start with SIGSEGV, a stack overflow of free_hook calling itself. That python is a non-PIE
# executable (ET_EXEC) whose dynamic symbols give malloc and free a canonical PLT address (UND with a value:
# the binary takes their addresses), so every library's GOT, async-profiler's own included, resolves free to
# python's PLT stub. MallocTracer::initialize saves that stub as the "original" free (SAVE_IMPORT), then
# patchLibraries points python's GOT at free_hook: the stub now jumps to free_hook, which calls the stub...
# A PIE python (pyenv, python.org builds, venvs made from them) has no canonical PLT entries and works; the
# java host is not affected (the java launcher is PIE and calls malloc through its own GOT only).
NON_PIE = ("async-profiler 4.6's nativemem recurses forever in free_hook under a non-PIE python "
           "(canonical PLT entries for malloc/free, e.g. Debian's /usr/bin/python3 and the container's): "
           "the JPype host runs without allocation sites there; host='java' has them")


def non_pie(executable: str | os.PathLike[str]) -> bool:
    """True when `executable` is an ELF executable of type ET_EXEC (not position independent); False for a
    PIE (ET_DYN), a non-ELF file or one that cannot be read."""
    try:
        with open(os.path.realpath(executable), "rb") as f:
            head = f.read(18)
    except OSError:
        return False
    return len(head) == 18 and head[:4] == b"\x7fELF" and int.from_bytes(head[16:18], "little") == 2


def library_for(diagnose: bool, python: str | None = None) -> Path | None:
    """The library when `diagnose` is on and it can be had, else None (the run then has no sites and
    its diagnosis says why: see diagnose/run.py). `python`: the interpreter of a JPype host; None for the
    java host. A non-PIE `python` gets None (see NON_PIE)."""
    if not diagnose or (python is not None and non_pie(python)):
        return None
    try:
        return profiler_library()
    except (DirectmemError, OSError, KeyError, zipfile.BadZipFile):
        return None
