"""Containers: the default limit follows the heap; memory beyond the cgroup ends in a kernel OOM kill."""

from __future__ import annotations

from .. import workloads as w
from .model import Incident, Variant

PROBE = w.hold("1m", 1)  # one buffer: the run reports the limits the JVM computed
LIMIT_FACTS = ("direct.limit", "direct.limit_is_heap", "gc.collector")
KILL_FACTS = ("container.oom_killed", "exit_code", "oom.kind", "heap_dumps")


def _default(memory: str, shows: str, **options: object) -> Variant:
    return Variant(f"memory-{memory}" + (f"-{options.pop('suffix')}" if "suffix" in options else ""), PROBE,
                   {"backend": "docker", "memory": memory, **options}, LIMIT_FACTS, shows=shows)


CONTAINER_DEFAULT = Incident(
    id="container-default",
    variants=(
        _default("128m", "--memory=128m, no flags: the direct limit the JVM computes"),
        _default("256m", "--memory=256m, no flags"),
        _default("512m", "--memory=512m, no flags"),
        _default("1g", "--memory=1g, no flags"),
        _default("512m", "--memory=512m with -XX:MaxRAMPercentage=50: heap and direct limit double",
                 suffix="ram-percentage-50", flags=["-XX:MaxRAMPercentage=50"]),
        _default("512m", "--memory=512m with -XX:MaxDirectMemorySize=64m: the explicit limit wins",
                 suffix="explicit-64m", max_direct="64m"),
        Variant("memory-512m-fill", w.hold("1m"), {"backend": "docker", "memory": "512m"},
                ("oom.message", "oom.limit", "direct.limit", "direct.limit_is_heap"),
                shows="--memory=512m, no flags, leaking 1 MiB buffers: the direct OOM comes at the heap-sized default"),
    ),
)

CONTAINER_OOM_KILL = Incident(
    id="container-oom-kill",
    variants=(
        Variant("max-direct-1g", w.hold("1m"), {"backend": "docker", "memory": "128m", "max_direct": "1g"}, KILL_FACTS,
                shows="--memory=128m with -XX:MaxDirectMemorySize=1g, leaking 1 MiB buffers"),
        # -Xmx112m was too near: on JDK 11 bare java (and host="java") ends in a direct OOM at a 108 MiB limit
        # before the cgroup fills, only the JPype host's extra ~13 MiB made it a kill; at 120m every JDK and host is killed.
        Variant("xmx-near-limit", w.hold("1m"), {"backend": "docker", "memory": "128m", "heap": "120m"},
                (*KILL_FACTS, "direct.limit_is_heap"),
                shows="--memory=128m with -Xmx120m and no direct limit: the default limit follows -Xmx past the container"),
        Variant("max-direct-32m", w.hold("1m"), {"backend": "docker", "memory": "128m", "max_direct": "32m"},
                (*KILL_FACTS, "oom.message"),
                shows="--memory=128m with -XX:MaxDirectMemorySize=32m: a Java direct OOM instead of the kill"),
        Variant("default-limit", w.hold("1m"), {"backend": "docker", "memory": "128m"},
                (*KILL_FACTS, "oom.message", "direct.limit_is_heap"),
                shows="--memory=128m, no flags: the default (half the container) still fits"),
    ),
)

UNSAFE_OUTSIDE = Incident(
    id="unsafe-outside",
    variants=(
        Variant("local-64m", w.unsafe_alloc("1m", 64), {"heap": "64m", "max_direct": "16m"},
                ("direct.pool_used", "rss_beyond_pool>=64m"),
                shows="64 MiB through Unsafe with a 16 MiB direct limit: completes, the pool stays empty, RSS grows"),
        Variant("container-256m", w.unsafe_alloc("1m", 256), {"backend": "docker", "memory": "128m", "max_direct": "16m"},
                ("direct.pool_used", "container.oom_killed", "exit_code", "oom.kind"),
                shows="256 MiB through Unsafe in --memory=128m: the kernel kills the worker, the pool never saw it"),
    ),
)

INCIDENTS = [CONTAINER_DEFAULT, CONTAINER_OOM_KILL, UNSAFE_OUTSIDE]
