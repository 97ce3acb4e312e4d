"""launch(): validate, pick a backend, run the worker, collect the artifacts into a Run. No pytest needed."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from .backends import JOURNAL_NAME, get_backend
from .config import JvmConfig
from .errors import ConfigError
from .observe.collect import collect
from .result import Run
from .workloads import Workload


def launch(workload: Workload, **options: Any) -> Run:
    """Run one workload in a fresh JVM and return what happened.

    Options: jdk, backend, heap, max_direct, explicit_gc, gc, heap_dump_on_oom, flags, properties,
    classpath, memory, cpus, timeout, artifacts_dir (see README). Raises ConfigError before any
    process starts when an option or the workload is bad.
    """
    sources = options.pop("_sources", None)
    config = JvmConfig.create(sources=sources, **options)
    return run_config(workload, config)


def _journal(artifacts: Path, event: str, **fields: Any) -> None:
    record = {"event": event, "wall_ms": int(time.time() * 1000), "source": "harness", **fields}
    with open(artifacts / JOURNAL_NAME, "a") as fh:
        fh.write(json.dumps(record) + "\n")


def run_config(workload: Workload, config: JvmConfig) -> Run:
    if not isinstance(workload, Workload):
        raise ConfigError("workload", workload, "build one with dm.workloads.churn(...), hold(...), call(...) ...")
    backend = get_backend(config.backend)
    artifacts = config.artifacts_dir or Path(tempfile.mkdtemp(prefix=f"directmem-{workload.slug}-"))
    artifacts.mkdir(parents=True, exist_ok=True)
    proc = backend.launch(workload, config, artifacts)
    if proc.timed_out:  # the journal says who ended the run, for anyone reading it later
        _journal(artifacts, "killed", reason="timeout", timeout_s=config.timeout)
    return collect(artifacts, proc, workload=str(workload), backend=backend.name, limits=config.describe())
