"""launch(): validate, pick a backend, let it run the worker and write the artifacts, read them back. No pytest needed."""

from __future__ import annotations

import shutil
from typing import Any

from .backends import get_backend
from .config import JvmConfig
from .errors import BackendUnavailable, ConfigError
from .observe.load import load_run
from .result import Run
from .runs_dir import new_run_dir
from .workloads import Workload


def launch(workload: Workload, **options: Any) -> Run:
    """Run one workload in a fresh JVM and return what happened.

    Options: jdk, backend, heap, max_direct, explicit_gc, gc, heap_dump_on_oom, flags, properties,
    classpath, memory, cpus, timeout, artifacts_dir, host, diagnose (see README). Raises ConfigError before
    any process starts when an option or the workload is bad; a directory the harness made for the run is
    removed again then. Without artifacts_dir the artifacts go to a new directory under
    runs_dir.runs_root() (~/.cache/pytest-directmem/runs, pruned after 7 days); ``run.cleanup()`` or
    ``with dm.launch(...) as run:`` removes it at once.
    """
    return run_config(workload, checked_config(workload, **options))


def checked_config(workload: Workload, **options: Any) -> JvmConfig:
    """The JvmConfig launch() would run `workload` with (``_sources``: option -> where its value came from), with
    the workload checked against it: ConfigError before anything is created or started."""
    sources = options.pop("_sources", None)
    config = JvmConfig.create(sources=sources, **options)
    _check_workload(workload, config)
    return config


def _check_workload(workload: Workload, config: JvmConfig) -> None:
    if not isinstance(workload, Workload):
        raise ConfigError("workload", workload, "build one with dm.workloads.churn(...), hold(...), call(...) ...")
    check_host(workload, config)


def check_host(workload: Workload, config: JvmConfig) -> None:
    """ConfigError naming host when the workload cannot run on the config's host (call() needs JPype)."""
    if config.host == "java" and workload.kind == "call":
        raise ConfigError("host", config.host, "call() runs Python code in the worker: it needs host='jpype' "
                                               "(host='java' runs built-ins, main() and static() only)",
                          config.sources.get("host"))


def run_config(workload: Workload, config: JvmConfig) -> Run:
    """The backend runs the worker and writes the artifacts directory; load_run reads it."""
    _check_workload(workload, config)
    backend = get_backend(config.backend)
    made = config.artifacts_dir is None or not config.artifacts_dir.exists()
    artifacts = config.artifacts_dir or new_run_dir(workload.slug)
    artifacts.mkdir(parents=True, exist_ok=True)
    try:
        backend.launch(workload, config, artifacts)
    except (ConfigError, BackendUnavailable):  # raised before the worker started: leave nothing behind
        if made:
            shutil.rmtree(artifacts, ignore_errors=True)
        raise
    return load_run(artifacts)
