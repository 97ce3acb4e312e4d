"""Looking up events of a journal (read by pytest_directmem.artifacts.read_journal)."""

from __future__ import annotations

from typing import Any, Iterable


def first(events: Iterable[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((e for e in events if e.get("event") == name), None)


def last(events: Iterable[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((e for e in reversed(list(events)) if e.get("event") == name), None)


def notes(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The members of every ``note`` event a workload journaled (later notes win), without the bookkeeping."""
    out: dict[str, Any] = {}
    for e in events:
        if e.get("event") == "note":
            out.update({k: v for k, v in e.items() if k not in ("event", "wall_ms", "uptime_ms", "source")})
    return out
