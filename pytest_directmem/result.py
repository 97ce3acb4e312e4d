"""Result values of one run: frozen, constructible from recorded artifacts."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .diagnose.model import Diagnosis


class Outcome(enum.Enum):
    """What happened to the run, decided from the journal, JVM output and exit status."""

    COMPLETED = "completed"
    DIRECT_OOM = "direct-oom"
    HEAP_OOM = "heap-oom"
    FRAMEWORK_OOM = "framework-oom"
    NATIVE_OOM = "native-oom"
    OOM_KILLED = "oom-killed"
    CRASHED = "crashed"
    TIMEOUT = "timeout"
    ERROR = "error"

    def __str__(self) -> str:
        return self.name

    @classmethod
    def parse(cls, value: object, option: str = "outcome") -> Outcome:
        """An Outcome from itself, its value ("direct-oom") or its name ("DIRECT_OOM", "direct_oom").

        Raises ConfigError (a ValueError) naming the valid outcomes for anything else.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = value.strip().lower().replace("_", "-")
            for o in cls:
                if o.value == key:
                    return o
        from .errors import ConfigError

        raise ConfigError(option, value, "not an outcome; choose one of " + ", ".join(o.value for o in cls))


class ExpectationFailed(AssertionError):
    """Run.expect() did not match; `.run` is the run (its summary is the message: shown once)."""

    def __init__(self, message: str, run: Any):
        super().__init__(message)
        self.run = run


@dataclass(frozen=True)
class OomError:
    """An OutOfMemoryError the JVM threw (or printed before the host process died)."""

    kind: str  # "direct" | "heap" | "metaspace" | "framework" | "native" | "other"
    message: str | None  # Throwable.getMessage()
    class_name: str = "java.lang.OutOfMemoryError"
    requested: int | None = None
    allocated: int | None = None
    limit: int | None = None
    stack: tuple[str, ...] = ()
    thread: str | None = None  # the thread that threw it (the exceptions log; else where it was reported)
    caught_by: str | None = None  # "pkg.Class.method" whose catch took it; None: it ended its thread or the workload
    carried_by: tuple[str, ...] = ()  # throwables that carried it out, outermost first ("java.io.IOException: ...")
    uptime_s: float | None = None  # JVM uptime when it was thrown (the exceptions log)
    hs_err_summary: str | None = None  # the JVM's fatal native OOM: "Out of Memory Error (os_linux.cpp:2832), ..."

    def __str__(self) -> str:
        return f"{self.class_name}: {self.message}" if self.message else self.class_name

    def where(self) -> str:
        """Thread and catcher in words: 'thread "JDBM writer", uncaught' / 'thread "main", caught by X'."""
        how = f"caught by {self.caught_by}" if self.caught_by else "not caught (ended its thread or the workload)"
        bits = [f'thread "{self.thread}"' if self.thread else "thread unknown", how]
        if self.carried_by:
            bits.append("carried by " + " <- ".join(self.carried_by))
        return ", ".join(bits)


@dataclass(frozen=True)
class GcEvent:
    """One collection from the unified GC log."""

    gc_id: int | None
    uptime_s: float
    name: str  # e.g. "Pause Full", "Pause Young (Concurrent Start)", "Garbage Collection"
    cause: str | None  # e.g. "System.gc()", "G1 Evacuation Pause", "Allocation Failure"
    kind: str  # "young" | "full" | "concurrent" | "other"
    pause_ms: float | None  # for kind "concurrent": the wall time of the concurrent work, not a pause
    before: int | None = None  # heap bytes before
    after: int | None = None
    capacity: int | None = None

    @property
    def explicit(self) -> bool:
        return self.cause == "System.gc()"


@dataclass(frozen=True)
class GcSummary:
    events: tuple[GcEvent, ...] = ()
    collector: str | None = None  # "G1", "Parallel", "Serial", "Z", "Shenandoah", "Epsilon" (the gc= names)

    @property
    def explicit_count(self) -> int:
        """Collections caused by System.gc()."""
        return sum(1 for e in self.events if e.explicit)

    @property
    def full_count(self) -> int:
        return sum(1 for e in self.events if e.kind == "full")

    @property
    def total_pause_ms(self) -> float:
        return round(sum(e.pause_ms or 0.0 for e in self.events if e.kind != "concurrent"), 3)

    def by_cause(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.events:
            key = e.cause or "(none)"
            out[key] = out.get(key, 0) + 1
        return out


@dataclass(frozen=True)
class Sample:
    """One reading of the direct buffer pool, taken on a Java thread."""

    uptime_ms: int
    count: int
    used: int
    capacity: int
    heap_used: int | None = None
    mapped_count: int | None = None  # the "mapped" pool (FileChannel.map), buffers
    mapped_used: int | None = None  # bytes


@dataclass(frozen=True)
class DirectSummary:
    limit: int | None = None  # what the JVM computed (jdk.internal.misc.VM.maxDirectMemory())
    peak_used: int | None = None
    samples: tuple[Sample, ...] = ()


@dataclass(frozen=True)
class MappedSummary:
    """The "mapped" buffer pool (MappedByteBuffer, FileChannel.map): peaks sampled beside the direct pool."""

    peak_used: int | None = None  # bytes
    peak_count: int | None = None  # buffers


@dataclass(frozen=True)
class JvmInfo:
    version: str | None = None  # "17.0.9"
    major: int | None = None
    max_heap: int | None = None  # Runtime.maxMemory()
    vendor: str | None = None
    java_home: str | None = None
    input_args: tuple[str, ...] = ()
    # The host's footprint, per run. heap_used: bytes of Java heap in use when the runner started, before the
    # workload (Runtime.totalMemory() - freeMemory(): the host's objects and their garbage; under JPype its
    # context and class wrappers add 3-5 MB on JDK 11-25, which can change what the first young GC tenures, see README
    # "Hosts"). host_rss: the JPype worker's resident set in bytes before the JVM existed (None on host="java").
    heap_used: int | None = None
    host_rss: int | None = None


@dataclass(frozen=True)
class ContainerInfo:
    oom_killed: bool  # the kernel's OOM killer ended it: Docker's State.OOMKilled, or, where that flag lagged
    # the exit, SIGKILL (137) outside any timeout with the cgroup's peak at the memory limit (observe.load)
    memory_limit: int | None
    image: str | None
    id: str | None = None
    exit_code: int | None = None
    engine: str | None = None  # the Docker engine's URL that ran it, e.g. "unix:///var/run/docker.sock"
    transport: str | None = None  # "bind": the engine read this machine's files; "bind+copy": some inputs went
    # through the engine's input cache (unreadable to the container user); "copy": everything through the API
    copied_in: int = 0  # bytes uploaded to the engine's input cache for this run (0: all cached, or bound)
    copied_out: int = 0  # bytes of artifacts copied back from the engine ("copy" transport)


@dataclass(frozen=True)
class Run:
    """The result of one launch, built by ``observe.load.load_run`` from its artifacts directory alone
    (``dm.load_run(run.artifacts) == run``)."""

    outcome: Outcome
    oom: OomError | None = None
    error: str | None = None
    heap_dumps: list[Path] = field(default_factory=list)
    gc: GcSummary = field(default_factory=GcSummary)
    direct: DirectSummary = field(default_factory=DirectSummary)
    jvm: JvmInfo = field(default_factory=JvmInfo)
    container: ContainerInfo | None = None
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    peak_rss: int | None = None
    artifacts: Path | None = None
    command: str = ""
    backend: str = "local"
    workload: str = ""
    value: Any = None  # what the workload returned (JSON), e.g. {"allocated": 200}
    hs_err: Path | None = None
    limits: dict[str, Any] = field(default_factory=dict)  # the options in force, for reports
    time_to_oom_s: float | None = None
    notes: tuple[str, ...] = ()  # how the evidence was read, e.g. "the worker hung after the OOM"
    timed_out: bool = False  # the harness killed the run at its timeout
    java_command: str | None = None  # the same run without Python (Java workloads), as a shell line
    cli_command: str | None = None  # the `directmem run ...` line that repeats it
    diagnosis: Diagnosis | None = None  # diagnose=True: dump at the first direct OOM, holders, sites, native
    host: str = "jpype"  # what started the JVM: "jpype" (the Python worker) or "java" (a plain java launcher)
    events: tuple[dict[str, Any], ...] = field(default=(), compare=False, repr=False)  # the journal, in order
    spec: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # spec.json: what the worker ran
    ooms: tuple[OomError, ...] = ()  # every OutOfMemoryError thrown in the JVM, in throw order; oom is ooms[0]
    workload_completed: bool = False  # the workload returned normally (main: returned or exited with 0)
    mapped: MappedSummary = field(default_factory=MappedSummary)

    def __repr__(self) -> str:
        from .report.text import run_oneline

        return run_oneline(self)

    def summary(self, tail: int = 40) -> str:
        """The multi-line diagnostic shown in failure reports."""
        from .report.text import run_summary

        return run_summary(self, tail=tail)

    def cleanup(self) -> None:
        """Remove this run's artifacts directory (heap dumps included); `artifacts` then names nothing.

        Runs launched without artifacts_dir live under runs_dir.runs_root() and are pruned after a week
        anyway; call this (or use ``with dm.launch(...) as run:``) to drop one at once.
        """
        import shutil

        if self.artifacts is not None:
            shutil.rmtree(self.artifacts, ignore_errors=True)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def expect(self, outcome: Outcome | str) -> Run:
        """Assert the outcome; on mismatch raise ExpectationFailed (an AssertionError) carrying the whole
        summary. `outcome` is an Outcome, its value or its name; anything else is a ConfigError listing them."""
        want = Outcome.parse(outcome, "expect")
        if self.outcome is not want:
            raise ExpectationFailed(f"expected outcome {want}, got {self.outcome}\n{self.summary()}", self)
        return self
