"""Running the library: many (variant, JDK) jobs in parallel, pass after pass, and their stability."""

from __future__ import annotations

import collections
import concurrent.futures as cf
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..errors import DirectmemError
from .model import Incident, Variant


@dataclass(frozen=True)
class Job:
    variant: Variant
    jdk: str | None  # None: the system JDK
    backend: str | None = None  # for variants that pin no backend
    index: int = 0  # the pass (0-based) when the library is repeated
    flags: tuple[str, ...] = ()  # extra JVM flags (the caller's own)

    @property
    def label(self) -> str:
        return f"{self.variant} on JDK {self.jdk or 'system'}" + (f" (pass {self.index + 1})" if self.index else "")


@dataclass(frozen=True)
class JobFailure:
    """A job that produced no run: a bad option, no Docker engine, no such JDK."""

    job: Job
    message: str
    ok = False

    @property
    def variant(self) -> Variant:
        return self.job.variant

    def explain(self) -> str:
        return f"incident {self.job.label}: no run: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"incident": self.variant.incident, "variant": self.variant.name, "jdk": self.job.jdk,
                "pass": self.job.index, "ok": False, "failure": self.message, "engine": None}



def plan(incidents: Iterable[Incident], jdks: Sequence[str | None], *, backend: str | None = None, repeat: int = 1,
         variants: Sequence[str] = (), flags: Sequence[str] = ()) -> list[Job]:
    """Every (variant, JDK) of the incidents, pass after pass; docker variants first within a pass."""
    chosen = [v for i in incidents for v in i.variants if not variants or v.name in variants]
    chosen.sort(key=lambda v: v.backend != "docker")
    return [Job(v, jdk, backend, n, tuple(flags)) for n in range(repeat) for v in chosen for jdk in jdks]


def execute(jobs: Sequence[Job], *, workers: int | None = None, root: Path | None = None, keep: bool = False,
            keep_differing: bool = True, progress: Callable[[Any], None] | None = None) -> list[Any]:
    """Run the jobs (``workers`` at a time); results in job order. Artifacts go under ``root`` (a new temp
    dir by default): all of them with ``keep``, else only those of runs that differ from their pins
    (``keep_differing``; the pin command, measuring before anything is pinned, keeps none)."""
    made_root = root is None
    root = Path(tempfile.mkdtemp(prefix="directmem-incidents-")) if root is None else root
    root.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()

    def one(job: Job) -> Any:
        where = root / f"pass{job.index + 1:02d}" / job.variant.incident / f"{job.variant.name}-jdk{job.jdk or 'system'}"
        shutil.rmtree(where, ignore_errors=True)
        overrides: dict[str, Any] = {"artifacts_dir": where}
        if job.jdk is not None:
            overrides["jdk"] = job.jdk
        if job.backend is not None and job.variant.backend is None:
            overrides["backend"] = job.backend
        if job.flags:
            overrides["flags"] = list(job.flags)
        try:
            result: Any = job.variant.run(**overrides)
        except DirectmemError as e:
            result = JobFailure(job, str(e))
        if not keep and (result.ok or not keep_differing):
            shutil.rmtree(where, ignore_errors=True)
        if progress is not None:
            with lock:
                progress(result)
        return result

    with cf.ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        results = list(pool.map(one, jobs))
    if made_root and not keep:
        _remove_empty(root)
    return results


def _remove_empty(root: Path) -> None:
    for d in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            d.rmdir()
        except OSError:
            pass
    try:
        root.rmdir()
    except OSError:
        pass


def key(result: Any) -> tuple[str, str, str, str]:
    """(incident, variant, JDK major or requested JDK, backend) of a result."""
    if isinstance(result, JobFailure):
        return result.variant.incident, result.variant.name, str(result.job.jdk), "-"
    return result.variant.incident, result.variant.name, str(result.major), result.run.backend


def stability(results: Sequence[Any]) -> dict[tuple[str, str, str, str], collections.Counter]:
    """For each (incident, variant, major, backend): how often each distinct set of measured facts occurred."""
    out: dict[tuple[str, str, str, str], collections.Counter] = {}
    for r in results:
        facts = {"failure": r.message} if isinstance(r, JobFailure) else r.measured
        out.setdefault(key(r), collections.Counter())[json.dumps(facts, sort_keys=True)] += 1
    return out


def stability_report(results: Sequence[Any]) -> tuple[str, bool]:
    """Text plus whether every (variant, JDK) measured the same facts in every pass."""
    table = stability(results)
    unstable = {k: c for k, c in table.items() if len(c) > 1}
    passes = max((sum(c.values()) for c in table.values()), default=0)
    lines = [f"stability: {len(table) - len(unstable)} of {len(table)} (variant, JDK) pairs measured the same facts "
             f"in all {passes} passes ({len(results)} runs)"]
    for (incident, variant, major, backend), counter in sorted(unstable.items()):
        lines.append(f"  UNSTABLE {incident}/{variant} on JDK {major} ({backend}):")
        for facts, n in counter.most_common():
            lines.append(f"    {n} x {facts}")
    return "\n".join(lines), not unstable
