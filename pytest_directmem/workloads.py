"""Workloads are values: what the worker runs inside the JVM.

Built-ins run Java code from java-fixtures/ (allocation loops never run in Python: JPype keeps
Java objects reachable from Python, so a Python loop that drops buffers frees nothing).
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from .config import format_size, parse_size
from .errors import ConfigError

__all__ = [
    "Workload", "churn", "hold", "heap_hog", "unsafe_alloc", "socket_write", "storm", "call", "main", "static",
    "netty_alloc", "netty_loopback",
]

_JAVA_NAME = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")
_STATIC = re.compile(r"^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)#([A-Za-z_$][\w$]*)$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$")


@dataclass(frozen=True)
class Workload:
    """kind: "builtin" | "call" | "main" | "static"; name: the built-in, "module:qualname", class or target."""

    kind: str
    name: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    label: str = ""

    def __str__(self) -> str:
        return self.label or self.name

    def to_spec(self) -> dict[str, Any]:
        """The JSON-able form the worker reads."""
        spec: dict[str, Any] = {"kind": self.kind, "name": self.name, "args": list(self.args)}
        if self.kind == "static":
            spec["types"] = [_type_tag(a) for a in self.args]
            spec["args"] = ["" if a is None else (str(a).lower() if isinstance(a, bool) else str(a)) for a in self.args]
        if self.kwargs:
            spec["kwargs"] = dict(self.kwargs)
        return spec

    @property
    def slug(self) -> str:
        """A short file-system-safe name ("churn", "call-mymod.fn")."""
        base = self.name if self.kind == "builtin" else f"{self.kind}-{self.name.split(':')[-1].split('#')[-1]}"
        return re.sub(r"[^\w.-]+", "_", base)[:40]


def _count(option: str, value: object, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(option, value, f"must be an int >= {minimum}")
    return value


def _builtin(name: str, label_args: list[str], *java_args: object) -> Workload:
    return Workload("builtin", name, tuple(str(a) for a in java_args), label=f"{name}({', '.join(label_args)})")


def churn(count: int, size: int | str, keep_every: int = 0) -> Workload:
    """Allocate `count` direct buffers of `size`; keep every Nth (0: none), drop the rest."""
    n = _count("churn.count", count, 1)
    s = parse_size(size, "churn.size", minimum=1)
    k = _count("churn.keep_every", keep_every, 0)
    return _builtin("churn", [str(n), format_size(s)] + ([f"keep_every={k}"] if k else []), n, s, k)


def hold(size: int | str, count: int | None = None) -> Workload:
    """Allocate direct buffers of `size` and keep them (a leak), until OOM or `count` buffers."""
    s = parse_size(size, "hold.size", minimum=1)
    n = 0 if count is None else _count("hold.count", count, 1)
    return _builtin("hold", [format_size(s)] + ([f"count={n}"] if n else []), s, n)


def heap_hog(chunk: int | str = "1m") -> Workload:
    """Fill the Java heap with byte[chunk] until java.lang.OutOfMemoryError: Java heap space."""
    c = parse_size(chunk, "heap_hog.chunk", minimum=1)
    if c > (1 << 31) - 16:
        raise ConfigError("heap_hog.chunk", chunk, "a Java array holds at most 2g - 16 bytes")
    return _builtin("heap_hog", [format_size(c)], c)


def unsafe_alloc(size: int | str, count: int) -> Workload:
    """Unsafe.allocateMemory(size) `count` times, each page touched: native memory outside the limit."""
    s = parse_size(size, "unsafe_alloc.size", minimum=1)
    n = _count("unsafe_alloc.count", count, 1)
    return _builtin("unsafe_alloc", [format_size(s), str(n)], s, n)


def socket_write(threads: int, payload: int | str, writes: int, *, hold: int | str = 0) -> Workload:
    """Heap byte[payload] written `writes` times by each of `threads` loopback sockets.

    The JDK copies a heap array through a temporary direct buffer (sun.nio.ch.Util) on 13+.
    `hold` first allocates and keeps that many bytes of direct memory (the culprit), so the
    write is the innocent victim.
    """
    t = _count("socket_write.threads", threads, 1)
    if t > 256:
        raise ConfigError("socket_write.threads", threads, "at most 256 threads")
    p = parse_size(payload, "socket_write.payload", minimum=1)
    if p > (1 << 31) - 16:
        raise ConfigError("socket_write.payload", payload, "a Java array holds at most 2g - 16 bytes")
    w = _count("socket_write.writes", writes, 1)
    h = parse_size(hold, "socket_write.hold")
    label = [str(t), format_size(p), str(w)] + ([f"hold={format_size(h)}"] if h else [])
    return _builtin("socket_write", label, t, p, w, h)


def storm(threads: int, size: int | str, duration: float | str) -> Workload:
    """`threads` threads churn buffers of `size` for `duration` (seconds, or "500ms"/"2s")."""
    t = _count("storm.threads", threads, 1)
    if t > 256:
        raise ConfigError("storm.threads", threads, "at most 256 threads")
    s = parse_size(size, "storm.size", minimum=1)
    ms = _duration_ms("storm.duration", duration)
    return _builtin("storm", [str(t), format_size(s), f"{ms}ms"], t, s, ms)


def _duration_ms(option: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(option, value, 'a duration is seconds (number) or a string like "500ms", "2s"')
    if isinstance(value, str):
        m = _DURATION.match(value)
        if not m:
            raise ConfigError(option, value, 'a duration is seconds (number) or a string like "500ms", "2s"')
        ms = float(m.group(1)) * (1 if m.group(2) == "ms" else 1000)
    else:
        ms = float(value) * 1000
    if ms <= 0 or ms > 3600_000:
        raise ConfigError(option, value, "must be > 0 and at most an hour")
    return int(ms)


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Workload:
    """A module-level Python function fn(jvm, *args, **kwargs) run in the worker (jvm: the jpype module)."""
    if not callable(fn):
        raise ConfigError("call.fn", fn, "must be a module-level Python function")
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise ConfigError("call.fn", fn, "must be a module-level function (not a lambda, closure or local function)")
    if module == "__main__":
        raise ConfigError("call.fn", fn, "must live in an importable module, not __main__")
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise ConfigError("call.fn", fn, f"cannot be imported as {module}:{qualname} ({e})") from None
    if obj is not fn and getattr(obj, "__wrapped__", None) is not fn:
        raise ConfigError("call.fn", fn, f"{module}:{qualname} names a different object")
    try:
        json.dumps([args, kwargs])
    except (TypeError, ValueError) as e:
        raise ConfigError("call.args", (args, kwargs), f"arguments must be JSON-serializable ({e})") from None
    label = f"call({qualname}{', ' if args else ''}{', '.join(map(repr, args))})"
    return Workload("call", f"{module}:{qualname}", tuple(args), tuple(sorted(kwargs.items())), label=label)


def main(class_name: str, *args: object) -> Workload:
    """A Java main class from the classpath, with string arguments."""
    if not isinstance(class_name, str) or not _JAVA_NAME.match(class_name):
        raise ConfigError("main.class_name", class_name, "must be a binary Java class name like com.example.Main")
    out = []
    for a in args:
        if isinstance(a, bool) or not isinstance(a, (str, int, float)):
            raise ConfigError("main.args", a, "main arguments are strings or numbers")
        out.append(str(a))
    return Workload("main", class_name, tuple(out), label=f"main({class_name}{''.join(' ' + a for a in out)})")


def static(target: str, *args: object) -> Workload:
    """A public static Java method, "pkg.Class#method", with int/float/str/bool/None arguments."""
    if not isinstance(target, str) or not _STATIC.match(target):
        raise ConfigError("static.target", target, 'must look like "com.example.Leak#run"')
    for a in args:
        if a is not None and not isinstance(a, (str, int, float, bool)):
            raise ConfigError("static.args", a, "static arguments are int, float, str, bool or None")
    return Workload("static", target, tuple(args), label=f"static({target}{''.join(', ' + repr(a) for a in args)})")


def _type_tag(a: object) -> str:
    if a is None:
        return "null"
    if isinstance(a, bool):
        return "bool"
    if isinstance(a, int):
        return "int"
    if isinstance(a, float):
        return "float"
    return "str"


# Netty scenarios (pytest_directmem.netty): thin re-exports, imported on first use.
def netty_alloc(*args: Any, **kwargs: Any) -> Workload:
    """dm.netty.alloc(size="1m", count=None, *, keep_every=1, allocator="default", up_to="256m")."""
    from .netty import alloc

    return alloc(*args, **kwargs)


def netty_loopback(*args: Any, **kwargs: Any) -> Workload:
    """dm.netty.loopback(connections=4, message="8k", messages=1000, *, allocator="default", keep_every=1)."""
    from .netty import loopback

    return loopback(*args, **kwargs)
