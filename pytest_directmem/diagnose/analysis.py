"""Direct buffers in a heap dump: what each is, who holds it, what is garbage.

    a = analyze_dump("x.hprof")      # or x.hprof.gz; any HotSpot dump of JDK 11-25
    a.holders[0].path, a.holders[0].count, a.holders[0].bytes, a.garbage_bytes, a.total_bytes

The rules (INCIDENTS.md "HPROF facts", measured 11-25; openjdk java/nio/Direct-X-Buffer.java.template):
a buffer counts against MaxDirectMemorySize when it has a ``cleaner`` and no ``fd``; a slice or
duplicate holds its parent in ``att``; mapped buffers have ``fd``; buffers with neither cleaner nor
att were made by native code; the victim's half-built buffer has address 0 and the requested
capacity. Fields are read by name (their order differs between JDKs).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from .graph import Paths, find_paths
from .hprof import KIND_INSTANCE, KIND_OBJ_ARRAY, Hprof
from .model import Buffer, DumpAnalysis, Holder

__all__ = ["analyze_dump", "classify"]

DIRECT = "java.nio.DirectByteBuffer"


def classify(fields: dict[str, object]) -> str:
    """The kind of a buffer from its fields (see :class:`Buffer`)."""
    if not fields.get("address") and not fields.get("cleaner") and not fields.get("att"):
        return "victim"
    if fields.get("att"):
        return "view"
    if fields.get("fd"):
        return "mapped"
    if fields.get("cleaner"):
        return "direct"
    return "native"


def _step(heap: Hprof, src: int, dst: int) -> str:
    """The label of the reference src -> dst: ``Owner.field`` or ``Element[]``."""
    kind = int(heap.kinds[src])
    if kind == KIND_OBJ_ARRAY:
        return heap.class_name_of(src)
    if kind == KIND_INSTANCE:
        target = int(heap.ids[dst])
        off = int(heap.offsets[src]) + 25
        for f in heap.layout(int(heap.class_of[src])):
            if f.type == 2 and int.from_bytes(heap.buf[off + f.offset:off + f.offset + 8], "big") == target:
                return f"{f.owner}.{f.name}"
    return "?"


def _path(heap: Hprof, paths: Paths, index: int) -> tuple[str, ...] | None:
    chain = paths.chain(index)
    if not chain:
        return None
    steps = [paths.labels[int(paths.root[index])]]
    steps += [_step(heap, a, b) for a, b in zip(chain, chain[1:])]
    return tuple(steps)


def _holders(buffers: list[Buffer]) -> tuple[Holder, ...]:
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for b in buffers:
        if b.path is not None:
            groups[b.path].append(b.capacity)
    holders = [Holder(p, len(caps), sum(caps)) for p, caps in groups.items()]
    holders.sort(key=lambda h: (-h.bytes, -h.count, h.path))
    return tuple(holders)


def analyze_dump(path: str | os.PathLike[str], *, progress: Callable[[str], None] | None = None) -> DumpAnalysis:
    """Analyse a HotSpot heap dump (HPROF 1.0.2, 8-byte ids; plain or gzipped) for direct buffers.

    Returns a :class:`DumpAnalysis`. Raises ``ConfigError`` (option ``dump``) for a missing file or one
    that is not such a dump. ``progress``: called with a line before each step. Memory: the file is
    mapped (gzip: decompressed in memory) plus numpy indexes of roughly 60 bytes per object and 20 per
    reference (a 61 MiB dump of 1.0 M objects: ~175 MiB at the peak, bench/dump_analysis.py).
    """
    say = progress or (lambda _: None)
    say(f"indexing {path}")
    heap = Hprof.open(path)
    say(f"paths to GC roots ({len(heap.ids)} objects, {len(heap.roots)} roots)")
    paths = find_paths(heap)
    say("classifying direct buffers")
    buffers: list[Buffer] = []
    for c in heap.subclasses(DIRECT):
        for i in (heap.class_of == c.id).nonzero()[0].tolist():
            if int(heap.kinds[i]) != KIND_INSTANCE:
                continue
            f = heap.fields(i)
            kind = classify(f)
            att = int(f.get("att") or 0)  # type: ignore[call-overload]
            buffers.append(Buffer(int(heap.ids[i]), c.name, int(f.get("capacity") or 0),  # type: ignore[call-overload]
                                  int(f.get("address") or 0), kind, att or None,  # type: ignore[call-overload]
                                  _path(heap, paths, i)))
    counting = [b for b in buffers if b.kind == "direct"]
    garbage = [b for b in counting if b.path is None]
    victims = [b for b in buffers if b.kind == "victim"]
    return DumpAnalysis(
        dump=Path(path), holders=_holders(counting), garbage_bytes=sum(b.capacity for b in garbage),
        total_bytes=sum(max(1, b.capacity) for b in counting), buffers=tuple(sorted(buffers, key=lambda b: -b.capacity)),
        garbage_count=len(garbage), mapped_bytes=sum(b.capacity for b in buffers if b.kind == "mapped"),
        native_bytes=sum(b.capacity for b in buffers if b.kind == "native"),
        victim=max(victims, key=lambda b: b.capacity) if victims else None,
        native_holders=_holders([b for b in buffers if b.kind in ("native", "mapped")]),
        objects=len(heap.ids), hprof_version=heap.version)
