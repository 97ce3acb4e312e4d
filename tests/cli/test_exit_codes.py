"""Exit codes exactly as the README documents them: 0 ok, 1 expectation not met, 2 usage or configuration
error before anything runs, 3 cannot run here, 130 interrupted (Ctrl-C)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pytest_directmem.cli import main

TINY = ["churn", "--count", "2", "--size", "1k"]


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("args,message", [
    (["run", *TINY, "--report", "/proc/x.html"], "invalid --report '/proc/x.html': cannot write there"),
    (["run", *TINY, "--report", "/nonexistent-dir/x.html"], "cannot write there"),
    (["compare", *TINY, "--variant", "gc=G1", "--report", "/proc/x.html"], "invalid --report"),
    (["demo", "--report", "/proc/x.html"], "invalid --report"),
    (["run", *TINY, "--max-direct", "99999999999t"], "invalid max_direct='99999999999t'"),
    (["run", *TINY, "--heap", "2m"], "invalid heap='2m'"),
    (["run", *TINY, "--flag=-Xlog:disable"], "invalid flags='-Xlog:disable'"),
    (["run", *TINY, "--flag=-Xms512m", "--heap", "64m"], "invalid flags='-Xms512m'"),
    (["run", *TINY, "-D", "java.class.path=/x"], "java.class.path"),
    (["run", *TINY, "--backend", "docker", "--cpus", "0.005"], "invalid cpus=0.005"),
    (["run", *TINY, "--backend", "docker", "--memory", "64m", "--heap", "256m"], "invalid memory='64m'"),
    (["reproduce", "seed-victim", "--jdk", "8"], "invalid jdk='8'"),
    (["reproduce", "seed-victim", "--flag=-Xlog:disable"], "invalid flags='-Xlog:disable'"),
    (["compare", *TINY, "--variant", "gc=G1;gc=Serial"], "key 'gc' given twice"),
    (["compare", *TINY, "--variant", ""], "empty variant"),
    (["compare", *TINY, "--variant", " ; "], "empty variant"),
    (["compare", *TINY, "--variant", "colour=red"], "unknown key 'colour'"),
    (["compare", *TINY, "--variant", "artifacts-dir=/tmp/x"], "unknown key 'artifacts-dir'"),
    (["compare", *TINY, "--variant", "name=a;gc=G1", "--variant", "name=a;gc=Serial"], "two variants are named 'a'"),
    (["compare", *TINY, "--variant", "gc=G1", "--variant", "gc=G1"], "two variants are named 'gc=G1'"),
    (["compare", *TINY, "--variant", "name=;gc=G1"], "empty name="),
    (["compare", *TINY, "--variant", "name=x;heap=2m"], "invalid heap='2m'"),
])
def test_usage_errors_exit_2_before_anything_runs(args, message, tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr("subprocess.Popen", lambda *a, **k: started.append(a))
    r = invoke(*args)
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert started == []
    assert list((tmp_path / "tmpdir").iterdir()) == []  # no artifacts dir was left behind


def test_a_report_path_that_works_is_not_left_behind_by_the_check(tmp_path):
    from pytest_directmem.cli.options import check_writable

    target = tmp_path / "r.html"
    check_writable(str(target), "--report")
    assert not target.exists()
    target.write_text("old")
    check_writable(str(target), "--report")
    assert target.read_text() == "old"


def test_static_takes_negative_numbers_without_double_dash(tmp_path):
    r = invoke("run", "static", "java.lang.Math#abs", "-5", "--json", "-q", "--artifacts-dir", str(tmp_path / "a"))
    assert r.exit_code == 0, r.output
    assert '"outcome": "completed"' in r.stdout
    assert "static(java.lang.Math#abs, -5)" in r.stdout


def _children(pid):
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(p.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def test_ctrl_c_exits_130_with_one_line_and_no_worker_left(tmp_path):
    art = tmp_path / "a"
    proc = subprocess.Popen([sys.executable, "-m", "pytest_directmem.cli", "run", "storm", "--threads", "1", "--size",
                             "1k", "--duration", "60s", "--artifacts-dir", str(art), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (art / "samples.csv").exists() and time.monotonic() < deadline:  # the worker's JVM is sampling
        time.sleep(0.1)
    workers = _children(proc.pid)
    assert workers, "no worker started"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "directmem: interrupted (Ctrl-C)" in err and "Aborted!" not in err and "Traceback" not in err
    time.sleep(0.5)
    assert not [w for w in workers if os.path.exists(f"/proc/{w}")]
