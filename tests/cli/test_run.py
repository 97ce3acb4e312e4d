"""`directmem run` for real: a JVM per test, exit codes that scripts can use, JSON and HTML outputs."""

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from pytest_directmem import workloads as w
from pytest_directmem.cli import main
from pytest_directmem.cli.options import build_workload

SMALL = ["churn", "--count", "50", "--size", "1m", "--heap", "64m", "--max-direct", "16m"]


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_run_matches_expectation_and_writes_the_report(tmp_path):
    report = tmp_path / "run.html"
    r = invoke("run", *SMALL, "--disable-explicit-gc", "--expect", "direct-oom", "--report", str(report),
               "--artifacts-dir", str(tmp_path / "a"))
    assert r.exit_code == 0, r.output
    assert "outcome:    DIRECT_OOM" in r.stdout and "expected:   direct-oom: matched" in r.stdout
    assert "again:      directmem run churn --count 50 --size 1m --heap 64m --max-direct 16m --disable-explicit-gc" \
        in r.stdout
    assert f"report:     {report}" in r.stdout
    assert "running churn(50, 1m) (local)" in r.stderr  # progress goes to stderr
    page = report.read_text()
    assert "dm-oom-marker" in page and "Cannot reserve" in page or "Direct buffer memory" in page


def test_run_json_oom_carries_the_fields_of_an_ooms_entry(tmp_path):
    r = invoke("run", *SMALL, "--disable-explicit-gc", "--json", "-q", "--artifacts-dir", str(tmp_path / "a"))
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout)
    oom, first = rec["oom"], rec["ooms"][0]
    assert rec["outcome"] == "direct-oom" and set(oom) == set(first), set(oom) ^ set(first)
    for key in ("thread", "caught_by", "carried_by", "uptime_s", "where", "text", "stack", "kind"):
        assert oom[key] == first[key], key
    assert oom["thread"] == "main" and oom["uptime_s"] is not None and isinstance(oom["carried_by"], list)


def test_run_mismatch_exits_1_with_a_clean_json_stdout(tmp_path):
    r = invoke("run", *SMALL, "--expect", "direct-oom,heap-oom", "--json", "--artifacts-dir", str(tmp_path / "a"))
    assert r.exit_code == 1, r.output
    summary = json.loads(r.stdout)  # nothing but JSON on stdout
    assert summary["outcome"] == "completed" and summary["matched"] is False
    assert summary["expected"] == ["direct-oom", "heap-oom"]
    assert summary["gc"]["explicit_count"] > 0 and summary["direct"]["limit"] == 16 << 20
    assert "samples" not in summary["direct"]
    assert "expected direct-oom or heap-oom, got completed" in r.stderr


def test_run_without_expect_exits_0_whatever_the_outcome_as_a_real_process(tmp_path):
    """The console script itself, with its options spelled as in the README."""
    exe = [sys.executable, "-c", "from pytest_directmem.cli import main; main()"]
    proc = subprocess.run(exe + ["run", "heap-hog", "--heap", "32m", "--no-heap-dump", "-q",
                                 "--artifacts-dir", str(tmp_path / "a"), "--flag=-Xss1m", "-Dx.y=z"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "outcome:    HEAP_OOM" in proc.stdout and "heap dumps: 0" in proc.stdout
    assert proc.stderr == ""  # -q: no progress
    assert "--no-heap-dump --property x.y=z --flag=-Xss1m" in proc.stdout


@pytest.mark.parametrize("args, message", [
    (["churn", "--count", "5", "--size", "1x"], "invalid churn.size='1x'"),
    (["churn", "--count", "5", "--size", "1m", "--threads", "2"], "churn does not take --threads"),
    (["churn", "--size", "1m"], "churn needs --count"),
    (["churn", "--count", "5", "--size", "1m", "--memory", "64m"], "container limits need backend='docker'"),
    (["churn", "--count", "5", "--size", "1m", "--expect", "boom"], "'boom' is not an outcome"),
    (["churn", "--count", "5", "--size", "1m", "--property", "novalue"], "--property takes KEY=VALUE"),
    (["churn", "--count", "5", "--size", "1m", "--flag=-XX:+DisableExplicitGC"], "use explicit_gc="),
    (["churn", "--count", "5", "--size", "1m", "--explicit-gc", "enabled", "--disable-explicit-gc"], "contradicts"),
    (["nosuch"], "unknown workload 'nosuch'"),
    (["main"], "main needs a target"),
    (["churn", "--count", "5", "--size", "1m", "--jdk", "8"], "JDK majors below 11"),
])
def test_usage_and_config_errors_exit_2_before_anything_runs(args, message, tmp_path):
    r = invoke("run", *args, "--artifacts-dir", str(tmp_path / "a"))
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert not (tmp_path / "a").exists()


def test_every_builtin_workload_is_reachable_from_the_command_line():
    def build(name, **opts):
        return build_workload(name, (), opts)

    assert build("churn", count=3, size="1m", keep_every=2) == w.churn(3, "1m", 2)
    assert build("hold", size="1m") == w.hold("1m")
    assert build("hold", size="1m", count=4) == w.hold("1m", 4)
    assert build("heap-hog") == w.heap_hog()
    assert build("heap_hog", size="2m") == w.heap_hog("2m")  # --size is an alias of --chunk
    assert build("unsafe-alloc", size="1m", count=2) == w.unsafe_alloc("1m", 2)
    assert build("socket-write", threads=2, payload="64k", writes=10, hold_="8m") == \
        w.socket_write(2, "64k", 10, hold="8m")
    assert build("socket-write", size="64k", count=10) == w.socket_write(1, "64k", 10)
    assert build("storm", size="1m") == w.storm(1, "1m", "2s")
    assert build("storm", size="1m", per_thread=75) == w.storm(1, "1m", per_thread=75)  # no implicit 2 s bound
    assert build_workload("main", ("com.example.Main", "a", "1"), {}) == w.main("com.example.Main", "a", "1")
    assert build_workload("static", ("a.B#c", "1", "x", "true", "null", "2.5"), {}) == \
        w.static("a.B#c", 1, "x", True, None, 2.5)
    assert build_workload("call", ("tests.jvm.python_workloads:pool_count", "3"), {}) == \
        w.call(__import__("tests.jvm.python_workloads", fromlist=["x"]).pool_count, 3)
    with pytest.raises(click.UsageError, match="give --chunk or --size"):
        build("heap-hog", size="1m", chunk="2m")


def test_help_documents_workloads_exit_codes_and_variants():
    r = invoke("run", "--help")
    for text in ("churn", "socket-write", "--max-direct", "--disable-explicit-gc", "--expect", "Exit status",
                 "--report", "--json", "--property", "--classpath", "--memory", "--cpus", "--heap-dump"):
        assert text in r.output
    r = invoke("compare", "--help")
    assert "--variant" in r.output and "expect=direct-oom" in r.output


def test_host_option_runs_the_java_host_and_refuses_call(tmp_path):
    exe = [sys.executable, "-c", "from pytest_directmem.cli import main; main()"]
    proc = subprocess.run(exe + ["run", "hold", "--size", "1m", "--count", "2", "--host", "java", "-q", "--json",
                                 "--artifacts-dir", str(tmp_path / "a")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert '"host": "java"' in proc.stdout
    assert "directmem.Main" in (tmp_path / "a" / "status.json").read_text()
    proc = subprocess.run(exe + ["run", "call", "tests.jvm.python_workloads:pool_count", "1", "--host", "java"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "invalid host='java'" in proc.stderr, proc.stderr
