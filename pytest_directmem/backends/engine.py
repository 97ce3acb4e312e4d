"""The Docker engines of a session: which (``--directmem-docker-hosts``, ``DIRECTMEM_DOCKER_HOSTS``, CLI
``--docker-host``; default DOCKER_HOST, else the local socket), which answer, which is least busy.

An engine is named by its URL: ``unix:///path``, ``tcp://host:port`` or ``ssh://[user@]host[:port]``
(docker-py; ssh:// through paramiko, see dockerclient.client_for). Each process (a pytest session, an xdist worker, a CLI
run) connects lazily; an engine that fails to answer, or fails during a run, is marked dead for the rest of
the process with its reason, and later runs go to the others. ``placed()`` (``pick()``) chooses the live
engine with the fewest directmem runs: other processes' running containers, counted on the engine itself
(every process of every session sees the same load), plus this process's runs placed there and not yet
ended (threads that start together, as ``directmem reproduce --workers N`` does, spread at once); ties broken
by the process id, so that xdist workers started together (consecutive pids) start on different engines.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

from ..errors import BackendUnavailable, ConfigError, DirectmemError

OPTION = "docker_hosts"
SCHEMES = ("unix", "tcp", "ssh")
CLIENT_TIMEOUT_S = 60  # one API call; container.wait() passes its own
PING_TIMEOUT_S = 5
_URL = re.compile(r"^(?P<scheme>[a-z]+)://(?P<rest>.*)$")
_HOSTPORT = re.compile(r"^(?:[A-Za-z0-9_.-]+@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(?P<port>[0-9]{1,5}))?$")


class EngineFailed(DirectmemError):
    """A Docker engine stopped answering during a run (the run's artifacts so far are kept)."""

    def __init__(self, url: str, reason: str):
        self.url = url
        super().__init__(f"the Docker engine {url} failed during the run: {reason}")


def parse_hosts(value: object, source: str | None = None) -> tuple[str, ...]:
    """Engine URLs from a comma/space separated string or a sequence of strings; ConfigError(docker_hosts)."""
    if value is None:
        return ()
    items = re.split(r"[,\s]+", value.strip()) if isinstance(value, str) else list(value)  # type: ignore[arg-type]
    urls: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ConfigError(OPTION, value, "a list of Docker engine URLs (strings)", source)
        url = item.strip().rstrip("/") if item.strip().startswith(("tcp://", "ssh://")) else item.strip()
        if not url:
            continue
        m = _URL.match(url)
        if not m or m["scheme"] not in SCHEMES:
            raise ConfigError(OPTION, item, "an engine URL is unix:///path/to/docker.sock, tcp://HOST:PORT or "
                                            "ssh://[USER@]HOST[:PORT]", source)
        rest = m["rest"]
        if m["scheme"] == "unix" and not rest.startswith("/"):
            raise ConfigError(OPTION, item, "a unix socket URL needs an absolute path: unix:///var/run/docker.sock",
                              source)
        if m["scheme"] != "unix":
            hp = _HOSTPORT.match(rest)
            if not hp or (hp["port"] and not 0 < int(hp["port"]) < 65536):
                raise ConfigError(OPTION, item, f"{m['scheme']}:// needs HOST[:PORT] (port 1-65535), no path", source)
            if m["scheme"] == "tcp" and not hp["port"]:
                raise ConfigError(OPTION, item, "tcp:// needs a port, e.g. tcp://127.0.0.1:2375", source)
        if url in urls:
            raise ConfigError(OPTION, item, "this engine is listed twice", source)
        urls.append(url)
    if not urls:
        raise ConfigError(OPTION, value, "no engine URL given", source)
    return tuple(urls)


@dataclass(frozen=True)
class Engine:
    """One answering engine: its URL (as configured) and a docker-py client connected to it."""

    url: str
    client: Any


_lock = threading.Lock()
_configured: list[tuple[str, ...]] = []
_clients: dict[str, Any] = {}
_dead: dict[str, str] = {}  # url -> why
_inflight: collections.Counter[str] = collections.Counter()  # url -> this process's runs there
_placing = threading.Lock()


def configure(urls: Iterable[str] | None) -> None:
    """Use these engines in this process (None: back to the environment's); forgets earlier failures."""
    with _lock:
        _configured.clear()
        if urls:
            _configured.append(parse_hosts(list(urls)))
        _dead.clear()


def configured(preferred: Sequence[str] = ()) -> tuple[str, ...]:
    """The engines of a run: `preferred` (a run's docker_hosts option), else configure()'s, else
    DIRECTMEM_DOCKER_HOSTS, else DOCKER_HOST or the local socket."""
    from ..environment import environment

    if preferred:
        return tuple(preferred)
    with _lock:
        if _configured:
            return _configured[0]
    env = environment()
    if env.docker_hosts:
        return parse_hosts(env.docker_hosts, "DIRECTMEM_DOCKER_HOSTS")
    return (env.docker_host,)


def _connect(url: str) -> Any:
    with _lock:
        if url in _clients:
            return _clients[url]
    from .dockerclient import client_for

    client = client_for(url, CLIENT_TIMEOUT_S)
    with _lock:
        return _clients.setdefault(url, client)


def _first_line(e: BaseException) -> str:
    """The error in one line, its cause kept ("[Errno 111] Connection refused") when a long message hides it."""
    text = " ".join(str(e).split())
    cause = re.findall(r"\[Errno -?\d+\] [^'\")\]]+", text)
    if cause and len(text) > 160:
        return f"{type(e).__name__}: {cause[-1].strip()}"
    return f"{type(e).__name__}: {text[:200]}"


def skipped(urls: Sequence[str] = ()) -> list[str]:
    """'URL (why)' of the engines of `urls` (default: configured()) this process found dead."""
    urls = configured(urls)
    with _lock:
        return [f"{u} ({_dead[u]})" for u in urls if u in _dead]


def engine(url: str) -> Engine:
    """The engine at `url` if it answers a ping, else BackendUnavailable naming it (and it is marked dead)."""
    with _lock:
        if url in _dead:
            raise BackendUnavailable(f"no Docker engine answers at {url} ({_dead[url]})")
    try:
        client = _connect(url)
        client.api.get(client.api._url("/_ping"), timeout=PING_TIMEOUT_S).raise_for_status()
    except Exception as e:  # noqa: BLE001 - any failure means "not this engine"
        mark_dead(url, _first_line(e))
        raise BackendUnavailable(f"no Docker engine answers at {url} ({_first_line(e)})") from None
    return Engine(url, client)


def mark_dead(url: str, reason: str) -> None:
    with _lock:
        _dead.setdefault(url, reason)
        _clients.pop(url, None)


def is_dead(url: str) -> bool:
    with _lock:
        return url in _dead


def _load(e: Engine) -> int:
    """The engine's directmem runs: other processes' running containers (counted on the engine) and this
    process's runs placed there and not yet ended (counted here: a container that is still being created or
    started is not running yet, and threads that pick together must not all see an idle engine)."""
    from .reaper import LABEL_PID, LABEL_SESSION

    me = str(os.getpid())
    running = e.client.containers.list(filters={"label": LABEL_SESSION, "status": "running"}, sparse=True)
    others = sum(1 for c in running if (c.attrs.get("Labels") or {}).get(LABEL_PID) != me)
    with _lock:
        return others + _inflight[e.url]


@contextlib.contextmanager
def placed(urls: Sequence[str] | None = None) -> Iterator[Engine]:
    """pick() an engine for one run, counted as this process's run there until the block ends."""
    with _placing:  # one choice at a time in this process: each sees the runs placed before it
        e = pick(urls)
        with _lock:
            _inflight[e.url] += 1
    try:
        yield e
    finally:
        with _lock:
            _inflight[e.url] -= 1


def _worker_index() -> int:
    return os.getpid()  # consecutive for xdist workers started together: they start on different engines


def pick(urls: Sequence[str] | None = None) -> Engine:
    """The least busy live engine of `urls` (default: configured()); BackendUnavailable listing every
    engine's reason when none answers."""
    urls = configured(urls or ())
    live: list[tuple[int, int, Engine]] = []
    reasons = []
    for i, url in enumerate(urls):
        try:
            e = engine(url)
            load = _load(e) if len(urls) > 1 else 0
        except BackendUnavailable as exc:
            reasons.append(str(exc))
            continue
        except Exception as exc:  # noqa: BLE001 - answered the ping, then failed
            mark_dead(url, _first_line(exc))
            reasons.append(f"no Docker engine answers at {url} ({_first_line(exc)})")
            continue
        live.append((load, (i - _worker_index()) % len(urls), e))
    if not live:
        raise BackendUnavailable("; ".join(reasons) if len(reasons) > 1 else reasons[0])
    return min(live, key=lambda t: t[:2])[2]


def docker_client() -> Any:
    """A docker-py client of the first configured engine that answers, or BackendUnavailable with the reason."""
    return pick_first().client


def pick_first() -> Engine:
    reasons = []
    for url in configured():
        try:
            return engine(url)
        except BackendUnavailable as e:
            reasons.append(str(e))
    raise BackendUnavailable("; ".join(reasons))


def docker_unavailable_reason() -> str | None:
    """None when at least one configured engine answers, else why none does."""
    try:
        pick_first()
    except BackendUnavailable as e:
        return str(e)
    except ConfigError as e:
        return str(e)
    return None


def engine_url() -> str:
    """The first configured engine's URL (the one `docker_client()` talks to when it answers)."""
    return configured()[0]
