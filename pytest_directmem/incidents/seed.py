"""The seed document's two stories: a direct OOM leaves no heap dump; the frame that throws is a victim."""

from __future__ import annotations

from .. import workloads as w
from .model import Incident, Variant

LIMITS = {"heap": "64m", "max_direct": "16m"}
DIRECT_FACTS = ("oom.kind", "oom.message", "oom.top_frame", "heap_dumps", "hs_err", "direct.limit")
CRASH_ON_OOM = "-XX:+CrashOnOutOfMemoryError"

SEED_NO_DUMP = Incident(
    id="seed-no-dump",
    variants=(
        Variant("direct-oom", w.hold("1m"), {**LIMITS, "heap_dump_on_oom": True}, DIRECT_FACTS,
                shows="leaking 1 MiB direct buffers ends in a direct OOM with no heap dump"),
        Variant("direct-oom-crash-flag", w.hold("1m"), {**LIMITS, "flags": [CRASH_ON_OOM]},
                ("oom.kind", "heap_dumps", "hs_err", "exit_code"),
                shows="-XX:+CrashOnOutOfMemoryError does not fire either: no hs_err, a normal exit"),
        Variant("heap-oom-control", w.heap_hog("1m"), {"heap": "32m", "heap_dump_on_oom": True},
                ("oom.kind", "oom.message", "heap_dumps"),
                shows="the control: a Java heap OOM in the same setup writes its heap dump"),
        Variant("heap-oom-crash-flag", w.heap_hog("1m"), {"heap": "32m", "flags": [CRASH_ON_OOM]},
                ("oom.kind", "heap_dumps", "hs_err"),
                shows="for a heap OOM -XX:+CrashOnOutOfMemoryError fires: heap dump, then hs_err and abort"),
    ),
)

VICTIM_HOLD = 16 * 2**20 - 1000  # the culprit leaves 1000 bytes of the 16 MiB limit

SEED_VICTIM = Incident(
    id="seed-victim",
    variants=(
        Variant("victim-write", w.socket_write(1, "8k", 1, hold=VICTIM_HOLD), LIMITS,
                ("oom.message", "oom.requested", "frame:sun.nio.ch.Util.getTemporaryDirectBuffer",
                 "frame:sun.nio.ch.NioSocketImpl.tryWrite", "oom.thread"),
                shows="16 MiB - 1000 bytes held, then one 8 KiB write of a heap byte[] over a loopback socket"),
        Variant("write-alone", w.socket_write(1, "8k", 1), LIMITS, ("direct.pool_used",),
                shows="the control: the same write without the culprit; whether the pool sees its temporary buffer"),
    ),
)

INCIDENTS = [SEED_NO_DUMP, SEED_VICTIM]
