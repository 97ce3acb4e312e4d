"""JvmConfig: the validated, frozen options of one run, ONE table of those options, and pure argv assembly.

``OPTIONS`` is the only place a launch option is described: its parser (validation, ConfigError naming the
option, the value and its source), default, help text, command-line flag(s), whether it is also a session
setting of the pytest plugin (``--directmem-NAME``, ini ``directmem_NAME``, env ``DIRECTMEM_NAME``) and how
it is written back as ``directmem run`` arguments. ``JvmConfig.create``, the plugin, the CLI's launch options,
``compare --variant`` keys and the line that repeats a run all read it. What an option does to the JVM is
in ``to_jvm_args``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from .config_checks import MIN_HEAP, MIN_MEMORY  # noqa: F401 - re-exported; ranges live in config_checks
from .config_checks import CPUS_NOTE, MIN_CPUS, check_all, check_flag, check_property, check_size
from .errors import ConfigError
from .observe.exceptions import xlog_option as exceptions_xlog
from .units import format_size, human_size, parse_size  # noqa: F401 - re-exported: sizes are options' units

BACKENDS = ("local", "docker")
HOSTS = ("jpype", "java")  # what starts the JVM: the Python worker through JPype, or a plain `java` launcher
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
DIAGNOSE_PROPERTY = "directmem.diagnose"
DIAGNOSIS_DIR = "diagnosis"  # artifacts sub-directory: its dump is not matched by the JVM's *.hprof glob


# ------------------------------------------------------------------------------------------ parsers
# Each takes (value, source) and returns the normalized value or raises ConfigError(option, value, ...).

def _choice(option: str, allowed: tuple[str, ...]) -> Callable[[object, str | None], str]:
    def parse(value: object, source: str | None) -> str:
        if value not in allowed:
            raise ConfigError(option, value, f"choose one of {', '.join(map(repr, allowed))}", source)
        return str(value)
    return parse


def _size(option: str, minimum: int = 0) -> Callable[[object, str | None], int | None]:
    """A size parser; the range (a Java long at most, the measured minimums) is config_checks.SIZE_RANGES'."""
    def parse(value: object, source: str | None) -> int | None:
        if value is None:
            return None
        return check_size(option, parse_size(value, option, minimum=minimum, source=source), value, source)
    return parse


def _jdk(value: object, source: str | None) -> str | None:
    from .jdk import validate_jdk_spec

    return validate_jdk_spec(value, source)


def _gc(value: object, source: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.lower() not in _GC_ALIASES:
        raise ConfigError("gc", value, f"unknown collector; choose one of {', '.join(GCS)}", source)
    return _GC_ALIASES[value.lower()]


def _bool(option: str) -> Callable[[object, str | None], bool]:
    def parse(value: object, source: str | None) -> bool:
        if not isinstance(value, bool):
            raise ConfigError(option, value, "must be True or False", source)
        return value
    return parse


_WORDS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


def _switch(option: str) -> Callable[[object, str | None], bool]:
    """A bool; from the command line, environment or ini (a `source` not starting with "@") also one of
    true/false, 1/0, yes/no, on/off."""
    def parse(value: object, source: str | None) -> bool:
        if isinstance(value, str) and source and not source.startswith("@") and value.strip().lower() in _WORDS:
            return _WORDS[value.strip().lower()]
        if not isinstance(value, bool):
            raise ConfigError(option, value, "must be True or False", source)
        return value
    return parse


def _percentage(option: str) -> Callable[[object, str | None], float | None]:
    def parse(value: object, source: str | None) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 100:
            raise ConfigError(option, value, "a percentage in (0, 100]", source)
        return float(value)
    return parse


def _flags(value: object, source: str | None) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError("flags", value, 'pass a list of JVM flags, e.g. flags=["-Xss512k"]', source)
    for f in value:
        if not isinstance(f, str) or not f.startswith("-") or not f.strip() == f or f == "-":
            raise ConfigError("flags", f, "each flag is a string starting with '-' and without surrounding spaces", source)
        check_flag(f, source)  # reserved and silencing flags, sizes a Java long cannot hold
    return tuple(value)


def _properties(value: object, source: str | None) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        raise ConfigError("properties", value, 'pass a mapping, e.g. {"io.netty.maxDirectMemory": "0"}', source)
    out = []
    for k, v in value.items():
        if not isinstance(k, str) or not k or "=" in k or k.strip() != k or " " in k:
            raise ConfigError("properties", k, "a property name is a non-empty string without '=' or spaces", source)
        check_property(k, source)
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


def _docker_hosts(value: object, source: str | None) -> tuple[str, ...]:
    from .backends.engine import parse_hosts

    return parse_hosts(value, source) if value not in (None, "", (), []) else ()


def _cpus(value: object, source: str | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not MIN_CPUS <= value <= (os.cpu_count() or 1):
        raise ConfigError("cpus", value, f"must be a number in [{MIN_CPUS:g}, {os.cpu_count()}]: {CPUS_NOTE}", source)
    return float(value)


def _timeout(value: object, source: str | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 24 * 3600:
        raise ConfigError("timeout", value, "must be a number of seconds > 0 (a run never waits forever)", source)
    return float(value)


def _artifacts_dir(value: object, source: str | None) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, (str, Path)):
        raise ConfigError("artifacts_dir", value, "must be a path", source)
    path = Path(value).expanduser().absolute()
    if ":" in str(path) or "," in str(path):
        raise ConfigError("artifacts_dir", value, "must not contain ':' or ',' (they break -Xlog file=)", source)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ConfigError("artifacts_dir", value, "must be a new or empty directory (old artifacts would be misread)", source)
    return path


# ------------------------------------------------------------------------------------------ the table

@dataclass(frozen=True)
class Option:
    """One launch option. `cli`: its flags on `directmem run/compare` (first = canonical); `cli_type`:
    "text" | "float" | "choice" | "switch" (--x/--no-x) | "multi" (repeatable) | "path"; `switches`:
    extra value-setting flags ({flag: value}); `session`: also a pytest/ini/env setting; `limit`: shown
    in Run.limits, as `show` renders it; `render`: a value as written on the command line."""

    name: str
    default: Any
    parse: Callable[[Any, str | None], Any]
    help: str
    cli: tuple[str, ...] = ()
    cli_type: str = "text"
    choices: tuple[str, ...] = ()
    switches: tuple[tuple[str, Any], ...] = ()
    session: bool = False
    limit: bool = True
    render: Callable[[Any], str] = str
    show: Callable[[Any], Any] = lambda v: v

    @property
    def env(self) -> str:
        return f"DIRECTMEM_{self.name.upper()}"

    @property
    def ini(self) -> str:
        return f"directmem_{self.name}"

    @property
    def pytest_flag(self) -> str:
        return f"--directmem-{self.name.replace('_', '-')}"

    @property
    def cli_flag(self) -> str:
        """The long flag of `directmem run/compare` (``--max-direct``, ``--property`` for -D, ``--heap-dump``):
        the source a ConfigError names for a value given on that command line."""
        flags = [f.split("/")[0] for f in self.cli]
        return next((f for f in flags if f.startswith("--")), flags[0] if flags else self.name)


_float = lambda v: f"{v:g}"  # noqa: E731
OPTIONS: tuple[Option, ...] = (
    Option("backend", "local", _choice("backend", BACKENDS), "where runs happen: local (child process, default) or "
           "docker (containers with cgroup limits)", ("--backend",), "choice", BACKENDS, session=True),
    Option("host", "jpype", _choice("host", HOSTS), "what starts the JVM: jpype (the Python worker, default; the "
           "only host for call()) or java (a plain java launcher runs the same Java runner); for pytest a comma list "
           "(jpype,java) parametrizes tests", ("--host",), "choice",
           HOSTS, session=True),
    Option("jdk", None, _jdk, 'JDK: "system" (default), a major (11, 17, 21, 25: provisioned when missing) or a '
           "JAVA_HOME; for pytest a comma list parametrizes tests (ids jdk11...)", ("--jdk",), session=True,
           show=lambda v: v or "system"),
    Option("heap", None, _size("heap"), '-Xmx, e.g. "64m"', ("--heap",), render=format_size,
           show=format_size),
    Option("max_direct", None, _size("max_direct"), '-XX:MaxDirectMemorySize, e.g. "16m"', ("--max-direct",),
           render=format_size, show=format_size),
    Option("max_ram_percentage", None, _percentage("max_ram_percentage"), "-XX:MaxRAMPercentage: the default heap "
           "as a percentage of the machine's or container's memory (the default direct limit follows it)",
           ("--max-ram-percentage",), "float", render=_float),
    Option("explicit_gc", "enabled", _choice("explicit_gc", EXPLICIT_GC), "System.gc(): enabled (default), disabled "
           "(-XX:+DisableExplicitGC), concurrent (-XX:+ExplicitGCInvokesConcurrent)", ("--explicit-gc",), "choice",
           EXPLICIT_GC, (("--disable-explicit-gc", "disabled"), ("--concurrent-explicit-gc", "concurrent"))),
    Option("gc", None, _gc, "the collector: G1, Parallel, Serial, Z, Shenandoah or Epsilon", ("--gc",),
           show=lambda v: v or "default"),
    Option("heap_dump_on_oom", True, _bool("heap_dump_on_oom"), "-XX:+HeapDumpOnOutOfMemoryError (default on)",
           ("--heap-dump/--no-heap-dump",), "switch", limit=False),
    Option("properties", {}, _properties, "a system property KEY=VALUE (repeatable)", ("-D", "--property"), "multi",
           limit=False, render=lambda kv: f"{kv[0]}={kv[1]}"),
    Option("flags", (), _flags, "an extra JVM flag, e.g. --flag=-Xss512k (repeatable)", ("--flag",), "multi",
           limit=False),
    Option("classpath", (), _classpath, "a jar or class directory (repeatable)", ("--classpath", "--cp"), "multi",
           limit=False),
    Option("memory", None, _size("memory"), 'container memory limit, e.g. "256m" (docker backend)',
           ("--memory",), render=format_size, show=format_size),
    Option("cpus", None, _cpus, "container CPUs (docker backend)", ("--cpus",), "float", render=_float),
    Option("docker_hosts", (), _docker_hosts, "a Docker engine to spread runs over, unix://, tcp:// or ssh:// "
           "(repeatable; pytest/ini/env: a comma list; default DIRECTMEM_DOCKER_HOSTS, else DOCKER_HOST, else the local socket)",
           ("--docker-host",), "multi", session=True, limit=False),
    Option("timeout", 60.0, _timeout, "seconds before the run is killed (default 60)", ("--timeout",), "float",
           render=_float),
    Option("diagnose", False, _switch("diagnose"), "investigate: a heap dump at the first direct OOM (live=false) with its "
           "holders and garbage, NMT's native memory per category (peak committed)", ("--diagnose/--no-diagnose",),
           "switch", session=True, limit=False),
    Option("artifacts_dir", None, _artifacts_dir, "a new or empty directory for the artifacts", ("--artifacts-dir",),
           "path", limit=False),
)
BY_NAME = {o.name: o for o in OPTIONS}
OPTION_NAMES = tuple(BY_NAME)


@dataclass(frozen=True)
class JvmConfig:
    jdk: str | None = None
    backend: str = "local"
    heap: int | None = None
    max_direct: int | None = None
    max_ram_percentage: float | None = None
    explicit_gc: str = "enabled"
    gc: str | None = None
    heap_dump_on_oom: bool = True
    flags: tuple[str, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    classpath: tuple[Path, ...] = ()
    memory: int | None = None
    cpus: float | None = None
    timeout: float = 60.0
    diagnose: bool = False
    artifacts_dir: Path | None = None
    host: str = "jpype"
    docker_hosts: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def create(cls, *, sources: Mapping[str, str] | None = None, **options: Any) -> JvmConfig:
        """Validate every option (OPTIONS' parsers, then the contradictions between them); raise ConfigError
        naming the first bad one and where its value came from (`sources`: option -> "marker", "--jdk"...)."""
        src = dict(sources or {})
        for name in options:
            if name not in BY_NAME:
                raise ConfigError(name, options[name], f"unknown option; known: {', '.join(OPTION_NAMES)}", src.get(name))
        backend = BY_NAME["backend"].parse(options.get("backend", BY_NAME["backend"].default), src.get("backend"))
        for name in ("memory", "cpus"):  # before their own checks: "must be at least 48m" would not help on local
            if backend == "local" and options.get(name) is not None:
                raise ConfigError(name, options[name], "container limits need backend='docker'", src.get(name))
        values = {o.name: o.parse(options.get(o.name, o.default), src.get(o.name)) for o in OPTIONS}
        config = cls(**values, sources=src)
        check_all(config)  # config_checks.CONTRADICTIONS
        return config

    def describe(self) -> dict[str, Any]:
        """The options in force, for reports (sizes rendered JVM-style): Run.limits."""
        return {o.name: o.show(getattr(self, o.name)) for o in OPTIONS if o.limit}

    def cli_args(self) -> list[str]:
        """The `directmem run` options that give this config back (defaults and artifacts_dir left out)."""
        argv: list[str] = []
        for o in OPTIONS:
            value = getattr(self, o.name)
            if not o.cli or o.name == "artifacts_dir" or value in (o.default, None) or \
                    (o.name == "jdk" and value == "system") or (o.cli_type == "multi" and not value):
                continue
            flag = o.cli[-1] if o.cli[0] == "-D" else o.cli[0]
            if o.cli_type == "switch":
                on, _, off = flag.partition("/")
                argv.append(on if value else off)
            elif o.cli_type == "multi":
                for item in map(o.render, value):
                    argv += [f"{flag}={item}"] if item.startswith("-") else [flag, item]
            elif value in dict((v, f) for f, v in o.switches):
                argv.append(dict((v, f) for f, v in o.switches)[value])
            else:
                argv += [flag, o.render(value)]
        return argv


def to_jvm_args(c: JvmConfig, artifacts: str, java_major: int, profiler: str | None = None) -> list[str]:
    """The JVM flags of a run, in a fixed order. Pure: the same inputs give the same argv.

    `artifacts` is the artifacts directory as the JVM sees it (a host path, or the mount
    point inside a container); `profiler`: async-profiler's library as the JVM sees it (diagnose only;
    None: no allocation sites).
    """
    a = artifacts.rstrip("/")
    args: list[str] = []
    if c.heap is not None:
        args.append(f"-Xmx{format_size(c.heap)}")
    if c.max_direct is not None:
        args.append(f"-XX:MaxDirectMemorySize={format_size(c.max_direct)}")
    if c.max_ram_percentage is not None:
        args.append(f"-XX:MaxRAMPercentage={c.max_ram_percentage:g}")
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
    if c.diagnose:  # java-fixtures Diagnose.java; diagnose/run.py reads what it writes
        args += [f"-D{DIAGNOSE_PROPERTY}={a}/{DIAGNOSIS_DIR}", "-XX:NativeMemoryTracking=summary",
                 "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED"]  # NMT without JMX's server
        if profiler is not None:
            from .diagnose.profiler import agent_flag

            args.append(agent_flag(profiler, f"{a}/{DIAGNOSIS_DIR}/sites.txt", f"{a}/profiler.log"))
    args += [f"-D{k}={v}" for k, v in c.properties]
    args += list(c.flags)
    return args
