"""The reaper: a sidecar process per launching process (a pytest session, an xdist worker, a CLI run) that
removes that process's containers and volumes within seconds once it is gone, however it went (SIGKILL,
pytest-timeout's os._exit, a crash), as Testcontainers' Ryuk does.

The launching process holds the write end of a pipe whose read end is the reaper's stdin; nothing else
holds it (file descriptors are not inherited by other children). When the launcher dies, the kernel closes
its end and the reaper reads EOF at once, removes every container and volume labelled with the launcher's
session id (io.directmem.session) and exits. No pid polling, so a reused pid cannot fool it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from typing import Any

_lock = threading.Lock()
_started: dict[str, subprocess.Popen] = {}


def ensure_reaper(session_id: str, label: str) -> subprocess.Popen:
    """Start the reaper of this process's session once; later calls return the same one."""
    with _lock:
        proc = _started.get(session_id)
        if proc is not None and proc.poll() is None:
            return proc
        proc = subprocess.Popen(
            [sys.executable, "-m", "pytest_directmem.backends.reaper", label, session_id],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C of the session's terminal must not take it down first
            env={**os.environ, "PYTHONPATH": _package_parent()},
        )
        _started[session_id] = proc
        return proc


def stop_reaper(session_id: str) -> None:
    """Close the pipe (the reaper sweeps once more and exits) and wait for it; for a clean shutdown."""
    with _lock:
        proc = _started.pop(session_id, None)
    if proc is not None and proc.stdin is not None:
        proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _package_parent() -> str:
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)


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


def main(argv: list[str]) -> int:
    label, session_id = argv
    import docker  # imported before the wait: reaping starts the moment the launcher dies

    client = docker.from_env(timeout=30)
    while os.read(0, 4096):  # EOF: the launcher is gone (or closed the pipe on purpose)
        pass
    reap(client, label, session_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
