"""observe.traces / observe.ooms / observe.exits on outputs and harness runs recorded from JDK 11/17/21/25
(tests/data/exceptions/record.py: bare java; tests/data/ooms/record.py: the harness). The expected values
are what each program provokes, written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_directmem.observe.classify import classify
from pytest_directmem.observe.exceptions import parse_exceptions_log, read_exceptions_log
from pytest_directmem.observe.exits import workload_exit
from pytest_directmem.artifacts import read_journal
from pytest_directmem.observe.oom import parse_oom_from_output
from pytest_directmem.observe.ooms import FATAL_CLASS, fatal_native_oom, gather_ooms, journal_reports
from pytest_directmem.observe.traces import carried_ooms, from_journal, uncaught_in_output
from pytest_directmem.result import Outcome

DATA = Path(__file__).resolve().parent.parent / "data"
BARE, RUNS = DATA / "exceptions", DATA / "ooms"
MAJORS = (11, 17, 21, 25)


def bare(major: int, case: str):
    return parse_exceptions_log((BARE / f"jdk{major}-{case}.log").read_text()), (BARE / f"jdk{major}-{case}.out").read_text()


def harness(major: int, case: str):
    d = RUNS / f"jdk{major}-{case}"
    status = json.loads((d / "status.json").read_text())
    output = (d / "stdout.txt").read_text() + "\n" + (d / "stderr.txt").read_text()
    hs = (d / "hs_err_head.log").read_text() if (d / "hs_err_head.log").exists() else ""
    events = read_journal(d)
    ooms = gather_ooms(read_exceptions_log(d), journal_reports(events), output, hs)
    ending = workload_exit(events, status["exit_code"], status["timed_out"], status["hs_err"])
    verdict = classify(events, output, status["exit_code"], status["timed_out"], status["hs_err"], ooms=ooms, ending=ending)
    return ooms, ending, verdict, status


@pytest.mark.parametrize("major", MAJORS)
def test_printed_trace_tree_with_cause_and_suppressed(major):
    (top,) = uncaught_in_output(bare(major, "okhttp")[1])
    assert (top.thread, top.class_name) == ("OkHttp Dispatcher", "java.lang.IllegalStateException")
    assert top.cause.class_name == "java.io.IOException" and top.cause.message.startswith("canceled due to")
    (oom,) = top.cause.suppressed
    assert oom.class_name == "java.lang.OutOfMemoryError" and oom.stack[0].startswith("java.nio.Bits.reserveMemory(")
    ((node, carriers),) = list(carried_ooms(top))
    assert node is oom and carriers == ("java.lang.IllegalStateException: callback failed", top.cause.text())


@pytest.mark.parametrize("major", MAJORS)
def test_output_classifier_sees_a_suppressed_oom_like_the_journal_walk(major):
    out = bare(major, "okhttp")[1]
    o = parse_oom_from_output(out)
    assert o.kind == "direct" and o.thread == "OkHttp Dispatcher"


@pytest.mark.parametrize("major", MAJORS)
@pytest.mark.parametrize("case,thread,caught,carried", [
    ("bg-thread", "JDBM writer", None, ()),
    ("plain-wrap", "main", "PlainWrap.main", ("java.io.IOException: store write failed",)),
    ("swallow", "OkHttp Dispatcher", "OomThrows.deliver", ()),   # the app printed only the message
    ("okhttp", "OkHttp Dispatcher", "OomThrows.deliver", ("java.lang.IllegalStateException: callback failed",)),
])
def test_bare_runs_thread_catcher_and_carriers(major, case, thread, caught, carried):
    logged, out = bare(major, case)
    (oom,) = gather_ooms(logged, [], out)
    assert (oom.thread, oom.caught_by, oom.carried_by[:1]) == (thread, caught, carried)
    assert oom.kind == "direct" and oom.uptime_s > 0


@pytest.mark.parametrize("major", MAJORS)
def test_three_caught_ooms_are_three(major):
    logged, out = bare(major, "retry")
    ooms = gather_ooms(logged, [], out)
    assert len(ooms) == 3 and [o.caught_by for o in ooms] == ["OomThrows.main"] * 3


def test_without_an_exceptions_log_the_reports_still_give_the_ooms():
    logged, out = bare(17, "plain-wrap")
    (oom,) = gather_ooms(None, [], out)
    assert oom.carried_by == ("java.io.IOException: store write failed",) and oom.uptime_s is None


@pytest.mark.parametrize("major", MAJORS)
def test_harness_plain_wrap_journal_holds_the_cause_tree(major):
    events = read_journal(RUNS / f"jdk{major}-plain-wrap")
    (err,) = [e for e in events if e["event"] == "error"]
    top = from_journal(err)
    assert top.class_name == "java.io.IOException" and top.cause.class_name == "java.lang.OutOfMemoryError"
    assert top.cause.stack and top.cause.stack[0].startswith("java.nio.Bits.reserveMemory(")
    (oom,), _, (outcome, first, error, _), status = harness(major, "plain-wrap")
    assert outcome is Outcome.DIRECT_OOM and first is oom and error is None and status["exit_code"] == 1
    assert (oom.thread, oom.caught_by, oom.carried_by) == ("main", "PlainWrap.main", ("java.io.IOException: store write failed",))


@pytest.mark.parametrize("major", MAJORS)
def test_harness_background_thread(major):
    (oom,), (completed, ended_by), (outcome, *_), status = harness(major, "bg-thread")
    assert outcome is Outcome.DIRECT_OOM and completed and ended_by is None and status["exit_code"] == 0
    assert (oom.thread, oom.caught_by) == ("JDBM writer", None)


@pytest.mark.parametrize("major", MAJORS)
def test_harness_okhttp_style_suppressed(major):
    (oom,), (completed, _), (outcome, *_), _ = harness(major, "okhttp")
    assert outcome is Outcome.DIRECT_OOM and completed
    assert oom.thread == "OkHttp Dispatcher" and oom.caught_by == "OomThrows.deliver"
    assert oom.carried_by[0] == "java.lang.IllegalStateException: callback failed"


@pytest.mark.parametrize("major", MAJORS)
def test_harness_system_exit_3(major):
    ooms, (completed, ended_by), (outcome, oom, error, _), status = harness(major, "exit-3")
    assert ooms == () and oom is None and not completed and status["exit_code"] == 3
    assert outcome is Outcome.ERROR and error == ended_by and "System.exit(3) or Runtime.halt(3)" in error


@pytest.mark.parametrize("major", MAJORS)
def test_harness_fatal_native_oom(major):
    (oom,), (completed, _), (outcome, first, _, notes), _ = harness(major, "fatal")
    assert outcome is Outcome.NATIVE_OOM and first is oom and not completed
    assert oom.class_name == FATAL_CLASS and oom.requested == 40 << 30
    assert oom.hs_err_summary.startswith("Out of Memory Error (os_linux.cpp:")
    assert any(n.startswith("hs_err: Out of Memory Error") for n in notes)


def test_fatal_native_malloc():
    out = ("#\n# There is insufficient memory for the Java Runtime Environment to continue.\n"
           "# Native memory allocation (malloc) failed to allocate 1048576 bytes for Chunk::new\n")
    o = fatal_native_oom(out)
    assert (o.kind, o.requested) == ("native", 1048576) and "malloc" in o.message
    assert fatal_native_oom("all fine\n") is None


def test_exit_codes_and_the_runners_exit_event():
    start = [{"event": "workload_start"}]
    assert workload_exit(start + [{"event": "exit", "code": 0}], 0, False, False) == (False, None)
    done = start + [{"event": "workload_done", "status": "completed"}]
    assert workload_exit(done + [{"event": "exit", "code": 0}], 0, False, False) == (True, None)
    # a thread's System.exit(5) won the race with the runner's exit(0)
    completed, why = workload_exit(done + [{"event": "exit", "code": 0}], 5, False, False)
    assert completed and "after the workload returned" in why
    assert workload_exit(start, 0, False, False)[0] is True         # System.exit(0) from main
    assert workload_exit(start, 134, False, True) == (False, None)   # a crash is not an exit
    assert workload_exit(start, 1, True, False) == (False, None)     # nor a timeout


@pytest.mark.parametrize("major", MAJORS)
def test_load_run_of_a_recorded_map_failed_run(major, tmp_path):
    import shutil

    import pytest_directmem as dm
    from pytest_directmem.report.html import facts_table
    from pytest_directmem.report.model import run_record
    from pytest_directmem.report.timeline import timeline_svg

    shutil.copytree(RUNS / f"jdk{major}-map-failed", tmp_path / "run")
    run = dm.load_run(tmp_path / "run")
    assert run.outcome is Outcome.NATIVE_OOM and run.oom.message == "Map failed"
    assert run.oom.caught_by.startswith("sun.nio.ch.FileChannelImpl.map")
    assert any(o.carried_by == ("java.io.IOException: Map failed",) for o in run.ooms)
    held = int(__import__("re").search(r"mappings held: (\d+)", run.stdout).group(1))
    assert run.mapped.peak_count >= 0.9 * held and run.mapped.peak_used >= 0.9 * held * 4096
    rec = run_record(run)
    html = facts_table(rec)
    assert "mapped pool" in html and "caught by sun.nio.ch.FileChannelImpl.map" in html
    assert f"OOM 2 of {len(run.ooms)}" in html
    assert "dm-mapped-used-" in timeline_svg([rec])
    summary = run.summary()
    assert "oom 2/" in summary and "buffers" in summary
