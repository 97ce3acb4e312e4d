"""Cleanup of containers whose launcher is gone: the labels every container carries, the sweep of stale
ones at a session's first docker run, and the reaper.

The reaper: a sidecar process per launching process (a pytest session, an xdist worker, a CLI run) and
engine it runs containers on, that removes that process's containers and volumes on that engine within
seconds once it is gone, however it went (SIGKILL,
pytest-timeout's os._exit, a crash), as Testcontainers' Ryuk does.

The launching process holds the write end of a pipe whose read end is the reaper's stdin; nothing else
holds it (file descriptors are not inherited by other children). When the launcher dies, the kernel closes
its end and the reaper reads EOF at once, removes every container and volume labelled with the launcher's
session id (io.directmem.session) and exits. No pid polling, so a reused pid cannot fool it.
"""

from __future__ import annotations

import datetime as _dt
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

LABEL_SESSION = "io.directmem.session"
LABEL_PID = "io.directmem.pid"
LABEL_PID_START = "io.directmem.pid-start"  # the pid's start time: a reused pid is not the owner
LABEL_HOST = "io.directmem.host"
LABEL_ARTIFACTS = "io.directmem.artifacts"
SESSION_ID = uuid.uuid4().hex[:12]  # one per launching process
EXITED_GRACE_S = 60  # an exited container of a live owner older than this is a leak, not a run in progress

_lock = threading.Lock()
_started: dict[tuple[str, str], subprocess.Popen] = {}


def ensure_reaper(session_id: str, label: str, url: str | None = None) -> subprocess.Popen:
    """Start the reaper of this process's session on the engine at `url` (None: docker-py's default) once;
    later calls return the same one."""
    with _lock:
        proc = _started.get((session_id, url or ""))
        if proc is not None and proc.poll() is None:
            return proc
        proc = subprocess.Popen(
            [sys.executable, "-m", "pytest_directmem.backends.reaper", label, session_id, *([url] if url else [])],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C of the session's terminal must not take it down first
            env={**os.environ, "PYTHONPATH": _package_parent()},  # the package, wherever it is installed
        )
        _started[(session_id, url or "")] = proc
        return proc


def _package_parent() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def reap(client: Any, label: str, session_id: str) -> int:
    """Remove the containers, then the volumes, labelled `label=session_id`; return how many containers."""
    flt = {"label": f"{label}={session_id}"}
    removed = 0
    for c in client.containers.list(all=True, sparse=True, filters=flt):
        try:
            client.api.remove_container(c.id, force=True, v=True)
            removed += 1
        except Exception:  # noqa: BLE001 - removed meanwhile
            pass
    for v in client.volumes.list(filters=flt):
        try:
            v.remove(force=True)
        except Exception:  # noqa: BLE001
            pass
    return removed


def owner_labels() -> dict[str, str]:
    """The labels that make a container or volume this process's: the reaper removes it when this process dies,
    and another process's orphan sweep (sweep_stale_containers) leaves it alone while this one lives. A
    container labelled with the session alone has no live owner and is swept at once."""
    pid = os.getpid()
    return {LABEL_SESSION: SESSION_ID, LABEL_PID: str(pid), LABEL_PID_START: _pid_start(pid),
            LABEL_HOST: socket.gethostname()}


def _pid_start(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _owner_alive(labels: dict[str, str]) -> bool:
    if labels.get(LABEL_HOST) not in (None, socket.gethostname()):
        return True  # another machine's run: its pid means nothing here
    pid = labels.get(LABEL_PID, "")
    if not pid.isdigit() or not os.path.exists(f"/proc/{pid}"):
        return False
    start = labels.get(LABEL_PID_START)
    return not start or _pid_start(int(pid)) == start


_swept: set[str] = set()


def sweep_once(client: Any, url: str = "") -> None:
    """At the first docker run of this process (a test session, an xdist worker) on an engine: reap orphans."""
    with _lock:
        if url in _swept:
            return
        _swept.add(url)
    sweep_stale_containers(client)


def sweep_stale_containers(client: Any) -> int:
    """Remove this host's leftover directmem containers; return how many were removed.

    Stale: the launching process (label io.directmem.pid, checked with its start time) is gone, or the
    container exited more than a minute ago. Safe to call while other processes (pytest-xdist workers)
    run containers: a live owner's running container is never touched. For the plugin's session start.
    """
    removed = 0
    for c in client.containers.list(all=True, sparse=True, filters={"label": LABEL_SESSION}):
        labels = c.attrs.get("Labels") or {}
        if _owner_alive(labels) and not _exited_long_ago(client, c.id, c.attrs.get("State")):
            continue
        try:
            client.api.remove_container(c.id, force=True, v=True)
            removed += 1
        except Exception:  # noqa: BLE001 - removed meanwhile
            pass
    for v in client.volumes.list(filters={"label": LABEL_SESSION}):  # copied-in inputs of dead owners
        if not _owner_alive(v.attrs.get("Labels") or {}):
            try:
                v.remove(force=True)
            except Exception:  # noqa: BLE001 - in use or gone
                pass
    return removed


def _exited_long_ago(client: Any, ident: str, state: Any) -> bool:
    if state not in ("exited", "dead"):
        return False
    finished = _inspect_state(client, ident).get("FinishedAt") or ""
    try:  # "2024-05-01T12:34:56.123456789Z": seconds are precise enough
        when = _dt.datetime.fromisoformat(finished[:19] + "+00:00")
    except ValueError:
        return True
    return (_dt.datetime.now(_dt.timezone.utc) - when).total_seconds() > EXITED_GRACE_S


def _inspect_state(client: Any, ident: str) -> dict[str, Any]:
    try:
        return client.api.inspect_container(ident).get("State") or {}
    except Exception:  # noqa: BLE001 - gone already
        return {}


def main(argv: list[str]) -> int:
    label, session_id, *url = argv
    from .dockerclient import client_for

    where = url[0] if url else None
    # unix:// and tcp:// clients connect lazily: made before the wait, reaping starts the moment the launcher
    # dies. An ssh:// client connects at once, and an SSH connection left idle for a whole session may be
    # gone without a word: that one is made when it is needed.
    client = None if (where or "").startswith("ssh://") else client_for(where, 30)
    while os.read(0, 4096):  # EOF: the launcher is gone (or closed the pipe on purpose)
        pass
    for pause in (1, 2, 4, 0):  # an engine that does not answer: a few tries within seconds, then give up
        try:
            reap(client or client_for(where, 30), label, session_id)
            return 0
        except Exception:  # noqa: BLE001 - nobody reads this process's output: try again, afresh
            client = None
            time.sleep(pause)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
