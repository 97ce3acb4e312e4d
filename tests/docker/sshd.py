"""A real OpenSSH server on 127.0.0.1, for the ssh:// engine tests: its own host key, one authorized key,
and a forced command that bridges every session to one Docker engine (``docker -H URL system dial-stdio``,
which is what docker-py runs on the far side of ``ssh://``). The client side gets a home directory of its
own (``~/.ssh/config`` with the key, ``~/.ssh/known_hosts`` with the server's key): set HOME to it, and
docker-py's paramiko reads them as it reads a user's, without touching the user's.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"
START_TIMEOUT_S = 20


def why_not() -> str | None:
    """Why a test sshd cannot start here (None: it can)."""
    if os.geteuid() != 0:
        return "a test sshd that logs in as root needs root"
    for tool in (SSHD, "ssh-keygen", "docker"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: openssh-server, docker.io)"
    return None


@dataclass
class Sshd:
    url: str             # ssh://root@127.0.0.1:PORT
    home: Path           # HOME for the client: ~/.ssh/config (this server's key), ~/.ssh/known_hosts
    proc: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(work: Path, engine_url: str, max_sessions: int = 10) -> Sshd:
    """sshd on a free loopback port whose sessions reach the engine at `engine_url`; `max_sessions`: the
    channels one connection may have open at once (sshd's MaxSessions, 10 by default)."""
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o700)
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / name)], check=True)
    shutil.copy(work / "client_key.pub", work / "authorized_keys")
    port = _free_port()
    bridge = f"docker -H {shlex.quote(engine_url)} system dial-stdio"
    (work / "sshd_config").write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {work / 'host_key'}", f"PidFile {work / 'sshd.pid'}",
        f"AuthorizedKeysFile {work / 'authorized_keys'}", "PermitRootLogin prohibit-password",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
        "AllowTcpForwarding no", "X11Forwarding no", f"MaxSessions {max_sessions}", f"ForceCommand {bridge}", ""]))
    home = work / "home"
    (home / ".ssh").mkdir(parents=True, exist_ok=True)
    host_pub = (work / "host_key.pub").read_text().split()[:2]
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{port} {' '.join(host_pub)}\n")
    (home / ".ssh" / "config").write_text(f"Host 127.0.0.1\n  IdentityFile {work / 'client_key'}\n")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # OpenSSH's privilege separation directory
    log = work / "sshd.log"
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(work / "sshd_config")], stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = Sshd(f"ssh://root@127.0.0.1:{port}", home, proc, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"sshd on port {port} did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.1)
