"""Is a Docker engine reachable? Checked once per process, with the reason when it is not."""

from __future__ import annotations

import functools
from typing import Any

from ..errors import BackendUnavailable


@functools.lru_cache(maxsize=1)
def _probe() -> tuple[Any, str | None]:
    try:
        import docker
    except ImportError as e:  # pragma: no cover - docker is a dependency
        return None, f"the docker package is not importable: {e}"
    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as e:  # noqa: BLE001 - any failure means "no engine here"
        return None, f"no Docker engine answers ({type(e).__name__}: {str(e).splitlines()[0][:200]})"
    return client, None


def docker_client() -> Any:
    """A docker-py client whose engine answered a ping, or BackendUnavailable with the reason."""
    client, reason = _probe()
    if client is None:
        raise BackendUnavailable(reason)
    return client


def docker_unavailable_reason() -> str | None:
    return _probe()[1]


def engine_url() -> str:
    """The engine's URL as the user names it (docker-py's DOCKER_HOST, else the local socket)."""
    from ..environment import environment

    return environment().docker_host
