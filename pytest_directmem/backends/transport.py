"""How the session's files reach a container, and how its artifacts come back.

Inputs (the package, jars, classpath entries, call() modules, the profiler's library): bound where the
engine sees this machine's filesystem and the container user can read the whole tree by its permission bits,
else copied through the engine API into the engine's input cache: one volume per engine (``CACHE_VOLUME``),
one directory per content digest, so a repeated run uploads nothing (see ``cache.py``). The decision is per
input and pure (``plan_inputs``). Copied files are root-owned and world-readable, mounted read-only.

Artifacts: bind-mounted where the engine shares the filesystem; else a per-run volume the run writes into,
copied out (``copy_out``) when the container has stopped, on every path, then removed with the container.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Iterator

CACHE_ROOT = "/directmem/cache"  # the engine's input cache, mounted read-only
CACHE_VOLUME = "directmem-input-cache"
OUT_ROOT = "/directmem/out"  # the per-run artifacts volume (engines that share no filesystem)
OUT_DIR = f"{OUT_ROOT}/run"  # the artifacts directory as the container sees it there


@dataclass(frozen=True)
class Input:
    """A host path the container reads at `target`."""

    source: str
    target: str
    python: bool = False  # an import dir: a copy skips hidden dirs, virtualenvs and __pycache__


@dataclass(frozen=True)
class Placement:
    """Where an input ends up: bound at its target, or copied (then `target` is
    ``CACHE_ROOT/<digest>/<leaf of the input's target>`` and `digest` its content digest)."""

    input: Input
    copy: bool
    target: str
    reason: str
    digest: str = ""
def can_read(st: os.stat_result, uid: int, gid: int, *, need_exec: bool) -> bool:
    """Whether (uid, gid) may read (and, for directories, enter) a file with this stat, by its mode bits."""
    if uid == 0:
        return True
    mode = st.st_mode
    if st.st_uid == uid:
        r, x = stat.S_IRUSR, stat.S_IXUSR
    elif st.st_gid == gid:
        r, x = stat.S_IRGRP, stat.S_IXGRP
    else:
        r, x = stat.S_IROTH, stat.S_IXOTH
    return bool(mode & r) and (not need_exec or bool(mode & x))


def unreadable_part(path: str | Path, uid: int, gid: int, *, depth: int = 1) -> str | None:
    """The first file or directory at most `depth` levels under `path` (itself included) that (uid, gid)
    cannot read; None if all can.

    The ancestors of `path` do not matter: a bind mount exposes `path` itself at its target. The depth is
    bounded (an import dir may be a whole checkout with its virtualenv): what makes a bind mount fail in
    practice is a 0700 directory, pytest's tmp_path or a private checkout, at the top.
    """
    root = Path(path)
    try:
        st = root.stat()
    except OSError:
        return str(root)
    if not stat.S_ISDIR(st.st_mode):
        return None if can_read(st, uid, gid, need_exec=False) else str(root)
    if not can_read(st, uid, gid, need_exec=True):
        return str(root)
    for dirpath, dirnames, filenames in os.walk(root):
        level = len(Path(dirpath).relative_to(root).parts)
        if level >= depth:
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            try:
                s = os.stat(p)
            except OSError:
                continue  # a dangling link: unreadable either way, not ours to decide
            if not can_read(s, uid, gid, need_exec=stat.S_ISDIR(s.st_mode)):
                return p
    return None


def plan_inputs(inputs: Iterable[Input], uid: int, gid: int, *, copy_all: bool = False,
                digest: Callable[[Input], str] | None = None) -> list[Placement]:
    """Bind or copy, per input: bind when (uid, gid) can read everything under it (and not `copy_all`: the
    engine shares no filesystem with this process). `digest` names a copy's content (default content_digest)."""
    out = []
    for i in inputs:
        blocked = None if copy_all else unreadable_part(i.source, uid, gid)
        if copy_all or blocked:
            reason = "the engine shares no filesystem with this process" if copy_all else f"uid {uid} cannot read {blocked}"
            d = (digest or content_digest)(i)
            out.append(Placement(i, True, f"{CACHE_ROOT}/{d}/{PurePosixPath(i.target).name}", reason, d))
        else:
            out.append(Placement(i, False, i.target, f"uid {uid} can read it"))
    return out


def _members(i: Input) -> Iterator[tuple[str, str | None]]:
    """(path relative to the input, host file or None for a directory) of what a copy of `i` holds, sorted."""
    src = Path(i.source)
    if not src.is_dir():
        yield "", str(src)
        return
    yield "", None
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not (
            i.python and (d.startswith(".") or d.endswith(".egg-info")
                          or os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg")))))
        sub = os.path.relpath(dirpath, src)
        for d in dirnames:
            yield (d if sub == "." else f"{sub}/{d}"), None
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if (i.python and name.startswith(".")) or not os.path.isfile(full):
                continue
            yield (name if sub == "." else f"{sub}/{name}"), full


_digests: dict[tuple, str] = {}
_digest_lock = threading.Lock()


def content_digest(i: Input) -> str:
    """A sha256 (24 hex digits) of what a copy of `i` holds: its leaf name, relative paths and file bytes. Memoized per
    process on the files' (path, size, mtime): an unchanged input is read once."""
    members = list(_members(i))
    key_parts = []
    for rel, full in members:
        st = os.stat(full) if full else None
        key_parts.append((rel, st.st_size if st else -1, st.st_mtime_ns if st else -1))
    key = (i.source, i.target, i.python, tuple(key_parts))
    with _digest_lock:
        if key in _digests:
            return _digests[key]
    h = hashlib.sha256(PurePosixPath(i.target).name.encode() + b"\0")  # the leaf is part of the directory
    for rel, full in members:
        h.update(b"D" if full is None else b"F")
        h.update(rel.encode() + b"\0")
        if full is not None:
            with open(full, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            h.update(b"\0")
    d = h.hexdigest()[:24]
    with _digest_lock:
        _digests[key] = d
    return d


def _dir(tf: tarfile.TarFile, name: str, uid: int, gid: int, mode: int = 0o755) -> None:
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid = tarfile.DIRTYPE, mode, uid, gid
    tf.addfile(ti)


def archive(items: Iterable[tuple[Input, str]], uid: int = 0, gid: int = 0) -> bytes:
    """A tar of inputs, each under its own top path (`(input, top)`): modes 0755/0644, owned by (uid, gid)."""
    buf = io.BytesIO()
    made: set[str] = set()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for i, top in items:
            parts = PurePosixPath(top).parts
            for n in range(1, len(parts)):
                d = "/".join(parts[:n])
                if d not in made:
                    made.add(d)
                    _dir(tf, d, uid, gid)
            for rel, full in _members(i):
                name = f"{top}/{rel}" if rel else top
                if full is None:
                    _dir(tf, name, uid, gid)
                    continue
                ti = tarfile.TarInfo(name)
                ti.size, ti.mode, ti.uid, ti.gid = os.path.getsize(full), 0o644, uid, gid
                with open(full, "rb") as fh:
                    tf.addfile(ti, fh)
    return buf.getvalue()


def spec_archive(spec: bytes, uid: int, gid: int) -> bytes:
    """The artifacts directory for a per-run volume: ``run/`` owned by the container user, with spec.json."""
    from .. import artifacts as A

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        _dir(tf, PurePosixPath(OUT_DIR).name, uid, gid)
        ti = tarfile.TarInfo(f"{PurePosixPath(OUT_DIR).name}/{A.SPEC}")
        ti.size, ti.mode, ti.uid, ti.gid = len(spec), 0o644, uid, gid
        tf.addfile(ti, io.BytesIO(spec))
    return buf.getvalue()


def copy_out(container: Any, dest: Path, owner: tuple[int, int] | None = None) -> int:
    """Copy the run's artifacts directory (OUT_DIR) of a stopped container into `dest`, streaming; returns
    the bytes received. Only regular files and directories are written, never outside `dest`; `owner`
    (uid, gid): who owns them afterwards (as root: the container user, as with a bind mount)."""
    stream, _ = container.get_archive(OUT_DIR)
    received = 0

    class Reader(io.RawIOBase):
        def __init__(self) -> None:
            self.chunks = iter(stream)
            self.rest = b""

        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            nonlocal received
            while not self.rest:
                try:
                    self.rest = next(self.chunks)
                except StopIteration:
                    return 0
                received += len(self.rest)
            n = min(len(b), len(self.rest))
            b[:n], self.rest = self.rest[:n], self.rest[n:]
            return n

    top = PurePosixPath(OUT_DIR).name
    reader = Reader()
    try:
        with tarfile.open(fileobj=io.BufferedReader(reader, 1 << 20), mode="r|") as tf:
            for m in tf:
                rel = PurePosixPath(m.name)
                if not rel.parts or rel.parts[0] != top or len(rel.parts) == 1 or not (m.isfile() or m.isdir()):
                    continue
                m.name = str(PurePosixPath(*rel.parts[1:]))
                tf.extract(m, dest, filter="data")
                if owner is not None:
                    os.chown(dest / m.name, *owner)
    finally:  # the padding after the archive's end, or what an error left: read to the end of the response, so
        try:  # its connection is released (else it stays open until the process exits)
            for rest in reader.chunks:
                received += len(rest)
        except Exception:  # noqa: BLE001 - the stream itself broke: the error above is the one to see
            pass
    return received
