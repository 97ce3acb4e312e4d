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
    title="One large heap write needs a temporary direct buffer of its whole size",
    sources=("adoptium/adoptium-support issue 894", "JDK-8316156"),
    cause="writing a heap ByteBuffer to a channel copies all of its remaining bytes into one temporary "
          "direct buffer first (IOUtil.write -> Util.getTemporaryDirectBuffer), so a single 32 MiB write "
          "needs 32 MiB of direct memory; ByteArrayInputStream.transferTo (Files.copy) wrote its whole "
          "array at once until JDK-8316156 (fixed in JDK 22 and backported; here 21.0.2 and 21.0.8 are fixed, "
          "17.0.15 is not). JDK 24+ takes temporary buffers outside the limit (JDK-8344882)",
    vary="FileChannel.write of the whole array, Files.copy (transferTo), 128 KiB chunks, FileChannel.transferTo; the JDK",
    story="Files.copy(new ByteArrayInputStream(new byte[256 MiB]), path) throws Cannot reserve 268435456 "
          "bytes of direct buffer memory with -XX:MaxDirectMemorySize=25M, although nothing else uses "
          "direct memory. Writing in chunks or between channels avoids the big temporary buffer.",
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
    title="Per-thread cached temporary buffers pin direct memory",
    sources=("ehcache/ehcache3 issue 2868", "linkerd/linkerd PR 1858"),
    cause="after a channel write of a heap buffer the temporary direct buffer is cached in the writing "
          "thread (up to IOV_MAX of them) for the thread's life; long-lived pool threads each keep one as "
          "large as their largest write. -Djdk.nio.maxCachedBufferSize frees larger ones after use (JDK-8147468)",
    vary="threads; -Djdk.nio.maxCachedBufferSize; the JDK",
    story="Four worker threads each once wrote a 2 MiB heap array to a file and are still alive: 8 MiB of "
          "a 16 MiB limit stay reserved, invisible in any heap dump, and an unrelated 10 MiB allocation fails.",
    variants=(
        _pinning("four-threads", 4, "4 live threads x 2 MiB cached, then 10 MiB of 1 MiB buffers in another thread"),
        _pinning("one-thread", 1, "1 live thread x 2 MiB cached: 2 + 10 MiB fit in 16 MiB"),
        _pinning("four-threads-max-cached-1m", 4, "the fix: -Djdk.nio.maxCachedBufferSize=1048576 frees each 2 MiB buffer after its write",
                 {"jdk.nio.maxCachedBufferSize": "1048576"}),
    ),
)

INCIDENTS = [LARGE_HEAP_WRITE, TEMP_CACHE_PINNING]
