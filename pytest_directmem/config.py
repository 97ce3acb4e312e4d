"""JvmConfig: the validated, frozen options of one run, and its pure argv assembly."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from .errors import ConfigError
from .observe.exceptions import xlog_option as exceptions_xlog

BACKENDS = ("local", "docker")
EXPLICIT_GC = ("enabled", "disabled", "concurrent")
GCS = {  # canonical name -> selecting flag
    "G1": "-XX:+UseG1GC",
    "Parallel": "-XX:+UseParallelGC",
    "Serial": "-XX:+UseSerialGC",
    "Z": "-XX:+UseZGC",
    "Shenandoah": "-XX:+UseShenandoahGC",
    "Epsilon": "-XX:+UseEpsilonGC",
}
_GC_ALIASES = {k.lower(): k for k in GCS} | {"zgc": "Z", "g1gc": "G1", "parallelgc": "Parallel", "serialgc": "Serial"}
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE_RE = re.compile(r"^\s*(\d+)\s*([kmgt]?)b?\s*$", re.IGNORECASE)
OPTION_NAMES = (
    "jdk", "backend", "heap", "max_direct", "explicit_gc", "gc", "heap_dump_on_oom", "flags",
    "properties", "classpath", "memory", "cpus", "timeout", "artifacts_dir",
)


def parse_size(value: object, option: str, *, minimum: int = 0, source: str | None = None) -> int:
    """Bytes from an int or a JVM-style size string ("512k", "16m", "1g", case-insensitive)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ConfigError(option, value, 'a size is an int of bytes or a string like "512k", "16m", "1g"', source)
    if isinstance(value, int):
        n = value
    else:
        m = _SIZE_RE.match(value)
        if not m:
            raise ConfigError(option, value, 'not a size: use bytes or a number with k, m, g or t ("16m")', source)
        n = int(m.group(1)) * _UNITS[m.group(2).lower()]
    if n < minimum:
        raise ConfigError(option, value, f"must be at least {format_size(minimum)}", source)
    return n


def format_size(n: int | None) -> str:
    """JVM-style rendering: the largest unit that divides exactly (16777216 -> "16m")."""
    if n is None:
        return "-"
    for unit in ("t", "g", "m", "k"):
        if n and n % _UNITS[unit] == 0:
            return f"{n // _UNITS[unit]}{unit}"
    return str(n)


def human_size(n: int | None) -> str:
    """Approximate rendering for reports: 134217728 -> "128.0 MiB"."""
    if n is None:
        return "-"
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= div:
            return f"{n / div:.1f} {unit}"
    return f"{n} B"


@dataclass(frozen=True)
class JvmConfig:
    jdk: str | None = None
    backend: str = "local"
    heap: int | None = None
    max_direct: int | None = None
    explicit_gc: str = "enabled"
    gc: str | None = None
    heap_dump_on_oom: bool = True
    flags: tuple[str, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    classpath: tuple[Path, ...] = ()
    memory: int | None = None
    cpus: float | None = None
    timeout: float = 60.0
    artifacts_dir: Path | None = None
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def create(cls, *, sources: Mapping[str, str] | None = None, **options: Any) -> JvmConfig:
        """Validate every option; raise ConfigError naming the first bad one (and its source)."""
        src = dict(sources or {})
        for name in options:
            if name not in OPTION_NAMES:
                raise ConfigError(name, options[name], f"unknown option; known: {', '.join(OPTION_NAMES)}", src.get(name))
        o = dict(options)

        def where(name: str) -> str | None:
            return src.get(name)

        from .jdk import validate_jdk_spec

        jdk = validate_jdk_spec(o.get("jdk"), where("jdk"))
        backend = _choice("backend", o.get("backend", "local"), BACKENDS, where("backend"))
        heap = None if o.get("heap") is None else parse_size(o["heap"], "heap", minimum=2 << 20, source=where("heap"))
        md = o.get("max_direct")
        max_direct = None if md is None else parse_size(md, "max_direct", source=where("max_direct"))
        explicit_gc = _choice("explicit_gc", o.get("explicit_gc", "enabled"), EXPLICIT_GC, where("explicit_gc"))
        gc = o.get("gc")
        if gc is not None:
            if not isinstance(gc, str) or gc.lower() not in _GC_ALIASES:
                raise ConfigError("gc", gc, f"unknown collector; choose one of {', '.join(GCS)}", where("gc"))
            gc = _GC_ALIASES[gc.lower()]
        hd = o.get("heap_dump_on_oom", True)
        if not isinstance(hd, bool):
            raise ConfigError("heap_dump_on_oom", hd, "must be True or False", where("heap_dump_on_oom"))
        flags = _flags(o.get("flags", ()), where("flags"))
        properties = _properties(o.get("properties") or {}, where("properties"))
        classpath = _classpath(o.get("classpath", ()), where("classpath"))
        memory = o.get("memory")
        if memory is not None:
            memory = parse_size(memory, "memory", minimum=6 << 20, source=where("memory"))
        cpus = o.get("cpus")
        if cpus is not None:
            if isinstance(cpus, bool) or not isinstance(cpus, (int, float)) or not 0 < cpus <= (os.cpu_count() or 1):
                raise ConfigError("cpus", cpus, f"must be a number in (0, {os.cpu_count()}] (the CPUs of this machine)", where("cpus"))
            cpus = float(cpus)
        if backend == "local":
            for name, value in (("memory", memory), ("cpus", cpus)):
                if value is not None:
                    raise ConfigError(name, o[name], "container limits need backend='docker'", where(name))
        timeout = o.get("timeout", 60.0)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 24 * 3600:
            raise ConfigError("timeout", timeout, "must be a number of seconds > 0 (a run never waits forever)", where("timeout"))
        artifacts = o.get("artifacts_dir")
        if artifacts is not None:
            artifacts = _artifacts_dir(artifacts, where("artifacts_dir"))
        config = cls(
            jdk=jdk, backend=backend, heap=heap, max_direct=max_direct, explicit_gc=explicit_gc, gc=gc,
            heap_dump_on_oom=hd, flags=flags, properties=properties, classpath=classpath, memory=memory,
            cpus=cpus, timeout=float(timeout), artifacts_dir=artifacts, sources=src,
        )
        _check_contradictions(config)
        return config

    def describe(self) -> dict[str, Any]:
        """The options in force, for reports (sizes rendered JVM-style)."""
        return {
            "backend": self.backend, "jdk": self.jdk or "system", "heap": format_size(self.heap),
            "max_direct": format_size(self.max_direct), "explicit_gc": self.explicit_gc, "gc": self.gc or "default",
            "memory": format_size(self.memory), "cpus": self.cpus, "timeout": self.timeout,
        }


def _choice(option: str, value: object, allowed: Sequence[str], source: str | None) -> str:
    if value not in allowed:
        raise ConfigError(option, value, f"choose one of {', '.join(map(repr, allowed))}", source)
    return str(value)


def _flags(value: object, source: str | None) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError("flags", value, 'pass a list of JVM flags, e.g. flags=["-Xss512k"]', source)
    for f in value:
        if not isinstance(f, str) or not f.startswith("-") or not f.strip() == f or f == "-":
            raise ConfigError("flags", f, "each flag is a string starting with '-' and without surrounding spaces", source)
        if f in ("-cp", "-classpath", "--class-path") or f.startswith(("-Djava.class.path=", "--class-path=")):
            raise ConfigError("flags", f, "use classpath=[...] instead of a classpath flag", source)
        if f.startswith("-XX:HeapDumpPath") or f.startswith("-XX:ErrorFile"):
            raise ConfigError("flags", f, "the harness writes dumps and hs_err files into the artifacts dir", source)
    return tuple(value)


def _properties(value: object, source: str | None) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        raise ConfigError("properties", value, 'pass a mapping, e.g. {"io.netty.maxDirectMemory": "0"}', source)
    out = []
    for k, v in value.items():
        if not isinstance(k, str) or not k or "=" in k or k.strip() != k or " " in k:
            raise ConfigError("properties", k, "a property name is a non-empty string without '=' or spaces", source)
        if isinstance(v, bool):
            v = "true" if v else "false"
        if not isinstance(v, (str, int, float)):
            raise ConfigError(f"properties[{k!r}]", v, "a property value is a string or a number", source)
        out.append((k, str(v)))
    return tuple(out)


def _classpath(value: object, source: str | None) -> tuple[Path, ...]:
    if isinstance(value, (str, Path)) or not isinstance(value, (list, tuple)):
        raise ConfigError("classpath", value, "pass a list of jar files or class directories", source)
    out = []
    for entry in value:
        resolve = getattr(entry, "resolve_classpath", None)  # e.g. Maven coordinates
        paths = resolve() if callable(resolve) else [entry]
        for p in paths:
            if not isinstance(p, (str, Path)):
                raise ConfigError("classpath", p, "an entry is a path (str or Path)", source)
            path = Path(p).expanduser().absolute()
            if not path.exists():
                raise ConfigError("classpath", str(p), "no such file or directory", source)
            out.append(path)
    return tuple(out)


def _artifacts_dir(value: object, source: str | None) -> Path:
    if not isinstance(value, (str, Path)):
        raise ConfigError("artifacts_dir", value, "must be a path", source)
    path = Path(value).expanduser().absolute()
    if ":" in str(path) or "," in str(path):
        raise ConfigError("artifacts_dir", value, "must not contain ':' or ',' (they break -Xlog file=)", source)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ConfigError("artifacts_dir", value, "must be a new or empty directory (old artifacts would be misread)", source)
    return path


_HEAP_FLAG = re.compile(r"^(-Xmx|-XX:MaxHeapSize=)")
_GC_FLAG = re.compile(r"^-XX:\+Use(G1|Parallel|Serial|Z|Shenandoah|Epsilon)GC$")


def _check_contradictions(c: JvmConfig) -> None:
    src = c.sources.get("flags")
    for f in c.flags:
        if c.heap is not None and _HEAP_FLAG.match(f):
            raise ConfigError("flags", f, f"contradicts heap={format_size(c.heap)!r}: set one of them", src)
        if c.max_direct is not None and f.startswith("-XX:MaxDirectMemorySize"):
            raise ConfigError("flags", f, f"contradicts max_direct={format_size(c.max_direct)!r}: set one of them", src)
        if re.match(r"^-XX:[+-](DisableExplicitGC|ExplicitGCInvokesConcurrent)$", f):
            raise ConfigError("flags", f, f"use explicit_gc= ('enabled', 'disabled', 'concurrent'), now {c.explicit_gc!r}", src)
        m = _GC_FLAG.match(f)
        if m and c.gc is not None and m.group(1) != c.gc:
            raise ConfigError("flags", f, f"contradicts gc={c.gc!r}", src)
        if re.match(r"^-XX:[+-]HeapDumpOnOutOfMemoryError$", f) and (f[4] == "+") != c.heap_dump_on_oom:
            raise ConfigError("flags", f, f"contradicts heap_dump_on_oom={c.heap_dump_on_oom}", src)
        if f.startswith("-D"):
            key, _, val = f[2:].partition("=")
            if key in dict(c.properties) and dict(c.properties)[key] != val:
                raise ConfigError("flags", f, f"contradicts properties[{key!r}]={dict(c.properties)[key]!r}", src)


def to_jvm_args(c: JvmConfig, artifacts: str, java_major: int) -> list[str]:
    """The JVM flags of a run, in a fixed order. Pure: the same inputs give the same argv.

    `artifacts` is the artifacts directory as the JVM sees it (a host path, or the mount
    point inside a container).
    """
    a = artifacts.rstrip("/")
    args: list[str] = []
    if c.heap is not None:
        args.append(f"-Xmx{format_size(c.heap)}")
    if c.max_direct is not None:
        args.append(f"-XX:MaxDirectMemorySize={format_size(c.max_direct)}")
    if c.gc is not None:
        if c.gc == "Epsilon" or (c.gc == "Z" and java_major < 15):
            args.append("-XX:+UnlockExperimentalVMOptions")
        args.append(GCS[c.gc])
    if c.explicit_gc == "disabled":
        args.append("-XX:+DisableExplicitGC")
    elif c.explicit_gc == "concurrent":
        args.append("-XX:+ExplicitGCInvokesConcurrent")
    if c.heap_dump_on_oom:
        args += ["-XX:+HeapDumpOnOutOfMemoryError", f"-XX:HeapDumpPath={a}"]
    args.append(f"-XX:ErrorFile={a}/hs_err_pid%p.log")
    args.append(f"-Xlog:gc*:file={a}/gc.log:uptime,level,tags:filecount=0")
    args.append(exceptions_xlog(a))  # every throw: each OutOfMemoryError, its thread and its catcher
    args.append("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
    if java_major >= 22:
        args.append("--enable-native-access=ALL-UNNAMED")
    args += [f"-D{k}={v}" for k, v in c.properties]
    args += list(c.flags)
    return args
