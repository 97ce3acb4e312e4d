"""A container's peak memory, read from its cgroup while it runs (the cgroup vanishes when it stops).

cgroup v1: ``memory.max_usage_in_bytes`` (a high-water mark kept by the kernel); v2: ``memory.peak``
(kernel 5.19+), else the largest ``memory.current`` seen. The poller keeps the largest reading, so at
most the growth of the last interval before the exit is missed. Where no cgroup file is found (an engine
on another machine, an unusual cgroup layout) it falls back to the engine's stats stream.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

V1_FILES = ("memory.max_usage_in_bytes", "memory.usage_in_bytes")
V2_FILES = ("memory.peak", "memory.current")
POLL_INTERVAL_S = 0.025
FIND_DEADLINE_S = 1.0  # after this long without a cgroup file, use the engine's stats stream


def _cgroup_mounts(mountinfo: str) -> list[tuple[str, str, int]]:
    """(mount point, cgroup root of the mount, version) of the memory controller's mounts."""
    out = []
    for line in mountinfo.splitlines():
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 5 or len(tail) < 3:
            continue
        root, point = fields[3], fields[4].replace("\\040", " ")
        if tail[0] == "cgroup" and "memory" in tail[2].split(","):
            out.append((point, root, 1))
        elif tail[0] == "cgroup2":
            out.append((point, root, 2))
    return out


def _read(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return ""


def candidate_files(container_id: str, pid: int | None = None, *, proc: str = "/proc") -> list[Path]:
    """Peak-usage files that may belong to the container, most precise first."""
    paths: list[str] = []
    if pid:  # the container's init process says where it lives
        for line in _read(f"{proc}/{pid}/cgroup").splitlines():
            _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
            if "memory" in controllers.split(",") or controllers == "":
                paths.append(path)
    paths += [f"/docker/{container_id}", f"/system.slice/docker-{container_id}.scope"]
    out: list[Path] = []
    for point, root, version in _cgroup_mounts(_read(f"{proc}/self/mountinfo")):
        for path in paths:
            if root != "/" and not (path + "/").startswith(root.rstrip("/") + "/"):
                continue
            rel = path[len(root):] if root != "/" else path
            base = Path(point) / rel.lstrip("/")
            for name in V1_FILES if version == 1 else V2_FILES:
                if base != Path(point) and (base / name).is_file():
                    out.append(base / name)
    return out


class PeakPoller:
    """Polls a running container's cgroup peak memory from a daemon thread; stop() returns the max."""

    def __init__(self, container_id: str, *, pid_of: Callable[[], int | None], stats: Callable[[], Any]):
        self.container_id = container_id
        self._pid_of = pid_of  # inspects the container for State.Pid (only when a guess fails)
        self._stats = stats  # the engine's stats stream (fallback)
        self._stop = threading.Event()
        self.peak: int | None = None
        self.source: str | None = None
        self._thread = threading.Thread(target=self._run, name=f"directmem-peak-{container_id[:12]}", daemon=True)

    def start(self) -> PeakPoller:
        self._thread.start()
        return self

    def stop(self, timeout: float = 0.5) -> int | None:
        self._stop.set()
        self._thread.join(timeout)
        return self.peak

    def _keep(self, value: int | None) -> None:
        if value and (self.peak is None or value > self.peak):
            self.peak = value

    def _run(self) -> None:
        try:
            files = self._find()
            if files:
                self._poll(files)
            elif not self._stop.is_set():
                self._stream()
        except Exception:  # noqa: BLE001 - a missing peak is not worth failing the run
            pass

    def _find(self) -> list[Path]:
        waited, pid = 0.0, None
        while not self._stop.is_set() and waited < FIND_DEADLINE_S:
            files = candidate_files(self.container_id, pid)
            if files:
                return files
            if pid is None:
                pid = self._pid_of()
                continue
            self._stop.wait(POLL_INTERVAL_S)
            waited += POLL_INTERVAL_S
        return []

    def _poll(self, files: list[Path]) -> None:
        self.source = path = str(files[0])
        while True:
            try:
                with open(path) as fh:
                    text = fh.read().strip()
            except OSError:  # the cgroup is gone: the container stopped
                return
            if text.isdigit():
                self._keep(int(text))
            if self._stop.wait(POLL_INTERVAL_S):
                last = _read(path).strip()
                self._keep(int(last) if last.isdigit() else None)
                return

    def _stream(self) -> None:
        self.source = "engine stats"
        for frame in self._stats():
            mem = (frame or {}).get("memory_stats") or {}
            self._keep(max(mem.get("max_usage") or 0, mem.get("usage") or 0))
            if self._stop.is_set():
                return
