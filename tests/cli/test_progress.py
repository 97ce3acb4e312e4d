"""Progress on stderr: a spinner on a terminal, plain start/end lines elsewhere."""

import io
import re
import time

import pytest

from pytest_directmem.cli.progress import Progress


def test_plain_lines_without_a_terminal():
    out = io.StringIO()
    p = Progress(out, tty=False)
    with p.step("running churn"):
        p.say("downloading the JDK 21 runtime")
    lines = out.getvalue().splitlines()
    assert lines[0] == "running churn ..." and lines[1] == "downloading the JDK 21 runtime"
    assert lines[2].startswith("running churn: done in ") and "\r" not in out.getvalue()


def test_spinner_on_a_terminal_is_cleared_and_ends_with_a_line():
    out = io.StringIO()
    p = Progress(out, tty=True)
    with p.step("running churn"):
        time.sleep(0.35)
        p.say("a message above the spinner")
        time.sleep(0.15)
    text = out.getvalue()
    assert "\r\x1b[2K" in text and "⠙ running churn 0." in text
    assert "a message above the spinner\n" in text
    assert re.search(r"\r\x1b\[2Krunning churn: done in 0\.\ds\n$", text)


def test_failure_and_quiet():
    out = io.StringIO()
    with pytest.raises(RuntimeError), Progress(out, tty=False).step("building"):
        raise RuntimeError("x")
    assert "building: stopped in" in out.getvalue()
    quiet = io.StringIO()
    with Progress(quiet, enabled=False).step("x") as p:
        p.say("y")
    assert quiet.getvalue() == ""
