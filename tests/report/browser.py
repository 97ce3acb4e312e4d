"""Headless Chromium for pictures of reports: screenshots and the rendered DOM (tests, docs/).

    python -m pytest_directmem.report.browser report.html shot.png [WIDTHxHEIGHT]

Chromium runs with a fresh profile, no sandbox (root in CI), no GPU and no background network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--disable-dev-shm-usage", "--force-device-scale-factor=1")


def find_chromium() -> str | None:
    env = os.environ.get("DIRECTMEM_CHROMIUM")
    if env:
        return env if shutil.which(env) else None
    return next((p for p in map(shutil.which, NAMES) if p), None)


def _run(extra: list[str], page: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    exe = find_chromium()
    if exe is None:
        raise FileNotFoundError("no chromium on PATH (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="directmem-chromium-") as profile:
        argv = [exe, *FLAGS, f"--user-data-dir={profile}", *extra, Path(page).absolute().as_uri()]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def screenshot(page: str | os.PathLike[str], png: str | os.PathLike[str], *, width: int = 1400, height: int = 1800,
               timeout: float = 120) -> Path:
    """Render `page` and write a PNG of its top width x height pixels."""
    out = Path(png).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    proc = _run([f"--screenshot={out}", f"--window-size={width},{height}"], Path(page), timeout)
    if not out.exists():
        raise RuntimeError(f"chromium wrote no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return out


def dump_dom(page: str | os.PathLike[str], *, timeout: float = 120) -> str:
    """The DOM chromium built from `page` (after parsing the inline SVG)."""
    proc = _run(["--dump-dom"], Path(page), timeout)
    if proc.returncode != 0 or "<html" not in proc.stdout:
        raise RuntimeError(f"chromium --dump-dom failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout


if __name__ == "__main__":  # pragma: no cover - a tool for docs/
    size = sys.argv[3] if len(sys.argv) > 3 else "1400x1800"
    w, h = (int(x) for x in size.split("x"))
    print(screenshot(sys.argv[1], sys.argv[2], width=w, height=h))
