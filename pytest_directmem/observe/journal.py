"""Reading the worker's journal: JSON lines, tolerant of a torn last line after a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_journal(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    events = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue  # torn write: the process died mid-line
        if isinstance(obj, dict) and "event" in obj:
            events.append(obj)
    return events


def first(events: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((e for e in events if e.get("event") == name), None)


def last(events: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((e for e in reversed(events) if e.get("event") == name), None)
