"""How the workload ended the JVM, when it did (System.exit / Runtime.halt), from the journal and exit code.

The runner journals "exit" (with its code) right before its own System.exit. An exit code without that
event, or with another code (a thread's System.exit(n) won the race with the runner's), is the workload's: System.exit(n) or Runtime.halt(n) (from main or from any thread). The harness adds
no shutdown hook to tell them apart: starting its thread can fail at the very limits a run explores
("unable to create native thread" at vm.max_map_count), which bare java would not do. A crash (hs_err, a
signal) and a timeout are not exits.
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
    own_exit = last(events, "exit")
    if ((own_exit is not None and own_exit.get("code") == exit_code) or first(events, "workload_start") is None or timed_out or exit_code is None
            or exit_code < 0 or exit_code >= 128 or has_hs_err):
        return returned and exit_code == 0, None
    when = "after the workload returned" if done is not None else "before the workload returned"
    how = f"System.exit({exit_code}) or Runtime.halt({exit_code}) {when}"
    return returned or (done is None and exit_code == 0), "the workload ended the JVM: " + how
