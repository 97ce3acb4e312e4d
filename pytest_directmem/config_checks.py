"""The validation rules over a run's options, as data: size ranges, reserved flags and properties, and
contradictions between options. Every rule is a plain value or a function of the option values, so the
option table can own them; `check_all(config)` applies them and raises the first ConfigError.

Sources of the limits (measured, see tests/unit/test_config_checks.py which re-measures them with bare java):
- JAVA_LONG_MAX: HotSpot parses sizes into a signed 64-bit value; -XX:MaxDirectMemorySize=8388608t (2**63)
  gives "outside the allowed range [ 0 ... 9223372036854775807 ]" and the JVM does not start.
- MIN_HEAP (4m): JDK 11 and 17 refuse -Xmx2m ("GC triggered before VM initialization completed");
  with -Xmx3m JDK 11 starts but the harness's worker ends in a heap OOM before the workload runs;
  4m completes a trivial workload on JDK 11, 17 and 21.
- MIN_MEMORY (48m): the worker (python3 + JPype + the JVM) in a container peaks at about 32 MiB: 16m and 24m
  are OOM-killed before the workload runs, 32m is at the edge (killed on JDK 17 and 21 in one measurement,
  completed in another), 40m completes a trivial workload on JDK 11, 17 and 21; 48m leaves a
  margin. Docker itself refuses less than 6 MiB.
- -Xlog:disable and an -Xlog output to file=gc.log turn off or rewrite the harness's own GC log (measured:
  0 lines instead of 78 for 3 System.gc() calls); -Xlog:gc=off, all=off (stdout), other files and
  -XX:-UsePerfData leave it intact and are allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from .errors import ConfigError

if TYPE_CHECKING:
    from .config import JvmConfig

from .units import JAVA_LONG_MAX  # noqa: E402 - one constant for the whole package
MIN_HEAP = 4 << 20
MIN_MEMORY = 48 << 20
DOCKER_MIN_MEMORY_NOTE = ("the worker (python3, JPype and the JVM) needs about 48m of container memory to start; "
                          "less is OOM-killed before the workload runs")
MIN_CPUS = 0.01
CPUS_NOTE = ("the kernel's CFS quota is at least 1 ms per 100 ms period (0.01 CPU; the engine refuses less with "
             "'cpu.cfs_quota_us: invalid argument'), and at most this machine's CPUs")
from .artifacts import GC_LOG as GC_LOG_NAME  # noqa: E402 - the harness's own GC log


@dataclass(frozen=True)
class SizeRange:
    """Inclusive bounds of a size option, with the reason shown when a value is outside them."""

    minimum: int
    maximum: int
    why_min: str
    why_max: str = "larger than a Java long (9223372036854775807 bytes): the JVM cannot take it"


SIZE_RANGES: dict[str, SizeRange] = {
    "heap": SizeRange(MIN_HEAP, JAVA_LONG_MAX, "the JVM and the harness's worker do not start with less than 4m of heap"),
    "max_direct": SizeRange(0, JAVA_LONG_MAX, "a size is >= 0"),
    "memory": SizeRange(MIN_MEMORY, JAVA_LONG_MAX, DOCKER_MIN_MEMORY_NOTE),
}

# flags whose size argument the JVM parses into a Java long: prefix -> name shown in messages
SIZED_FLAGS = ("-Xms", "-Xmx", "-Xmn", "-Xss", "-XX:MaxDirectMemorySize=", "-XX:InitialHeapSize=",
               "-XX:MaxHeapSize=", "-XX:MinHeapSize=", "-XX:NewSize=", "-XX:MaxNewSize=", "-XX:MaxMetaspaceSize=")

# (pattern, reason): flags the harness owns or that silence what it observes
RESERVED_FLAGS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(-cp|-classpath|--class-path)$|^(-Djava\.class\.path=|--class-path=)"),
     "use classpath=[...] instead of a classpath flag"),
    (re.compile(r"^-XX:(HeapDumpPath|ErrorFile)"), "the harness writes dumps and hs_err files into the artifacts dir"),
    (re.compile(r"^-Xlog:disable$"), "turns off every log output, including the harness's own GC log (gc.log)"),
    (re.compile(r"^-Xlog:.*:file=(\"?)(.*/)?" + re.escape(GC_LOG_NAME) + r"\1(:|$)"),
     "writes to the harness's own GC log file (gc.log); log to another file name"),
    (re.compile(r"^-XX:[+-](DisableExplicitGC|ExplicitGCInvokesConcurrent)$"),
     "use explicit_gc= ('enabled', 'disabled', 'concurrent')"),
)

# system properties the harness sets itself or that another option owns: name -> reason
RESERVED_PROPERTIES: dict[str, str] = {
    "java.class.path": "use classpath=[...]: the harness builds the class path (its runner jar comes first)",
}

_SIZE = re.compile(r"^(\d+)([kKmMgGtT]?)$")
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
GC_SELECT = re.compile(r"^-XX:\+Use(G1|Parallel|Serial|Z|Shenandoah|Epsilon)GC$")


def check_size(option: str, n: int, value: object, source: str | None) -> int:
    """`n` (bytes parsed from `value`) inside SIZE_RANGES[option], else ConfigError."""
    rng = SIZE_RANGES.get(option)
    if rng is None:
        return n
    if n < rng.minimum:
        from .units import format_size

        raise ConfigError(option, value, f"must be at least {format_size(rng.minimum)}: {rng.why_min}", source)
    if n > rng.maximum:
        raise ConfigError(option, value, rng.why_max, source)
    return n


def flag_size(flag: str) -> int | None:
    """Bytes of a sized JVM flag ("-Xms512m" -> 536870912); None for other flags or unparsable sizes."""
    for prefix in SIZED_FLAGS:
        if flag.startswith(prefix):
            m = _SIZE.match(flag[len(prefix):])
            return int(m.group(1)) * _UNITS[m.group(2).lower()] if m else None
    return None


def check_flag(flag: str, source: str | None) -> None:
    """One flag on its own: reserved or silencing flags, sizes a Java long cannot hold."""
    for pattern, reason in RESERVED_FLAGS:
        if pattern.search(flag):
            raise ConfigError("flags", flag, reason, source)
    n = flag_size(flag)
    if n is not None and n > JAVA_LONG_MAX:
        raise ConfigError("flags", flag, SIZE_RANGES["heap"].why_max, source)


def check_property(name: str, source: str | None) -> None:
    if name in RESERVED_PROPERTIES:
        raise ConfigError("properties", name, RESERVED_PROPERTIES[name], source)


# ---- contradictions: each takes the config and returns (option, value, reason) or None ----------------

def _initial_above_max(c: JvmConfig) -> tuple[str, object, str] | None:
    from .units import format_size

    maximum = c.heap
    for f in c.flags:
        if maximum is None and f.startswith(("-Xmx", "-XX:MaxHeapSize=")):
            maximum = flag_size(f)
    if maximum is None:
        return None
    for f in c.flags:
        if f.startswith(("-Xms", "-XX:InitialHeapSize=", "-XX:MinHeapSize=")):
            n = flag_size(f)
            if n is not None and n > maximum:
                return "flags", f, f"initial heap above the maximum heap ({format_size(maximum)}): the JVM does not start"
    return None


def _two_collectors(c: JvmConfig) -> tuple[str, object, str] | None:
    chosen = {GC_SELECT.match(f).group(1): f for f in c.flags if GC_SELECT.match(f)}  # type: ignore[union-attr]
    if c.gc is not None and chosen and set(chosen) != {c.gc}:
        other = next(f for g, f in chosen.items() if g != c.gc)
        return "flags", other, f"contradicts gc={c.gc!r}: one collector per JVM"
    if len(chosen) > 1:
        return "flags", " ".join(chosen.values()), "selects two collectors: the JVM says 'Multiple garbage collectors selected'"
    return None


def _heap_above_memory(c: JvmConfig) -> tuple[str, object, str] | None:
    from .units import format_size

    if c.memory is None or c.heap is None or c.heap < c.memory:
        return None
    return ("memory", format_size(c.memory),
            f"is not above heap={format_size(c.heap)!r}: the container cannot hold the heap (plus the JVM and Python); "
            "raise memory or lower heap")


def _flag_against_option(c: JvmConfig) -> tuple[str, object, str] | None:
    from .units import format_size

    props = dict(c.properties)
    for f in c.flags:
        if c.heap is not None and f.startswith(("-Xmx", "-XX:MaxHeapSize=")):
            return "flags", f, f"contradicts heap={format_size(c.heap)!r}: set one of them"
        if c.max_direct is not None and f.startswith("-XX:MaxDirectMemorySize"):
            return "flags", f, f"contradicts max_direct={format_size(c.max_direct)!r}: set one of them"
        if re.match(r"^-XX:[+-]HeapDumpOnOutOfMemoryError$", f) and (f[4] == "+") != c.heap_dump_on_oom:
            return "flags", f, f"contradicts heap_dump_on_oom={c.heap_dump_on_oom}"
        if f.startswith("-D"):
            key, _, val = f[2:].partition("=")
            if key in RESERVED_PROPERTIES:
                return "flags", f, RESERVED_PROPERTIES[key]
            if key in props and props[key] != val:
                return "flags", f, f"contradicts properties[{key!r}]={props[key]!r}"
    return None


def _docker_needs_major(c: JvmConfig) -> tuple[str, object, str] | None:
    if c.backend == "docker" and c.jdk not in (None, "system") and not str(c.jdk).isdigit():
        return ("jdk", c.jdk, 'the docker backend needs a JDK major ("17", "21") or "system": '
                              "the JDK comes from the image, a host JAVA_HOME cannot be used")
    return None


CONTRADICTIONS: tuple[Callable[[JvmConfig], tuple[str, object, str] | None], ...] = (
    _flag_against_option, _two_collectors, _initial_above_max, _heap_above_memory, _docker_needs_major,
)


def check_all(c: JvmConfig, rules: Iterable[Callable[[JvmConfig], tuple[str, object, str] | None]] = CONTRADICTIONS) -> None:
    """Raise ConfigError for the first contradiction between the options of `c`."""
    for rule in rules:
        problem = rule(c)
        if problem is not None:
            option, value, reason = problem
            raise ConfigError(option, value, reason, c.sources.get(option.split("[")[0]))
