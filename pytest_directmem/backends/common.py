"""What every backend shares: the worker spec, how the process ended (ProcessResult) and status.json."""

from __future__ import annotations

import dataclasses
import os
import shlex
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import artifacts as A
from ..config import JvmConfig
from ..result import ContainerInfo
from ..workloads import Workload

SAMPLE_INTERVAL_MS = 10
PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent  # the directory holding pytest_directmem/


@dataclass
class ProcessResult:
    """How the worker ended, as the backend saw it."""

    exit_code: int | None  # negative: killed by that signal (local); 128+N style for containers
    timed_out: bool
    duration_s: float
    command: str  # a shell command that reproduces the run
    java_version: str | None = None
    java_major: int | None = None
    java_home: str | None = None
    peak_rss: int | None = None
    container: ContainerInfo | None = None
    java_command: str | None = None
    notes: list[str] = field(default_factory=list)


def worker_spec(workload: Workload, *, libjvm: str, jvm_args: list[str], classpath: list[str],
                sys_path: list[str], host: str = "jpype") -> dict[str, Any]:
    """The JSON the worker reads (spec.json); the journal and samples are written beside it."""
    return {
        "version": 1,
        "host": host,
        "libjvm": libjvm,
        "jvm_args": jvm_args,
        "classpath": classpath,
        "workload": workload.to_spec(),
        "sample_interval_ms": SAMPLE_INTERVAL_MS,
        "sys_path": sys_path,
    }


def write_status(artifacts: Path, proc: ProcessResult, workload: Workload, config: JvmConfig, backend: str) -> None:
    """Every backend ends a run with this: status.json (see artifacts.write_status) and, when the run was
    killed at its timeout, a ``killed`` event in the journal for anyone reading it later."""
    if proc.timed_out:
        A.Journal(artifacts, "harness").write("killed", reason="timeout", timeout_s=config.timeout)
    sig = None
    if proc.exit_code is not None and proc.exit_code < 0:
        try:
            sig = signal.Signals(-proc.exit_code).name
        except ValueError:
            sig = None
    workload_args = workload.cli_args(config.cli_args())
    again = None if workload_args is None else shlex.join(["directmem", "run", *workload_args])
    A.write_status(
        artifacts, exit_code=proc.exit_code, signal=sig, timed_out=proc.timed_out, duration_s=proc.duration_s,
        peak_rss=proc.peak_rss, command=proc.command, java_command=proc.java_command, cli_command=again, backend=backend,
        host=config.host,
        workload=str(workload), limits=config.describe(),
        java={"version": proc.java_version, "major": proc.java_major, "home": proc.java_home},
        container=None if proc.container is None else dataclasses.asdict(proc.container), notes=list(proc.notes),
    )


def user_sys_path() -> list[str]:
    """The parent's import path (so call() workloads import the same modules), minus the stdlib."""
    stdlib = {os.path.dirname(os.__file__)}
    return [p for p in sys.path if p and os.path.isdir(p) and p not in stdlib and "lib-dynload" not in p]


def java_host_argv(java: str, jvm_args: list[str], classpath: list[str], workload: Workload,
                   directory: str) -> list[str]:
    """The "java" host: a plain `java` launcher runs directmem.Main, which does what the worker does
    through JPype (journal, sampler, the workload, the exit codes). Paths are as the JVM sees them."""
    spec = workload.to_spec()
    kind = ["--kind", workload.kind] if workload.kind != "builtin" else []
    if workload.kind == "static":
        kind += ["--types", ",".join(spec["types"])]
    d = directory.rstrip("/")
    return [java, *jvm_args, "-cp", os.pathsep.join(classpath), "directmem.Main", "--journal", f"{d}/{A.JOURNAL}",
            "--samples", f"{d}/{A.SAMPLES}", "--interval", str(SAMPLE_INTERVAL_MS), *kind, workload.name, *spec["args"]]


def bare_java_command(java: str, jvm_args: list[str], classpath: list[str], workload: Workload) -> str | None:
    """For Java workloads, the same run without Python: java ... directmem.Main WORKLOAD ARGS."""
    if workload.kind != "builtin":
        return None
    argv = [java, *jvm_args, "-cp", os.pathsep.join(classpath), "directmem.Main", workload.name, *workload.args]
    return shlex.join(argv)
