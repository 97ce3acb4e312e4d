"""The Docker engine for tests: a client, or a skip (a failure with DIRECTMEM_REQUIRE_DOCKER=1); what this
process left on it."""

from __future__ import annotations

import os

import pytest


def engine():
    from pytest_directmem.backends.engine import docker_client, docker_unavailable_reason

    reason = docker_unavailable_reason()
    if reason:
        if os.environ.get("DIRECTMEM_REQUIRE_DOCKER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return docker_client()


def left_behind(client, pid: int | None = None, *, any_launcher: bool = False) -> tuple[list, list]:
    """(containers, volumes) still labelled with this (or `pid`'s) launching process; any_launcher: of any
    directmem session at all (an inner pytest's workers, a reproduce run)."""
    from pytest_directmem.backends import docker as backend

    mine = {"label": backend.LABEL_SESSION if any_launcher else f"{backend.LABEL_PID}={pid or os.getpid()}"}
    return client.containers.list(all=True, sparse=True, filters=mine), client.volumes.list(filters=mine)


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
