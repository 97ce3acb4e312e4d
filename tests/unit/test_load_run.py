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
