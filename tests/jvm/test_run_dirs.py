"""Artifacts of runs without an artifacts_dir: under the runs root, pruned, removable; nothing left on a
ConfigError raised after the directory was made."""

import os
import time

import pytest

import pytest_directmem as dm
from pytest_directmem.runs_dir import KEEP, prune, runs_root


@pytest.fixture
def runs(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    monkeypatch.setenv("DIRECTMEM_RUNS_DIR", str(root))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    return root


def test_a_config_error_after_the_dir_was_made_leaves_nothing(runs, tmp_path):
    fake = tmp_path / "fakejdk"  # passes validate_jdk_spec (libjvm.so exists) but resolve_jdk fails: no release file
    (fake / "lib" / "server").mkdir(parents=True)
    (fake / "lib" / "server" / "libjvm.so").write_bytes(b"")
    with pytest.raises(dm.ConfigError, match="release"):
        dm.launch(dm.workloads.churn(1, "4k"), jdk=str(fake))
    assert not runs.exists() or list(runs.iterdir()) == []
    with pytest.raises(dm.ConfigError, match="release"):
        dm.launch(dm.workloads.churn(1, "4k"), jdk=str(fake), artifacts_dir=tmp_path / "mine")
    assert not (tmp_path / "mine").exists()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_run_without_artifacts_dir_lives_under_the_runs_root_and_can_be_removed(runs, tmp_path):
    assert runs_root() == runs
    with dm.launch(dm.workloads.churn(1, "4k")) as run:
        assert run.outcome is dm.Outcome.COMPLETED
        assert run.artifacts.parent == runs and (run.artifacts / "journal.jsonl").exists()
    assert not run.artifacts.exists()
    assert list((tmp_path / "tmp").iterdir()) == []  # nothing in the temp dir


def test_prune_keeps_recent_runs_and_drops_old_or_surplus_ones(tmp_path):
    now = time.time()
    made = []
    for i in range(KEEP + 5):
        d = tmp_path / f"directmem-x-{i:03d}"
        d.mkdir()
        age = 2 * 86400 if i < KEEP + 3 else 3600  # the 2 newest are an hour old
        os.utime(d, (now - age - i, now - age - i))
        made.append(d)
    old = tmp_path / "directmem-old"
    old.mkdir()
    os.utime(old, (now - 8 * 86400,) * 2)
    other = tmp_path / "not-ours"
    other.mkdir()
    os.utime(other, (now - 30 * 86400,) * 2)
    removed = prune(tmp_path, now)
    assert old in removed and other.exists()
    left = sorted(p for p in tmp_path.iterdir() if p.name.startswith("directmem-x-"))
    assert len(left) == KEEP and made[-1] in left and made[-2] in left  # the newest survive
    assert prune(tmp_path, now) == []
