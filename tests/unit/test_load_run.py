"""load_run on whole artifacts directories recorded from real runs (tests/data/record/record_rundirs.py):
the Run rebuilt from the directory alone has the facts the launched Run had, on JDK 11, 17, 21 and 25."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import pytest_directmem as dm
from tests.unit.run_facts import run_facts

DIRS = Path(__file__).parent.parent / "data" / "rundirs"
RECORDED = sorted(d for d in DIRS.iterdir() if (d / "expected.json").is_file())
SCENARIOS = ("completed", "direct-oom", "heap-oom", "timeout", "crash", "oom-killed")


def test_every_scenario_recorded_on_every_jdk():
    assert {d.name for d in RECORDED} == {f"jdk{j}-{s}" for j in (11, 17, 21, 25) for s in SCENARIOS}


@pytest.mark.parametrize("d", RECORDED, ids=[d.name for d in RECORDED])
def test_recorded_directory_gives_the_launched_run(d, tmp_path):
    copy = tmp_path / d.name  # a directory somewhere else: nothing in it may depend on where it was made
    shutil.copytree(d, copy)
    run = dm.load_run(copy)
    expected = json.loads((d / "expected.json").read_text())
    assert run_facts(run) == expected
    assert run.artifacts == copy and run.events and run.spec["workload"]


def test_recorded_outcomes_are_the_provoked_ones():
    provoked = {"completed": "COMPLETED", "direct-oom": "DIRECT_OOM", "heap-oom": "HEAP_OOM", "timeout": "TIMEOUT",
                "crash": "CRASHED", "oom-killed": "OOM_KILLED"}
    for d in RECORDED:
        assert dm.load_run(d).outcome.name == provoked[d.name.split("-", 1)[1]], d.name


def test_a_directory_without_status_still_classifies_from_the_journal(tmp_path):
    """The launching process died before writing status.json: the journal and the output still tell."""
    copy = tmp_path / "r"
    shutil.copytree(DIRS / "jdk17-direct-oom", copy)
    (copy / "status.json").unlink()
    run = dm.load_run(copy)
    assert run.outcome is dm.Outcome.DIRECT_OOM and run.exit_code is None and run.command == ""


def test_not_a_run_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directmem artifacts directory"):
        dm.load_run(tmp_path)


UNFLAGGED = DIRS / "jdk11-oom-killed-unflagged"  # recorded by `taskset -c 0 directmem reproduce --all --repeat 3`


def _with_status(tmp_path, **changes):
    copy = tmp_path / UNFLAGGED.name
    shutil.copytree(UNFLAGGED, copy)
    status = json.loads((copy / "status.json").read_text())
    status.update(changes)
    (copy / "status.json").write_text(json.dumps(status))
    return copy


def test_an_oom_kill_docker_did_not_flag_is_still_oom_killed():
    """A real run where Docker's State.OOMKilled lagged the exit: exit 137, OOMKilled false, the cgroup's peak
    exactly at the 128m limit. The kernel killed it: OOM_KILLED, with a note saying how it was told."""
    status = json.loads((UNFLAGGED / "status.json").read_text())
    assert status["container"]["oom_killed"] is False and status["exit_code"] == 137
    assert status["peak_rss"] == status["container"]["memory_limit"] == 128 << 20
    run = dm.load_run(UNFLAGGED)
    assert run.outcome is dm.Outcome.OOM_KILLED and run.container.oom_killed and run.oom is None
    assert any("Docker reported OOMKilled=false" in n for n in run.notes)


@pytest.mark.parametrize("changes", [
    {"peak_rss": 64 << 20},  # SIGKILL far below the limit: not the OOM killer (e.g. System.exit(137))
    {"timed_out": True},  # the harness's own kill at the timeout
    {"exit_code": 1},
])
def test_other_ends_near_the_same_evidence_are_not_oom_kills(tmp_path, changes):
    run = dm.load_run(_with_status(tmp_path, **changes))
    assert run.outcome is not dm.Outcome.OOM_KILLED and not run.container.oom_killed
    assert not any("OOMKilled=false" in n for n in run.notes)
