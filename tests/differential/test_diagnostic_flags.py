"""Diagnostic flags behave under the JPype host as under bare java: NMT on JDK 11, JFR's dumponexit."""

import subprocess

import pytest

import pytest_directmem as dm
from pytest_directmem.jdk import resolve_jdk
from tests.differential.bare import bare_java

NMT = ["-XX:NativeMemoryTracking=summary", "-XX:+UnlockDiagnosticVMOptions", "-XX:+PrintNMTStatistics"]


@pytest.mark.parametrize("jdk", ["11", "17"])
def test_nmt_summary_is_printed_at_exit_as_by_bare_java(jdk, tmp_path):
    """JDK 11 reads the NMT level from NMT_LEVEL_<pid>, set by the java launcher (and now by the worker)."""
    options = dict(jdk=jdk, max_direct="16m", flags=NMT)
    run = dm.launch(dm.workloads.hold("1m", 4), artifacts_dir=tmp_path / "run", **options)
    bare = bare_java(tmp_path / "bare", "directmem.Main", "hold", str(1 << 20), "4", **options)
    assert "Native Memory Tracking:" in bare.stdout  # the oracle prints it ...
    run.expect("completed")
    assert "wrong launcher" not in run.stdout + run.stderr
    assert "Native Memory Tracking:" in run.stdout, run.summary()  # ... and so does the harness
    assert "Other (reserved=" in run.stdout  # direct buffers land in "Other"


@pytest.mark.parametrize("jdk", ["17", "25"])
def test_jfr_dumponexit_recording_is_complete(jdk, tmp_path):
    """JPype's shutdown hook interrupted JFR's while it wrote the recording: the file stayed empty."""
    jfr = str(resolve_jdk(jdk).home / "bin" / "jfr")
    files = {}
    for who in ("run", "bare"):
        files[who] = tmp_path / f"{who}.jfr"
        options = dict(jdk=jdk, flags=[f"-XX:StartFlightRecording=dumponexit=true,filename={files[who]}"])
        if who == "run":
            run = dm.launch(dm.workloads.hold("1k", 1), artifacts_dir=tmp_path / "run", **options)
            run.expect("completed")
            assert "Unable to complete I/O" not in run.stdout + run.stderr
        else:
            assert bare_java(tmp_path / "bare", "directmem.Main", "hold", "1024", "1", **options).exit_code == 0
    for who, f in files.items():
        summary = subprocess.run([jfr, "summary", str(f)], capture_output=True, text=True)
        assert summary.returncode == 0, (who, summary.stderr)
        counts = {parts[0]: int(parts[1]) for parts in map(str.split, summary.stdout.splitlines())
                  if len(parts) == 3 and parts[0].startswith("jdk.") and parts[1].isdigit()}
        assert counts.get("jdk.JVMInformation", 0) >= 1, (who, summary.stdout)
        assert counts.get("jdk.Shutdown", 0) >= 1, (who, summary.stdout)  # recorded up to the end
