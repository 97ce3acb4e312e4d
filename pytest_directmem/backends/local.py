"""Local backend: the worker as a child process in its own process group."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..config import JvmConfig, to_jvm_args
from ..jars import fixtures_jar
from ..jdk import resolve_jdk
from ..workloads import Workload, churn
from .. import artifacts as A
from ..diagnose.profiler import NON_PIE, library_for, non_pie
from ..diagnose.run import write_sites_skipped
from . import cds, forkserver
from .common import (PACKAGE_ROOT, ProcessResult, bare_java_command, java_host_argv, user_sys_path, worker_spec,
                     write_status)

THREAD_DUMP_GRACE_S = 1.0
CDS_WARM_UP = churn(1, "4k")  # loads what every run loads: JPype, the runner, JMX, NIO


def worker_env() -> tuple[str, dict[str, str]]:
    """(PYTHONPATH, environment) of a worker started from this process."""
    pythonpath = os.pathsep.join(p for p in (str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")) if p)
    return pythonpath, {**os.environ, "PYTHONPATH": pythonpath, "PYTHONUNBUFFERED": "1",
                        "DIRECTMEM_PARENT_PID": str(os.getpid())}


def prestart() -> None:
    """Start the fork server in the background now (a CLI that will launch soon overlaps its own imports
    with the server's Python start and `import jpype`); the first launch waits for it."""
    threading.Thread(target=forkserver.server_for, args=(worker_env()[1],), name="directmem-forkserver-start",
                     daemon=True).start()


class LocalBackend:
    name = "local"

    def launch(self, workload: Workload, config: JvmConfig, artifacts: Path) -> ProcessResult:
        jdk = resolve_jdk(config.jdk)
        profiler = library_for(config.diagnose, None if config.host == "java" else sys.executable)
        if config.diagnose and profiler is None and config.host != "java" and non_pie(sys.executable):
            write_sites_skipped(artifacts, NON_PIE)
        jvm_args = to_jvm_args(config, str(artifacts), jdk.major, str(profiler) if profiler else None)
        classpath = [str(fixtures_jar()), *map(str, config.classpath)]
        pythonpath, env = worker_env()

        def start(w: Workload, args: list[str], directory: Path, timeout: float) -> tuple[list[str], tuple]:
            spec = worker_spec(w, libjvm=str(jdk.libjvm), jvm_args=args, classpath=classpath, sys_path=user_sys_path(),
                               host=config.host)
            path = A.write_spec(directory, spec)
            if config.host == "java":
                argv = java_host_argv(str(jdk.java), args, classpath, w, str(directory))
                return argv, run_group(argv, env=env, cwd=directory, timeout=timeout, die_with_parent=True)
            argv = [sys.executable, "-m", "pytest_directmem.worker", str(path)]
            server = forkserver.server_for(env) if w.kind != "call" else None
            forked = server and run_forked(server, path, env=env, cwd=directory, timeout=timeout)
            return argv, forked or run_group(argv, env=env, cwd=directory, timeout=timeout)

        def warm_up(extra: list[str], directory: Path) -> int | None:
            return start(CDS_WARM_UP, extra + to_jvm_args(JvmConfig(), str(directory), jdk.major), directory, 60)[1][0]

        cds_flags = cds.flags(jdk, classpath, config.flags, warm_up, host=config.host)
        argv, (code, timed_out, duration, rss) = start(workload, cds_flags + jvm_args, artifacts, config.timeout)
        command = f"cd {shlex.quote(str(artifacts))} && " + (
            shlex.join(argv) if config.host == "java" else f"PYTHONPATH={shlex.quote(pythonpath)} {shlex.join(argv)}")
        proc = ProcessResult(
            exit_code=code, timed_out=timed_out, duration_s=duration, command=command, peak_rss=rss,
            java_version=jdk.version, java_major=jdk.major, java_home=str(jdk.home),
            java_command=bare_java_command(str(jdk.java), jvm_args, classpath, workload),
        )
        write_status(artifacts, proc, workload, config, self.name)
        return proc


def run_group(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float,
              die_with_parent: bool = False) -> tuple[int | None, bool, float, int | None]:
    """Run argv in a new session with stdout/stderr into cwd's files; kill the whole group on timeout,
    on Ctrl-C and on any error. Returns (exit code, timed out, seconds, peak RSS bytes).
    die_with_parent: the kernel SIGKILLs the child when this process dies (the Python worker does this
    itself; a plain `java` cannot)."""
    reaped: dict[str, Any] = {}
    with open(cwd / A.STDOUT, "wb") as out, open(cwd / A.STDERR, "wb") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd, env=env,
                                start_new_session=True, preexec_fn=_pdeathsig if die_with_parent else None)

    def reap() -> None:  # wait4 gives this child's own peak RSS
        _, status, usage = os.wait4(proc.pid, 0)
        reaped.update(status=status, rss=usage.ru_maxrss * 1024, t=time.monotonic())

    reaper = threading.Thread(target=reap, name=f"directmem-reap-{proc.pid}", daemon=True)
    reaper.start()
    timed_out = False
    try:
        reaper.join(timeout)
        if reaper.is_alive():
            timed_out = True
            _signal_group(proc.pid, signal.SIGQUIT)  # the JVM prints a thread dump to stdout.txt
            reaper.join(THREAD_DUMP_GRACE_S)
    finally:
        _signal_group(proc.pid, signal.SIGKILL)  # also reaps stragglers the worker may have forked
        reaper.join()
        proc.returncode = os.waitstatus_to_exitcode(reaped["status"]) if "status" in reaped else -9
    duration = reaped.get("t", time.monotonic()) - t0
    return proc.returncode, timed_out, duration, reaped.get("rss")


def run_forked(server: forkserver.ForkServer, spec: Path, *, env: dict[str, str], cwd: Path,
               timeout: float) -> tuple[int | None, bool, float, int | None] | None:
    """run_group for a worker forked by the fork server (the same kill semantics and result), or None
    when the server could not fork one (it is gone): the caller starts a fresh worker then."""
    t0 = time.monotonic()
    pid = server.spawn(str(spec.absolute()), env, str(cwd / A.STDOUT), str(cwd / A.STDERR))
    if pid is None:
        return None
    ended, timed_out = None, False
    try:
        ended = server.wait(pid, timeout)
        if ended is None:
            timed_out = True
            _signal_group(pid, signal.SIGQUIT)  # the JVM prints a thread dump to stdout.txt
            ended = server.wait(pid, THREAD_DUMP_GRACE_S)
    finally:
        _signal_group(pid, signal.SIGKILL)
        if ended is None:
            ended = server.wait(pid, None)
    status, rss, t = ended
    return os.waitstatus_to_exitcode(status), timed_out, t - t0, rss or None


def _pdeathsig() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL: survives exec


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
