"""The artifacts directory of one run: the contract between the writers and ``observe.load_run``.

Writers: the backends (``spec.json`` before the run, ``status.json`` after it, stdout/stderr), the
worker and the Java runner (``journal.jsonl``, ``samples.csv``), the JVM itself (``gc.log``, heap
dumps, hs_err files). The only reader is :func:`pytest_directmem.observe.load.load_run`: everything
that shows a run (reports, incident facts, ``dm.netty.info``) reads the :class:`Run` it returns.

Files (all optional except the spec; a run killed early leaves only some of them):

=================  =========================================================================
``spec.json``      what the worker runs: libjvm, JVM args, classpath, workload (``worker_spec``)
``journal.jsonl``  one JSON object per line, appended with one write each, by the worker
                   (source ``worker``), the Java runner (``java``) and the harness (``harness``)
``samples.csv``    the buffer pools every 10 ms, written by the Java sampler
``status.json``    how the process ended, written by the backend (see :func:`write_status`)
``gc.log``         ``-Xlog:gc*`` of the JVM
``exceptions.log`` ``-Xlog:exceptions`` of the JVM: every throw (rotated: ``exceptions.log.0`` ...)
``stdout.txt``     the worker's and the JVM's stdout (thread dumps, ``Dumping heap to``)
``stderr.txt``     the same for stderr (uncaught exceptions)
``*.hprof``        heap dumps the JVM wrote (``-XX:+HeapDumpOnOutOfMemoryError``)
``hs_err_pid*``    the JVM's fatal error reports
``profiler.log``   with diagnose=True: async-profiler's own messages, kept out of ``stdout.txt``
=================  =========================================================================

This module is imported by the worker at start-up: it imports nothing beyond json, os and time.
"""

from __future__ import annotations

import json
import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

SPEC = "spec.json"
JOURNAL = "journal.jsonl"
SAMPLES = "samples.csv"
STATUS = "status.json"
GC_LOG = "gc.log"
EXCEPTIONS_LOG = "exceptions.log"
STDOUT = "stdout.txt"
STDERR = "stderr.txt"
HEAP_DUMPS = "*.hprof"
HS_ERRS = "hs_err_pid*.log"
STATUS_VERSION = 1


class Journal:
    """Appends events to ``journal.jsonl``: one ``os.write`` per line, so lines of concurrent writers
    (the worker, the Java runner, the harness) never interleave and a crash tears at most the last one."""

    def __init__(self, directory: str | os.PathLike[str], source: str):
        self.path = os.path.join(os.fspath(directory), JOURNAL)
        self.source = source

    def write(self, event: str, **fields: Any) -> None:
        record = {"event": event, "wall_ms": int(time.time() * 1000), "source": self.source, **fields}
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(record, default=repr) + "\n").encode())
        finally:
            os.close(fd)


def read_journal(directory: Path) -> list[dict[str, Any]]:
    """The journal's events in file order; a torn last line (the process died mid-write) is skipped."""
    text = read_text(directory, JOURNAL)
    events = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and "event" in obj:
            events.append(obj)
    return events


def write_spec(directory: Path, spec: dict[str, Any]) -> Path:
    path = directory / SPEC
    path.write_text(json.dumps(spec, indent=1) + "\n")
    return path


def read_spec(directory: Path) -> dict[str, Any]:
    """The spec, or {} when it is missing or unreadable."""
    return _read_json(directory / SPEC)


def write_status(directory: Path, **status: Any) -> Path:
    """Write ``status.json``: how the host process ended, as the backend saw it.

    Members (None where unknown): ``exit_code`` (int; negative: killed by that signal on the local
    backend, 128+N or the container's code on docker), ``signal`` (the signal's name when it ended by
    one), ``timed_out`` (bool), ``duration_s`` (float, start to exit), ``peak_rss`` (bytes: the child's
    ru_maxrss locally, the cgroup's peak in a container), ``command`` (shell line repeating the run),
    ``java_command`` (the same without Python, for Java workloads), ``cli_command`` (the ``directmem run``
    line that repeats it; None for call() with keyword arguments), ``backend``, ``host``,
    ``workload`` (its repr), ``limits`` (the options in force, JvmConfig.describe()), ``java``
    ({version, major, home} as the backend resolved it), ``container`` ({oom_killed, memory_limit,
    image, id, exit_code, engine}) and ``notes`` (list of str).
    """
    path = directory / STATUS
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version": STATUS_VERSION, **status}, indent=1, default=str) + "\n")
    tmp.replace(path)
    return path


def read_status(directory: Path) -> dict[str, Any]:
    """``status.json`` as a dict, or {} when no backend wrote one (the launching process died)."""
    return _read_json(directory / STATUS)


def read_text(directory: Path, name: str) -> str:
    try:
        with open(os.path.join(os.fspath(directory), name), errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def heap_dumps(directory: Path) -> list[Path]:
    return sorted(directory.glob(HEAP_DUMPS))


def hs_errs(directory: Path) -> list[Path]:
    return sorted(directory.glob(HS_ERRS))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
