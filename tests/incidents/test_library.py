"""Every incident and variant of the library, compared with its pinned expectation on each JDK.

    pytest tests/incidents --directmem-jdk=11,17,21,25 --directmem-host=jpype,java -n 2

A changed JVM behaviour fails with the facts side by side (expected vs. measured) and the run's
summary. Container variants are marked docker (skipped without an engine unless
DIRECTMEM_REQUIRE_DOCKER=1). The pins are bare java's behaviour, so they hold on both hosts; call()
variants run Python code and are skipped on host="java". Re-pin after an intended change: python -m pytest_directmem.incidents.pin
"""

from __future__ import annotations

import pytest

import pytest_directmem as dm

CASES = [
    pytest.param(incident.id, variant.name, id=f"{incident.id}/{variant.name}",
                 marks=[pytest.mark.docker] if variant.backend == "docker" else [])
    for incident in dm.incidents.all_incidents()
    for variant in incident.variants
]


@pytest.mark.parametrize(("incident_id", "variant"), CASES)
def test_incident_variant(directmem, incident_id: str, variant: str) -> None:
    incident = dm.incidents.get(incident_id)
    chosen = next(v for v in incident.variants if v.name == variant)
    if directmem.defaults.get("host") == "java" and chosen.workload.kind == "call":
        pytest.skip("a call() workload runs Python code in the worker: host='java' cannot run it")
    incident.run(directmem, variants=[variant])  # asserts: expected vs. measured
