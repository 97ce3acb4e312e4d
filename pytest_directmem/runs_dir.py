"""Where runs without an artifacts_dir keep their artifacts, and how long.

dm.launch(...) and `directmem run/compare` without an artifacts dir write into a new directory under
runs_root(): $DIRECTMEM_RUNS_DIR, else <cache>/runs (<cache> is $DIRECTMEM_CACHE, else
~/.cache/pytest-directmem). Every new run prunes that root first: run directories older than
MAX_AGE_S (7 days) go, and beyond the newest KEEP (50) those older than BUSY_S (1 day: no run lasts longer,
the timeout is at most 24 h). Nothing is left in /tmp, nothing grows without bound, and the path a run
prints stays readable for a while. Run.cleanup() (or ``with dm.launch(...) as run:``) removes one run's
directory at once.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

PREFIX = "directmem-"
KEEP = 50
MAX_AGE_S = 7 * 86400
BUSY_S = 86400


def runs_root() -> Path:
    from .environment import environment

    env = environment()
    return env.runs_dir or env.cache / "runs"


def new_run_dir(name: str, root: Path | None = None) -> Path:
    """A new, empty directory `<root>/directmem-<name>-XXXX` (after pruning old ones)."""
    root = root or runs_root()
    root.mkdir(parents=True, exist_ok=True)
    prune(root)
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{name}-", dir=root))


def prune(root: Path, now: float | None = None, *, keep: int = KEEP, max_age_s: float = MAX_AGE_S,
          busy_s: float = BUSY_S) -> list[Path]:
    """Remove old run directories under `root`; return those removed. Only `directmem-*` directories."""
    now = time.time() if now is None else now
    runs = []
    for p in root.iterdir() if root.is_dir() else ():
        if p.name.startswith(PREFIX) and p.is_dir() and not p.is_symlink():
            try:
                runs.append((p.stat().st_mtime, p))
            except OSError:
                continue
    runs.sort(reverse=True)  # newest first
    removed = []
    for i, (mtime, p) in enumerate(runs):
        age = now - mtime
        if age > max_age_s or (i >= keep and age > busy_s):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed
