"""Throwables as trees (cause and suppressed), from the journal or from the JVM's printed stack traces,
and the OutOfMemoryErrors they carry. One walk for both sources, so they cannot disagree.

A journal "oom"/"error" event (directmem.Runner.throwableMembers) holds ``class, message, stack, thread``
and, recursively, ``cause`` and ``suppressed``; older journals only a flat ``causes`` list. The JVM prints an
uncaught throwable as ``Exception in thread "T" <class>: <message>``, ``\\tat`` frames, ``Caused by:`` (at
the indent of the throwable it belongs to) and ``Suppressed:`` (one tab deeper than its owner).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

__all__ = ["Reported", "from_journal", "uncaught_in_output", "carried_ooms", "frame", "is_oom_class"]

_CLASS = r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+"
_UNCAUGHT = re.compile(rf'^Exception in thread "(?P<thread>.*?)" (?P<cls>{_CLASS})(?:: (?P<msg>.*))?$')
_PRINTED = re.compile(rf"^(?P<cls>{_CLASS})(?:: (?P<msg>.*))?$")
_NESTED = re.compile(rf"^(?P<indent>\t*)(?P<kind>Caused by|Suppressed): (?P<cls>{_CLASS})(?:: (?P<msg>.*))?$")
_AT = re.compile(r"^(?P<indent>\t*)\s*at (?P<frame>\S.*)$")
_MORE = re.compile(r"^\t*\s*\.\.\. \d+ (?:more|common frames omitted)$")
# "java.base/", "app//", "jdk.unsupported@11/": module and class loader names carry no '$'
_FRAME_PREFIX = re.compile(r"^(?:[A-Za-z0-9_.]*(?:@[^/(]*)?/){1,2}(?=[A-Za-z_$])")


def frame(text: str) -> str:
    """A frame without the module/loader prefix JDK 9+ print: ``java.nio.Bits.reserveMemory(Bits.java:178)``."""
    return _FRAME_PREFIX.sub("", text.strip(), count=1)


def is_oom_class(name: str) -> bool:
    """java.lang.OutOfMemoryError and subclasses named like it (Netty's OutOfDirectMemoryError)."""
    return name.endswith(("OutOfMemoryError", "OutOfDirectMemoryError"))


@dataclass
class Reported:
    """One throwable as recorded: ``stack`` frames innermost first; ``thread`` is where it was reported."""

    class_name: str
    message: str | None
    stack: tuple[str, ...] = ()
    thread: str | None = None
    cause: Reported | None = None
    suppressed: list[Reported] = field(default_factory=list)
    source: str = "journal"  # "journal" | "output"

    def text(self) -> str:
        return f"{self.class_name}: {self.message}" if self.message is not None else self.class_name


def from_journal(event: dict[str, Any], thread: str | None = None) -> Reported:
    """A journal event's throwable, with its cause chain and suppressed lists."""
    r = Reported(str(event.get("class") or "java.lang.Throwable"), event.get("message"),
                 tuple(frame(f) for f in event.get("stack") or ()), thread or event.get("thread"))
    if isinstance(event.get("cause"), dict):
        r.cause = from_journal(event["cause"], r.thread)
    elif event.get("causes") and "cause" not in event and "suppressed" not in event:
        node = r  # an older journal: the flat chain, without stacks
        for c in event["causes"]:
            if isinstance(c, dict):
                node.cause = Reported(str(c.get("class")), c.get("message"), (), r.thread)
                node = node.cause
    r.suppressed = [from_journal(s, r.thread) for s in event.get("suppressed") or () if isinstance(s, dict)]
    return r


def uncaught_in_output(text: str) -> list[Reported]:
    """Every ``Exception in thread "T" ...`` report in the JVM's output, and every other stack trace an
    application printed (``Throwable.printStackTrace()``, a logger: ``<class>: <message>`` then ``\tat``
    lines; its thread is unknown), as trees, in output order."""
    lines = [ln.rstrip("\r") for ln in text.splitlines()]
    out: list[Reported] = []
    i = 0
    while i < len(lines):
        m = _UNCAUGHT.match(lines[i])
        p = None if m else _PRINTED.match(lines[i])
        if p is not None and not (i + 1 < len(lines) and _AT.match(lines[i + 1])):
            p = None
        if not m and not p:
            i += 1
            continue
        if m:
            top = Reported(m.group("cls"), m.group("msg"), (), m.group("thread"), source="output")
        else:
            top = Reported(p.group("cls"), p.group("msg"), (), None, source="printed")
        at_indent: dict[int, Reported] = {0: top}
        frames: dict[int, list[str]] = {id(top): []}
        i += 1
        while i < len(lines):
            line = lines[i]
            a = _AT.match(line)
            n = _NESTED.match(line) if not a else None
            if a:
                owner = at_indent.get(max(len(a.group("indent")) - 1, 0))
                if owner is not None:
                    frames[id(owner)].append(frame(a.group("frame")))
            elif n:
                indent = len(n.group("indent"))
                node = Reported(n.group("cls"), n.group("msg"), (), top.thread, source="output")
                frames[id(node)] = []
                if n.group("kind") == "Caused by":
                    parent = at_indent.get(indent)
                    if parent is not None:
                        parent.cause = node
                else:
                    parent = at_indent.get(indent - 1)
                    if parent is not None:
                        parent.suppressed.append(node)
                at_indent = {k: v for k, v in at_indent.items() if k < indent}
                at_indent[indent] = node
            elif not _MORE.match(line):
                break
            i += 1
        _set_frames(top, frames)
        out.append(top)
    return out


def _set_frames(node: Reported, frames: dict[int, list[str]]) -> None:
    node.stack = tuple(frames.get(id(node), ()))
    if node.cause is not None:
        _set_frames(node.cause, frames)
    for s in node.suppressed:
        _set_frames(s, frames)


def carried_ooms(top: Reported) -> Iterator[tuple[Reported, tuple[str, ...]]]:
    """Each OutOfMemoryError in the tree (itself, its causes, suppressed ones, recursively) with the texts of
    the throwables that carry it, outermost first (empty for the top itself)."""
    seen: set[int] = set()

    def walk(node: Reported, carriers: tuple[str, ...]) -> Iterator[tuple[Reported, tuple[str, ...]]]:
        if id(node) in seen:
            return
        seen.add(id(node))
        if is_oom_class(node.class_name):
            yield node, carriers
        inner = carriers + (node.text(),)
        if node.cause is not None:
            yield from walk(node.cause, inner)
        for s in node.suppressed:
            yield from walk(s, inner)

    yield from walk(top, ())
