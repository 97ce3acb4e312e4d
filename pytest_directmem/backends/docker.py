"""Docker backend: the worker in a container with cgroup limits, through docker-py (never the CLI).

The image is runtime only (python3, jpype1, one JDK at /opt/jdk; see images.py). At run time the package
directory, the user's classpath entries and (for call() workloads) the user's import dirs are bind-mounted
read-only, the artifacts dir read-write at /artifacts. The worker's output goes to /artifacts/stdout.txt
and stderr.txt so it survives the container, which is removed on every path: normal end, timeout (SIGQUIT
for a thread dump, then SIGKILL), Ctrl-C, a crashed worker. If the launching process itself is killed, a
watchdog in the container (coreutils ``timeout -s KILL``) ends it, and sweep_stale_containers() removes it.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import itertools
import os
import shlex
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import JvmConfig, format_size, to_jvm_args
from ..errors import ConfigError, JdkUnavailable
from ..jars import fixtures_jar
from ..result import ContainerInfo
from ..workloads import Workload
from .. import artifacts as A
from .common import (PACKAGE_ROOT, ProcessResult, bare_java_command, java_host_argv, user_sys_path, worker_spec,
                     write_status)
from .cgroup import PeakPoller
from .engine import docker_client, engine_url

LABEL_SESSION = "io.directmem.session"
LABEL_PID = "io.directmem.pid"
LABEL_PID_START = "io.directmem.pid-start"  # the pid's start time: a reused pid is not the owner
LABEL_HOST = "io.directmem.host"
LABEL_ARTIFACTS = "io.directmem.artifacts"
SESSION_ID = uuid.uuid4().hex[:12]  # one per launching process
ARTIFACTS = "/artifacts"
PKG_DIR = "/directmem/pkg"  # PYTHONPATH: /directmem/pkg/pytest_directmem is the package
PIDS_LIMIT = 4096  # threads count: storm/socket_write run up to 256 threads (x2) plus the JVM's own
WATCHDOG_GRACE_S = 30  # the in-container watchdog fires this long after the run's timeout
THREAD_DUMP_GRACE_S = 1.0
EXITED_GRACE_S = 60  # an exited container of a live owner older than this is a leak, not a run in progress
DEFAULT_MAJOR = 17
RUN_SCRIPT = ('W=; command -v timeout >/dev/null 2>&1 && W="timeout -s KILL {watchdog}"; '
              'exec $W {argv} >{out} 2>{err}')
JAVA = "/opt/jdk/bin/java"

_lock = threading.Lock()
_images: dict[int, str] = {}
_system_major: list[int] = []
_counter = itertools.count(1)


@dataclass
class Mount:
    source: str
    target: str
    read_only: bool = True


@dataclass
class Plan:
    """Everything a container run needs, computed before anything starts."""

    image: str
    major: int
    user: str
    mounts: list[Mount]
    env: dict[str, str]
    command: list[str]
    jvm_args: list[str]
    classpath: list[str]  # as the container sees it
    spec: dict[str, Any]  # spec.json, as the worker in the container reads it
    limits: dict[str, Any] = field(default_factory=dict)  # docker-py create() keywords


def jdk_major(jdk: str | None) -> int:
    """The JDK major of the image: None/"system" -> the host's system JDK major (else 17), "21" -> 21."""
    if jdk is None or jdk == "system":
        with _lock:
            if not _system_major:
                from ..jdk import resolve_jdk

                try:
                    _system_major.append(resolve_jdk("system").major)
                except (JdkUnavailable, OSError):
                    _system_major.append(DEFAULT_MAJOR)
            return _system_major[0]
    if str(jdk).isdigit():
        return int(jdk)
    raise ConfigError("jdk", jdk, 'the docker backend needs a JDK major ("17", "21") or "system": '
                                  "the JDK comes from the image, a host JAVA_HOME cannot be used")


def image_for(major: int, client: Any) -> str:
    """The runtime image of `major`, built on first use; cached for this process."""
    with _lock:
        if major in _images:
            return _images[major]
    from .images import ensure_image

    tag = ensure_image(major, client=client, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    with _lock:
        _images[major] = tag
    return tag


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


def _user_and_ownership(artifacts: Path) -> str:
    """Run as the host user; as root, run as the image's unprivileged user and give it the artifacts dir."""
    from .images import RUNTIME_UID

    if os.geteuid() != 0:
        return f"{os.getuid()}:{os.getgid()}"
    try:
        os.chown(artifacts, RUNTIME_UID, RUNTIME_UID)
    except OSError:  # a file system without ownership (some network mounts): open it to everyone
        os.chmod(artifacts, 0o777)
    return f"{RUNTIME_UID}:{RUNTIME_UID}"


def plan_run(workload: Workload, config: JvmConfig, artifacts: Path, *, image: str, major: int, user: str,
             jar_path: Path, import_dirs: list[str]) -> Plan:
    """Mounts, spec, env and limits of one run. Pure: reads and writes nothing.

    `jar_path` is the fixtures jar (inside the package directory, which is mounted); `import_dirs` the
    host directories a call() workload imports from (see _user_import_dirs)."""
    from .images import LIBJVM

    pkg = PACKAGE_ROOT / "pytest_directmem"
    mounts = [Mount(str(pkg), f"{PKG_DIR}/{pkg.name}"), Mount(str(artifacts), ARTIFACTS, read_only=False)]
    jar = f"{PKG_DIR}/{pkg.name}/{jar_path.relative_to(pkg).as_posix()}"
    classpath = [jar]
    for i, entry in enumerate(config.classpath):
        target = f"/directmem/cp/{i}/{entry.name or 'root'}"
        mounts.append(Mount(str(entry), target))
        classpath.append(target)
    sys_path = []
    if workload.kind == "call":
        for i, entry in enumerate(import_dirs):
            target = f"/directmem/py/{i}"
            mounts.append(Mount(entry, target))
            sys_path.append(target)
    jvm_args = to_jvm_args(config, ARTIFACTS, major)
    spec = worker_spec(workload, libjvm=LIBJVM, jvm_args=jvm_args, classpath=classpath, sys_path=sys_path,
                       host=config.host)
    if config.host == "java":
        argv = java_host_argv(JAVA, jvm_args, classpath, workload, ARTIFACTS)
    else:
        argv = ["python3", "-m", "pytest_directmem.worker", f"{ARTIFACTS}/{A.SPEC}"]
    script = RUN_SCRIPT.format(watchdog=int(config.timeout + WATCHDOG_GRACE_S), argv=shlex.join(argv),
                               out=f"{ARTIFACTS}/{A.STDOUT}", err=f"{ARTIFACTS}/{A.STDERR}")
    limits: dict[str, Any] = {"network_mode": "none", "pids_limit": PIDS_LIMIT}
    if config.memory is not None:
        limits.update(mem_limit=config.memory, memswap_limit=config.memory)
    if config.cpus is not None:
        limits["nano_cpus"] = int(config.cpus * 1e9)
    return Plan(image=image, major=major, user=user, mounts=mounts, command=["sh", "-c", script],
                env={"PYTHONPATH": PKG_DIR, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"},
                jvm_args=jvm_args, classpath=classpath, spec=spec, limits=limits)


def _user_import_dirs() -> list[str]:
    """The parent's import dirs a call() workload may need: not the stdlib, not site-/dist-packages."""
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)} - {"/", "/usr", "/usr/local"}
    out = []
    for p in user_sys_path():
        parts = set(Path(p).parts)
        real = os.path.realpath(p)
        if real == "/" or parts & {"site-packages", "dist-packages"} or any(real.startswith(x + os.sep) for x in prefixes):
            continue
        if real not in out:
            out.append(real)
    return out


def docker_run_command(plan: Plan, argv: list[str]) -> str:
    """A `docker run` command line that repeats the run by hand (without the sweep's labels)."""
    cmd = ["docker", "run", "--rm", "--network", "none", "--user", plan.user, "--pids-limit", str(PIDS_LIMIT)]
    if "mem_limit" in plan.limits:
        cmd += ["--memory", format_size(plan.limits["mem_limit"]), "--memory-swap", format_size(plan.limits["memswap_limit"])]
    if "nano_cpus" in plan.limits:
        cmd += ["--cpus", f"{plan.limits['nano_cpus'] / 1e9:g}"]
    for m in plan.mounts:
        row = io.StringIO()  # --mount is CSV: quote a path holding ',' or '"'
        csv.writer(row, lineterminator="").writerow(
            ["type=bind", f"source={m.source}", f"target={m.target}"] + (["readonly"] if m.read_only else []))
        cmd += ["--mount", row.getvalue()]
    for k, v in plan.env.items():
        cmd += ["-e", f"{k}={v}"]
    cmd += ["-w", ARTIFACTS, plan.image, *argv]
    return shlex.join(cmd)


class DockerBackend:
    name = "docker"

    def launch(self, workload: Workload, config: JvmConfig, artifacts: Path) -> ProcessResult:
        import docker.errors

        major = jdk_major(config.jdk)  # ConfigError before anything starts
        client = docker_client()  # BackendUnavailable with the reason
        _sweep_once(client)
        image = image_for(major, client)
        artifacts = Path(artifacts).absolute()
        plan = plan_run(workload, config, artifacts, image=image, major=major, user=_user_and_ownership(artifacts),
                        jar_path=fixtures_jar(), import_dirs=_user_import_dirs() if workload.kind == "call" else [])
        A.write_spec(artifacts, plan.spec)
        try:
            code, timed_out, duration, peak, info = run_container(client, plan, artifacts, config.timeout)
        except docker.errors.ImageNotFound:  # removed since this process cached its tag: build it again
            with _lock:
                _images.pop(major, None)
            plan.image = image_for(major, client)
            code, timed_out, duration, peak, info = run_container(client, plan, artifacts, config.timeout)
        java = bare_java_command(JAVA, plan.jvm_args, plan.classpath, workload)
        proc = ProcessResult(
            exit_code=code, timed_out=timed_out, duration_s=duration, command=docker_run_command(plan, plan.command),
            java_major=major, java_home="/opt/jdk", peak_rss=peak, container=info,
            java_command=docker_run_command(plan, shlex.split(java)) if java else None,
        )
        write_status(artifacts, proc, workload, config, self.name)
        return proc


def run_container(client: Any, plan: Plan, artifacts: Path, timeout: float) -> tuple[int | None, bool, float, int | None, ContainerInfo]:
    """Create, start and wait for the container; remove it on every path.

    Returns (exit code, timed out, seconds from start to exit, cgroup peak bytes, ContainerInfo).
    """
    import docker.types
    import requests.exceptions

    pid = os.getpid()
    labels = {LABEL_SESSION: SESSION_ID, LABEL_PID: str(pid), LABEL_PID_START: _pid_start(pid),
              LABEL_HOST: socket.gethostname(), LABEL_ARTIFACTS: str(artifacts)}
    name = f"directmem-{SESSION_ID}-{pid}-{next(_counter)}"
    mounts = [docker.types.Mount(m.target, m.source, type="bind", read_only=m.read_only) for m in plan.mounts]
    container = poller = None
    timed_out, code, t0, t1 = False, None, time.monotonic(), None
    try:
        container = client.containers.create(
            plan.image, plan.command, name=name, user=plan.user, environment=plan.env, working_dir=ARTIFACTS,
            mounts=mounts, labels=labels, stdin_open=False, tty=False, **plan.limits)
        poller = PeakPoller(container.id, pid_of=lambda: _state(client, container.id).get("Pid"),
                            stats=lambda: client.api.stats(container.id, stream=True, decode=True))
        t0 = time.monotonic()
        container.start()
        poller.start()
        try:
            code = container.wait(timeout=timeout)["StatusCode"]
        except requests.exceptions.RequestException:  # the read timed out: the run did
            if time.monotonic() - t0 < timeout * 0.9:
                raise  # the engine went away, not a timeout
            timed_out = True
            _kill(container, "SIGQUIT")  # the JVM prints a thread dump to stdout.txt
            code = _wait(container, THREAD_DUMP_GRACE_S)
        if code is None:
            _kill(container, "SIGKILL")
            code = _wait(container, 30)
        t1 = time.monotonic()
        peak = poller.stop()
        state = _state(client, container.id)
        host = container.attrs.get("HostConfig") or {}
        info = ContainerInfo(oom_killed=bool(state.get("OOMKilled")), memory_limit=host.get("Memory") or None,
                             image=plan.image, id=container.id, exit_code=state.get("ExitCode", code),
                             engine=engine_url())
        if code is None:
            code = state.get("ExitCode")
        return code, timed_out, t1 - t0, peak, info
    finally:
        if poller is not None:
            poller.stop(0)
        _remove(client, container.id if container is not None else name)


def _state(client: Any, ident: str) -> dict[str, Any]:
    try:
        return client.api.inspect_container(ident).get("State") or {}
    except Exception:  # noqa: BLE001 - gone already
        return {}


def _kill(container: Any, sig: str) -> None:
    try:
        container.kill(signal=sig)
    except Exception:  # noqa: BLE001 - it exited meanwhile
        pass


def _wait(container: Any, seconds: float) -> int | None:
    try:
        return container.wait(timeout=seconds)["StatusCode"]
    except Exception:  # noqa: BLE001 - still running
        return None


def _remove(client: Any, ident: str) -> None:
    """Remove a container by id or name, retrying a slow engine; an absent one is fine."""
    import docker.errors

    for attempt in range(3):
        try:
            client.api.remove_container(ident, force=True, v=True)
            return
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as exc:
            if "already in progress" in str(exc):
                return
        except Exception:  # noqa: BLE001 - a timeout: try again
            pass
        time.sleep(0.2 * (attempt + 1))


_swept = False


def _sweep_once(client: Any) -> None:
    """At the first docker run of this process (a test session, an xdist worker): reap orphans."""
    global _swept
    with _lock:
        if _swept:
            return
        _swept = True
    sweep_stale_containers(client)


def sweep_stale_containers(client: Any = None) -> int:
    """Remove this host's leftover directmem containers; return how many were removed.

    Stale: the launching process (label io.directmem.pid, checked with its start time) is gone, or the
    container exited more than a minute ago. Safe to call while other processes (pytest-xdist workers)
    run containers: a live owner's running container is never touched. For the plugin's session start.
    """
    client = client or docker_client()
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
    return removed


def _exited_long_ago(client: Any, ident: str, state: Any) -> bool:
    if state not in ("exited", "dead"):
        return False
    finished = _state(client, ident).get("FinishedAt") or ""
    try:  # "2024-05-01T12:34:56.123456789Z": seconds are precise enough
        when = _dt.datetime.fromisoformat(finished[:19] + "+00:00")
    except ValueError:
        return True
    return (_dt.datetime.now(_dt.timezone.utc) - when).total_seconds() > EXITED_GRACE_S
