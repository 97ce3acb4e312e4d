"""The System.gc() inside java.nio.Bits.reserveMemory: disabled, made concurrent, stormed."""

from __future__ import annotations

from .. import workloads as w
from .model import Incident, Variant

LIMITS = {"heap": "64m", "max_direct": "16m"}
CHURN = w.churn(200, "1m")  # 200 MiB through a 16 MiB limit: only collected garbage makes room

EXPLICIT_GC_DISABLED = Incident(
    id="explicit-gc-disabled",
    title="-XX:+DisableExplicitGC turns garbage direct buffers into a direct OOM",
    sources=("alibaba/rocketmq issue 391", "elastic/elasticsearch PR 25759"),
    cause="Bits.reserveMemory calls System.gc() so that unreachable DirectByteBuffers get cleaned; "
          "-XX:+DisableExplicitGC makes that call a no-op and the garbage is never freed",
    vary="with and without -XX:+DisableExplicitGC",
    story="Churning short-lived direct buffers works until someone adds -XX:+DisableExplicitGC "
          "(a common 'tuning' flag); then the same code throws Direct buffer memory although almost "
          "nothing is reachable.",
    variants=(
        Variant("explicit-gc-enabled", CHURN, LIMITS, ("gc.explicit", "gc.explicit_names", "heap_dumps"),
                shows="200 x 1 MiB through 16 MiB completes: System.gc() from Bits frees the garbage"),
        Variant("explicit-gc-disabled", CHURN, {**LIMITS, "explicit_gc": "disabled"},
                ("oom.kind", "oom.message", "gc.explicit", "heap_dumps"),
                shows="the same churn with -XX:+DisableExplicitGC: a direct OOM, no System.gc() collection"),
    ),
)


GC_THREADS = ["-XX:ParallelGCThreads=4"]  # measured: with exactly 2 (this 2-core machine's default) G1 on 17/21 races


def _concurrent(collector: str) -> Variant:
    options = {**LIMITS, "explicit_gc": "concurrent", "gc": collector, "flags": GC_THREADS}
    return Variant(f"{collector.lower()}-concurrent", CHURN, options,
                   ("gc.explicit", "gc.explicit_names", "gc.full", "oom.message"),
                   shows=f"-XX:+ExplicitGCInvokesConcurrent with -XX:+Use{collector}GC (4 parallel GC threads)")


EXPLICIT_GC_CONCURRENT = Incident(
    id="explicit-gc-concurrent",
    title="-XX:+ExplicitGCInvokesConcurrent as the fix: does the concurrent cycle free direct buffers in time?",
    sources=("apache/pulsar issue 13737",),
    cause="with ExplicitGCInvokesConcurrent, G1 answers System.gc() with a young 'Concurrent Start' pause "
          "and a concurrent mark cycle instead of a full GC; Parallel and Serial ignore the flag and still run "
          "full GCs. Measured here, not pinned: with exactly two parallel GC threads (this 2-core machine's "
          "default) G1 on JDK 17 and 21 usually frees nothing at the first concurrent-start pause and the churn "
          "fails (7 runs in 8; with 1, 4 or 8 threads, and on 11 and 25, it completes), so the variants fix "
          "-XX:ParallelGCThreads=4",
    vary="the collector (G1, Parallel, Serial) and the JDK",
    story="Pulsar proposed -XX:+ExplicitGCInvokesConcurrent to avoid long full GCs from Bits' "
          "System.gc(). Whether direct buffers are still reclaimed in time depends on collector and JDK.",
    variants=tuple(_concurrent(c) for c in ("G1", "Parallel", "Serial")),
)

STORM_LIMITS = {"heap": "64m", "max_direct": "256m"}
# Bounded by volume, not time: 600 MiB of 1 MiB buffers pass through the 256 MiB limit whatever the
# machine's speed or load (a 0.5 s wall-clock storm made 30-180 allocations on a busy 2-core machine:
# no System.gc() at all, and without explicit GCs no OOM)
ONE = w.storm(1, "1m", per_thread=600)
EIGHT = w.storm(8, "1m", per_thread=75)

GC_STORM = Incident(
    id="gc-storm",
    title="Many threads near the limit: a System.gc() storm",
    sources=("JDK bug 6857566 (DirectBufferAllocTest)",),
    cause="each thread whose reservation fails calls System.gc() and backs off; with many threads "
          "churning near the limit the JVM runs one explicit full GC after another. Measured here, not pinned: "
          "eight threads on JDK 11 still get the spurious OOM now and then: a thread in its back-off loses the "
          "freed memory to the others, and when they stop nobody calls System.gc() again (16 MiB limit: about "
          "1 run in 25; 64 MiB: 1 in ~130; 256 MiB: none in 280), so the variants use 256 MiB. Each variant "
          "allocates a fixed volume (600 MiB), so what it shows does not depend on the machine's speed or load",
    vary="threads; -XX:+DisableExplicitGC",
    story="JDK-6857566 made direct allocation survive concurrent churn (before it, threads got "
          "spurious OOMs). With some headroom it survives today, at the price of a stream of System.gc() full GCs.",
    variants=(
        Variant("one-thread", ONE, STORM_LIMITS, ("gc.explicit", "gc.explicit_names"),
                shows="one thread churning 600 x 1 MiB buffers through 256 MiB"),
        Variant("eight-threads", EIGHT, STORM_LIMITS, ("gc.explicit", "gc.explicit_names"),
                shows="eight threads churning 75 x 1 MiB buffers each through 256 MiB: explicit full GCs, no OOM"),
        Variant("eight-threads-no-explicit-gc", EIGHT, {**STORM_LIMITS, "explicit_gc": "disabled"},
                ("oom.kind", "oom.message", "gc.explicit"),
                shows="the same storm with -XX:+DisableExplicitGC: a direct OOM in one of the threads"),
    ),
)

INCIDENTS = [EXPLICIT_GC_DISABLED, EXPLICIT_GC_CONCURRENT, GC_STORM]
