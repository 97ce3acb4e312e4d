"""CLI runs without --artifacts-dir keep theirs in a mkdtemp directory for the user: in tests, that is tmp_path."""

import tempfile

import pytest


@pytest.fixture(autouse=True)
def _artifacts_in_tmp_path(tmp_path, monkeypatch):
    scratch = tmp_path / "tmpdir"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # subprocesses
    monkeypatch.setenv("DIRECTMEM_RUNS_DIR", str(scratch))  # runs without --artifacts-dir
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # CliRunner, in this process
