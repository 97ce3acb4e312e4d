"""Runs spread over several Docker engines, one of which shares no path with the session (as an engine on
another machine): two extra dockerd start on this machine (tests/docker/engines.py), beside the session's.

Each engine is compared with the session's own engine running the same thing: same outcome, same facts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import pytest_directmem as dm
from pytest_directmem.backends.common import PACKAGE_ROOT
from pytest_directmem.backends.engine import EngineFailed
from tests.docker import engines, sshd
from tests.docker.engine import engine, left_behind, skip_or_fail
from tests.frameworks.conftest import netty_jars  # noqa: F401 - the fixture

W = dm.workloads
pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.xdist_group("engines"),
              pytest.mark.timeout(900)]  # the first test also starts the engines and builds their images


@pytest.fixture(scope="module")
def extra(tmp_path_factory):
    engine()  # the session's engine answers (else skip, or fail with DIRECTMEM_REQUIRE_DOCKER=1)
    skip_or_fail(engines.why_not())
    logs = tmp_path_factory.mktemp("engines")
    started = []
    try:
        started.append(engines.start(logs, isolated=True, hide=[tmp_path_factory.getbasetemp()]))
        started.append(engines.start(logs, isolated=False))
        yield tuple(started)
    finally:
        for e in started:
            engines.stop(e)


def _main_url() -> str:
    from pytest_directmem.backends.engine import configured

    return configured()[0]


def _together(n: int, launch) -> dict[int, object]:
    """launch(i) for i in range(n), from n threads released at once; i -> its result, or the exception."""
    barrier, results = threading.Barrier(n), {}

    def one(i: int) -> None:
        barrier.wait()
        try:
            results[i] = launch(i)
        except Exception as e:  # noqa: BLE001 - what the test looks at
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return results


def _private_module(tmp_path: Path, monkeypatch) -> object:
    priv = tmp_path / "priv"
    priv.mkdir(mode=0o700)
    (priv / "engines_workload_mod.py").write_text(textwrap.dedent("""
        def hold_direct(jvm, n):
            ByteBuffer = jvm.JClass("java.nio.ByteBuffer")
            held = [ByteBuffer.allocateDirect(1 << 20) for _ in range(n)]
            return len(held)
    """))
    monkeypatch.syspath_prepend(str(priv))
    import engines_workload_mod

    return engines_workload_mod


def test_an_engine_that_shares_no_path_gets_everything_copied_and_gives_the_same_runs(extra, tmp_path, monkeypatch):
    isolated = extra[0].url
    assert extra[0].isolated
    mod = _private_module(tmp_path, monkeypatch)
    cases = [  # (workload, options): a call() module, a heap dump, a direct OOM with its investigation, a timeout
        (W.call(mod.hold_direct, 3), dict(max_direct="16m")),
        (W.heap_hog(), dict(heap="32m")),
        (W.churn(40, "1m", keep_every=2), dict(max_direct="8m", explicit_gc="disabled", diagnose=True)),
        (W.static("java.lang.Thread#sleep", 600_000), dict(timeout=3)),
    ]
    for n, (workload, options) in enumerate(cases):
        there = dm.launch(workload, backend="docker", jdk="17", docker_hosts=[isolated],
                          artifacts_dir=tmp_path / f"iso{n}", **options)
        here = dm.launch(workload, backend="docker", jdk="17", docker_hosts=[_main_url()],
                         artifacts_dir=tmp_path / f"main{n}", **options)
        assert there.container.engine == isolated and there.container.transport == "copy", there.summary()
        assert here.container.transport == ("bind+copy" if n == 0 else "bind")  # the 0700 module: via the cache
        assert there.outcome == here.outcome, (there.summary(), here.summary())
        assert (there.oom and there.oom.message) == (here.oom and here.oom.message)
        assert len(there.heap_dumps) == len(here.heap_dumps)
        for dump in there.heap_dumps:  # copied back whole: a readable HPROF
            assert dump.read_bytes()[:18] == b"JAVA PROFILE 1.0.2" and dump.stat().st_size > 1 << 20
        assert there.artifacts == tmp_path / f"iso{n}" and dm.load_run(there.artifacts) == there
        assert there.container.copied_out > 0
    assert there.timed_out and "Full thread dump" in there.stdout  # the SIGQUIT dump came back too
    there, here = dm.load_run(tmp_path / "iso2").diagnosis, dm.load_run(tmp_path / "main2").diagnosis
    assert there.dump.is_file() and there.dump.parent.parent == tmp_path / "iso2"  # the investigation's dump came back
    assert [(h.count, h.bytes) for h in there.holders] == [(h.count, h.bytes) for h in here.holders] != []
    assert there.garbage_bytes == here.garbage_bytes
    again = dm.launch(W.hold("1m", 1), backend="docker", jdk="17", docker_hosts=[isolated])
    assert again.container.copied_in == 0  # the package is cached on the engine: nothing uploaded


def test_maven_classpath_entries_reach_an_engine_that_shares_no_path(extra, directmem, netty_jars):
    from tests.frameworks.test_netty import _variant, expected

    result = _variant("4.1-limit-opens").run(directmem, jdk="17", backend="docker", expect=expected("4.1-limit-opens", 17),
                                             memory="512m", docker_hosts=[extra[0].url])
    run = result.check().run  # the pinned facts hold
    assert run.container.engine == extra[0].url and run.container.transport == "copy"
    assert run.oom.class_name == "io.netty.util.internal.OutOfDirectMemoryError"


def test_an_engine_on_this_machine_binds_what_it_can_read(extra, tmp_path):
    run = dm.launch(W.hold("1m", 1), backend="docker", jdk="17", docker_hosts=[extra[1].url],
                    artifacts_dir=tmp_path / "a")
    assert run.outcome is dm.Outcome.COMPLETED and run.container.transport == "bind", run.summary()
    assert run.container.engine == extra[1].url and run.container.copied_out == 0


def test_an_engine_reached_over_ssh_runs_and_copies_back_like_one_reached_over_tcp(extra, tmp_path, monkeypatch):
    """ssh://: a real sshd on loopback whose sessions reach the isolated engine (an engine on another machine
    behind ssh), with the client's ~/.ssh; the same run over tcp:// is the reference."""
    skip_or_fail(sshd.why_not())
    server = sshd.start(tmp_path / "sshd", extra[0].url, max_sessions=6)  # below what one run opens at docker-py's 9 pools
    try:
        from pytest_directmem.environment import environment

        monkeypatch.setenv("DIRECTMEM_CACHE", str(environment().cache))  # the cache stays where it is
        monkeypatch.setenv("HOME", str(server.home))  # paramiko reads ~/.ssh from here
        workload, options = W.churn(40, "1m", keep_every=2), dict(max_direct="8m", explicit_gc="disabled", diagnose=True)
        there = dm.launch(workload, backend="docker", jdk="17", docker_hosts=[server.url],
                          artifacts_dir=tmp_path / "ssh", **options)
        here = dm.launch(workload, backend="docker", jdk="17", docker_hosts=[extra[0].url],
                         artifacts_dir=tmp_path / "tcp", **options)
        assert there.container.engine == server.url and there.container.transport == "copy", there.summary()
        assert there.outcome is here.outcome is dm.Outcome.DIRECT_OOM, (there.summary(), here.summary())
        assert there.oom.message == here.oom.message and there.gc.explicit_count == here.gc.explicit_count
        assert there.container.copied_out > 0 and dm.load_run(there.artifacts) == there
        d = dm.load_run(there.artifacts).diagnosis  # the investigation's dump came back over ssh
        assert d.dump.is_file()
        assert [(h.count, h.bytes) for h in d.holders] == [(h.count, h.bytes) for h in here.diagnosis.holders]

        def doctor(home: Path) -> list[str]:
            env = {k: v for k, v in os.environ.items() if k != "DIRECTMEM_REQUIRE_DOCKER"}  # a warning, not a failure
            env["HOME"] = str(home)
            proc = subprocess.run([sys.executable, "-m", "pytest_directmem.cli", "doctor", "--offline", "--docker-host",
                                   server.url], capture_output=True, text=True, timeout=300, env=env)
            return [ln for ln in proc.stdout.splitlines() if " docker " in ln and server.url in ln] or [proc.stdout + proc.stderr]

        line = doctor(server.home)[0]
        assert line.startswith(f"ok    docker    {server.url}: Docker engine "), line
        stranger = tmp_path / "stranger"  # the same key, but the server's host key is not known: refused, and said so
        shutil.copytree(server.home, stranger)
        (stranger / ".ssh" / "known_hosts").write_text("")
        line = doctor(stranger)[0]
        assert line.startswith(f"warn  docker    no Docker engine: {server.url}: ") and "not found in known_hosts" in line, line
        # each run has an SSH connection of its own: sshd's cap is per connection
        together = _together(4, lambda i: dm.launch(
            W.static("java.lang.Thread#sleep", 1500), backend="docker", jdk="17", docker_hosts=[server.url],
            artifacts_dir=tmp_path / f"together{i}").outcome)
        assert together == {i: dm.Outcome.COMPLETED for i in range(4)}, together
        import docker

        over_ssh = docker.DockerClient(base_url=server.url, version="auto", timeout=30)
        assert left_behind(over_ssh) == ([], [])
        over_ssh.close()
    finally:
        server.stop()


@pytest.mark.timeout(1800)
def test_the_docker_tests_and_incident_variants_pass_spread_over_three_engines(extra, tmp_path):
    urls = [_main_url(), extra[0].url, extra[1].url]
    since = int(time.time()) - 1
    cmd = [sys.executable, "-m", "pytest", "-n", "3", "-m", "docker", "-p", "no:cacheprovider", "-q",
           "--basetemp", str(tmp_path / "inner"), f"--directmem-docker-hosts={','.join(urls)}",
           "--ignore", "tests/docker/test_engines.py", "tests"]
    proc = subprocess.run(cmd, cwd=PACKAGE_ROOT, capture_output=True, text=True, timeout=1500)
    summary = [line for line in proc.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    assert proc.returncode == 0, "\n".join(summary) + "\n" + proc.stdout[-5000:] + proc.stderr[-3000:]
    import docker

    created = {}
    for url in urls:
        client = docker.DockerClient(base_url=url, version="auto", timeout=30)
        events = client.events(since=since, until=int(time.time()) + 1, decode=True,
                               filters={"type": "container", "event": "create", "label": "io.directmem.session"})
        created[url] = sum(1 for _ in events)
        # the inner session has ended: what its processes made is gone; this run's other workers may
        # still be running their own tests on the session's engine (the controller's live children)
        containers, volumes = left_behind(client, any_launcher=True, busy_under=os.getppid())
        assert (containers, volumes) == ([], []), url
    assert all(n > 0 for n in created.values()), created  # every engine ran some
    assert sum(created.values()) >= 40, created


def test_threads_that_start_together_spread_over_the_engines(extra, tmp_path):
    """Four runs started at once from four threads (as reproduce --workers 4 does) over two idle engines: two
    on each, whatever the timing; the choice counts this process's runs that are placed but not running yet."""
    urls = [extra[0].url, extra[1].url]
    for url in urls:  # images built first: placing, not building, is what is measured
        dm.launch(W.hold("1k", 1), backend="docker", jdk="17", docker_hosts=[url])
    runs = _together(4, lambda i: dm.launch(W.static("java.lang.Thread#sleep", 2000), backend="docker", jdk="17",
                                            docker_hosts=urls, artifacts_dir=tmp_path / f"r{i}"))
    engines_of = [(r.container.engine, r.outcome) if isinstance(r, dm.Run) else r for r in runs.values()]
    assert sorted(engines_of, key=repr) == sorted(((u, dm.Outcome.COMPLETED) for u in urls * 2), key=repr), runs


def test_an_engine_that_dies_fails_its_runs_by_name_and_the_others_go_on(extra, tmp_path):
    doomed, main = extra[1], _main_url()
    dm.launch(W.hold("1m", 1), backend="docker", jdk="17", docker_hosts=[doomed.url])  # its image is built
    results: dict[int, object] = {}

    def one(i: int) -> None:  # two runs on each engine, placed by hand: which engine the pool would choose
        # depends on what this run's other workers have running on the session's engine
        try:
            results[i] = dm.launch(W.static("java.lang.Thread#sleep", 8000), backend="docker", jdk="17",
                                   docker_hosts=[doomed.url if i % 2 else main], artifacts_dir=tmp_path / f"r{i}", timeout=60)
        except Exception as e:  # noqa: BLE001 - what the test looks at
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
        time.sleep(0.3)
    import docker

    client = docker.DockerClient(base_url=doomed.url, version="auto", timeout=10)
    deadline = time.monotonic() + 60
    while len(client.containers.list(filters={"label": "io.directmem.session", "status": "running"})) < 2:
        assert time.monotonic() < deadline, "the two runs did not start on the engine to kill"
        time.sleep(0.1)
    doomed.kill()
    for t in threads:
        t.join(120)
    failed = [r for r in results.values() if isinstance(r, Exception)]
    ran = [r for r in results.values() if isinstance(r, dm.Run)]
    assert len(failed) == len(ran) == 2, results
    for e in failed:
        assert isinstance(e, EngineFailed) and doomed.url in str(e), repr(e)
    assert all(r.outcome is dm.Outcome.COMPLETED and r.container.engine == main for r in ran)
    later = dm.launch(W.hold("1m", 1), backend="docker", jdk="17", docker_hosts=[main, doomed.url])
    assert later.container.engine == main  # the dead engine is skipped
    assert left_behind(engine()) == ([], [])
    assert not doomed.alive()
