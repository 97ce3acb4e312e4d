"""pytest-directmem: reproduce JVM direct-memory exhaustion on purpose and assert on what happened.

    import pytest_directmem as dm
    run = dm.launch(dm.workloads.churn(200, "1m"), max_direct="16m", explicit_gc="disabled")
    assert run.outcome is dm.Outcome.DIRECT_OOM

The names are loaded lazily, so the worker (``python -m pytest_directmem.worker``) starts fast.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: the worker imports this package and typing costs ~3 ms

__all__ = [
    "launch", "load_run", "workloads", "incidents", "Run", "Outcome", "OomError", "GcEvent", "GcSummary", "DirectSummary", "JvmInfo",
    "ContainerInfo", "Sample", "MappedSummary", "JvmConfig", "ConfigError", "BackendUnavailable", "DirectmemError", "maven", "netty",
    "analyze_dump", "DumpAnalysis", "Holder", "Site", "Diagnosis", "okhttp",
]

_MODULES = {"workloads": "workloads", "incidents": "incidents", "netty": "frameworks.netty", "okhttp": "frameworks.okhttp"}
_WHERE = {
    "launch": "launcher", "load_run": "observe.load", "JvmConfig": "config", "maven": "frameworks.maven",
    "ConfigError": "errors", "BackendUnavailable": "errors", "DirectmemError": "errors",
    **{n: "diagnose" for n in ("analyze_dump", "DumpAnalysis", "Holder", "Site", "Diagnosis")},
    **{n: "result" for n in ("Run", "Outcome", "OomError", "GcEvent", "GcSummary", "DirectSummary", "JvmInfo",
                             "ContainerInfo", "Sample", "MappedSummary")},
}

if TYPE_CHECKING:
    from . import incidents, workloads
    from .frameworks import netty, okhttp
    from .frameworks.maven import maven
    from .diagnose import Diagnosis, DumpAnalysis, Holder, Site, analyze_dump
    from .config import JvmConfig
    from .errors import BackendUnavailable, ConfigError, DirectmemError
    from .launcher import launch
    from .observe.load import load_run
    from typing import Any

    from .result import ContainerInfo, DirectSummary, GcEvent, GcSummary, JvmInfo, MappedSummary, OomError, Outcome, Run, Sample


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value = importlib.import_module(f".{_MODULES[name]}", __name__)
    elif name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    else:
        raise AttributeError(f"module 'pytest_directmem' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
