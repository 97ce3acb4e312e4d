"""Classification: (outcome, oom, error, notes) from the journal, the JVM's output and the exit status.

Classification never trusts a single final record: the journal (written before and after each
risky step, by Python and by Java), the JVM's own output and the exit status each count.
"""

from __future__ import annotations

import signal
from typing import Any

from ..result import OomError, Outcome
from .exits import workload_exit
from .journal import first, last
from .ooms import gather_ooms, journal_reports

_KIND_OUTCOME = {
    "direct": Outcome.DIRECT_OOM,
    "heap": Outcome.HEAP_OOM,
    "framework": Outcome.FRAMEWORK_OOM,
    "native": Outcome.NATIVE_OOM,
    "metaspace": Outcome.NATIVE_OOM,
}
_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGILL, signal.SIGFPE}


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
    _, ended_by = ending if ending is not None else workload_exit(events, exit_code, timed_out, has_hs_err)
    if (oom is not None and done is None and first(events, "oom") is None and first(events, "error") is None
            and oom.hs_err_summary is None and ended_by is None):
        notes.append("the OutOfMemoryError was read from the JVM's output: the worker never journaled it")
    if oom is not None and oom.hs_err_summary:
        notes.append(f"hs_err: {oom.hs_err_summary}")
    error_event = first(events, "error")
    if oom_killed:
        return Outcome.OOM_KILLED, oom, None, notes
    if oom is not None:
        if timed_out:
            notes.append("the worker hung after the OutOfMemoryError and was killed at the timeout")
        elif ended_by is not None:  # the program chose its exit (a caught OOM, then System.exit(n))
            notes.append(ended_by)
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
    if ended_by is not None:
        if exit_code == 0:
            return Outcome.COMPLETED, None, None, [*notes, ended_by]
        return Outcome.ERROR, None, ended_by, notes
    tail = [ln for ln in output.strip().splitlines() if ln.strip()][-1:]
    why = f"the worker exited with code {exit_code} before the workload finished"
    return Outcome.ERROR, None, why + (f"; last output: {tail[0]}" if tail else ""), notes
