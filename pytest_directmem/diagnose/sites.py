"""Allocation sites by bytes from async-profiler's ``nativemem`` output (collapsed stacks, ``total``).

Each line of the file is ``frame;frame;...;frame BYTES``, root first; Java frames are ``pkg/Class.method``,
native ones ``os::malloc``, ``Unsafe_AllocateMemory0``, ``malloc_hook``. A line is an allocation of the
program when it passes ``jdk.internal.misc.Unsafe.allocateMemory0`` (what ``sun.misc.Unsafe`` and direct
buffers call; on 25 sun.misc.Unsafe's own warning path mallocs too, without it): kind
``"direct"`` when ``java.nio.DirectByteBuffer.<init>`` (or ``ByteBuffer.allocateDirect``) is on the stack
(it counts against MaxDirectMemorySize), else ``"unsafe"`` (outside the limit). The JVM's own mallocs
(class loading, the JIT, GC) and the harness's threads (``directmem.Diagnose``, ``Sampler``) are left
out, and so are the Java runner's frames under the workload's (``directmem.Runner``, reflection). Stacks keep their Java frames, innermost first, without
``jdk.internal.misc.Unsafe`` itself, so ``stack[0]`` is ``java.nio.DirectByteBuffer.<init>`` or
``sun.misc.Unsafe.allocateMemory`` or the method that called ``jdk.internal.misc.Unsafe`` directly.
Source of the format: async-profiler 4.6, ``-agentpath:LIB=start,nativemem=0,total,collapsed,file=F``.
"""

from __future__ import annotations

from .model import Site

_MALLOC = "jdk.internal.misc.Unsafe.allocateMemory0"  # the native method that mallocs (JDK 11-25)
_DIRECT = ("java.nio.DirectByteBuffer.<init>", "java.nio.ByteBuffer.allocateDirect")
_INTERNAL = "jdk.internal.misc.Unsafe."
_HARNESS = ("directmem.Diagnose", "directmem.Sampler", "directmem.Journal")  # the harness's own threads
_RUNNER = ("directmem.Runner", "directmem.Invoker", "jdk.internal.reflect.", "java.lang.reflect.Method.invoke",
           "java.lang.invoke.")  # 25 invokes main through method handles


def _java(frame: str) -> str | None:
    """``java/nio/Bits.reserveMemory`` -> ``java.nio.Bits.reserveMemory``; None for a native frame."""
    if "::" in frame or "." not in frame or " " in frame:
        return None
    for suffix in ("_[j]", "_[i]", "_[c]", "_[k]", "_[0]", "_[1]"):  # async-profiler's frame-type annotations
        if frame.endswith(suffix):
            frame = frame[: -len(suffix)]
    return frame.replace("/", ".")


def parse_collapsed(text: str) -> tuple[Site, ...]:
    """Sites of direct and Unsafe allocations, equal stacks merged, largest bytes first (ties: stack).

    ``count`` is 0: async-profiler's ``total`` mode gives bytes per stack, not the number of calls.
    Malformed lines are skipped."""
    merged: dict[tuple[str, tuple[str, ...]], int] = {}
    for line in text.splitlines():
        stack_text, _, value = line.rstrip().rpartition(" ")
        if not stack_text or not value.isdigit():
            continue
        java = [j for j in map(_java, stack_text.split(";")) if j]
        if _MALLOC not in java:
            continue
        kind = "direct" if any(j in _DIRECT for j in java) else "unsafe"
        if any(j.startswith(_HARNESS) for j in java):
            continue
        while java and java[0].startswith(_RUNNER):  # the Java runner's frames under the workload's
            java.pop(0)
        stack = tuple(j for j in reversed(java) if not j.startswith(_INTERNAL))
        merged[kind, stack] = merged.get((kind, stack), 0) + int(value)
    sites = [Site(stack=stack, bytes=b, count=0, kind=kind) for (kind, stack), b in merged.items()]
    return tuple(sorted(sites, key=lambda s: (-s.bytes, s.stack)))
