"""Workloads are values: what the worker runs inside the JVM.

Built-ins run Java code from java-fixtures/ (allocation loops never run in Python: JPype keeps
Java objects reachable from Python, so a Python loop that drops buffers frees nothing).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .errors import ConfigError
from .targets import resolve
from .units import JAVA_LONG_MAX, format_size, parse_duration_ms, parse_size

__all__ = [
    "Workload", "churn", "hold", "heap_hog", "unsafe_alloc", "socket_write", "storm", "call", "main", "static",
]

_JAVA_NAME = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")
_STATIC = re.compile(r"^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)#([A-Za-z_$][\w$]*)$")


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

    def cli_args(self, options: Sequence[str] = ()) -> list[str] | None:
        """The `directmem run` arguments that give this workload back, with ``options`` (launch options such
        as ``["--heap", "64m"]``) placed where click reads them as options: before a ``--`` that a value
        starting with "-" needs (after it, everything is a workload argument). None: keyword arguments of
        call(), which the command line cannot express."""
        if self.kind == "builtin":
            b = BUILTINS[self.name]
            argv = [b.cli]
            for p, java in zip(b.params, self.args):
                if p.default is REQUIRED or java != p.java_default(b.name):
                    argv += [p.cli, p.show(int(java))]
            return argv + list(options)
        if self.kwargs:
            return None
        if self.kind == "call":
            values = [json.dumps(a) for a in self.args]
        elif self.kind == "static":
            values = ["null" if a is None else str(a).lower() if isinstance(a, bool) else str(a) for a in self.args]
        else:
            values = [str(a) for a in self.args]
        return [self.kind, self.name, *options] + (["--"] if any(v.startswith("-") for v in values) else []) + values

    @property
    def slug(self) -> str:
        """A short file-system-safe name ("churn", "call-mymod.fn")."""
        base = self.name if self.kind == "builtin" else f"{self.kind}-{self.name.split(':')[-1].split('#')[-1]}"
        return re.sub(r"[^\w.-]+", "_", base)[:40]


def _count(option: str, value: object, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(option, value, f"must be an int >= {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigError(option, value, f"at most {maximum}")
    return value


REQUIRED = object()
JAVA_ARRAY_MAX = (1 << 31) - 16


@dataclass(frozen=True)
class Param:
    """One argument of a built-in workload, in the Java argument order of directmem.Workloads.

    kind: "count" (int), "size" (bytes: int or "16m") or "duration" ("500ms", seconds); the Java side
    receives the count, the bytes or the milliseconds as a string. `cli_default`: what the command line
    assumes when the option is not given (the Python API requires the argument)."""

    name: str
    kind: str
    minimum: int = 0
    maximum: int | None = None
    default: Any = REQUIRED
    help: str = ""
    cli_default: Any = REQUIRED
    cli_default_unless: str = ""  # another param that, when given, leaves this one unset on the command line

    @property
    def cli(self) -> str:
        return "--" + self.name.replace("_", "-")

    def check(self, workload: str, value: Any) -> int:
        option = f"{workload}.{self.name}"
        if self.kind == "size":
            return parse_size(value, option, minimum=self.minimum, maximum=self.maximum or JAVA_LONG_MAX)
        if self.kind == "duration":
            return parse_duration_ms(value, option)
        return _count(option, value, self.minimum, self.maximum)

    def java_default(self, workload: str) -> str:
        """The Java argument of the default (an unset optional count is 0)."""
        return "0" if self.default in (None, 0) else str(self.check(workload, self.default))

    def show(self, java_value: int) -> str:
        """A checked value as labels and command lines write it: "1m", "500ms", "200"."""
        return format_size(java_value) if self.kind == "size" else f"{java_value}ms" if self.kind == "duration" \
            else str(java_value)


@dataclass(frozen=True)
class Builtin:
    name: str  # the dm.workloads function and the directmem.Workloads name
    params: tuple[Param, ...]
    cli_aliases: tuple[tuple[str, str], ...] = ()  # (other CLI option, param): heap-hog --size = --chunk

    @property
    def cli(self) -> str:
        return self.name.replace("_", "-")


_THREADS = Param("threads", "count", 1, 256, help="threads (at most 256)", cli_default=1)
BUILTINS: dict[str, Builtin] = {b.name: b for b in (
    Builtin("churn", (Param("count", "count", 1, help="number of buffers"), Param("size", "size", 1, help="buffer size"),
                      Param("keep_every", "count", 0, default=0, help="keep every Nth buffer (0: none)"))),
    Builtin("hold", (Param("size", "size", 1, help="buffer size"),
                     Param("count", "count", 1, default=None, help="stop after this many buffers (default: until OOM)"))),
    Builtin("heap_hog", (Param("chunk", "size", 1, JAVA_ARRAY_MAX, default="1m", help="byte[] chunk size"),),
            (("size", "chunk"),)),
    Builtin("unsafe_alloc", (Param("size", "size", 1, help="bytes per allocation"),
                             Param("count", "count", 1, help="allocations"))),
    Builtin("socket_write", (_THREADS, Param("payload", "size", 1, JAVA_ARRAY_MAX, help="heap byte[] per write"),
                             Param("writes", "count", 1, help="writes per thread"),
                             Param("hold", "size", 0, default=0, help="direct bytes kept first (the culprit)")),
            (("size", "payload"), ("count", "writes"))),
    Builtin("storm", (_THREADS, Param("size", "size", 1, help="buffer size"),
                      Param("duration", "duration", default=None, help='how long, "500ms", "2s"', cli_default="2s",
                            cli_default_unless="per_thread"),
                      Param("per_thread", "count", 1, default=None,
                            help="allocations per thread: bounded by volume, not time (with --duration: whichever first)"))),
)}


def builtin(name: str, **values: Any) -> Workload:
    """The built-in `name` with its arguments checked by BUILTINS (ConfigError naming "name.param")."""
    b = BUILTINS[name]
    java, label = [], []
    positional = all(p.default is not REQUIRED for p in b.params)  # heap_hog("1m"): no required argument
    for p in b.params:
        value = values.get(p.name, p.default)
        if value is None:  # an optional count left unset: 0 for the Java side
            java.append(0)
            continue
        checked = p.check(name, value)
        java.append(checked)
        if p.default is REQUIRED or positional:
            label.append(p.show(checked))
        elif str(checked) != p.java_default(name):
            label.append(f"{p.name}={p.show(checked)}")
    return Workload("builtin", name, tuple(str(a) for a in java), label=f"{name}({', '.join(label)})")


def churn(count: int, size: int | str, keep_every: int = 0) -> Workload:
    """Allocate `count` direct buffers of `size`; keep every Nth (0: none), drop the rest."""
    return builtin("churn", count=count, size=size, keep_every=keep_every)


def hold(size: int | str, count: int | None = None) -> Workload:
    """Allocate direct buffers of `size` and keep them (a leak), until OOM or `count` buffers."""
    return builtin("hold", size=size, count=count)


def heap_hog(chunk: int | str = "1m") -> Workload:
    """Fill the Java heap with byte[chunk] until java.lang.OutOfMemoryError: Java heap space."""
    return builtin("heap_hog", chunk=chunk)


def unsafe_alloc(size: int | str, count: int) -> Workload:
    """Unsafe.allocateMemory(size) `count` times, each page touched: native memory outside the limit."""
    return builtin("unsafe_alloc", size=size, count=count)


def socket_write(threads: int, payload: int | str, writes: int, *, hold: int | str = 0) -> Workload:
    """Heap byte[payload] written `writes` times by each of `threads` loopback sockets.

    The JDK copies a heap array through a temporary direct buffer (sun.nio.ch.Util) on 13+.
    `hold` first allocates and keeps that many bytes of direct memory (the culprit), so the
    write is the innocent victim.
    """
    return builtin("socket_write", threads=threads, payload=payload, writes=writes, hold=hold)


def storm(threads: int, size: int | str, duration: float | str | None = None, *, per_thread: int | None = None) -> Workload:
    """`threads` threads churn (allocate and drop) direct buffers of `size` near the limit.

    Bounded by volume with `per_thread` (each thread allocates exactly that many buffers: the same
    work on any machine, under any load), or by wall clock with `duration` (seconds, or
    "500ms"/"2s": how much gets allocated depends on the machine's speed and load). With both, a
    thread stops at whichever comes first. Value: ``{"allocations", "threads"}``.
    """
    if duration is None and per_thread is None:
        raise ConfigError("storm.duration", None, "give per_thread (allocations per thread) or a duration")
    return builtin("storm", threads=threads, size=size, duration=duration, per_thread=per_thread)


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
        obj: Any = resolve(f"{module}:{qualname}")
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
