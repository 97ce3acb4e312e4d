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
    return run_spec(os.path.abspath(argv[0]))


def preload(kind: str) -> tuple[Any, int] | str:
    """Import JPype the way the worker needs it: (jpype, how many GC-bridge callbacks it registered into
    the decoy list), or the ImportError's text. For kinds other than "call" numpy is blocked first
    (JPype's C module imports it when installed, ~60 ms; only Python workloads can use it).
    The fork server calls this once before it forks any worker."""
    if kind != "call" and "numpy" not in sys.modules:
        sys.modules["numpy"] = None  # type: ignore[assignment]
    import gc

    real_callbacks = gc.callbacks
    gc.callbacks = decoy = []  # JPype appends its GC bridge here, not to the list Python's collector calls
    try:
        import jpype
    except ImportError as e:
        return f"jpype is not importable: {e}"
    finally:
        gc.callbacks = real_callbacks
    return jpype, len(decoy)


def run_spec(spec_path: str, preloaded: tuple[Any, int] | None = None) -> int:
    """Run the spec at spec_path (absolute) in this process; returns the exit code when the JVM did not
    end the process itself. preloaded: preload()'s result, when a fork server imported JPype already."""
    with open(spec_path) as fh:
        spec = json.load(fh)
    base = os.path.dirname(spec_path)
    os.chdir(base)
    _die_with_parent(int(os.environ.get("DIRECTMEM_PARENT_PID") or 0))
    journal = Journal(base, "worker")
    journal.write("worker_started", pid=os.getpid(), python=sys.version.split()[0],
                  **({"forked": True} if preloaded else {}))
    for entry in reversed(spec.get("sys_path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    loaded = preloaded or preload(spec["workload"]["kind"])
    if isinstance(loaded, str):
        journal.write("error", **{"class": "ImportError", "message": loaded, "stack": []})
        return EXIT_START_FAILED
    jpype, caught = loaded
    import gc

    real_callbacks = gc.callbacks
    gc.callbacks = decoy = []  # as in preload(): startJVM may register the bridge too
    try:
        args = list(spec["jvm_args"])
        set_launcher_env(args)
        journal.write("jvm_starting", libjvm=spec["libjvm"], args=args, jpype=jpype.__version__, host_rss=_rss())
        try:
            jpype.startJVM(spec["libjvm"], *args, classpath=spec["classpath"], convertStrings=False, interrupt=False)
        except Exception as e:  # noqa: BLE001 - anything here means the JVM did not start
            journal.write("error", phase="jvm_start", **{"class": type(e).__name__, "message": str(e),
                                                         "stack": _traceback()})
            return EXIT_START_FAILED
    finally:
        gc.callbacks = real_callbacks
    journal.write("gc_bridge_detached", callbacks=caught + len(decoy) + detach_gc_bridge())
    runner = jpype.JClass("directmem.Runner")
    runner.init(journal.path, os.path.join(base, SAMPLES),
                int(spec.get("sample_interval_ms", 10)))
    status = run_workload(jpype, runner, spec["workload"], journal)
    code = _STATUS_CODE.get(status, EXIT_ERROR)
    if spec["workload"]["kind"] == "main" and code == EXIT_OOM:
        code = EXIT_ERROR  # the java launcher: a main() that throws (an OOM too) exits with 1
    runner.exit(code)  # System.exit: no Python finalization
    return EXIT_ERROR  # not reached


def _rss() -> int | None:
    """This process's resident set in bytes before the JVM exists: the JPype host's own footprint."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def set_launcher_env(jvm_args: list[str]) -> None:
    """Do what the `java` launcher does before it creates the JVM and JPype does not.

    JDK 11's NMT reads its level from the environment variable NMT_LEVEL_<pid>, which the launcher
    sets from -XX:NativeMemoryTracking=LEVEL (java.base/share/native/libjli/java.c); without it NMT
    stays off ("Native Memory Tracking did not setup properly, using wrong launcher?"). JDK 17+ read
    the flag itself and ignore the variable.
    """
    for a in jvm_args:
        if a.startswith("-XX:NativeMemoryTracking="):
            os.environ[f"NMT_LEVEL_{os.getpid()}"] = a.split("=", 1)[1]


def detach_gc_bridge() -> int:
    """Remove JPype's GC bridge from Python's gc.callbacks; returns how many entries were removed.

    JPype (native/common/jp_gc.cpp, 1.x) appends `_jpype._collect` to `gc.callbacks` (1.7.1 twice). After
    a Python collection it compares the process's malloc usage with a high-water mark and calls
    `System.gc()` when it grew; direct buffers are malloc'ed, so direct-heavy runs get full GCs the
    workload never asked for (JFR jdk.SystemGC on thread "Python Reference Queue", through
    JPypeReferenceNative.wake, and on "main" through TypeFactoryNative.newWrapper). Without the
    callback JPype's reference queue still runs: a Java GC still wakes a Python collection that releases
    Python objects Java no longer references, it just never calls back into System.gc().

    The worker first lets JPype register it into a decoy list (gc.callbacks is swapped during
    import and startJVM: Python's collector calls the interpreter's own list, not the module
    attribute); this removes any entry that still reached the real list.
    """
    import gc

    before = len(gc.callbacks)
    gc.callbacks[:] = [cb for cb in gc.callbacks
                       if not (getattr(cb, "__name__", "") == "_collect" and getattr(cb, "__module__", "") == "_jpype")]
    return before - len(gc.callbacks)


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
