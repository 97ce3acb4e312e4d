"""The edges of -XX:MaxDirectMemorySize, after the @run lines of OpenJDK's LimitDirectMemory test."""

from __future__ import annotations

from .. import workloads as w
from .model import Incident, Variant

EDGE_FACTS = ("oom.message", "direct.limit")
# The heap-sized default is Runtime.maxMemory(), which depends on the collector (Serial's excludes a survivor
# space: 61.9 MiB for -Xmx64m, G1's is 64 MiB), and the JVM picks Serial by itself on one CPU (taskset -c 0, a
# 1-CPU container). The variants on the default pin G1 so that their numbers do not depend on the machine.
DEFAULT_GC = {"heap": "64m", "gc": "G1"}


def _edge(name: str, fill: str, incr: str, options: dict, shows: str, extra: tuple[str, ...] = ()) -> Variant:
    return Variant(name, w.static("directmem.Incidents#limitEdges", fill, incr), options, EDGE_FACTS + extra, shows=shows)


LIMIT_EDGES = Incident(
    id="limit-edges",
    variants=(
        _edge("max-10-bytes", "10", "1", {"max_direct": 10},
              "-XX:MaxDirectMemorySize=10: ten 1-byte buffers fit, the eleventh throws"),
        _edge("max-1k", "1k", "100", {"max_direct": "1k"},
              "-XX:MaxDirectMemorySize=1k: ten 100-byte buffers fit, the eleventh throws"),
        _edge("max-10m", "10m", "10m", {"max_direct": "10m"},
              "-XX:MaxDirectMemorySize=10m: one 10 MiB buffer fits, a second throws"),
        _edge("max-65m-above-heap", "64m", "65m", {"heap": "64m", "max_direct": "65m"},
              "-Xmx64m -XX:MaxDirectMemorySize=65M: one 65 MiB buffer, more than the heap, fits"),
        _edge("default-equals-heap", "0", "DEFAULT", DEFAULT_GC,
              "-Xmx64m -XX:+UseG1GC, no limit: one buffer of exactly Runtime.maxMemory() fits", ("direct.limit_is_heap",)),
        _edge("default-plus-1", "0", "DEFAULT+1", DEFAULT_GC,
              "-Xmx64m -XX:+UseG1GC, no limit: one byte more than Runtime.maxMemory() throws", ("direct.limit_is_heap",)),
        _edge("zero", "0", "1", {"max_direct": 0},
              "-XX:MaxDirectMemorySize=0: not even a 1-byte buffer"),
        _edge("property-ignored", "DEFAULT-1", "DEFAULT/2", {**DEFAULT_GC, "properties": {"sun.nio.MaxDirectMemorySize": "1K"}},
              "-Dsun.nio.MaxDirectMemorySize=1K -Xmx64m -XX:+UseG1GC: the property is ignored, the heap-sized default applies",
              ("direct.limit_is_heap",)),
    ),
)

INCIDENTS = [LIMIT_EDGES]
