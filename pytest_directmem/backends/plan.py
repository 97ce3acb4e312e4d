"""A docker run planned before anything starts: mounts, copies, spec, env, limits and the `docker run` line
that repeats it by hand. Pure: reads only the inputs' permission bits and, for copies, their content."""

from __future__ import annotations

import csv
import io
import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .. import artifacts as A
from ..config import JvmConfig, format_size, to_jvm_args
from ..workloads import Workload
from .common import PACKAGE_ROOT, java_host_argv, user_sys_path, worker_spec
from .transport import CACHE_ROOT, CACHE_VOLUME, OUT_DIR, Input, Placement, plan_inputs

ARTIFACTS = "/artifacts"
PKG_DIR = "/directmem/pkg"  # PYTHONPATH: /directmem/pkg/pytest_directmem is the package
PROFILER_DIR = "/directmem/profiler"  # diagnose=True: async-profiler's library, mounted read-only
PIDS_LIMIT = 4096  # threads count: storm/socket_write run up to 256 threads (x2) plus the JVM's own
WATCHDOG_GRACE_S = 30  # the in-container watchdog fires this long after the run's timeout
# a workload is untrusted code: no capabilities, no privilege escalation, a read-only root; /tmp (the JVM's
# hsperfdata, JPype) is a small tmpfs, charged to the container's memory only as far as it is used
TMPFS = {"/tmp": "rw,nosuid,nodev,size=64m,mode=1777"}
HARDENING: dict[str, Any] = {"cap_drop": ["ALL"], "security_opt": ["no-new-privileges"], "read_only": True,
                             "tmpfs": TMPFS}
RUN_SCRIPT = ('W=; command -v timeout >/dev/null 2>&1 && W="timeout -s KILL {watchdog}"; '
              'exec $W {argv} >{out} 2>{err}')
JAVA = "/opt/jdk/bin/java"

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
    copies: list[Placement] = field(default_factory=list)  # inputs copied into the engine's input cache
    shares_fs: bool = True  # the engine sees this machine's files: artifacts bind-mounted, else copied back
    artifacts: str = ""  # the artifacts directory on this machine
    artifacts_target: str = ARTIFACTS  # ... as the container sees it
    engine: str = ""  # the URL of the engine that runs it (set at launch)


def plan_run(workload: Workload, config: JvmConfig, artifacts: Path, *, image: str, major: int, user: str,
             jar_path: Path, import_dirs: list[str], profiler: Path | None = None,
             decide: Callable[[list[Input], int, int], list[Placement]] = plan_inputs, shares_fs: bool = True) -> Plan:
    """Mounts, copies, spec, env and limits of one run. Writes nothing; reads the permission bits of the
    inputs (`decide`, transport.plan_inputs: bind mount what the container user can read, else copy) and,
    for copies, their content digests. `shares_fs` False (an engine that sees none of this machine's
    files): every input is copied and the artifacts live in a per-run volume at transport.OUT_DIR.

    `profiler`: async-profiler's library on the host (diagnose=True), read-only.
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
    if profiler is not None:  # diagnose=True (docker.NO_PROFILER_UNDER_JPYPE: None for that host)
        inputs.append(Input(str(profiler), f"{PROFILER_DIR}/{profiler.name}"))
    uid, gid = (int(x) for x in user.split(":"))
    placements = decide(inputs, uid, gid) if shares_fs else plan_inputs(inputs, uid, gid, copy_all=True)
    where = {p.input.target: p.target for p in placements}
    mounts = [Mount(p.input.source, p.target) for p in placements if not p.copy]
    art = ARTIFACTS if shares_fs else OUT_DIR
    if shares_fs:
        mounts.append(Mount(str(artifacts), ARTIFACTS, read_only=False))
    classpath = [f"{where[pkg_target]}/{jar_path.relative_to(pkg).as_posix()}"]
    classpath += [where[i.target] for i in inputs[1:1 + len(config.classpath)]]
    sys_path = [where[t] for t in py_targets]
    profiler_target = where[f"{PROFILER_DIR}/{profiler.name}"] if profiler is not None else None
    jvm_args = to_jvm_args(config, art, major, profiler_target)
    spec = worker_spec(workload, libjvm=LIBJVM, jvm_args=jvm_args, classpath=classpath, sys_path=sys_path,
                       host=config.host)
    if config.host == "java":
        argv = java_host_argv(JAVA, jvm_args, classpath, workload, art)
    else:
        argv = ["python3", "-m", "pytest_directmem.worker", f"{art}/{A.SPEC}"]
    script = RUN_SCRIPT.format(watchdog=int(config.timeout + WATCHDOG_GRACE_S), argv=shlex.join(argv),
                               out=f"{art}/{A.STDOUT}", err=f"{art}/{A.STDERR}")
    limits: dict[str, Any] = {"network_mode": "none", "pids_limit": PIDS_LIMIT, **HARDENING}
    if config.memory is not None:
        limits.update(mem_limit=config.memory, memswap_limit=config.memory)
    if config.cpus is not None:
        limits["nano_cpus"] = int(config.cpus * 1e9)
    return Plan(image=image, major=major, user=user, mounts=mounts, command=["sh", "-c", script],
                env={"PYTHONPATH": where[pkg_target].rsplit("/", 1)[0], "PYTHONUNBUFFERED": "1",
                     "PYTHONDONTWRITEBYTECODE": "1"},
                jvm_args=jvm_args, classpath=classpath, spec=spec, limits=limits,
                copies=[p for p in placements if p.copy], shares_fs=shares_fs, artifacts=str(artifacts),
                artifacts_target=art)


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
    """A `docker run` command line that repeats the run by hand (without the sweep's labels), on the run's
    engine (``-H URL`` unless it is DOCKER_HOST's): inputs that went through the engine's input cache are
    mounted from it as the run had them. For an engine that shares no filesystem with this machine the line
    binds this machine's files instead: it repeats the run on an engine here."""
    from ..environment import environment

    here = not plan.engine or plan.engine == environment().docker_host or not plan.shares_fs
    cmd = ["docker", *([] if here else ["-H", plan.engine]), "run", "--rm", "--network", "none", "--user", plan.user,
           "--pids-limit", str(PIDS_LIMIT)]
    if plan.limits.get("read_only"):
        cmd += ["--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--read-only"]
        for path, opts in plan.limits.get("tmpfs", {}).items():
            cmd += ["--tmpfs", f"{path}:{opts}"]
    if "mem_limit" in plan.limits:
        cmd += ["--memory", format_size(plan.limits["mem_limit"]), "--memory-swap", format_size(plan.limits["memswap_limit"])]
    if "nano_cpus" in plan.limits:
        cmd += ["--cpus", f"{plan.limits['nano_cpus'] / 1e9:g}"]
    rows = [["type=bind", f"source={m.source}", f"target={m.target}"] + (["readonly"] if m.read_only else [])
            for m in plan.mounts]
    if plan.copies and plan.shares_fs:  # the engine's input cache holds them (the container user cannot read them)
        rows.append(["type=volume", f"source={CACHE_VOLUME}", f"target={CACHE_ROOT}", "readonly"])
    elif plan.copies:
        rows += [["type=bind", f"source={p.input.source}", f"target={p.target}", "readonly"] for p in plan.copies]
    if not plan.shares_fs:
        rows.append(["type=bind", f"source={plan.artifacts}", f"target={plan.artifacts_target}"])
    for r in rows:
        row = io.StringIO()  # --mount is CSV: quote a path holding ',' or '"'
        csv.writer(row, lineterminator="").writerow(r)
        cmd += ["--mount", row.getvalue()]
    for k, v in plan.env.items():
        cmd += ["-e", f"{k}={v}"]
    cmd += ["-w", plan.artifacts_target, plan.image, *argv]
    return shlex.join(cmd)


