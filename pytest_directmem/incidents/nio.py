"""NIO's temporary direct buffers (sun.nio.ch.Util): one as large as the write, cached per thread."""

from __future__ import annotations

from .. import workloads as w
from .model import Incident, Variant

UTIL_FRAME = "frame:sun.nio.ch.Util.getTemporaryDirectBuffer"


def _write(mode: str, shows: str) -> Variant:
    return Variant(mode, w.static("directmem.Incidents#largeHeapWrite", mode, "32m"), {"heap": "128m", "max_direct": "16m"},
                   ("oom.message", "oom.requested", UTIL_FRAME), shows=shows)


LARGE_HEAP_WRITE = Incident(
    id="large-heap-write",
    variants=(
        _write("channel-write", "FileChannel.write(ByteBuffer.wrap(new byte[32 MiB])) with a 16 MiB limit"),
        _write("files-copy", "Files.copy(new ByteArrayInputStream(new byte[32 MiB]), path): transferTo writes the array"),
        _write("chunked-write", "the workaround: the same array written in 128 KiB slices"),
        _write("transfer-to", "the workaround: FileChannel.transferTo between two files, no temporary buffer"),
    ),
)


def _pinning(name: str, threads: int, shows: str, properties: dict[str, str] | None = None) -> Variant:
    options = {"heap": "64m", "max_direct": "16m", **({"properties": properties} if properties else {})}
    return Variant(name, w.static("directmem.Incidents#tempCachePinning", threads, "2m", "10m", "1m"), options,
                   ("note.pinned", "oom.message", "oom.thread"), shows=shows)


TEMP_CACHE_PINNING = Incident(
    id="temp-cache-pinning",
    variants=(
        _pinning("four-threads", 4, "4 live threads x 2 MiB cached, then 10 MiB of 1 MiB buffers in another thread"),
        _pinning("one-thread", 1, "1 live thread x 2 MiB cached: 2 + 10 MiB fit in 16 MiB"),
        _pinning("four-threads-max-cached-1m", 4, "the fix: -Djdk.nio.maxCachedBufferSize=1048576 frees each 2 MiB buffer after its write",
                 {"jdk.nio.maxCachedBufferSize": "1048576"}),
    ),
)

INCIDENTS = [LARGE_HEAP_WRITE, TEMP_CACHE_PINNING]
