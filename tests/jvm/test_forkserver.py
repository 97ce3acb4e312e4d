"""The JPype host's fork server: a forked worker is the fresh worker's equal, with the launch-time environment."""

import os

import pytest

import pytest_directmem as dm
from pytest_directmem.artifacts import read_journal
from pytest_directmem.backends import forkserver
from pytest_directmem.backends.local import worker_env
from pytest_directmem.observe.journal import first

pytestmark = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="the fork server needs pidfd_open (Linux 5.3+)")
W = dm.workloads
SEED = dict(heap="64m", max_direct="16m", explicit_gc="disabled")


def _forked(run) -> bool:
    return bool(first(read_journal(run.artifacts), "worker_started").get("forked"))


def test_a_forked_worker_measures_what_a_fresh_one_does(tmp_path, monkeypatch):
    forked = dm.launch(W.churn(200, "1m"), artifacts_dir=tmp_path / "forked", **SEED)
    monkeypatch.setenv("DIRECTMEM_FORKSERVER", "0")
    fresh = dm.launch(W.churn(200, "1m"), artifacts_dir=tmp_path / "fresh", **SEED)
    assert (_forked(forked), _forked(fresh)) == (True, False)
    for run in (forked, fresh):
        run.expect("direct-oom")
    assert (forked.oom.message, forked.gc.explicit_count, forked.exit_code) == \
           (fresh.oom.message, fresh.gc.explicit_count, fresh.exit_code)
    assert first(forked.events, "gc_bridge_detached")["callbacks"] == first(fresh.events, "gc_bridge_detached")["callbacks"]
    assert forked.peak_rss and fresh.peak_rss


def test_the_forked_worker_gets_the_environment_of_its_launch(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_TOOL_OPTIONS", "-Ddirectmem.probe=1")
    seen = dm.launch(W.hold("1k", 1), artifacts_dir=tmp_path / "with")
    monkeypatch.delenv("JAVA_TOOL_OPTIONS")
    unseen = dm.launch(W.hold("1k", 1), artifacts_dir=tmp_path / "without")
    assert _forked(seen) and _forked(unseen)
    assert "Picked up JAVA_TOOL_OPTIONS: -Ddirectmem.probe=1" in seen.stderr
    assert "JAVA_TOOL_OPTIONS" not in unseen.stderr


def test_an_environment_read_at_process_start_gets_a_fresh_worker(tmp_path, monkeypatch):
    dm.launch(W.hold("1k", 1), artifacts_dir=tmp_path / "first")  # the server exists with today's environment
    monkeypatch.setenv("MALLOC_ARENA_MAX", "1")  # glibc reads it once, when the process starts
    run = dm.launch(W.hold("1k", 1), artifacts_dir=tmp_path / "arena")
    run.expect("completed")
    assert not _forked(run)


def test_the_server_ends_on_eof():
    server = forkserver.ForkServer(worker_env()[1])
    assert server.alive and server.error is None
    server.close()
    assert server.proc.wait(timeout=30) == 0
