"""The launching side of the JPype host's fork server (worker/forkserver.py): one per launching process.

`run_forked` runs one worker spec as a fork of a Python process that imported JPype already, with the
semantics of local.run_group (own session, stdout/stderr files, SIGQUIT then SIGKILL of the whole
group on timeout, Ctrl-C or error; exit code, seconds, the child's peak RSS). `server_for(env)` gives
the server, started on first use, or None when the run must get a fresh worker instead: off with
DIRECTMEM_FORKSERVER=0, no pidfd_open (Linux < 5.3), the server did not start, or the environment that
Python and glibc read only at process start (LD_*, MALLOC_*, GLIBC_TUNABLES, PYTHON*) differs from
the one the server started with.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time

from ..environment import environment

START_TIMEOUT_S = 60.0
_STARTUP_ENV = ("LD_", "MALLOC_", "GLIBC_TUNABLES", "PYTHON")
_lock = threading.Lock()
_server: ForkServer | None = None
_broken: int | None = None  # the pid of a launching process whose server could not start: no retry


def _startup_env(env: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in env.items() if k.startswith(_STARTUP_ENV)))


class ForkServer:
    """One `python -m pytest_directmem.worker.forkserver` child and a thread reading its replies."""

    def __init__(self, env: dict[str, str]):
        self.key = (os.getpid(), _startup_env(env))
        self._cond = threading.Condition()
        self._pids: dict[int, int] = {}  # request id -> pid
        self._exits: dict[int, tuple[int, int, float]] = {}  # pid -> (wait status, rss, monotonic time)
        self._next = 0
        self.alive = True
        self.proc = subprocess.Popen([sys.executable, "-m", "pytest_directmem.worker.forkserver"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self._ready = threading.Event()
        self.error: str | None = None
        threading.Thread(target=self._read, name="directmem-forkserver", daemon=True).start()
        if not self._ready.wait(START_TIMEOUT_S) or self.error:
            self.close()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            msg = json.loads(line)
            with self._cond:
                if "ready" in msg or "error" in msg:
                    self.error = msg.get("error")
                    self._ready.set()
                elif "pid" in msg:
                    self._pids[msg["id"]] = msg["pid"]
                elif "exited" in msg:
                    self._exits[msg["exited"]] = (msg["status"], msg["rss"], time.monotonic())
                self._cond.notify_all()
        with self._cond:
            self.alive = False
            self._ready.set()
            self._cond.notify_all()

    def spawn(self, spec: str, env: dict[str, str], stdout: str, stderr: str) -> int | None:
        """Fork a worker for the spec (an absolute path); its pid, or None when the server is gone."""
        with self._cond:
            if not self.alive:
                return None
            self._next += 1
            rid = self._next
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write((json.dumps({"id": rid, "spec": spec, "env": env, "stdout": stdout,
                                                   "stderr": stderr}) + "\n").encode())
                self.proc.stdin.flush()
            except OSError:
                return None
            self._cond.wait_for(lambda: rid in self._pids or not self.alive)
            return self._pids.pop(rid, None)

    def wait(self, pid: int, timeout: float | None) -> tuple[int, int, float] | None:
        """(wait status, peak RSS bytes, monotonic end) once the worker ended; None at the timeout. A server
        that died took its workers with it (PR_SET_PDEATHSIG): status SIGKILL, no RSS."""
        with self._cond:
            self._cond.wait_for(lambda: pid in self._exits or not self.alive, timeout)
            if pid in self._exits:
                return self._exits.pop(pid)
            return None if self.alive else (signal.SIGKILL, 0, time.monotonic())

    def close(self) -> None:
        """EOF on its stdin: the server SIGKILLs its workers' groups and exits."""
        with self._cond:
            self.alive = False
            self._cond.notify_all()
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass


def _shutdown() -> None:
    """At the launching process's exit: the server (and any worker it still has) is gone before it is."""
    server = _server
    if server is not None and server.key[0] == os.getpid():
        server.close()
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


def server_for(env: dict[str, str]) -> ForkServer | None:
    """The running server, started on first use, when runs in this environment can be forked from it."""
    global _server, _broken
    if not environment().forkserver or not hasattr(os, "pidfd_open") or _broken == os.getpid():
        return None
    with _lock:
        if _server is None or not _server.alive or _server.key[0] != os.getpid():
            if _server is None:
                atexit.register(_shutdown)
            _server = ForkServer(env)
            if not _server.alive:
                _broken = os.getpid()
        server = _server
    return server if server.alive and server.key == (os.getpid(), _startup_env(env)) else None
