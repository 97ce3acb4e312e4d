"""Real runs shared by the report tests: the seed story (churn with and without explicit GC, a heap OOM)."""

import pytest

import pytest_directmem as dm

W = dm.workloads
SEED = [
    ("churn, explicit GC on", W.churn(50, "1m"), {"explicit_gc": "enabled"}),
    ("churn, -XX:+DisableExplicitGC", W.churn(50, "1m"), {"explicit_gc": "disabled"}),
    ("heap OOM control", W.heap_hog("1m"), {"max_direct": None}),
]


@pytest.fixture(scope="session")
def seed_runs(tmp_path_factory):
    """[(name, Run)]: COMPLETED with System.gc() GCs, DIRECT_OOM without a dump, HEAP_OOM with one."""
    root = tmp_path_factory.mktemp("seed")
    rows = []
    for i, (name, workload, opts) in enumerate(SEED, 1):
        options = {"heap": "64m", "max_direct": "16m", **opts}
        rows.append((name, dm.launch(workload, artifacts_dir=root / str(i), **options)))
    outcomes = [r.outcome for _, r in rows]
    assert outcomes == [dm.Outcome.COMPLETED, dm.Outcome.DIRECT_OOM, dm.Outcome.HEAP_OOM], [r.summary() for _, r in rows]
    return rows
