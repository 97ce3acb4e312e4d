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
    variants=(
        # After "Map failed" the process is at vm.max_map_count: when the JVM itself needs a mapping before the
        # workload lets go of its own (a JIT or GC commit), it dies of a fatal native OOM (hs_err, "mmap failed
        # to map 65536 bytes"), seen in about 1 run in 200 under load. A race in the JVM: what happens after
        # the OOM (the workload's notes, hs_err) is reported, not pinned.
        _maps("small-mappings-until-limit", "4k", 0,
              "4 KiB mappings of a 1 GiB file (every other page) until FileChannel.map fails (the JVM may die "
              "afterwards of its own native OOM: the map count is exhausted)",
              ("oom.kind", "oom.message", "oom.caught_by", "workload_completed")),
        _maps("thousand-small-mappings", "4k", 1000,
              "1000 such mappings: they fit; the mapped pool has them, the direct pool nothing"),
        _maps("one-large-mapping", "256m", 1, "the fix: one 256 MiB mapping instead of 65536 small ones"),
    ),
)

INCIDENTS = [BACKGROUND_THREAD, WRAPPED_OOM, MAP_FAILED]
