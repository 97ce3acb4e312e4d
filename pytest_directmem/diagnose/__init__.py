"""Heap-dump diagnosis: direct buffers, who holds them, what is garbage (HPROF 1.0.2, JDK 11-25).

    from pytest_directmem.diagnose import analyze_dump
    a = analyze_dump("x.hprof")

The names are loaded lazily: analysis needs numpy (~0.25 s to import), and every ``load_run`` reads
``diagnose.run`` (which only needs ``diagnose.model``) whether or not the run was diagnosed.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .analysis import analyze_dump
    from .model import Buffer, Diagnosis, DumpAnalysis, Holder, Site

__all__ = ["analyze_dump", "DumpAnalysis", "Holder", "Buffer", "Site", "Diagnosis"]
_WHERE = {"analyze_dump": "analysis", **{n: "model" for n in ("DumpAnalysis", "Holder", "Buffer", "Site", "Diagnosis")}}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
