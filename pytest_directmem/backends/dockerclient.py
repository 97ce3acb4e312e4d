"""One docker-py client for an engine URL, made the same way by the engine pool and the reaper."""

from __future__ import annotations

from typing import Any


# docker-py keeps a connection pool per request URL (container ids, query strings: nearly every call its own), up
# to num_pools of them, each idle connection an open SSH channel running `docker system dial-stdio`. sshd allows
# MaxSessions channels per connection (10 by default). At docker-py's default for ssh:// (9 pools) one run
# failed against MaxSessions 6; with 4 pools four runs at once pass there (tests/docker/test_engines.py, the
# ssh test), each run on a connection of its own (engine.placed). Fewer pools cost more channel openings:
# bench/ssh_engine.py measured a run at 2.02 s with 2 pools and 1.69 s with 4 (0.72 s on the unix socket).
SSH_POOLS = 4


def client_for(url: str | None, timeout: float) -> Any:
    """A ``docker.DockerClient`` for `url` (unix://, tcp:// or ssh://; timeout in seconds per API call).

    None, or DOCKER_HOST's own URL, goes through ``docker.from_env`` so that docker-py's variables for that
    engine (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) apply. ssh:// goes through paramiko, docker-py's default:
    one SSH connection per client and a channel per HTTP connection (bench/ssh_engine.py on loopback: 2.0 ms
    an API call, against 402 ms for docker-py's shell-out to `ssh`, which starts an ssh process per call).
    It reads Hostname, User, IdentityFile and ProxyCommand from ~/.ssh/config (the port only from the URL:
    docker-py makes it 22), keys from the agent and ~/.ssh, and refuses a host whose key is not in
    ~/.ssh/known_hosts. tcp:// and unix:// connect lazily; ssh:// connects here (an
    SSHException when the host cannot be reached or is not known)."""
    import docker

    from ..environment import environment

    ssh = {"num_pools": SSH_POOLS} if url and url.startswith("ssh://") else {}
    if not url or url == environment().docker_host:
        return docker.from_env(timeout=timeout, **ssh)
    return docker.DockerClient(base_url=url, version="auto", timeout=timeout, **ssh)
