"""Extra Docker engines on this machine, for the multi-engine tests: each a `dockerd` (with its own
containerd) in its own pid and mount namespace, reached at tcp://127.0.0.1:PORT, its data on a tmpfs private
to that namespace. `isolated=True` also lays private tmpfs over every path the session uses (/tmp, /root,
$HOME, the cache, the checkout, the virtualenv, pytest's temp root), so that it shares no path with the
session, as an engine on another machine would. kill() ends the namespace's init: the kernel ends every
process in it (dockerd, containerd, shims, containers), as a machine that dies would.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def why_not() -> str | None:
    """Why extra engines cannot start here (None: they can)."""
    if os.geteuid() != 0:
        return "starting a dockerd needs root"
    for tool in ("dockerd", "unshare"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


def private_paths(extra: list[Path]) -> list[str]:
    """The session's paths an isolated engine must not see, outermost only."""
    from pytest_directmem.backends.common import PACKAGE_ROOT
    from pytest_directmem.environment import environment

    candidates = [Path("/tmp"), Path("/root"), Path.home(), environment().cache, PACKAGE_ROOT, Path(sys.prefix),
                  Path(tempfile.gettempdir()), *extra]
    real = sorted({os.path.realpath(p) for p in candidates if p.is_dir()}, key=len)
    out: list[str] = []
    for p in real:
        if p != "/" and not any(p == o or p.startswith(o + "/") for o in out):
            out.append(p)
    return out


@dataclass
class ExtraEngine:
    url: str
    proc: subprocess.Popen
    log: Path
    isolated: bool
    root: Path

    def kill(self) -> None:
        """End the engine and everything it runs at once (SIGKILL to its pid namespace's init)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    def alive(self) -> bool:
        return self.proc.poll() is None


def start(log_dir: Path, *, isolated: bool, hide: list[Path] = ()) -> ExtraEngine:
    port = _free_port()
    root = Path(tempfile.mkdtemp(prefix=f"directmem-engine-{port}-", dir="/var/tmp"))
    mounts = [f"mount -t tmpfs -o size=8g tmpfs {shlex.quote(str(root))}"]
    if isolated:
        mounts += [f"mount -t tmpfs -o size=64m tmpfs {shlex.quote(p)}" for p in private_paths(list(hide))]
    daemon = ["dockerd", "--config-file", f"{root}/daemon.json", "--data-root", f"{root}/data",
              "--exec-root", f"{root}/exec", "--pidfile", f"{root}/dockerd.pid", "-H", f"tcp://127.0.0.1:{port}",
              "--bridge=none", "--iptables=false", "--ip-masq=false"]
    script = " && ".join(mounts + [f"echo '{{}}' > {root}/daemon.json", f"exec {shlex.join(daemon)}"])
    log = log_dir / f"dockerd-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc",
                                 "sh", "-c", script], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    engine = ExtraEngine(f"tcp://127.0.0.1:{port}", proc, log, isolated, root)
    import docker

    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            docker.DockerClient(base_url=engine.url, version="auto", timeout=5).ping()
            return engine
        except Exception:  # noqa: BLE001 - not up yet
            if proc.poll() is not None or time.monotonic() > deadline:
                engine.kill()
                raise RuntimeError(f"dockerd at {engine.url} did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.25)


def stop(engine: ExtraEngine) -> None:
    """Stop gracefully (SIGTERM to dockerd, which stops its containers), then kill what is left."""
    if engine.proc.poll() is None:
        try:
            out = subprocess.run(["pgrep", "-P", str(engine.proc.pid)], capture_output=True, text=True).stdout.split()
            for pid in out:  # the forked child of unshare: the namespace's init (sh exec'd into dockerd)
                os.kill(int(pid), signal.SIGTERM)
            engine.proc.wait(20)
        except (subprocess.TimeoutExpired, OSError, ValueError):
            pass
    engine.kill()
    shutil.rmtree(engine.root, ignore_errors=True)  # its tmpfs went with the namespace: an empty directory
