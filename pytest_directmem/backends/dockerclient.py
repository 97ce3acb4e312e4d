"""One docker-py client for an engine URL, made the same way by the engine pool and the reaper."""

from __future__ import annotations

from typing import Any


def client_for(url: str | None, timeout: float) -> Any:
    """A ``docker.DockerClient`` for `url` (unix://, tcp:// or ssh://; timeout in seconds per API call).

    None, or DOCKER_HOST's own URL, goes through ``docker.from_env`` so that docker-py's variables for that
    engine (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) apply; ssh:// uses the user's `ssh` client (its config,
    keys and agent). Connects lazily: errors come with the first API call."""
    import docker

    from ..environment import environment

    ssh = bool(url) and url.startswith("ssh://")
    if not url or url == environment().docker_host:
        return docker.from_env(timeout=timeout, use_ssh_client=ssh)
    return docker.DockerClient(base_url=url, version="auto", timeout=timeout, use_ssh_client=ssh)
