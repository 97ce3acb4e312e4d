"""The pin command's rules on recorded results: only facts every pass agreed on; merges keep the rest."""

from __future__ import annotations

import pytest_directmem as dm
from pytest_directmem.incidents import pin, runner
from pytest_directmem.incidents.model import VariantResult


def _result(incident: str, variant: str, major: int, measured: dict, backend: str = "local") -> VariantResult:
    v = dm.incidents.get(incident).variant(variant)
    run = dm.Run(outcome=dm.Outcome.COMPLETED, jvm=dm.JvmInfo(version=f"{major}.0.1", major=major), backend=backend)
    return VariantResult(v, run, measured, None)


def test_a_fact_that_varies_between_passes_is_not_pinned():
    results = [_result("gc-storm", "eight-threads", 11, {"outcome": "COMPLETED", "gc.explicit": ">0"}),
               _result("gc-storm", "eight-threads", 11, {"outcome": "DIRECT_OOM", "gc.explicit": ">0"})]
    tree, problems, _ = pin.collect(results)
    assert problems == ["gc-storm/eight-threads on JDK 11: fact outcome varied over 2 runs: 'COMPLETED', 'DIRECT_OOM'"]


def test_agreeing_passes_are_pinned_per_major_with_the_versions_seen():
    results = [_result("gc-storm", "one-thread", m, {"outcome": "COMPLETED"}) for m in (17, 11, 17)]
    tree, problems, versions = pin.collect(results)
    assert not problems
    assert tree == {"gc-storm": {"one-thread": {"17": {"outcome": "COMPLETED"}, "11": {"outcome": "COMPLETED"}}}}
    assert versions == {"local": {"11": "11.0.1", "17": "17.0.1"}}


def test_runs_without_a_result_abort_the_pinning():
    job = runner.Job(dm.incidents.get("container-default").variant("memory-1g"), "21")
    _, problems, _ = pin.collect([runner.JobFailure(job, "no Docker engine answers")])
    assert problems and "no Docker engine answers" in problems[0]


def test_merge_replaces_what_was_measured_keeps_the_rest_and_drops_removed_variants():
    old = {"gc-storm": {"one-thread": {"11": {"outcome": "X"}, "17": {"outcome": "Y"}}, "gone": {"11": {}}},
           "not-a-registered-incident": {"v": {"11": {"outcome": "Z"}}}}
    new = {"gc-storm": {"one-thread": {"11": {"outcome": "COMPLETED"}}}}
    merged = pin.merge(old, new)
    assert merged["gc-storm"] == {"one-thread": {"11": {"outcome": "COMPLETED"}, "17": {"outcome": "Y"}}}
    assert merged["not-a-registered-incident"] == {"v": {"11": {"outcome": "Z"}}}  # pins of a group not loaded survive


def test_the_plan_runs_docker_variants_first_and_repeats_whole_passes():
    jobs = runner.plan([dm.incidents.get("unsafe-outside")], ["11", "25"], repeat=2)
    assert [(j.variant.name, j.jdk, j.index) for j in jobs] == [
        ("container-256m", "11", 0), ("container-256m", "25", 0), ("local-64m", "11", 0), ("local-64m", "25", 0),
        ("container-256m", "11", 1), ("container-256m", "25", 1), ("local-64m", "11", 1), ("local-64m", "25", 1)]


def test_stability_report_names_the_unstable_pairs():
    results = [_result("gc-storm", "one-thread", 11, {"outcome": o}) for o in ("COMPLETED", "COMPLETED", "DIRECT_OOM")]
    text, stable = runner.stability_report(results)
    assert not stable
    assert "0 of 1 (variant, JDK) pairs" in text and "UNSTABLE gc-storm/one-thread on JDK 11" in text
