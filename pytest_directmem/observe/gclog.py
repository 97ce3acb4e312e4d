"""Parse a unified JVM GC log (``-Xlog:gc*``, JDK 11+) into a :class:`GcSummary`.

The harness writes ``-Xlog:gc*:file=<dir>/gc.log:uptime,level,tags:filecount=0``. Each
collection ends with one summary line on the bare ``gc`` tag, for example::

    [0.082s][info][gc          ] GC(0) Pause Full (System.gc()) 5M->1M(64M) 3.173ms
    [0.057s][info][gc          ] GC(1) Concurrent Mark Cycle 2.026ms
    [0.133s][info][gc          ] GC(0) Major Collection (System.gc()) 2M(3%)->2M(3%) 0.037s

Rules (checked against logs recorded from JDK 11, 17, 21 and 25; see tests/data/gclogs):

* One :class:`GcEvent` per summary line ``GC(N) <name> [(qualifier)] [(cause)] [heap] [duration]``
  whose name is a pause (``Pause ...``), a G1 concurrent cycle (``Concurrent [Mark |Undo ]Cycle``)
  or a ZGC collection (``Garbage Collection``, ``Major Collection``, ``Minor Collection``).
  The same text logged first without heap or duration (a start line: G1's concurrent cycle,
  generational ZGC, or ``gc,start`` when the tags are not decorated) is replaced by its end line,
  so nothing is counted twice; a start line never completed (truncated log, "Aborted") is kept.
* kind: ``Pause Young`` -> young, ``Pause Full`` -> full, other pauses (Remark, Cleanup,
  Shenandoah's Init/Final Mark, Update Refs, Degenerated GC) -> other, G1 concurrent cycles and
  all ZGC collections -> concurrent. ``pause_ms`` is the line's duration (for concurrent events:
  the wall time of the concurrent work, which ``GcSummary.total_pause_ms`` leaves out).
* cause: the first parenthesised group after the name that is neither a name qualifier
  (G1's ``Normal``/``Concurrent Start``/..., Shenandoah's degeneration point) nor an annotation
  (``Evacuation Failure...``, lower-case ones such as ``unload classes``). Shenandoah prints no
  cause on its GC lines but a preceding ``Trigger: ...`` line; that cause goes to the next event
  (``Trigger: GC request (System.gc())`` -> ``System.gc()``; numbers are dropped from others).
* Decorators may be any set (time, uptime, uptimemillis, pid, tid, level, tags ..., or none).
  Without a tags decorator every line is considered. ``uptime_s`` is 0.0 without an uptime.
* Unknown lines are ignored; an unterminated last line (a write cut short) is ignored.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from ..result import GcEvent, GcSummary

__all__ = ["parse_gc_log", "parse_gc_log_file"]

_DECORATORS = re.compile(r"^((?:\[[^\]\n]*\])*)\s?(.*)$")  # none at all with :none
_LEVELS = {"trace", "debug", "info", "warning", "error", "off"}
_TAGS = re.compile(r"^[a-z][a-z0-9_]*(?:,[a-z0-9_]+)*\s*$")
_COLLECTORS = {
    "G1": "G1", "Parallel": "Parallel", "Serial": "Serial", "The Z Garbage Collector": "Z",
    "Shenandoah": "Shenandoah", "Epsilon": "Epsilon",
}
_USING = re.compile(r"^Using (%s)\s*$" % "|".join(re.escape(k) for k in _COLLECTORS))
_SIZE = r"\d+(?:\.\d+)?[BKMGT]"
_EVENT = re.compile(
    r"^GC\((?P<id>\d+)\) (?P<body>.*?)"
    rf"(?: (?P<before>{_SIZE})(?:\(\d+%\))?->(?P<after>{_SIZE})(?:\((?P<cap>{_SIZE})\)|\(\d+%\))?)?"
    r"(?: (?P<dur>\d+(?:\.\d+)?)(?P<unit>ms|s|us|ns))?\s*$"
)
_EVENT_NAME = re.compile(
    r"^(?:Pause \S.*|Concurrent (?:Mark |Undo )?Cycle|Garbage Collection|Major Collection"
    r"|Minor Collection)$"
)
# ZGC phase lines (tag gc,phases) that look like events when tags are not decorated.
_ZGC_PHASES = {"Pause Mark Start", "Pause Mark End", "Pause Relocate Start"}
_QUALIFIERS = {
    "Normal", "Concurrent Start", "Prepare Mixed", "Mixed", "Initial Mark",  # G1 young pauses
    "Young", "Old", "Global",  # generations (generational Shenandoah)
}
_TRIGGER = re.compile(r"^Trigger(?: \([^)]*\))?: (?P<text>.+?)\s*$")
_UNITS = {"B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_DURATION_MS = {"s": 1000.0, "ms": 1.0, "us": 0.001, "ns": 0.000001}


def parse_gc_log_file(path: str | Path) -> GcSummary:
    """Parse the GC log at ``path``; a missing or empty file gives an empty summary."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return GcSummary()
    return parse_gc_log(text)


def parse_gc_log(text: str) -> GcSummary:
    """Parse unified GC log text into events and the collector in use."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines.pop()  # the JVM ends every line; an unterminated one was cut short
    collector: str | None = None
    events: list[GcEvent] = []
    trigger: str | None = None
    for raw in lines:
        parsed = _split_decorators(raw.rstrip("\r\n"))
        if parsed is None:
            continue
        tags, uptime, message = parsed
        if tags is not None and tags != "gc":
            continue
        using = _USING.match(message)
        if using:
            collector = collector or _COLLECTORS[using.group(1)]
            continue
        trig = _TRIGGER.match(message)
        if trig:
            trigger = _trigger_cause(trig.group("text"))
            continue
        event = _event(message, uptime)
        if event is None:
            continue
        if event.cause is None and trigger is not None:
            event = replace(event, cause=trigger)
        trigger = None
        _add(events, event)
    return GcSummary(events=tuple(events), collector=collector)


def _split_decorators(line: str) -> tuple[str | None, float | None, str] | None:
    """(tags or None when not decorated, uptime seconds or None, message)."""
    m = _DECORATORS.match(line)
    if not m:
        return None
    values = re.findall(r"\[([^\]]*)\]", m.group(1))
    tags = None
    if values and _TAGS.match(values[-1]) and values[-1].strip() not in _LEVELS:
        tags = values[-1].strip()
    uptime = None
    for v in values:
        v = v.strip()
        if re.fullmatch(r"\d+\.\d+s", v):
            uptime = float(v[:-1])
            break
        if uptime is None and re.fullmatch(r"\d+ms", v) and int(v[:-2]) < 10**11:
            uptime = int(v[:-2]) / 1000.0  # uptimemillis (timemillis is epoch-sized)
        elif uptime is None and re.fullmatch(r"\d+ns", v) and int(v[:-2]) < 10**17:
            uptime = int(v[:-2]) / 1e9
    return tags, uptime, m.group(2)


def _event(message: str, uptime: float | None) -> GcEvent | None:
    m = _EVENT.match(message)
    if not m:
        return None
    body = m.group("body")
    if body.endswith(" Aborted"):
        body = body[: -len(" Aborted")]
    base, groups = _split_groups(body)
    if base is None or not _EVENT_NAME.match(base) or base in _ZGC_PHASES:
        return None
    name, cause = base, None
    for g in groups:
        if g in _QUALIFIERS or base == "Pause Degenerated GC":
            name += f" ({g})"
        elif g.startswith("Evacuation Failure") or not g[:1].isupper():
            continue  # annotation: "(Evacuation Failure: Allocation)", "(unload classes)"
        elif cause is None:
            cause = g
    pause = None
    if m.group("dur"):
        pause = round(float(m.group("dur")) * _DURATION_MS[m.group("unit")], 6)
    return GcEvent(
        gc_id=int(m.group("id")),
        uptime_s=uptime if uptime is not None else 0.0,
        name=name,
        cause=cause,
        kind=_kind(name),
        pause_ms=pause,
        before=_bytes(m.group("before")),
        after=_bytes(m.group("after")),
        capacity=_bytes(m.group("cap")),
    )


def _split_groups(body: str) -> tuple[str | None, list[str]]:
    """'Pause Young (Normal) (System.gc())' -> ('Pause Young', ['Normal', 'System.gc()'])."""
    i = body.find(" (")
    base = body if i < 0 else body[:i]
    groups: list[str] = []
    rest = "" if i < 0 else body[i:]
    while rest:
        rest = rest.lstrip()
        if not rest.startswith("("):
            return None, []  # trailing text that is not a group: not a summary line
        depth = 0
        for j, ch in enumerate(rest):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                groups.append(rest[1:j])
                rest = rest[j + 1 :]
                break
        else:
            return None, []  # unbalanced
    return base.strip(), groups


_KINDS = (("Pause Young", "young"), ("Pause Full", "full"), ("Pause", "other"))  # first prefix that matches


def _kind(name: str) -> str:
    return next((kind for prefix, kind in _KINDS if name.startswith(prefix)), "concurrent")  # Concurrent ..., ZGC


def _trigger_cause(text: str) -> str:
    """Shenandoah trigger text -> cause: a final '(System.gc())' group, else the text sans numbers."""
    m = re.search(r"\(([^()]*(?:\([^()]*\))?[^()]*)\)$", text)
    if m and not re.search(r"\d", m.group(1)):
        return m.group(1)
    text = re.sub(r"^Learning \d+ of \d+\.\s*", "", text)
    text = re.sub(r"\s*\([^()]*\d[^()]*\)", "", text)
    return re.sub(r"\s+", " ", text).strip(" .")


def _bytes(size: str | None) -> int | None:
    if not size:
        return None
    return int(float(size[:-1]) * _UNITS[size[-1]])


def _bare(event: GcEvent) -> bool:
    return event.pause_ms is None and event.before is None and event.after is None


def _add(events: list[GcEvent], event: GcEvent) -> None:
    """Append; a start line (no heap, no duration) of the same collection is replaced."""
    for i in range(len(events) - 1, -1, -1):
        old = events[i]
        if old.gc_id == event.gc_id and old.name == event.name and _bare(old):
            if old.cause is not None and event.cause is None:
                event = replace(event, cause=old.cause)
            del events[i]
            break
    events.append(event)
