"""The incident library: real direct-memory incidents as named, runnable scenarios with pinned expectations.

    import pytest_directmem as dm

    def test_explicit_gc_disabled(directmem):           # --directmem-jdk=11,17,21,25 parametrizes
        dm.incidents.get("explicit-gc-disabled").run(directmem)   # asserts: expected vs. measured

    result = dm.incidents.get("seed-victim").variant("victim-write").run(jdk="21")   # without pytest
    print(result.explain())

Each incident's variants run a workload with launch options; the facts that matter (outcome, dumps,
GC causes, a frame of the OOM stack, the computed limit...) are measured per JDK major and pinned
in expected.json by ``python -m pytest_directmem.incidents.pin``. ``directmem incidents`` lists them;
``directmem reproduce ID`` runs one side by side.
"""

from __future__ import annotations

from .model import Incident, IncidentResult, Variant, VariantResult
from .registry import GROUPS, all_incidents, get, ids, register

__all__ = ["Incident", "Variant", "VariantResult", "IncidentResult", "get", "all_incidents", "ids", "register", "GROUPS"]
