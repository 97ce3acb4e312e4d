"""How the workload ended the JVM, when it did (System.exit / Runtime.halt), from the journal and exit code.

The runner journals "exit" (with its code) before its own System.exit, and a shutdown hook journals
"shutdown" with the thread in Runtime.exit and its caller. So: an exit code without the runner's "exit"
event, but with "shutdown", is the workload's System.exit(n); without either, Runtime.halt(n) (which runs
no hooks) or a native exit. A crash (hs_err, a signal) is not an exit.
"""

from __future__ import annotations

from typing import Any

from .journal import first, last

__all__ = ["workload_exit"]


def workload_exit(events: list[dict[str, Any]], exit_code: int | None, timed_out: bool,
                  has_hs_err: bool) -> tuple[bool, str | None]:
    """(workload_completed, how the workload ended the JVM or None).

    workload_completed: the workload returned normally ("workload_done" completed), or, when it ended
    the JVM itself before returning, it exited with code 0 (as bare java's System.exit(0) from main).
    """
    done = last(events, "workload_done")
    returned = done is not None and done.get("status") == "completed"
    if (first(events, "workload_start") is None or timed_out or exit_code is None or exit_code < 0
            or exit_code >= 128 or has_hs_err):
        return returned and exit_code == 0, None
    shutdown = last(events, "shutdown") or {}
    if last(events, "exit") is not None or str(shutdown.get("caller", "")).startswith("directmem."):
        return returned and exit_code == 0, None  # the harness's own exit
    if shutdown:
        how = f"System.exit({exit_code})"
        if shutdown.get("caller"):
            how += f" called by {shutdown['caller']}"
        if shutdown.get("thread"):
            how += f' on thread "{shutdown["thread"]}"'
    else:
        how = f"exit code {exit_code} without shutdown hooks (Runtime.halt({exit_code}) or a native exit)"
    completed = returned or (done is None and exit_code == 0)
    return completed, "the workload ended the JVM: " + how
