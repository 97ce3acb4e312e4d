"""Fork server: a Python process that has imported the worker and JPype (no JVM) and forks one worker per run.

The JPype host's per-run fixed cost is mostly starting Python and importing JPype; a fork of a process
that did both already starts the JVM at once. No JVM exists before the fork (a JVM cannot be forked):
each child calls ``jpype.startJVM`` itself, exactly as ``python -m pytest_directmem.worker`` does. Only
Java workloads (built-ins, main, static) are forked: numpy is blocked here, and call() workloads import
the user's modules (the launching process's sys.path) in a fresh worker.

    python -m pytest_directmem.worker.forkserver      (started by backends/forkserver.py)

Protocol, one JSON object per line. stdin, requests: ``{"id": N, "spec": ABSOLUTE SPEC PATH, "env": {...},
"stdout": PATH, "stderr": PATH}``. stdout, replies: ``{"ready": PID}`` once JPype is imported (or
``{"error": TEXT}`` and exit 2); ``{"id": N, "pid": PID}`` when forked; ``{"exited": PID, "status": WAIT
STATUS, "rss": BYTES}`` when reaped (``rss``: the child's ru_maxrss). Each child is a session leader
(kill its group by its pid), with stdin from /dev/null, the given stdout/stderr files, exactly the
given environment and PR_SET_PDEATHSIG on this process. EOF on stdin (the launching process ended or
died): every child's group gets SIGKILL and the server exits.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys

from .main import EXIT_START_FAILED, preload, run_spec


def _reply(obj: dict) -> None:
    os.write(1, (json.dumps(obj) + "\n").encode())


def serve() -> int:  # returns only when JPype cannot be imported
    loaded = preload("builtin")
    if isinstance(loaded, str):
        _reply({"error": loaded})
        return EXIT_START_FAILED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # its own session; the launching process stops it by EOF
    _reply({"ready": os.getpid()})
    children: dict[int, int] = {}  # pidfd -> pid
    pending = b""
    while True:
        ready, _, _ = select.select([0, *children], [], [])
        for fd in ready:
            if fd != 0:
                pid = children.pop(fd)
                os.close(fd)
                _, status, usage = os.wait4(pid, 0)
                _reply({"exited": pid, "status": status, "rss": usage.ru_maxrss * 1024})
                continue
            chunk = os.read(0, 1 << 16)
            if not chunk:
                for pid in children.values():
                    _kill_group(pid)
                os._exit(0)  # at once: nothing here needs Python's finalization
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    _child(request, loaded)  # never returns
                children[os.pidfd_open(pid)] = pid
                _reply({"id": request["id"], "pid": pid})


def _child(request: dict, loaded: tuple) -> None:
    """Become the worker: what `python -m pytest_directmem.worker SPEC` does after its imports. Its end is
    that process's end too: the code returned raises SystemExit and an uncaught exception unwinds to the
    top, both through Python's finalization (JPype's atexit hook) as in a fresh worker."""
    try:
        os.setsid()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, path, flags in ((0, os.devnull, os.O_RDONLY),
                                    (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                    (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
            fd = os.open(path, flags, 0o644)
            os.dup2(fd, target)
            os.close(fd)
        os.closerange(3, os.sysconf("SC_OPEN_MAX") if os.sysconf("SC_OPEN_MAX") > 0 else 4096)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["DIRECTMEM_PARENT_PID"] = str(os.getppid())  # the worker dies with this server
    except BaseException:  # noqa: BLE001 - never return into the server's loop
        os._exit(EXIT_START_FAILED)
    raise SystemExit(run_spec(request["spec"], loaded))


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


if __name__ == "__main__":
    sys.exit(serve())
