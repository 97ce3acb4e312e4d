"""Classification on journals, outputs and statuses recorded from real runs on JDK 11, 17, 21, 25.

Recorded by tests/data/record/record_runs.py. The expected outcome of each scenario is what the
scenario provokes, written here; the recording's own classification is not consulted.
"""

import json
from pathlib import Path

import pytest

from pytest_directmem.artifacts import read_journal
from pytest_directmem.observe.classify import classify
from pytest_directmem.result import Outcome

RUNS = Path(__file__).parent.parent / "data" / "runs"
PROVOKED = {
    "churn-explicit": Outcome.COMPLETED,
    "churn-disabled": Outcome.DIRECT_OOM,
    "heap-hog": Outcome.HEAP_OOM,
    "unsafe-huge": Outcome.NATIVE_OOM,
    "crash": Outcome.CRASHED,
    "error": Outcome.ERROR,
    "timeout": Outcome.TIMEOUT,
    "python-heap": Outcome.HEAP_OOM,  # a heap OOM, whatever JPype's threads did to the host afterwards
}
RECORDED = sorted(RUNS.glob("jdk*-*"))


def load(d: Path):
    status = json.loads((d / "status.json").read_text())
    output = (d / "stdout.txt").read_text() + "\n" + (d / "stderr.txt").read_text()
    return read_journal(d), output, status


def scenario(d: Path) -> str:
    return d.name.split("-", 1)[1]


def test_every_scenario_recorded_on_every_jdk():
    assert {d.name for d in RECORDED} == {f"jdk{j}-{s}" for j in (11, 17, 21, 25) for s in PROVOKED}


@pytest.mark.parametrize("d", RECORDED, ids=[d.name for d in RECORDED])
def test_recorded_run_classifies_as_provoked(d):
    events, output, st = load(d)
    outcome, oom, error, notes = classify(events, output, st["exit_code"], st["timed_out"], st["hs_err"])
    assert outcome is PROVOKED[scenario(d)]
    if outcome in (Outcome.DIRECT_OOM, Outcome.HEAP_OOM, Outcome.NATIVE_OOM):
        assert oom is not None and error is None
    if outcome is Outcome.ERROR:
        assert "NumberFormatException" in error
    if outcome in (Outcome.COMPLETED, Outcome.TIMEOUT, Outcome.CRASHED):
        assert oom is None


@pytest.mark.parametrize("jdk", [11, 17, 21, 25])
def test_heap_oom_when_the_host_dies_before_journaling(jdk):
    """The JPype host can segfault after a heap OOM: journal cut after workload_start, exit -11."""
    events, output, _ = load(RUNS / f"jdk{jdk}-heap-hog")
    assert "Dumping heap to" in output
    cut = [e for e in events[: [e["event"] for e in events].index("workload_start") + 1]]
    outcome, oom, _, notes = classify(cut, output, -11, False, False)
    assert outcome is Outcome.HEAP_OOM and oom.message == "Java heap space"
    assert any("never journaled" in n for n in notes)


@pytest.mark.parametrize("jdk", [11, 21, 25])
def test_hung_host_after_heap_oom_is_still_a_heap_oom(jdk):
    events, output, st = load(RUNS / f"jdk{jdk}-python-heap")
    if not st["timed_out"]:
        pytest.skip("this recording did not hang")
    outcome, _, _, notes = classify(events, output, st["exit_code"], True, False)
    assert outcome is Outcome.HEAP_OOM
    assert any("hung after the OutOfMemoryError" in n for n in notes)


def test_crash_without_hs_err_is_still_crashed_by_signal():
    events, output, st = load(RUNS / "jdk17-crash")
    assert classify(events, output, -11, False, False)[0] is Outcome.CRASHED
    assert classify(events, output, st["exit_code"], False, True)[0] is Outcome.CRASHED


def test_completed_needs_exit_zero():
    events, output, _ = load(RUNS / "jdk17-churn-explicit")
    assert classify(events, output, 0, False, False)[0] is Outcome.COMPLETED
    outcome, _, error, _ = classify(events[:3], output, 1, False, False)
    assert outcome is Outcome.ERROR and "before the workload finished" in error


def test_torn_last_line_is_ignored(tmp_path):
    src = (RUNS / "jdk21-churn-disabled" / "journal.jsonl").read_text()
    (tmp_path / "journal.jsonl").write_text(src + '{"event": "workload_do')
    assert [e["event"] for e in read_journal(tmp_path)] == [e["event"] for e in read_journal(RUNS / "jdk21-churn-disabled")]
