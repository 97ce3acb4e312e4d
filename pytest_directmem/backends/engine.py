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
    """The engine at `url` if it answers a ping, else BackendUnavailable naming it (and it is marked dead).
    An ssh:// engine whose connection dropped (an sshd restart, an idle timeout) gets one new connection
    before it is given up: docker-py never reconnects a dropped SSH transport by itself."""
    with _lock:
        if url in _dead:
            raise BackendUnavailable(f"no Docker engine answers at {url} ({_dead[url]})")
    why = ""
    for _ in range(2 if url.startswith("ssh://") else 1):
        try:
            client = _connect(url)
            client.api.get(client.api._url("/_ping"), timeout=PING_TIMEOUT_S).raise_for_status()
            return Engine(url, client)
        except Exception as e:  # noqa: BLE001 - any failure means "not this engine"
            _forget(url)
            why = _first_line(e)
    mark_dead(url, why)
    raise BackendUnavailable(f"no Docker engine answers at {url} ({why})")


def _close(client: Any) -> None:
    try:
        client.close()
    except Exception:  # noqa: BLE001 - a dead connection: nothing to release
        pass


def _forget(url: str) -> None:
    """Drop this process's client of `url` (closed): the next call connects afresh."""
    with _lock:
        client = _clients.pop(url, None)
    if client is not None:
        _close(client)


def mark_dead(url: str, reason: str) -> None:
    with _lock:
        _dead.setdefault(url, reason)
    _forget(url)


def is_dead(url: str) -> bool:
    with _lock:
        return url in _dead


def _others_running(e: Engine) -> int:
    """Running directmem containers on the engine that other processes launched (any session, any machine)."""
    from .reaper import LABEL_SESSION, SESSION_ID

    running = e.client.containers.list(filters={"label": LABEL_SESSION, "status": "running"}, sparse=True)
    return sum(1 for c in running if (c.attrs.get("Labels") or {}).get(LABEL_SESSION) != SESSION_ID)


@contextlib.contextmanager
def placed(urls: Sequence[str] | None = None) -> Iterator[Engine]:
    """The engine for one run: the live engine of `urls` (default: configured()) with the fewest directmem
    runs, counting other processes' running containers (asked of each engine) and this process's runs placed
    there and not yet ended (a container still being created is not running yet: threads that start together
    must not all see an idle engine). The run counts as placed there until the block ends. An ssh:// engine
    gives each run an SSH connection of its own (sshd caps the channels of one connection: MaxSessions,
    10 by default, and every run keeps one or two open). BackendUnavailable listing every engine's reason
    when none answers."""
    live = _live(urls)
    with _lock:  # the choice and the count together: each thread sees the runs placed before it
        chosen = _least_busy(live)
        _inflight[chosen.url] += 1
    own = None
    try:
        if chosen.url.startswith("ssh://"):
            from .dockerclient import client_for

            try:
                own = client_for(chosen.url, CLIENT_TIMEOUT_S)
            except Exception as e:  # noqa: BLE001 - it answered a moment ago
                raise BackendUnavailable(f"no Docker engine answers at {chosen.url} ({_first_line(e)})") from None
            chosen = Engine(chosen.url, own)
        yield chosen
    finally:
        with _lock:
            _inflight[chosen.url] -= 1
        if own is not None:
            _close(own)


def _worker_index() -> int:
    return os.getpid()  # consecutive for xdist workers started together: they start on different engines


def _live(urls: Sequence[str] | None) -> list[tuple[int, int, Engine]]:
    """(other processes' running containers, tie-break, engine) of every live engine of `urls`."""
    urls = configured(urls or ())
    live: list[tuple[int, int, Engine]] = []
    reasons = []
    for i, url in enumerate(urls):
        try:
            e = engine(url)
            load = _others_running(e) if len(urls) > 1 else 0
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
    return live


def pick(urls: Sequence[str] | None = None) -> Engine:
    """The least busy live engine of `urls` (default: configured()), as placed() would choose it now, without
    placing a run there; BackendUnavailable listing every engine's reason when none answers."""
    live = _live(urls)
    with _lock:
        return _least_busy(live)


def _least_busy(live: list[tuple[int, int, Engine]]) -> Engine:
    """Of _live()'s engines, the one with the fewest runs: other processes' and this one's placed (call with
    _lock held); ties by the tie-break."""
    return min(live, key=lambda t: (t[0] + _inflight[t[2].url], t[1]))[2]


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
