"""Where the OutOfMemoryError surfaces: it ends a worker thread, arrives wrapped, is born as a cause.

The workloads are directmem.OomPaths (java-fixtures/src) and dm.netty.decode_leak. Pinned: the
harness's view of the first OOM (outcome, thread, the method that caught it, the throwable that
carried it out, whether the workload still completed) and what the application itself saw (the
workload's notes). Measured, not pinned: the mapped pool's sampled peak (a sample, not a count).
"""

from __future__ import annotations

from typing import Any, Callable

from ..frameworks import netty
from .. import workloads as w
from .model import Incident, Variant

LIMITS = {"heap": "64m", "max_direct": "16m"}
WRITER_DIED = 'stderr:Exception in thread "JDBM writer" java.lang.OutOfMemoryError'
BG_FACTS = ("oom.kind", "oom.thread", "oom.caught_by", "workload_completed", "exit_code", WRITER_DIED, "note.held",
            "note.writer_alive", "note.main_returned")
BACKGROUND = w.static("directmem.OomPaths#backgroundThread", "1m")

BACKGROUND_THREAD = Incident(
    id="background-thread",
    title="An uncaught direct OOM kills a worker thread; the process lives on",
    sources=("camunda/camunda issue 7807", "jankotek/mapdb issue 13"),
    cause="an OutOfMemoryError that nobody catches ends only the thread that threw it: the default "
          "uncaught-exception handler prints it to stderr and the other threads go on. "
          "-XX:+ExitOnOutOfMemoryError fires only for errors the VM raises itself, and a direct OOM is "
          "thrown from Java code (java.nio.Bits), so the flag does not end the process either",
    vary="with and without -XX:+ExitOnOutOfMemoryError",
    story="A storage engine's writer thread dies of Direct buffer memory; the service keeps answering "
          "health checks with a dead writer and a log line nobody reads. Adding -XX:+ExitOnOutOfMemoryError "
          "so that the orchestrator restarts it changes nothing.",
    variants=(
        Variant("writer-dies", BACKGROUND, LIMITS, BG_FACTS,
                shows='thread "JDBM writer" leaks 1 MiB buffers into a 16 MiB limit; main joins it and returns'),
        Variant("exit-on-oom-flag", BACKGROUND, {**LIMITS, "flags": ["-XX:+ExitOnOutOfMemoryError"]}, BG_FACTS,
                shows="the same with -XX:+ExitOnOutOfMemoryError: the flag does not fire, exit code 0"),
    ),
)

V40, V41 = "4.0.31.Final", "4.1.140.Final"

with netty.deferred_build():  # the scenario jar is built when a variant runs, not at import
    DECODE = netty.decode_leak("1m", 1000)  # 1000 frames of 1 MiB, each copied and kept: 16 fit


def _netty(version: str) -> Callable[[], dict[str, Any]]:
    def options() -> dict[str, Any]:
        netty.scenario_jar()
        return {**netty.options(version), "max_direct": "16m", "heap": "128m"}

    return options


WRAP_FACTS = ("oom.kind", "oom.carried_by", "oom.caught_by", "workload_completed", "note.decoded")

WRAPPED_OOM = Incident(
    id="wrapped-oom",
    title="The OOM reaches the caller as the cause of another exception",
    sources=("netty/netty issue 4275", "netty/netty issue 1574"),
    cause="a library catches Throwable around user code and rethrows it wrapped: Netty 4.0's "
          "ByteToMessageDecoder turns the OutOfMemoryError of a leaking decode() into a DecoderException "
          "(4.1 rethrows Errors as they are); a storage layer throws IOException(\"store write failed\", oom). "
          "Whoever checks `catch (OutOfMemoryError e)` or the exception's class never sees it",
    vary="Netty 4.0.31 vs 4.1; a plain wrapping library",
    story="Logs show io.netty.handler.codec.DecoderException: java.lang.OutOfMemoryError: Direct buffer "
          "memory from a decoder that copies frames into direct buffers and never frees them. The alerting "
          "matches OutOfMemoryError only as the top exception and stays silent.",
    variants=(
        Variant("store-write-wrapped", w.static("directmem.OomPaths#wrappedWrite", "1m"), LIMITS,
                ("oom.kind", "oom.carried_by", "oom.caught_by", "workload_completed", "note.held"),
                shows='1 MiB buffers kept until the OOM, rethrown as IOException("store write failed", oom)'),
        Variant("netty-4.0-decoder", DECODE, _netty(V40), WRAP_FACTS,
                shows="Netty 4.0.31: a decoder copying 1 MiB frames into kept direct buffers: DecoderException(OOM)"),
        Variant("netty-4.1-decoder", DECODE, _netty(V41), WRAP_FACTS,
                shows="Netty 4.1.140, the same decoder: the OutOfMemoryError reaches the caller as itself"),
    ),
)

COMMITTED_HEAP = "-Xms64m"  # = -Xmx: a heap that never grows needs no new mapping at the limit (G1 expansion was fatal)
MAP_FACTS = ("oom.kind", "note.mapped_ok", "note.mapped_pool_count", "note.mapped_pool_bytes",
             "note.direct_pool_bytes", "hs_err")


def _maps(name: str, size: str, count: int, shows: str, facts: tuple[str, ...] = MAP_FACTS, timeout: int = 120) -> Variant:
    options = {**LIMITS, "flags": [COMMITTED_HEAP], "timeout": timeout}
    return Variant(name, w.static("directmem.OomPaths#mapFailed", size, count), options, facts, shows=shows)


MAP_FAILED = Incident(
    id="map-failed",
    title="FileChannel.map until vm.max_map_count: IOException: Map failed",
    sources=("RoaringBitmap/RoaringBitmap issue 14",),
    cause="every FileChannel.map is one kernel mapping; at vm.max_map_count (65530 by default) mmap fails, "
          "the JDK runs System.gc() to unmap garbage buffers, retries, then throws IOException(\"Map failed\") "
          "caused by OutOfMemoryError(\"Map failed\"). Mapped buffers are counted in the \"mapped\" buffer pool, "
          "never against -XX:MaxDirectMemorySize. Measured, not pinned: how many mappings fit (the JVM's own "
          "mappings count too: threads, heap, code cache); and sitting at the limit, the JVM itself can die "
          "of a fatal native OOM (hs_err) whenever it needs a new mapping: even brk is refused at the limit. Measured "
          "under load and on one core: a first call of a method (metaspace), monitor inflation and deoptimization "
          "(malloc) and G1 heap expansion each crashed a run; so the workload warms up its failure path, leaves "
          "16 MiB free in its malloc arena, runs with -Xms equal to -Xmx, and unmaps everything at once",
    vary="mapping size and count",
    story="An index that maps one small region per page or segment fails with java.io.IOException: Map failed "
          "after ~65000 mappings, although the machine has plenty of memory and the direct pool is empty.",
    variants=(
        _maps("small-mappings-until-limit", "4k", 0,
              "4 KiB mappings of a 1 GiB file (every other page) until FileChannel.map fails",
              ("oom.kind", "oom.message", "oom.caught_by", "workload_completed", "note.mapped_ok",
               "note.direct_pool_bytes", "hs_err")),
        _maps("thousand-small-mappings", "4k", 1000,
              "1000 such mappings: they fit; the mapped pool has them, the direct pool nothing"),
        _maps("one-large-mapping", "256m", 1, "the fix: one 256 MiB mapping instead of 65536 small ones"),
    ),
)

INCIDENTS = [BACKGROUND_THREAD, WRAPPED_OOM, MAP_FAILED]
