"""Turn an artifacts directory plus the process status into a Run.

Classification never trusts a single final record: the journal (written before and after each
risky step, by Python and by Java), the JVM's own output and the exit status each count.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

from ..result import DirectSummary, JvmInfo, MappedSummary, OomError, Outcome, Run
from .exceptions import read_exceptions_log
from .exits import workload_exit
from .gclog import parse_gc_log_file
from .journal import first, last, read_journal
from .oom import classify_oom
from .ooms import gather_ooms, journal_reports
from .samples import mapped_summary, read_samples

_KIND_OUTCOME = {
    "direct": Outcome.DIRECT_OOM,
    "heap": Outcome.HEAP_OOM,
    "framework": Outcome.FRAMEWORK_OOM,
    "native": Outcome.NATIVE_OOM,
    "metaspace": Outcome.NATIVE_OOM,
}
_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGILL, signal.SIGFPE}


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


# StackTraceElement.toString() on 9+ prefixes "java.base/" or "app//" (module, loader); frames are
# reported without them: "java.nio.Bits.reserveMemory(Bits.java:178)". Module names carry no '$'.
_FRAME_PREFIX = re.compile(r"^(?:[A-Za-z0-9_.]*(?:@[^/(]*)?/){1,2}(?=[A-Za-z_$])")


def frame(text: str) -> str:
    return _FRAME_PREFIX.sub("", text, count=1)


def _oom_from_event(e: dict[str, Any]) -> OomError:
    return classify_oom(e.get("class") or "java.lang.OutOfMemoryError", e.get("message"),
                        tuple(frame(f) for f in e.get("stack") or ()), e.get("thread"))


def _error_text(e: dict[str, Any]) -> str:
    text = f"{e.get('class')}: {e.get('message')}" if e.get("message") is not None else str(e.get("class"))
    stack = e.get("stack") or []
    if stack:
        text += "\n" + "\n".join(f"    at {f}" if not e.get("python") else f for f in stack[:15])
    return text


def classify(events: list[dict[str, Any]], output: str, exit_code: int | None, timed_out: bool,
             has_hs_err: bool, oom_killed: bool = False, *, ooms: tuple[OomError, ...] | None = None,
             ending: tuple[bool, str | None] | None = None) -> tuple[Outcome, OomError | None, str | None, list[str]]:
    """(outcome, oom, error, notes) from the evidence. Pure: unit-tested on recorded journals.

    The outcome rule (DESIGN.md): OOM_KILLED outranks everything; otherwise the kind of the first
    OutOfMemoryError thrown anywhere in the JVM (``ooms[0]``; by default read from the journal's and the
    output's throwables, causes and suppressed included) decides, even when the application caught it and
    even when the host hung or died after it; without any OOM: CRASHED, TIMEOUT, ERROR, COMPLETED.
    ``ending``: observe.exits.workload_exit (computed here when not given).
    """
    notes: list[str] = []
    if ooms is None:
        ooms = gather_ooms(None, journal_reports(events), output)
    oom = ooms[0] if ooms else None
    done = last(events, "workload_done")
    completed = done is not None and done.get("status") == "completed" and exit_code == 0
    if (oom is not None and done is None and first(events, "oom") is None and first(events, "error") is None
            and oom.hs_err_summary is None):
        notes.append("the OutOfMemoryError was read from the JVM's output: the worker never journaled it")
    if oom is not None and oom.hs_err_summary:
        notes.append(f"hs_err: {oom.hs_err_summary}")
    error_event = first(events, "error")
    if oom_killed:
        return Outcome.OOM_KILLED, oom, None, notes
    if oom is not None:
        if timed_out:
            notes.append("the worker hung after the OutOfMemoryError and was killed at the timeout")
        elif done is None and exit_code not in (None, 0, 3):
            notes.append(f"the worker died after the OutOfMemoryError (exit code {exit_code})")
        outcome = _KIND_OUTCOME.get(oom.kind)
        if outcome is not None:
            return outcome, oom, None, notes
        return Outcome.ERROR, oom, str(oom), notes
    if timed_out:
        return Outcome.TIMEOUT, None, None, notes
    if error_event is not None and (done is None or done.get("status") == "error"):
        return Outcome.ERROR, None, _error_text(error_event), notes
    crashed_by_signal = exit_code is not None and exit_code < 0 and -exit_code in _CRASH_SIGNALS
    if has_hs_err or crashed_by_signal or (exit_code is not None and exit_code in (134, 139)):
        return Outcome.CRASHED, None, None, notes
    if completed:
        return Outcome.COMPLETED, None, None, notes
    _, ended_by = ending if ending is not None else workload_exit(events, exit_code, timed_out, has_hs_err)
    if ended_by is not None:
        if exit_code == 0:
            return Outcome.COMPLETED, None, None, [*notes, ended_by]
        return Outcome.ERROR, None, ended_by, notes
    tail = [ln for ln in output.strip().splitlines() if ln.strip()][-1:]
    why = f"the worker exited with code {exit_code} before the workload finished"
    return Outcome.ERROR, None, why + (f"; last output: {tail[0]}" if tail else ""), notes


def collect(artifacts: Path, proc: Any, *, workload: str, backend: str, limits: dict[str, Any]) -> Run:
    """Read every artifact of a finished run. `proc` is the backend's ProcessResult."""
    from ..backends import JOURNAL_NAME, SAMPLES_NAME

    events = read_journal(artifacts / JOURNAL_NAME)
    stdout, stderr = _read(artifacts / "stdout.txt"), _read(artifacts / "stderr.txt")
    hs_errs = sorted(artifacts.glob("hs_err_pid*.log"))
    container = proc.container
    output = stdout + "\n" + stderr
    own_exit = last(events, "exit")
    ooms = gather_ooms(read_exceptions_log(artifacts), journal_reports(events), output,
                       _read(hs_errs[0]) if hs_errs else "",
                       own_exit["uptime_ms"] / 1000.0 if own_exit and "uptime_ms" in own_exit else None)
    ending = workload_exit(events, proc.exit_code, proc.timed_out, bool(hs_errs))
    outcome, oom, error, notes = classify(events, output, proc.exit_code, proc.timed_out, bool(hs_errs),
                                          bool(container and container.oom_killed), ooms=ooms, ending=ending)
    started = first(events, "jvm_started") or {}
    jvm = JvmInfo(
        version=started.get("version") or proc.java_version,
        major=started.get("major") or proc.java_major,
        max_heap=started.get("max_heap"),
        vendor=started.get("vendor"),
        java_home=started.get("java_home") or proc.java_home,
        input_args=tuple(started.get("input_args") or ()),
    )
    samples = read_samples(artifacts / SAMPLES_NAME)
    peaks = [s.used for s in samples] + [e.get("used") or 0 for e in events if e.get("event") == "direct_peak"]
    direct = DirectSummary(limit=started.get("max_direct"), peak_used=max(peaks) if peaks else None, samples=samples)
    mapped = mapped_summary(samples, events)
    done = last(events, "workload_done") or {}
    start = first(events, "workload_start")
    oom_event = first(events, "oom")
    tto = None
    if start and oom is not None and oom.uptime_s is not None and "uptime_ms" in start:
        tto = round(max(oom.uptime_s - start["uptime_ms"] / 1000.0, 0.0), 3)
    elif start and oom_event and "wall_ms" in start and "wall_ms" in oom_event:
        tto = (oom_event["wall_ms"] - start["wall_ms"]) / 1000.0
    return Run(
        outcome=outcome, oom=oom, error=error,
        heap_dumps=sorted(artifacts.glob("*.hprof")),
        gc=parse_gc_log_file(artifacts / "gc.log"),
        direct=direct, jvm=jvm, container=container, exit_code=proc.exit_code,
        stdout=stdout, stderr=stderr, duration_s=round(proc.duration_s, 3), peak_rss=proc.peak_rss,
        artifacts=artifacts, command=proc.command, backend=backend, workload=workload,
        value=done.get("value"), hs_err=hs_errs[0] if hs_errs else None, limits=limits, time_to_oom_s=tto,
        notes=tuple(notes), ooms=ooms, workload_completed=ending[0], mapped=mapped,
    )
