"""Bare `java` as the oracle: the same JDK and flags as a harness run, no harness in the process."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_directmem.config import JvmConfig, to_jvm_args
from pytest_directmem.jars import fixtures_jar
from pytest_directmem.jdk import resolve_jdk
from pytest_directmem.observe.gclog import parse_gc_log_file
from pytest_directmem.observe.oom import parse_oom_from_output
from pytest_directmem.result import GcSummary, OomError

CASES = Path(__file__).parent / "cases"  # Java programs from public reports (compiled by compile_cases)
SHARED = Path(__file__).parent.parent / "data" / "java"  # the case programs other suites use too


@dataclass(frozen=True)
class BareRun:
    exit_code: int
    stdout: str
    stderr: str
    gc: GcSummary
    oom: OomError | None  # the first uncaught OutOfMemoryError the JVM printed


def bare_java(directory: Path, *argv: str, **options: Any) -> BareRun:
    """Run `java FLAGS -cp CP ARGV` where FLAGS are exactly the flags a harness run with `options`
    gives its JVM (heap, max_direct, gc, explicit_gc, dump path, -Xlog:gc* into directory/gc.log, ...)."""
    directory.mkdir(parents=True, exist_ok=True)
    config = JvmConfig.create(**options)
    jdk = resolve_jdk(config.jdk)
    flags = to_jvm_args(config, str(directory), jdk.major)
    cp = [str(fixtures_jar()), *map(str, config.classpath)]
    p = subprocess.run([str(jdk.java), *flags, "-cp", ":".join(cp), *argv], cwd=directory, capture_output=True,
                       text=True, timeout=config.timeout)
    return BareRun(p.returncode, p.stdout, p.stderr, parse_gc_log_file(directory / "gc.log"),
                   parse_oom_from_output(p.stdout + "\n" + p.stderr))


def compile_cases(out: Path) -> Path:
    """javac --release 11 every program under cases/ (and the shared BgThread) into out; returns out."""
    sources = sorted(map(str, [*CASES.glob("*.java"), SHARED / "BgThread.java"]))
    subprocess.run(["javac", "--release", "11", "-d", str(out), *sources], check=True)
    return out
