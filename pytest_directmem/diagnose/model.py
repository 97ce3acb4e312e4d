"""The values a heap-dump analysis returns (frozen; sizes in bytes)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Buffer", "Holder", "DumpAnalysis", "Site", "Diagnosis"]


@dataclass(frozen=True)
class Buffer:
    """One java.nio.DirectByteBuffer (or subclass) in the dump.

    ``kind``: ``"direct"`` (has a cleaner and no fd: counts against MaxDirectMemorySize),
    ``"view"`` (a slice/duplicate/read-only view: ``parent`` is the buffer its ``att`` holds),
    ``"mapped"`` (has a file descriptor ``fd``: the "mapped" pool), ``"native"`` (neither cleaner nor att:
    made by native code or JNI NewDirectByteBuffer, e.g. the jimage reader's map or Netty's no-cleaner
    buffers; outside the limit), ``"victim"`` (address 0, no cleaner: the half-built buffer of the
    allocation that failed; ``capacity`` is the request). ``path``: labelled references from the GC
    root down to this buffer (see :class:`Holder`), ``None`` when unreachable.
    """

    id: int
    cls: str
    capacity: int
    address: int
    kind: str
    parent: int | None = None
    path: tuple[str, ...] | None = None

    @property
    def reachable(self) -> bool:
        return self.path is not None


@dataclass(frozen=True)
class Holder:
    """Buffers that share one path to a GC root. ``path`` is root first, each step the reference taken:
    e.g. ``("static Culprit.CACHE", "java.util.ArrayList.elementData", "java.lang.Object[]")`` — the
    static field, ArrayList's ``elementData`` field, an element of an Object[] (the buffers themselves
    are the last hop). Root labels: ``static C.F``, ``local in C.m(File.java:N) (thread 'T')``,
    ``JNI global``, ``thread 'T'``, ... ``count`` buffers, ``bytes`` their summed capacity."""

    path: tuple[str, ...]
    count: int
    bytes: int


@dataclass(frozen=True)
class DumpAnalysis:
    """What :func:`analyze_dump` found. ``holders``: of the buffers that count against the limit and are
    reachable, largest first; ``garbage_bytes``: counting buffers no root reaches (still waiting for
    their Cleaner); ``total_bytes``: what all counting buffers reserved, held or garbage: max(1, capacity)
    each, as ``java.nio.Bits.reserveMemory`` counts (equals the OOM message's ``allocated`` and the direct
    BufferPoolMXBean's ``MemoryUsed`` unless -XX:+PageAlignDirectMemory); ``held_bytes``: total less garbage; ``mapped_bytes`` / ``native_bytes``: outside the limit; ``victim``:
    the half-built buffer of a failed allocation, if the dump has one."""

    dump: Path
    holders: tuple[Holder, ...]
    garbage_bytes: int
    total_bytes: int
    buffers: tuple[Buffer, ...] = ()
    garbage_count: int = 0
    mapped_bytes: int = 0
    native_bytes: int = 0
    victim: Buffer | None = None
    native_holders: tuple[Holder, ...] = ()
    objects: int = 0
    hprof_version: str = ""

    @property
    def held_bytes(self) -> int:
        return self.total_bytes - self.garbage_bytes

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["dump"] = str(self.dump)
        d["held_bytes"] = self.held_bytes
        return d


@dataclass(frozen=True)
class Site:
    """An allocation site: ``stack`` innermost first as ``"pkg.Class.method"``, ``bytes`` the mallocs of that
    stack asked for over the run (frees not subtracted), ``count`` how many mallocs (every one is recorded:
    nativemem=0; 0 only in runs recorded before counts, whose ``sites.collapsed`` had bytes alone);
    ``kind``: ``"direct"`` (a direct buffer: counts against MaxDirectMemorySize), ``"unsafe"``
    (``Unsafe.allocateMemory`` outside the limit), ``"other"`` (a JNI function's malloc, e.g. zlib under
    ``java.util.zip.Inflater.init``; outside the limit), "" when not known. From async-profiler (see
    :mod:`pytest_directmem.diagnose.sites`)."""

    stack: tuple[str, ...]
    bytes: int
    count: int
    kind: str = ""


@dataclass(frozen=True)
class Diagnosis:
    """A run's investigation (``diagnose=True``): its own dump, the dump's holders and garbage, the
    allocation sites and the native memory per NMT category (peak committed bytes).

    ``dump``: ``diagnosis/direct-oom.hprof``, taken with live=false when a thread first sat on the slow path
    of ``java.nio.Bits.reserveMemory`` (None: no thread got there); ``holders`` / ``garbage_bytes``: that
    dump's :class:`DumpAnalysis`; ``sites``: allocation sites by bytes (async-profiler nativemem), largest
    first; ``native``: NMT summary, peak committed bytes per category and ``"Total"`` over the run's samples
    (every ~100 ms and at the dump); ``native_outside_direct``: the peak of NMT "Other" committed less the
    direct pool's used bytes at the same sample: ``Unsafe.allocateMemory`` and other native mallocs that
    the direct limit does not count (None without NMT)."""

    dump: Path | None
    holders: tuple[Holder, ...] = ()
    garbage_bytes: int = 0
    sites: tuple[Site, ...] = ()
    native: dict[str, int] = field(default_factory=dict)
    native_outside_direct: int | None = None
