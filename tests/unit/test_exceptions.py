"""The exceptions-log parser on logs recorded from bare java 11/17/21/25 (tests/data/exceptions/record.py)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pytest_directmem.config import JvmConfig, to_jvm_args
from pytest_directmem.observe.exceptions import parse_exceptions_log, read_exceptions_log

DATA = Path(__file__).resolve().parent.parent / "data" / "exceptions"
MAJORS = (11, 17, 21, 25)
MANIFEST = json.loads((DATA / "manifest.json").read_text())


def throws(major: int, case: str):
    p = DATA / f"jdk{major}-{case}.log"
    text = p.read_text() if p.exists() else gzip.decompress((DATA / f"jdk{major}-{case}.log.gz").read_bytes()).decode()
    return parse_exceptions_log(text)


def direct_message(major: int) -> str:
    return "Direct buffer memory" if major == 11 else "Cannot reserve 1048576 bytes of direct buffer memory"


@pytest.mark.parametrize("major", MAJORS)
def test_background_thread_oom_ends_its_thread(major):
    (t,) = throws(major, "bg-thread")
    assert t.thread == "JDBM writer" and t.message.startswith(direct_message(major))
    assert t.frames[0] == "java.nio.Bits.reserveMemory" and "BgThread.lambda$main$0" in t.frames
    assert t.frames[-1] == "java.lang.Thread.run"
    assert t.caught_by is None                       # it left the thread's root
    assert t.handled is False
    assert MANIFEST[f"jdk{major}-bg-thread"]["exit_code"] == 0


@pytest.mark.parametrize("major", MAJORS)
def test_caught_on_another_thread_and_wrapped(major):
    (t,) = throws(major, "swallow")                  # the IOException wrapper is not an OOM: not listed
    assert t.thread == "OkHttp Dispatcher" and t.caught_by == "OomThrows.deliver"
    assert t.uptime_s is not None and t.uptime_s > 0


@pytest.mark.parametrize("major", MAJORS)
def test_plain_wrap_caught_in_main(major):
    (t,) = throws(major, "plain-wrap")
    assert (t.thread, t.caught_by) == ("main", "PlainWrap.main")
    assert "Caused by: java.lang.OutOfMemoryError" in (DATA / f"jdk{major}-plain-wrap.out").read_text()


@pytest.mark.parametrize("major", MAJORS)
def test_rethrow_of_the_same_error_is_one_throw(major):
    (t,) = throws(major, "rethrow")                  # caught, rethrown, caught again: one error
    assert t.caught_by == "OomThrows.main" and t.frames.count("OomThrows.main") == 2


@pytest.mark.parametrize("major", MAJORS)
def test_errors_at_a_reused_address_are_distinct(major):
    ts = throws(major, "retry")                      # after a GC the next error often gets the same address
    assert len(ts) == 3 and all(t.caught_by == "OomThrows.main" for t in ts)
    assert ts[0].uptime_s <= ts[1].uptime_s <= ts[2].uptime_s
    assert (DATA / f"jdk{major}-retry.out").read_text().count("retry ") == 3


@pytest.mark.parametrize("major", MAJORS)
def test_compiled_frames_get_the_thread_name_from_other_records(major):
    (t,) = throws(major, "compiled")                 # thousands of other exceptions in the log
    assert t.thread == "main" and t.caught_by == "OomThrows.main" and "OomThrows.step" in t.frames


@pytest.mark.parametrize("major", MAJORS)
def test_heap_oom_thrown_by_the_vm(major):
    (t,) = throws(major, "heap")
    assert t.message == "Java heap space" and t.vm_site.startswith("memAllocator.cpp")
    assert t.thread == "main" and t.caught_by == "OomThrows.main"


def test_jdk25_blank_decorations_and_multiline_message():
    text = ("[0.5s][7] Exception <a 'java/lang/OutOfMemoryError'{0x10}: first line\n"
            "second line>\n"
            "[             ]  thrown in interpreter method <{method} {0x1} 'run' '()V' in 'Job'>\n"
            "[             ]  at bci 3 for thread 0x99 (worker-1)\n")
    (t,) = parse_exceptions_log(text)
    assert t.message == "first line\nsecond line"
    assert (t.thread, t.frames, t.caught_by) == ("worker-1", ("Job.run",), "Job.run")


def test_read_exceptions_log_reads_rotated_parts_oldest_first(tmp_path):
    (tmp_path / "exceptions.log").write_text((DATA / "jdk17-bg-thread.log").read_text())
    assert read_exceptions_log(tmp_path)[0].thread == "JDBM writer"
    assert read_exceptions_log(tmp_path / "nothing") is None


def test_to_jvm_args_logs_exceptions_into_the_artifacts_dir():
    args = to_jvm_args(JvmConfig(), "/art", 17)
    xlog = [a for a in args if a.startswith("-Xlog:exceptions")]
    assert xlog == ["-Xlog:exceptions=info:file=/art/exceptions.log:uptime,tid:filecount=4,filesize=20m"]


def test_a_vm_throw_of_one_preallocated_error_on_two_threads_is_two_throws():
    import re

    one = (DATA / "jdk17-heap.log").read_text()          # the VM's throw, caught in main
    tid = re.search(r"^\[[^\]]*\]\[(\d+)\]", one).group(1)
    ptr = re.search(r"for thread (0x[0-9a-f]+)", one).group(1)
    other = one.replace(f"[{tid}]", f"[{tid}9]").replace("(main)", "(worker)").replace(ptr, ptr[:-1] + "f")
    ts = parse_exceptions_log(one + other)             # the same error object (address) both times
    assert [t.thread for t in ts] == ["main", "worker"] and all(t.vm_site for t in ts)


def test_a_vm_made_oom_moved_by_a_gc_before_its_first_java_frame_is_one_throw():
    """JDK 25, heap_hog under JPype (recorded): the VM creates the main thread's heap OOM at one address
    (no message yet, thrown in memAllocator.cpp), a full GC moves it, and it reaches Java frames at another."""
    from pytest_directmem.observe.exceptions import read_exceptions_log

    logged = read_exceptions_log(Path(__file__).parent.parent / "data" / "rundirs" / "jdk25-heap-oom")
    main = [t for t in logged if t.thread == "main"]
    assert len(main) == 1 and main[0].message == "Java heap space"
    assert main[0].frames[0] == "directmem.Workloads.heapHog" and main[0].vm_site.startswith("memAllocator.cpp")
