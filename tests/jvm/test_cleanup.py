"""No worker outlives the process that launched it: Ctrl-C, or the launcher killed outright."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

LAUNCHER = textwrap.dedent("""
    import sys
    import pytest_directmem as dm
    print("launching", flush=True)
    dm.launch(dm.workloads.static("java.lang.Thread#sleep", 600000), timeout=300, artifacts_dir=sys.argv[1])
""")


def _worker_pid(journal: Path, deadline: float) -> int:
    while time.monotonic() < deadline:
        if journal.exists():
            for line in journal.read_text().splitlines():
                event = json.loads(line)
                if event["event"] == "workload_start":  # the JVM is up and sleeping
                    started = [json.loads(x) for x in journal.read_text().splitlines()]
                    return next(e["pid"] for e in started if e["event"] == "worker_started")
        time.sleep(0.05)
    raise AssertionError("the worker never started its workload")


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_worker_dies_with_its_launcher(tmp_path, sig):
    art = tmp_path / "run"
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(art)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        pid = _worker_pid(art / "journal.jsonl", time.monotonic() + 60)
        launcher.send_signal(sig)
        launcher.wait(timeout=30)
        assert _gone(pid, within=10), f"worker {pid} outlived its launcher ({sig.name})"
    finally:
        launcher.kill()
        launcher.wait()
    if sig == signal.SIGINT:
        assert b"KeyboardInterrupt" in launcher.stderr.read()
    assert (art / "spec.json").exists()  # artifacts stay for the user
