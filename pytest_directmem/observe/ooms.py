"""Every OutOfMemoryError of a run, in throw order, from all the evidence at once.

- the exceptions log (observe.exceptions): each OOM thrown anywhere in the JVM, its thread, its uptime and
  the method that caught it (complete, ordered; no line numbers, no wrappers);
- throwables the journal recorded and the uncaught ones the JVM printed (observe.traces), walked through
  causes and suppressed lists: full stacks and the throwables that carried an OOM out;
- the JVM's own fatal native OOM ("There is insufficient memory for the Java Runtime Environment to
  continue", mmap/malloc failed) from its output and hs_err file.

Pure functions over parsed evidence; unit-tested on recorded runs.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Iterable

from ..result import OomError
from .exceptions import LoggedThrow
from .oom import announced_oom, classify_oom
from .traces import Reported, carried_ooms, from_journal, uncaught_in_output

__all__ = ["gather_ooms", "journal_reports", "fatal_native_oom", "HARNESS_FRAMES", "FATAL_CLASS"]

# A catcher in these frames means the error ended the workload (the harness's runner, reflection, JPype).
HARNESS_FRAMES = ("directmem.Runner", "directmem.Main", "directmem.Invoker", "jdk.internal.reflect.",
                  "java.lang.reflect.", "java.lang.invoke.", "org.jpype.", "jdk.proxy")
FATAL_CLASS = "JVM fatal error"  # OomError.class_name of the JVM's own fatal native OOM (no Java object)
_FATAL = re.compile(r"Native memory allocation \((?P<how>mmap|malloc)\) failed to (?:map|allocate) (?P<n>\d+) bytes"
                    r"(?P<rest>[^\n]*)")
_INSUFFICIENT = "There is insufficient memory for the Java Runtime Environment to continue"
_SUMMARY = re.compile(r"^#\s+(Out of Memory Error \(.*)$", re.M)
_CURRENT_THREAD = re.compile(r'^Current thread \(0x[0-9a-f]+\):\s+\w+ "(?P<name>[^"]*)"', re.M)
_ELAPSED = re.compile(r"elapsed time: (?P<s>\d+(?:\.\d+)?) seconds")


def journal_reports(events: list[dict[str, Any]]) -> list[Reported]:
    """The throwables the runner journaled ("oom" and "error" events with a Java class), in order."""
    return [from_journal(e) for e in events
            if e.get("event") in ("oom", "error") and e.get("class") and not e.get("python") and e.get("phase") is None]


def _is_harness(method: str | None) -> bool:
    return method is not None and method.startswith(HARNESS_FRAMES)


def _dedupe(frames: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for f in frames:
        if not out or out[-1] != f:  # a finally rethrows in the same frame
            out.append(f)
    return tuple(out)


def gather_ooms(logged: tuple[LoggedThrow, ...] | None, reports: list[Reported], output: str = "",
                hs_err: str = "", harness_exit_s: float | None = None) -> tuple[OomError, ...]:
    """Every OOM in throw order. ``logged``: the exceptions log's OOMs (None: no log, e.g. an old run dir);
    ``reports``: journal throwables then the output's uncaught ones (their OOMs give stacks and carriers);
    a fatal native OOM found in ``output``/``hs_err`` comes last (the JVM ends there).
    ``harness_exit_s``: the uptime of the harness's own System.exit ("exit" event); an OOM thrown after it
    while starting a shutdown hook's thread (JPype registers one) is the host's, not the program's."""
    if logged and harness_exit_s is not None:
        logged = tuple(t for t in logged if not (t.uptime_s is not None and t.uptime_s >= harness_exit_s
                                                 and "java.lang.ApplicationShutdownHooks.runHooks" in t.frames))
    found: list[tuple[Reported, tuple[str, ...], bool]] = []  # (oom node, carriers, reported uncaught/ended)
    where: dict[tuple, int] = {}
    for top in [*reports, *uncaught_in_output(output)]:
        for node, carriers in carried_ooms(top):
            # one OOM seen several times (journaled, printed by the application inside its carrier, reported
            # uncaught by the JVM after a rethrow): one entry with what each sighting adds
            key = (node.class_name, node.message, node.stack[:4])
            ended = not carriers and top.source != "printed"
            if key not in where:
                where[key] = len(found)
                found.append((node, carriers, ended))
                continue
            k = where[key]
            old, old_carriers, old_ended = found[k]
            found[k] = (old if old.thread is not None or node.thread is None else node,
                        old_carriers or carriers, old_ended or ended)
    out: list[OomError] = []
    pairs = _assign(logged or (), found)
    used = set(pairs.values())
    for k, t in enumerate(logged or ()):
        match = pairs.get(k)
        node, carriers, ended = found[match] if match is not None else (None, (), False)
        caught = t.caught_by
        if _is_harness(caught) or (ended and t.handled is not True):
            caught = None  # it ended the workload (the runner caught it) or its thread (printed uncaught)
        if caught is None and t.first_caught_by is not None and not _is_harness(t.first_caught_by):
            caught = t.first_caught_by  # caught, handled (e.g. reported to a callback), then rethrown
        stack = node.stack if node is not None and node.stack else _dedupe(t.frames)
        oom = classify_oom(t.class_name, t.message if t.message is not None else (node.message if node else None),
                           stack, t.thread or (node.thread if node else None))
        out.append(replace(oom, caught_by=caught, carried_by=carriers, uptime_s=t.uptime_s))
    for i, (node, carriers, _) in enumerate(found):
        if i in used:
            continue  # known from the log; what is left: no log, or the log lost it (rotation)
        oom = classify_oom(node.class_name, node.message, node.stack, node.thread)
        out.append(replace(oom, carried_by=carriers))
    if not out:
        announced = announced_oom(output)  # "Terminating due to ...", "Dumping heap to" after the error line
        if announced is not None:
            out.append(announced)
    fatal = fatal_native_oom(output, hs_err)
    if fatal is not None:
        out.append(fatal)
    return tuple(out)


def _assign(logged: tuple[LoggedThrow, ...], found: list[tuple[Reported, tuple[str, ...], bool]]) -> dict[int, int]:
    """logged index -> found index. A recorded OOM (it ended a thread or the workload, or was wrapped) is
    the LAST throw of its class and message before it, on its thread if one is: earlier ones were caught and
    dealt with (FileChannelImpl.map catches the first "Map failed", runs a GC, retries, wraps the second)."""
    pairs: dict[int, int] = {}
    for j, (node, _, _) in enumerate(found):
        same = [i for i, t in enumerate(logged) if i not in pairs and t.class_name == node.class_name
                and (t.message is None or t.message == node.message)]
        on_thread = [i for i in same if logged[i].thread == node.thread]
        pick = (on_thread or same or [None])[-1]
        if pick is not None:
            pairs[pick] = j
    return pairs


def fatal_native_oom(output: str, hs_err: str = "") -> OomError | None:
    """The JVM's own fatal native OOM: ``Native memory allocation (mmap) failed to map N bytes ...`` after
    "There is insufficient memory for the Java Runtime Environment to continue" (stdout and hs_err).
    requested = N; ``hs_err_summary`` holds hs_err's ``Out of Memory Error (os_linux.cpp:2832), pid=..``."""
    text = output if _INSUFFICIENT in output else ""
    if not text and _INSUFFICIENT in hs_err:
        text = hs_err
    if not text:
        return None
    m = _FATAL.search(text) or _FATAL.search(hs_err)
    message = _INSUFFICIENT + "."
    requested = None
    if m:
        message = f"Native memory allocation ({m.group('how')}) failed to " \
                  f"{'map' if m.group('how') == 'mmap' else 'allocate'} {m.group('n')} bytes{m.group('rest').rstrip()}"
        requested = int(m.group("n"))
    summary = _SUMMARY.search(hs_err)
    thread = _CURRENT_THREAD.search(hs_err)
    elapsed = _ELAPSED.search(hs_err)
    return OomError(kind="native", message=message, class_name=FATAL_CLASS, requested=requested,
                    thread=thread.group("name") if thread else None,
                    uptime_s=float(elapsed.group("s")) if elapsed else None,
                    hs_err_summary=summary.group(1).strip() if summary else None)
