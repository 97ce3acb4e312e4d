"""`pytest --directmem-report=...`: one page for the whole session, failures first, linked from the failure section."""

import re

import pytest

pytest_plugins = ["pytester"]

TESTS = """
import pytest
import pytest_directmem as dm

W = dm.workloads

def test_plain():
    pass

@pytest.mark.directmem(heap="64m", max_direct="16m")
def test_passes(directmem):
    directmem.run(W.churn(50, "1m")).expect("completed")

@pytest.mark.directmem(heap="64m", max_direct="16m")
def test_fails(directmem):
    directmem.run(W.churn(50, "1m"), explicit_gc="disabled").expect("completed")
"""


@pytest.mark.slow
@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["in-process", "xdist"])
def test_session_report_failures_first_and_linked(pytester, xdist):
    pytester.makepyfile(test_session_runs=TESTS)
    result = pytester.runpytest_subprocess("--directmem-report=out/report.html", "-p", "no:cacheprovider", *xdist)
    result.assert_outcomes(passed=2, failed=1)
    report = pytester.path / "out" / "report.html"
    result.stdout.fnmatch_lines([f"directmem report: {report}"])
    links = re.findall(r"report:     (file://\S+)#(run-\S+)", result.stdout.str())
    assert links == [(report.as_uri(), "run-test_session_runs.py-test_fails--run1")]
    page = report.read_text()
    assert 'id="run-test_session_runs.py-test_fails--run1"' in page
    assert 'id="run-test_session_runs.py-test_passes--run1"' in page  # its artifacts are gone; its run is not
    assert page.index("test_session_runs.py::test_fails") < page.index("test_session_runs.py::test_passes")
    assert "test_plain" not in page.split("<h2>Runs</h2>")[1]  # no runs, no entry (but counted)
    assert "3 tests (1 failed, 2 passed)" in page
    assert page.count('id="dm-oom-marker-') == 1 and "expected outcome COMPLETED, got DIRECT_OOM" in page


def test_report_option_ini_and_help(pytester):
    pytester.makeini("[pytest]\ndirectmem_report = reports/session.html\n")
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    page = (pytester.path / "reports" / "session.html").read_text()
    assert "No test launched a run" in page
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*--directmem-report=PATH*", "*directmem_report*"])


def test_no_report_without_the_option(pytester):
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert "directmem report" not in result.stdout.str()
