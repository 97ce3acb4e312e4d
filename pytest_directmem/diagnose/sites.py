"""Allocation sites by bytes and calls from async-profiler's ``nativemem`` output.

The profiler writes ``diagnosis/sites.txt`` (``-agentpath:LIB=start,nativemem=0,include=...,traces,file=F``,
see :mod:`.profiler`): its text format, one block per distinct stack::

    --- 20971520 bytes (98.94%), 20 samples
      [ 0] malloc_hook
      [ 1] os::malloc
      [ 2] Unsafe_AllocateMemory0
      [ 3] jdk.internal.misc.Unsafe.allocateMemory0
      ...
      [ 7] Alloc.main

``bytes`` is what the mallocs of that stack asked for, ``samples`` how many mallocs there were: with
``nativemem=0`` every malloc is a sample (``Engine::updateCounter``: an interval <= 1 records every call;
measured 11-25: 20 x allocateDirect(1 MiB) gives "20971520 bytes, 20 samples"); frees are not subtracted.
Frames are innermost first; Java frames ``pkg.Class.method``, native ones ``os::malloc``,
``Unsafe_AllocateMemory0``, ``Java_java_util_zip_Inflater_init``, ``malloc_hook``.

Kinds: a stack that passes ``jdk.internal.misc.Unsafe.allocateMemory0`` (what ``sun.misc.Unsafe`` and direct
buffers call) is ``"direct"`` when ``java.nio.DirectByteBuffer.<init>`` (or ``ByteBuffer.allocateDirect``) is
on it (it counts against MaxDirectMemorySize), else ``"unsafe"`` (outside the limit). ``"other"``: a malloc by
a JNI function (``Java_*``, e.g. zlib's ``inflateInit2_`` under ``Java_java_util_zip_Inflater_init``) with no
JVM frame between it and the malloc (``os::``, ``JVM_``, ``jni_``: the JVM's own memory, e.g. class loading);
outside the limit too. The JVM's own mallocs, the profiler's, and the harness's threads (``directmem.Diagnose``,
``Sampler``) are left out, and so are the Java runner's frames under the workload's (from the innermost
``directmem.Runner`` / ``Main`` down, and the reflection or method-handle frames it called the workload
through). Stacks keep their Java frames, innermost first, without ``jdk.internal.misc.Unsafe`` itself, so
``stack[0]`` is ``java.nio.DirectByteBuffer.<init>``, ``sun.misc.Unsafe.allocateMemory``, the method that
called ``jdk.internal.misc.Unsafe`` directly, or the native method (``java.util.zip.Inflater.init``).

Runs recorded before counts existed have ``sites.collapsed`` (``collapsed,total``: bytes only):
:func:`parse_collapsed` reads those with ``count`` 0. Source of both formats: async-profiler 4.6
(``Profiler::dumpText`` / ``dumpCollapsed``).
"""

from __future__ import annotations

import re

from .model import Site

_MALLOC = "jdk.internal.misc.Unsafe.allocateMemory0"  # the native method that mallocs (JDK 11-25)
_DIRECT = ("java.nio.DirectByteBuffer.<init>", "java.nio.ByteBuffer.allocateDirect")
_INTERNAL = "jdk.internal.misc.Unsafe."
_HARNESS = ("directmem.Diagnose", "directmem.Sampler", "directmem.Journal",  # the harness's own threads
            "org.jpype.")  # JPype's own calls (the profiler excludes them too, see profiler.agent_flag)
_ENTRY = ("directmem.Runner", "directmem.Main", "directmem.Invoker")  # the runner: it and all below it go
_RUNNER = ("jdk.internal.reflect.", "java.lang.reflect.Method.invoke",
           "java.lang.invoke.")  # how it calls the workload: reflection, method handles (hidden classes on 17+)
_JVM = ("JVM_", "jni_", "jvm_", "JNI_")  # entries into the JVM: what mallocs below them is the JVM's
_HEADER = re.compile(r"^--- (\d+) \S+ \([^)]*\), (\d+) samples?$")
_FRAME = re.compile(r"^\s*\[\s*\d+\] (.*)$")


def _java(frame: str) -> str | None:
    """``java/nio/Bits.reserveMemory`` -> ``java.nio.Bits.reserveMemory``; None for a native frame."""
    if "::" in frame or "." not in frame or " " in frame:
        return None
    for suffix in ("_[j]", "_[i]", "_[c]", "_[k]", "_[0]", "_[1]"):  # async-profiler's frame-type annotations
        if frame.endswith(suffix):
            frame = frame[: -len(suffix)]
    return frame.replace("/", ".")


def _classify(frames: list[str]) -> tuple[str, tuple[str, ...]] | None:
    """(kind, stack) of one trace (frames innermost first), None when it is not the program's."""
    java = [j for j in map(_java, frames) if j]
    if _MALLOC in java:
        kind = "direct" if any(j in _DIRECT for j in java) else "unsafe"
    else:
        native: list[str] = []
        for f in frames:
            if _java(f):
                break
            native.append(f)
        jni = next((i for i, f in enumerate(native) if f.startswith("Java_")), None)
        if jni is None or not java or any("::" in f or f.startswith(_JVM) for f in native[:jni]):
            return None
        kind = "other"
    if any(j.startswith(_HARNESS) for j in java):
        return None
    entry = next((i for i, j in enumerate(java) if j.startswith(_ENTRY)), None)
    if entry is not None:  # the Java runner's frames under the workload's
        del java[entry:]
        while java and java[-1].startswith(_RUNNER):
            java.pop()
    return kind, tuple(j for j in java if not j.startswith(_INTERNAL))


def _merge(traces: list[tuple[list[str], int, int]]) -> tuple[Site, ...]:
    merged: dict[tuple[str, tuple[str, ...]], tuple[int, int]] = {}
    for frames, nbytes, count in traces:
        key = _classify(frames)
        if key is None:
            continue
        b, c = merged.get(key, (0, 0))
        merged[key] = (b + nbytes, c + count)
    sites = [Site(stack=stack, bytes=b, count=c, kind=kind) for (kind, stack), (b, c) in merged.items()]
    return tuple(sorted(sites, key=lambda s: (-s.bytes, -s.count, s.kind, s.stack)))


def parse_traces(text: str) -> tuple[Site, ...]:
    """Sites of direct, Unsafe and other JNI allocations from async-profiler's text output (``traces``):
    equal (kind, stack) merged, ``bytes`` and ``count`` (mallocs) summed, largest bytes first (ties: more
    calls, kind, stack). Blocks without a well-formed header are skipped."""
    traces: list[tuple[list[str], int, int]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        header = _HEADER.match(line.rstrip())
        if header:
            current = []
            traces.append((current, int(header.group(1)), int(header.group(2))))
            continue
        frame = _FRAME.match(line)
        if frame and current is not None:
            current.append(frame.group(1).rstrip())
        elif not line.strip():
            current = None
    return _merge(traces)


def parse_collapsed(text: str) -> tuple[Site, ...]:
    """Sites from the older ``sites.collapsed`` (``collapsed,total``: ``root;...;leaf BYTES`` per line),
    merged and ordered as :func:`parse_traces`. ``count`` is 0: ``total`` gives bytes per stack, not the
    number of calls. Malformed lines are skipped."""
    traces: list[tuple[list[str], int, int]] = []
    for line in text.splitlines():
        stack_text, _, value = line.rstrip().rpartition(" ")
        if stack_text and value.isdigit():
            traces.append((stack_text.split(";")[::-1], int(value), 0))
    return _merge(traces)
