"""Worker entry: read the spec, journal every step, start the JVM, run the workload, exit.

The journal (one JSON object per line, appended with a single write) is shared with the
Java side (directmem.Runner), which journals the OOM itself: if the JVM takes this process
down after a heap OOM, what happened is already on disk.
"""

from __future__ import annotations

import json
import os
import sys
import time

from ..artifacts import SAMPLES, Journal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

EXIT_OK, EXIT_ERROR, EXIT_START_FAILED, EXIT_OOM = 0, 1, 2, 3
_STATUS_CODE = {"completed": EXIT_OK, "oom": EXIT_OOM, "error": EXIT_ERROR}


def _traceback() -> list[str]:
    import traceback  # only on the error path: it costs a few ms at start-up

    return traceback.format_exc().splitlines()


def _die_with_parent(parent: int | None) -> None:
    """Ask the kernel to SIGKILL us when the launching process dies (pytest killed, Ctrl-C)."""
    if not parent or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(EXIT_START_FAILED)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m pytest_directmem.worker SPEC.json", file=sys.stderr)
        return EXIT_START_FAILED
    spec_path = os.path.abspath(argv[0])
    with open(spec_path) as fh:
        spec = json.load(fh)
    base = os.path.dirname(spec_path)
    os.chdir(base)
    _die_with_parent(int(os.environ.get("DIRECTMEM_PARENT_PID") or 0))
    journal = Journal(base, "worker")
    journal.write("worker_started", pid=os.getpid(), python=sys.version.split()[0])
    for entry in reversed(spec.get("sys_path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    if spec["workload"]["kind"] != "call" and "numpy" not in sys.modules:
        # JPype's C module imports numpy when it is installed (~60 ms): only Python workloads can use it.
        sys.modules["numpy"] = None  # type: ignore[assignment]
    try:
        import jpype
    except ImportError as e:
        journal.write("error", **{"class": "ImportError", "message": f"jpype is not importable: {e}", "stack": []})
        return EXIT_START_FAILED
    args = list(spec["jvm_args"])
    journal.write("jvm_starting", libjvm=spec["libjvm"], args=args, jpype=jpype.__version__)
    try:
        jpype.startJVM(spec["libjvm"], *args, classpath=spec["classpath"], convertStrings=False, interrupt=False)
    except Exception as e:  # noqa: BLE001 - anything here means the JVM did not start
        journal.write("error", phase="jvm_start", **{"class": type(e).__name__, "message": str(e),
                                                     "stack": _traceback()})
        return EXIT_START_FAILED
    runner = jpype.JClass("directmem.Runner")
    runner.init(journal.path, os.path.join(base, SAMPLES),
                int(spec.get("sample_interval_ms", 10)))
    status = run_workload(jpype, runner, spec["workload"], journal)
    code = _STATUS_CODE.get(status, EXIT_ERROR)
    if spec["workload"]["kind"] == "main" and code == EXIT_OOM:
        code = EXIT_ERROR  # the java launcher: a main() that throws (an OOM too) exits with 1
    runner.exit(code)  # System.exit: no Python finalization
    return EXIT_ERROR  # not reached


def run_workload(jpype: Any, runner: Any, w: dict[str, Any], journal: Journal) -> str:
    strings = jpype.JArray(jpype.JString)
    kind = w["kind"]
    if kind == "builtin":
        return str(runner.run(w["name"], strings(w["args"])))
    if kind == "static":
        return str(runner.invokeStatic(w["name"], strings(w["args"]), strings(w["types"])))
    if kind == "main":
        return str(runner.invokeMain(w["name"], strings(w["args"])))
    return _run_call(jpype, runner, w, journal)


def _run_call(jpype: Any, runner: Any, w: dict[str, Any], journal: Journal) -> str:
    from ..targets import resolve

    journal.write("workload_start", workload=w["name"], args=w["args"])
    t0 = time.monotonic()
    try:
        fn: Any = resolve(w["name"])
        value = fn(jpype, *w["args"], **w.get("kwargs", {}))
    except jpype.JException as ex:  # a Java throwable crossed into Python
        runner.recordThrowable("error", ex)
        status = "oom" if isinstance(ex, jpype.JClass("java.lang.OutOfMemoryError")) else "error"
    except BaseException as ex:  # noqa: BLE001 - a Python error in the user's function
        journal.write("error", python=True, **{"class": f"{type(ex).__module__}.{type(ex).__qualname__}",
                                               "message": str(ex), "stack": _traceback()})
        status = "error"
    else:
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            value = repr(value)
        journal.write("workload_done", status="completed", elapsed_ms=int((time.monotonic() - t0) * 1000), value=value)
        return "completed"
    journal.write("workload_done", status=status, elapsed_ms=int((time.monotonic() - t0) * 1000))
    return status
