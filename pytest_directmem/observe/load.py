"""load_run(dir) -> Run: the whole result of a run, rebuilt from its artifacts directory alone."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from .. import artifacts as A
from ..diagnose.run import read_diagnosis
from ..result import ContainerInfo, DirectSummary, JvmInfo, Run
from .classify import classify
from .exceptions import read_exceptions_log
from .exits import workload_exit
from .gclog import parse_gc_log_file
from .journal import first, last
from .ooms import gather_ooms, journal_reports
from .samples import mapped_summary, read_samples


def load_run(artifacts_dir: str | os.PathLike[str]) -> Run:
    """Read every artifact of a finished (or killed) run into a :class:`Run`.

    `artifacts_dir` is a directory a backend wrote (see :mod:`pytest_directmem.artifacts`). Without
    ``status.json`` (the launching process died) the exit status is unknown and the run is classified
    from the journal and the JVM's output alone. Raises FileNotFoundError when the directory is not a
    run's artifacts directory (no spec.json and no journal).
    """
    d = Path(artifacts_dir).absolute()
    if not (d / A.SPEC).is_file() and not (d / A.JOURNAL).is_file():
        raise FileNotFoundError(f"{d} is not a directmem artifacts directory: no {A.SPEC} and no {A.JOURNAL}")
    status = A.read_status(d)
    events = tuple(A.read_journal(d))
    stdout, stderr = A.read_text(d, A.STDOUT), A.read_text(d, A.STDERR)
    hs_errs = A.hs_errs(d)
    container = _container(status.get("container"))
    timed_out = bool(status.get("timed_out")) or any(
        e.get("event") == "killed" and e.get("reason") == "timeout" for e in events)
    exit_code = status.get("exit_code")
    container, kill_notes = _kernel_oom_kill(container, exit_code, timed_out, status.get("peak_rss"))
    output = stdout + "\n" + stderr
    own_exit = last(list(events), "exit")
    ooms = gather_ooms(read_exceptions_log(d), journal_reports(list(events)), output,
                       A.read_text(d, hs_errs[0].name) if hs_errs else "",
                       own_exit["uptime_ms"] / 1000.0 if own_exit and "uptime_ms" in own_exit else None)
    ending = workload_exit(list(events), exit_code, timed_out, bool(hs_errs))
    outcome, oom, error, notes = classify(list(events), output, exit_code, timed_out, bool(hs_errs),
                                          bool(container and container.oom_killed), ooms=ooms, ending=ending)
    java = status.get("java") or {}
    started = first(events, "jvm_started") or {}
    jvm = JvmInfo(
        version=started.get("version") or java.get("version"),
        major=started.get("major") or java.get("major"),
        max_heap=started.get("max_heap"),
        vendor=started.get("vendor"),
        java_home=started.get("java_home") or java.get("home"),
        input_args=tuple(started.get("input_args") or ()),
        heap_used=started.get("heap_used"),
        host_rss=(first(events, "jvm_starting") or {}).get("host_rss"),
    )
    samples = read_samples(d / A.SAMPLES)
    peaks = [s.used for s in samples] + [e.get("used") or 0 for e in events if e.get("event") == "direct_peak"]
    direct = DirectSummary(limit=started.get("max_direct"), peak_used=max(peaks) if peaks else None, samples=samples)
    mapped = mapped_summary(samples, list(events))
    done = last(events, "workload_done") or {}
    start, oom_event = first(events, "workload_start"), first(events, "oom")
    tto = None
    if start and oom is not None and oom.uptime_s is not None and "uptime_ms" in start:
        tto = round(max(oom.uptime_s - start["uptime_ms"] / 1000.0, 0.0), 3)  # the exceptions log's throw
    elif start and oom_event and "wall_ms" in start and "wall_ms" in oom_event:
        tto = (oom_event["wall_ms"] - start["wall_ms"]) / 1000.0
    spec = A.read_spec(d)
    diagnosis, diagnosis_notes = read_diagnosis(d)
    return Run(
        outcome=outcome, oom=oom, error=error,
        heap_dumps=A.heap_dumps(d),
        gc=parse_gc_log_file(d / A.GC_LOG),
        direct=direct, jvm=jvm, container=container, exit_code=exit_code,
        stdout=stdout, stderr=stderr, duration_s=round(float(status.get("duration_s") or 0.0), 3),
        peak_rss=status.get("peak_rss"), artifacts=d, command=status.get("command") or "",
        backend=status.get("backend") or "local", workload=status.get("workload") or _workload_text(spec),
        value=done.get("value"), hs_err=hs_errs[0] if hs_errs else None, limits=dict(status.get("limits") or {}),
        time_to_oom_s=tto, notes=tuple(status.get("notes") or ()) + kill_notes + tuple(notes) + diagnosis_notes,
        timed_out=timed_out,
        java_command=status.get("java_command"), cli_command=status.get("cli_command"), events=events, spec=spec,
        ooms=ooms, workload_completed=ending[0], mapped=mapped,
        diagnosis=diagnosis,
        host=str(status.get("host") or spec.get("host") or "jpype"),
    )


def _kernel_oom_kill(container: ContainerInfo | None, exit_code: int | None, timed_out: bool,
                     peak: int | None) -> tuple[ContainerInfo | None, tuple[str, ...]]:
    """The kernel's OOM kill where Docker's flag lagged. Docker sets State.OOMKilled when it handles the
    engine's oom event, which can come after the exit it reports (seen with one CPU busy on cgroup v1:
    exit 137, OOMKilled false, the cgroup's high-water mark exactly at its limit). SIGKILL outside the
    harness's timeout with the cgroup's peak at the memory limit is the OOM killer's signature: nothing
    else in the container kills at the limit (the watchdog only after the timeout)."""
    if (container is None or container.oom_killed or exit_code != 137 or timed_out or not container.memory_limit
            or peak is None or peak < container.memory_limit):
        return container, ()
    note = (f"OOM-killed by the kernel although Docker reported OOMKilled=false: SIGKILL (exit 137) outside the "
            f"timeout with the cgroup's peak at its memory limit ({peak} bytes); Docker's flag lagged the exit")
    return dataclasses.replace(container, oom_killed=True), (note,)


def _container(c: object) -> ContainerInfo | None:
    if not isinstance(c, dict):
        return None
    return ContainerInfo(oom_killed=bool(c.get("oom_killed")), memory_limit=c.get("memory_limit"),
                         image=c.get("image"), id=c.get("id"), exit_code=c.get("exit_code"), engine=c.get("engine"),
                         transport=c.get("transport"), copied_in=int(c.get("copied_in") or 0),
                         copied_out=int(c.get("copied_out") or 0))


def _workload_text(spec: dict) -> str:
    w = spec.get("workload") or {}
    return str(w.get("name") or "")
