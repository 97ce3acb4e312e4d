"""The System.gc() inside java.nio.Bits.reserveMemory: disabled, made concurrent, stormed."""

from __future__ import annotations

from .. import workloads as w
from .model import Incident, Variant

LIMITS = {"heap": "64m", "max_direct": "16m"}
CHURN = w.churn(200, "1m")  # 200 MiB through a 16 MiB limit: only collected garbage makes room

EXPLICIT_GC_DISABLED = Incident(
    id="explicit-gc-disabled",
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
