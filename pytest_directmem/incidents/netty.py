"""Netty: the 4.2 adaptive allocator against 4.1's pooled one, and Netty's own direct-memory limit.

Every variant names the Netty release it runs (resolved from Maven Central once, then offline:
pytest_directmem.frameworks.maven) and runs a scenario of pytest_directmem.frameworks.netty, whose loops run in Java.
Expectations are measured per JDK major like every incident's; the Netty version is in the
variant's name, so a Netty upgrade is a new variant measured next to the old one.
"""

from __future__ import annotations

from typing import Any, Callable

from ..frameworks import netty
from .model import Incident, Variant

V41, V420, V427, V42 = "4.1.140.Final", "4.2.0.Final", "4.2.7.Final", "4.2.20.Final"
VERSIONS = (V41, V420, V427, V42)

with netty.deferred_build():  # the scenario jar is built when a variant runs, not at import
    # 4 connections stream 4 x 8000 x 8 KiB (250 MiB) through a 32 MiB limit; the server keeps one
    # read buffer in 64 (a slow leak, or a small cache of messages) and releases the rest
    STREAM = netty.loopback(4, "8k", 8000, keep_every=64)
    STREAM_ADAPTIVE = netty.loopback(4, "8k", 8000, keep_every=64, allocator="adaptive")
    LEAK = netty.loopback(4, "8k", 8000)  # the server keeps every read buffer: a handler that never releases
    # the same pattern without sockets, deterministic: 100000 x 8 KiB, one kept in 64 (~12 MiB)
    CHURN = netty.alloc("8k", 100_000, keep_every=64)
    HOLD = netty.alloc("1m", allocator="pooled")  # hold 1 MiB buffers until an OOM (or the 256 MiB cap)
    HOLD_DEFAULT = netty.alloc("1m")  # the same from ByteBufAllocator.DEFAULT


def _opts(version: str, *, max_direct: str, **netty_options: Any) -> Callable[[], dict[str, Any]]:
    """Evaluated when the variant runs: resolves the Netty jars (cached) and builds the scenarios."""
    def options() -> dict[str, Any]:
        netty.scenario_jar()
        return {**netty.options(version, **netty_options), "max_direct": max_direct, "heap": "128m"}

    return options


ADAPTIVE_FACTS = ("oom.kind", "oom.requested", "note.netty_allocator")
# Over sockets the size the failing allocation asked for is a race, so the stream variants do not pin it:
# 4.2.0's AdaptivePoolingAllocator gives a thread a new magazine when the event loops contend for one
# (tryExpandMagazines), and a new magazine's first chunk is MIN_CHUNK_SIZE (131072 B) instead of the
# 655360 B its size histogram settles on (inferred from the size, not traced). Measured 2026-12-01: in `taskset -c 0 directmem reproduce --all
# --repeat 3` beside a test run, one of the three 4.2.0-adaptive-stream runs on JDK 25 asked for 131072 B;
# every run before (20 passes idle, 5 with four busy loops) asked for 655360 B on 17, 21 and 25. The
# churn variants allocate from one thread: pinned.
STREAM_FACTS = ("oom.kind", "note.netty_allocator")

NETTY_ADAPTIVE = Incident(
    id="netty-adaptive",
    variants=(
        Variant("4.1-pooled-stream", STREAM, _opts(V41, max_direct="32m"), STREAM_FACTS,
                shows="Netty 4.1 (pooled by default): 250 MiB streamed, 1 read buffer in 64 kept, completes in 32 MiB"),
        Variant("4.1-adaptive-stream", STREAM_ADAPTIVE, _opts(V41, max_direct="32m"), STREAM_FACTS,
                shows="Netty 4.1.140 with its backported AdaptiveByteBufAllocator chosen explicitly: completes"),
        Variant("4.2.0-adaptive-stream", STREAM, _opts(V420, max_direct="32m"), STREAM_FACTS,
                shows="Netty 4.2.0 (adaptive by default): the same stream dies on the server's event loop"),
        Variant("4.2.0-pooled-stream", STREAM, _opts(V420, max_direct="32m", allocator_type="pooled"), STREAM_FACTS,
                shows="Netty 4.2.0 with -Dio.netty.allocator.type=pooled: the mitigation completes"),
        Variant("4.2.20-adaptive-stream", STREAM, _opts(V42, max_direct="32m"), STREAM_FACTS,
                shows="Netty 4.2.20 (adaptive): fixed, completes with less memory than pooled"),
        Variant("4.1-pooled-churn", CHURN, _opts(V41, max_direct="32m"), (*ADAPTIVE_FACTS, "note.netty_kept_bytes"),
                shows="no sockets: 100000 x 8 KiB, one in 64 kept, completes on 4.1"),
        Variant("4.2.0-adaptive-churn", CHURN, _opts(V420, max_direct="32m"), (*ADAPTIVE_FACTS, "note.netty_kept_bytes"),
                shows="the same on 4.2.0: a direct OOM with only ~2 MiB kept"),
    ),
)

LIMIT_FACTS = ("oom.kind", "oom.limit", "note.netty_max_direct", "note.netty_no_cleaner", "note.netty_used_counter")

NETTY_OWN_LIMIT = Incident(
    id="netty-own-limit",
    variants=(
        Variant("4.1-limit-opens", HOLD, _opts(V41, max_direct="64m", netty_max_direct="32m"), LIMIT_FACTS,
                shows="Netty 4.1, io.netty.maxDirectMemory=32m, add-opens: OutOfDirectMemoryError at 32 MiB"),
        Variant("4.1-limit-leak-stream", LEAK, _opts(V41, max_direct="64m", netty_max_direct="32m"), LIMIT_FACTS,
                shows="a Netty server over loopback that never releases what it reads: the error comes on its event loop"),
        Variant("4.1-limit-no-opens", HOLD, _opts(V41, max_direct="64m", netty_max_direct="32m", opens=False), LIMIT_FACTS,
                shows="the same without the add-opens: Netty's limit is ignored, the JDK's 64 MiB applies"),
        Variant("4.2.0-limit-no-opens", HOLD, _opts(V420, max_direct="64m", netty_max_direct="32m", opens=False),
                LIMIT_FACTS, shows="Netty 4.2.0 without the add-opens: still the JDK's limit"),
        Variant("4.2.20-limit-no-opens", HOLD, _opts(V42, max_direct="64m", netty_max_direct="32m", opens=False),
                LIMIT_FACTS, shows="Netty 4.2.20 without the add-opens: Netty counts cleaner buffers too: its 32 MiB holds"),
        Variant("4.2.7-default", HOLD_DEFAULT, _opts(V427, max_direct="32m"), (*LIMIT_FACTS, "value.capped"),
                shows="Netty 4.2.7, no Netty settings, -XX:MaxDirectMemorySize=32m: on JDK 25 no limit at all"),
        Variant("4.2.20-default", HOLD_DEFAULT, _opts(V42, max_direct="32m"), (*LIMIT_FACTS, "value.capped"),
                shows="Netty 4.2.20, the same: on JDK 25 Netty's own counter enforces the 32 MiB"),
    ),
)

INCIDENTS = [NETTY_ADAPTIVE, NETTY_OWN_LIMIT]
