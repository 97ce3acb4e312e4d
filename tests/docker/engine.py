"""The Docker engine for tests: a client, or a skip (a failure with DIRECTMEM_REQUIRE_DOCKER=1); what this
process left on it."""

from __future__ import annotations

import os

import pytest


def skip_or_fail(reason: str | None) -> None:
    """Nothing when `reason` is None; else skip the test, or fail it with DIRECTMEM_REQUIRE_DOCKER=1 (CI)."""
    if reason:
        if os.environ.get("DIRECTMEM_REQUIRE_DOCKER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def engine():
    from pytest_directmem.backends.engine import docker_client, docker_unavailable_reason

    skip_or_fail(docker_unavailable_reason())
    return docker_client()


def left_behind(client, pid: int | None = None, *, any_launcher: bool = False,
                busy_under: int | None = None) -> tuple[list, list]:
    """(containers, volumes) still labelled with this (or `pid`'s) launching process; any_launcher: of any
    directmem session at all (an inner pytest's workers, a reproduce run), except, with busy_under, those
    whose launching process still lives below that pid (this test run's other workers, still at work)."""
    from pytest_directmem.backends import docker as backend

    mine = {"label": backend.LABEL_SESSION if any_launcher else f"{backend.LABEL_PID}={pid or os.getpid()}"}
    containers, volumes = client.containers.list(all=True, sparse=True, filters=mine), client.volumes.list(filters=mine)
    if busy_under is not None:
        def at_work(labels: dict) -> bool:
            owner = labels.get(backend.LABEL_PID, "")
            return owner.isdigit() and _descends(int(owner), busy_under)

        containers = [c for c in containers if not at_work(c.attrs.get("Labels") or {})]
        volumes = [v for v in volumes if not at_work(v.attrs.get("Labels") or {})]
    return containers, volumes


def _descends(pid: int, root: int) -> bool:
    """Whether pid is a live process below root (or root itself), by /proc's parent links."""
    while pid > 1:
        if pid == root:
            return True
        try:
            with open(f"/proc/{pid}/stat") as fh:
                pid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return False
    return False


def engines_answering() -> list[tuple[str, object]]:
    """(url, client) of every engine of this process that answers (a killed one is skipped)."""
    from pytest_directmem.backends.engine import configured, engine as at
    from pytest_directmem.errors import BackendUnavailable

    out = []
    for url in configured():
        try:
            out.append((url, at(url).client))
        except BackendUnavailable:
            pass
    return out
