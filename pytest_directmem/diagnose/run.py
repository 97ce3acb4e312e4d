"""A run's investigation (``diagnose=True``), read from its artifacts directory's ``diagnosis/``.

What java-fixtures ``Diagnose.java`` wrote there during the run:

=======================  ====================================================================
``direct-oom.hprof``     heap dump taken when a thread first sat on the slow path of
                         ``java.nio.Bits.reserveMemory`` (live=false: no GC, holders intact)
``native.json``          NMT summary peaks: ``{"samples": N, "error": str|null,
                         "other_outside_direct": bytes|null, "peak_committed": {category: bytes}}``
``sites.txt``            async-profiler ``nativemem`` output, text ``traces``: bytes and calls per stack
                         (runs recorded before: ``sites.collapsed``, bytes only)
=======================  ====================================================================

Only :func:`pytest_directmem.observe.load.load_run` calls :func:`read_diagnosis`.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..config import DIAGNOSIS_DIR
from ..errors import ConfigError
from .model import Diagnosis

DUMP = "direct-oom.hprof"
NATIVE = "native.json"
SITES = "sites.txt"
OLD_SITES = "sites.collapsed"  # runs recorded before counts: bytes only
SITES_SKIPPED = "sites-skipped.txt"  # in the artifacts dir: why the backend ran the JVM without the profiler


def write_sites_skipped(artifacts: Path, reason: str) -> None:
    """Records, before the run, why it has no allocation sites (read back as a note by read_diagnosis)."""
    Path(artifacts, SITES_SKIPPED).write_text(reason + "\n")


def read_diagnosis(artifacts: Path) -> tuple[Diagnosis | None, tuple[str, ...]]:
    """(Diagnosis, notes) of a run, or (None, ()) when it ran without ``diagnose=True`` (no ``diagnosis/``).

    ``dump`` is None when no thread reached the slow path of ``Bits.reserveMemory`` (no direct OOM was
    coming); holders and garbage come from :func:`analyze_dump` of it; a dump that cannot be read (the run
    was killed while it was written) leaves them empty with a note. ``native`` is NMT's peak committed
    bytes per category (``"Total"`` too); {} with a note when NMT was off.
    """
    d = artifacts / DIAGNOSIS_DIR
    if not d.is_dir():
        return None, ()
    notes: list[str] = []
    dump = d / DUMP
    holders, garbage = (), 0
    if dump.is_file():
        from .analysis import analyze_dump

        try:
            a = analyze_dump(dump)
            holders, garbage = a.holders, a.garbage_bytes
        except ConfigError as e:
            notes.append(f"diagnosis: the dump {dump} cannot be read: {e.reason}")
    native, outside = _native(d / NATIVE, notes)
    sites = ()
    if (d / SITES).is_file():
        from .sites import parse_traces

        sites = parse_traces((d / SITES).read_text(errors="replace"))
    elif (d / OLD_SITES).is_file():
        from .sites import parse_collapsed

        sites = parse_collapsed((d / OLD_SITES).read_text(errors="replace"))
    elif (artifacts / SITES_SKIPPED).is_file():
        notes.append(f"diagnosis: no allocation sites: {(artifacts / SITES_SKIPPED).read_text().strip()}")
    else:
        notes.append(f"diagnosis: no allocation sites: async-profiler wrote no {DIAGNOSIS_DIR}/{SITES} (not loaded "
                     "without its library, or the JVM did not exit)")
    return Diagnosis(dump=dump if dump.is_file() else None, holders=holders, garbage_bytes=garbage, sites=sites,
                     native=native, native_outside_direct=outside), tuple(notes)


def _native(path: Path, notes: list[str]) -> tuple[dict[str, int], int | None]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}, None
    if data.get("error"):
        notes.append(f"diagnosis: NMT gave no summary: {str(data['error']).splitlines()[0]}")
    peaks = data.get("peak_committed") or {}
    native = {str(k): int(v) for k, v in peaks.items() if isinstance(v, int)}
    outside = data.get("other_outside_direct")
    return native, outside if isinstance(outside, int) else None
