"""What an ssh:// engine costs against the same engine on its unix socket, and why the harness talks paramiko.

Starts a real sshd on 127.0.0.1 (tests/docker/sshd.py) whose sessions reach the session's own engine, so the
two URLs differ only in the way there. Then, in one run:

  calls  API round trips (ping + container list), interleaved: the unix socket, ssh:// through paramiko
         (docker-py's default, what the harness uses: one SSH connection, a channel per call) and ssh://
         through docker-py's shell-out to `ssh` (an ssh process and `docker system dial-stdio` per call)
  runs   paired docker runs of one workload, unix socket vs ssh:// (order alternating): seconds and ratio

    python bench/ssh_engine.py [--calls 20] [--pairs 5] [--jdk 17]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytest_directmem as dm  # noqa: E402
from pairs import measure_pairs  # noqa: E402
from pytest_directmem.backends.dockerclient import client_for  # noqa: E402
from tests.docker import sshd  # noqa: E402

UNIX = "unix:///var/run/docker.sock"


def per_call_ms(client, calls: int) -> float:
    t = time.perf_counter()
    for _ in range(calls):
        client.ping()
        client.containers.list(sparse=True)
    return (time.perf_counter() - t) / (2 * calls) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--jdk", default="17")
    args = ap.parse_args()
    reason = sshd.why_not()
    if reason:
        print(f"cannot run: {reason}")
        return 2
    import docker

    with tempfile.TemporaryDirectory(prefix="directmem-bench-ssh-") as tmp:
        server = sshd.start(Path(tmp) / "sshd", UNIX)
        os.environ["HOME"] = str(server.home)  # paramiko reads ~/.ssh/config and known_hosts from there
        bin_dir = server.home / "bin"  # the shell-out's `ssh` (OpenSSH reads the passwd home, not HOME)
        bin_dir.mkdir()
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
        (bin_dir / "ssh").write_text(f"#!/bin/sh\nexec /usr/bin/ssh -F {server.home}/.ssh/config "
                                         f"-o UserKnownHostsFile={server.home}/.ssh/known_hosts \"$@\"\n")
        (bin_dir / "ssh").chmod(0o755)
        try:
            clients = {"unix socket": docker.DockerClient(base_url=UNIX, version="auto"),
                       "ssh:// paramiko (harness)": client_for(server.url, 60),
                       "ssh:// shell-out to ssh": docker.DockerClient(base_url=server.url, version="auto",
                                                                      use_ssh_client=True)}
            times: dict[str, list[float]] = {k: [] for k in clients}
            for _ in range(3):  # interleaved rounds, so drift hits every way
                for name, client in clients.items():
                    times[name].append(per_call_ms(client, max(1, args.calls // 3)))
            print(f"API round trip (ping + list), {args.calls} x 2 calls each, interleaved:")
            base = statistics.median(times["unix socket"])
            for name, values in times.items():
                m = statistics.median(values)
                print(f"  {name:<28} {m:8.1f} ms per call   x{m / base:6.1f} the unix socket")

            def launch(url: str):
                def run(root: Path, i: int):
                    t = time.perf_counter()
                    r = dm.launch(dm.workloads.hold("1m", 1), backend="docker", jdk=args.jdk, docker_hosts=[url],
                                  artifacts_dir=root / f"{'ssh' if url != UNIX else 'unix'}{i}")
                    return time.perf_counter() - t, 0, r.outcome.name
                return run

            r = measure_pairs(launch(server.url), launch(UNIX), args.pairs)
            med = statistics.median
            print(f"\nwhole docker run, hold(1m, 1), JDK {args.jdk}, {args.pairs} pairs; outcomes {sorted(set(r['outcomes']))}")
            print(f"  A  ssh:// (paramiko)  median {med(r['a_t']):.2f} s")
            print(f"  B  unix socket        median {med(r['b_t']):.2f} s")
            print(f"  ratio A/B, paired     median {med(r['ratios']):.2f}  (min {min(r['ratios']):.2f}, "
                  f"max {max(r['ratios']):.2f})")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
