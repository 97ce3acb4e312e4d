"""A fresh virtualenv with this checkout installed from its wheel, as a user gets it (byte-compiled by pip,
no editable-install finder): what the benchmarks of whole processes run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def installed_python(work: Path) -> str:
    """Build the wheel (with the jars it ships), install it into work/venv; returns that venv's python."""
    subprocess.run([sys.executable, "-m", "pytest_directmem.jars"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
    py = str(work / "venv" / "bin" / "python")
    quiet = ["--quiet", "--disable-pip-version-check"]
    subprocess.run([py, "-m", "pip", "wheel", "--no-deps", *quiet, "-w", str(work / "dist"), str(ROOT)], check=True)
    wheel = next((work / "dist").glob("pytest_directmem-*.whl"))
    subprocess.run([py, "-m", "pip", "install", *quiet, str(wheel)], check=True)
    return py
