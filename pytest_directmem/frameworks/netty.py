"""Netty scenarios as workloads, run against whatever Netty is on the run's classpath.

    import pytest_directmem as dm
    run = dm.launch(dm.netty.alloc("1m", allocator="pooled"),
                    **dm.netty.options("4.1.140.Final", netty_max_direct="16m"), max_direct="64m")
    assert run.outcome is dm.Outcome.FRAMEWORK_OOM          # io.netty.util.internal.OutOfDirectMemoryError

The allocation loops run in Java (java-fixtures/netty/, package ``directmem.netty``), compiled with
``javac --release 11`` against the Netty 4.1 API into ``_fixtures/directmem-netty.jar`` (binary
compatible with 4.2). The worker loads that jar in a class loader whose parent is the run's
classpath, so the scenarios use the user's Netty, whatever its version. Each run journals
``note`` events with ``netty_*`` members (version, allocator, Netty's own limit, no-cleaner
use, then the peaks of Netty's counter and the allocator's metric): see :func:`info`.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Iterator

from ..config import format_size, parse_size
from ..errors import ConfigError
from ..units import parse_duration_ms
from ..workloads import Workload, _count

__all__ = ["alloc", "loopback", "decode_leak", "options", "classpath", "info", "OPENS", "REFLECTION", "ALLOCATORS",
           "ALLOCATOR_TYPES", "scenario_jar", "deferred_build", "netty_scenario"]

ALLOCATORS = ("default", "pooled", "adaptive", "unpooled")
ALLOCATOR_TYPES = ("pooled", "adaptive", "unpooled")  # io.netty.allocator.type (adaptive: 4.2, or 4.1.1xx)
COMPILE_AGAINST = "io.netty:netty-handler:4.1.140.Final"  # the API the scenario jar is compiled against
# Netty builds buffers that bypass the JDK's limit (and count against io.netty.maxDirectMemory)
# only when it may call DirectByteBuffer's private constructor: on Java 9+ that needs both.
OPENS = ("--add-opens=java.base/java.nio=ALL-UNNAMED",)
REFLECTION = {"io.netty.tryReflectionSetAccessible": "true"}
JAR = Path(__file__).parent.parent / "_fixtures" / "directmem-netty.jar"
SOURCES = Path(__file__).parent.parent.parent / "java-fixtures" / "netty"
_CLASS = "directmem.netty.NettyScenarios"


def classpath(version: str, *extra: str, **maven_options: Any):
    """Netty `version` from Maven (netty-handler: buffer, common, transport, codec, resolver), plus
    `extra` coordinates resolved in the same tree."""
    from .maven import maven

    if not isinstance(version, str) or not version:
        raise ConfigError("netty.version", version, 'a Netty version like "4.2.20.Final"')
    return maven(f"io.netty:netty-handler:{version}", *extra, **maven_options)


def options(version: str, *, allocator_type: str | None = None, netty_max_direct: int | str | None = None,
            opens: bool | None = None, properties: dict[str, Any] | None = None,
            flags: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
    """Launch options for a Netty run: ``dm.launch(w, **dm.netty.options("4.2.20.Final"), max_direct="64m")``.

    allocator_type: ``-Dio.netty.allocator.type`` (``"pooled"`` is the documented 4.2 mitigation);
    netty_max_direct: ``-Dio.netty.maxDirectMemory`` (Netty's own limit: 4.1 and 4.2.0 honour it
    only with `opens`, 4.2.20 always; see the netty-own-limit incident);
    opens: add ``--add-opens java.base/java.nio`` and ``-Dio.netty.tryReflectionSetAccessible=true``
    (default: True when netty_max_direct is given, else Netty's defaults are left alone).
    """
    props = dict(properties or {})
    if allocator_type is not None:
        if allocator_type not in ALLOCATOR_TYPES:
            raise ConfigError("netty.allocator_type", allocator_type, f"choose one of {', '.join(ALLOCATOR_TYPES)}")
        props["io.netty.allocator.type"] = allocator_type
    if netty_max_direct is not None:
        props["io.netty.maxDirectMemory"] = str(parse_size(netty_max_direct, "netty.netty_max_direct"))
    if opens is None:
        opens = netty_max_direct is not None
    if not isinstance(opens, bool):
        raise ConfigError("netty.opens", opens, "must be True or False")
    if isinstance(flags, str):
        raise ConfigError("flags", flags, "pass a list of JVM flags")
    out_flags = list(flags)
    if opens:
        props.update(REFLECTION)
        out_flags += [f for f in OPENS if f not in out_flags]
    return {"classpath": [classpath(version)], "properties": props, "flags": out_flags}


def _allocator(value: object, option: str) -> str:
    if value not in ALLOCATORS:
        raise ConfigError(option, value, f"choose one of {', '.join(ALLOCATORS)} "
                          "(default: ByteBufAllocator.DEFAULT, pooled in 4.1 and adaptive in 4.2)")
    return str(value)


_deferred = 0


@contextlib.contextmanager
def deferred_build() -> Iterator[None]:
    """Build workloads without building the scenario jar (definitions made at import time, e.g.
    the incident library); whoever runs them calls :func:`scenario_jar` first."""
    global _deferred
    _deferred += 1
    try:
        yield
    finally:
        _deferred -= 1


def _workload(method: str, args: list[str], label: str) -> Workload:
    if not _deferred:
        scenario_jar()  # built (once) in a source checkout: an error here, not in the worker
    return Workload("call", f"{__name__}:netty_scenario", (method, *args), label=label)


def alloc(size: int | str = "1m", count: int | None = None, *, keep_every: int = 1, allocator: str = "default",
          up_to: int | str = "256m") -> Workload:
    """Allocate `count` direct ByteBufs of `size` from Netty's `allocator` (None: until an
    OutOfMemoryError), keeping every `keep_every`-th (1: all, a leak; N: one in N, the others
    released at once, as a server does with most messages). Stops when the kept bytes would pass
    `up_to` (a safety cap: Netty 4.2.7 on JDK 25 enforces no limit at all by default).
    Value: ``{"allocated", "buffers", "bytes", "capped"}`` (buffers and bytes: kept)."""
    s = parse_size(size, "netty.alloc.size", minimum=1)
    if s > (1 << 31) - 1:
        raise ConfigError("netty.alloc.size", size, "a ByteBuf holds at most 2g - 1 bytes")
    n = 0 if count is None else _count("netty.alloc.count", count, 1)
    k = _count("netty.alloc.keep_every", keep_every, 1)
    if k > 1 and n == 0:
        raise ConfigError("netty.alloc.count", count, "give a count with keep_every > 1 (the loop would never end)")
    cap = parse_size(up_to, "netty.alloc.up_to", minimum=s)
    a = _allocator(allocator, "netty.alloc.allocator")
    extra = (f", count={n}" if n else "") + (f", keep_every={k}" if k > 1 else "")
    return _workload("alloc", [a, str(s), str(n), str(k), str(cap)], f"netty.alloc({format_size(s)}, allocator={a}{extra})")


def loopback(connections: int = 4, message: int | str = "8k", messages: int = 1000, *,
             allocator: str = "default", keep_every: int = 1, wait: float | str = "50s") -> Workload:
    """A Netty server and `connections` Netty clients over loopback on one `allocator`. Each client
    writes `messages` messages of `message` bytes (one at a time); the server reads them with the
    allocator (Netty's RecvByteBufAllocator sizing) and keeps every `keep_every`-th buffer it
    reads (1: all, a handler that forgets release(); N: one in N, a slow leak; 0: none, the
    control), releasing the others. Gives up after `wait` (an ERROR saying how much arrived; keep
    it below the run's timeout). Value: ``{"connections", "expected", "received", "reads",
    "retained_buffers", "retained_capacity"}``."""
    c = _count("netty.loopback.connections", connections, 1)
    if c > 256:
        raise ConfigError("netty.loopback.connections", connections, "at most 256 connections")
    m = parse_size(message, "netty.loopback.message", minimum=1)
    if m > (1 << 30):
        raise ConfigError("netty.loopback.message", message, "at most 1g per message")
    n = _count("netty.loopback.messages", messages, 1)
    a = _allocator(allocator, "netty.loopback.allocator")
    k = _count("netty.loopback.keep_every", keep_every, 0)
    ms = parse_duration_ms(wait, "netty.loopback.wait")
    label = f"netty.loopback({c}, {format_size(m)}, {n}, allocator={a}{'' if k == 1 else f', keep_every={k}'})"
    return _workload("loopback", [a, str(c), str(m), str(n), str(k), str(ms)], label)


def decode_leak(size: int | str = "1m", frames: int = 1000) -> Workload:
    """A ByteToMessageDecoder that copies each inbound frame into a JDK direct buffer it never
    frees, fed `frames` frames of `size` through an EmbeddedChannel (netty/netty issue 4275). Only
    API that Netty 4.0 and 4.1 share: 4.0 wraps the OutOfMemoryError in a DecoderException, 4.1
    rethrows it as it is. Journals a note {"decoded", "netty_version"}. Value: ``{"decoded"}``."""
    s = parse_size(size, "netty.decode_leak.size", minimum=1)
    if s > (1 << 31) - 16:
        raise ConfigError("netty.decode_leak.size", size, "a Java array holds at most 2g - 16 bytes")
    n = _count("netty.decode_leak.frames", frames, 1)
    return _workload("DecodeLeak#run", [str(s), str(n)], f"netty.decode_leak({format_size(s)}, {n})")


def netty_scenario(jvm: Any, method: str, *args: str) -> Any:
    """Runs in the worker (a call() workload): loads the scenario jar over the run's classpath.
    ``method``: a method of NettyScenarios, or ``"Class#method"`` of another class of the jar."""
    jar = JAR
    if not jar.is_file():
        raise RuntimeError(f"{jar} is missing in the worker")
    url = jvm.JClass("java.io.File")(str(jar)).toURI().toURL()
    loader_cls = jvm.JClass("java.net.URLClassLoader")
    system = jvm.JClass("java.lang.ClassLoader").getSystemClassLoader()
    loader = loader_cls(jvm.JArray(jvm.JClass("java.net.URL"))([url]), system)
    try:
        system.loadClass("io.netty.buffer.ByteBufAllocator")
    except Exception:  # noqa: BLE001 - ClassNotFoundException crosses as a Java exception
        raise RuntimeError("Netty is not on the classpath: add classpath=[dm.netty.classpath(\"4.2.20.Final\")] "
                           "or dm.maven(\"io.netty:netty-handler:<version>\")") from None
    cls, _, name = method.rpartition("#")
    scenarios = jvm.JClass(f"directmem.netty.{cls}" if cls else _CLASS, loader=loader)
    result = getattr(scenarios, name)(*[jvm.JString(a) for a in args])
    return json.loads(str(result))


def info(run: Any) -> dict[str, Any]:
    """What a Netty run journaled (its ``note`` events' ``netty_*`` members, without the prefix;
    the incident library reads the same as facts ``note.netty_<key>``):

    version, allocator (the scenario's), default_allocator (ByteBufAllocator.DEFAULT),
    direct_arenas (PooledByteBufAllocator: 0 means it allocates unpooled), allocator_type,
    max_direct (Netty's own limit), used_counter (-1: Netty counts nothing), no_cleaner,
    has_unsafe, unsafe_unavailable, direct_preferred; after the run: peak_counter (Netty's
    counter), peak_allocator (the allocator's usedDirectMemory(), -1 when not reported),
    peak_jdk_direct (the JDK's direct pool) and the scenario's counts (allocated, kept_buffers,
    kept_bytes; received, reads, retained_buffers, retained_capacity). {} without events."""
    from ..observe.journal import notes

    return {k[len("netty_"):]: v for k, v in notes(run.events).items() if k.startswith("netty_")}


# ------------------------------------------------------------------------------- the jar

def scenario_jar() -> Path:
    """The scenario jar (java-fixtures/netty compiled against Netty COMPILE_AGAINST and the fixtures jar)."""
    from ..jars import ensure_jar, fixtures_jar
    from .maven import maven

    return ensure_jar(JAR, SOURCES, "netty", compile_against=COMPILE_AGAINST,
                      classpath=lambda: [fixtures_jar(), *maven(COMPILE_AGAINST).resolve_classpath()])
