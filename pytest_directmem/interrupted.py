"""What a run had done when its test was interrupted (pytest-timeout, Ctrl-C): read from the artifacts
directory written so far, since no Run exists. Used by the plugin's failure report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import artifacts as A


@dataclass
class InProgress:
    """A run that has started and not returned: its number, workload and artifacts directory."""

    number: int
    workload: str
    artifacts: Path


def _tail(path: Path, lines: int) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def summary_so_far(run: InProgress, tail: int = 20) -> str:
    """Text: the journal events so far (event name and its short fields), GC pauses logged so far, the tails
    of the worker's stdout and stderr, where the artifacts are."""
    out = [f"[run {run.number}] INTERRUPTED while running: {run.workload} (the worker or container was stopped)"]
    events = []
    for line in _tail(run.artifacts / A.JOURNAL, 200):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        short = {k: v for k, v in e.items() if k not in ("event", "wall_ms", "source", "stack") and len(str(v)) < 120}
        events.append(f"  {e.get('event')}: " + ", ".join(f"{k}={v}" for k, v in short.items()))
    out.append(f"journal so far ({len(events)} events):")
    out += events[-tail:] or ["  (none: the worker had not started)"]
    pauses = sum(1 for ln in _tail(run.artifacts / A.GC_LOG, 100000) if "Pause" in ln)
    out.append(f"gc:         {pauses} pauses logged so far")
    for name in (A.STDERR, A.STDOUT):
        lines = _tail(run.artifacts / name, tail)
        out.append(f"--- {name}: {'empty' if not lines else f'last {len(lines)} lines'} ---")
        out += lines
    out.append(f"artifacts:  {run.artifacts}")
    return "\n".join(out)
