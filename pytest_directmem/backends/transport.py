"""How the session's files reach a container: bind mounts where the container user can read them, else a
copy through the engine API (``put_archive`` into a per-run volume), so a call() module or a classpath
directory in a 0700 directory (pytest's tmp_path, a root-owned CI checkout) works as well.

The decision is per input and pure (``plan_inputs``): an input is bound when the container user (uid, gid)
can read the whole tree under it by its permission bits, else copied. Copies land under COPY_ROOT, a volume
created for the run and removed with it; the files are owned by the container user, read-only to others.
This is also the first step towards engines that share no filesystem with the session (copy everything).
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

COPY_ROOT = "/directmem/in"


@dataclass(frozen=True)
class Input:
    """A host path the container reads at `target`."""

    source: str
    target: str
    python: bool = False  # an import dir: a copy skips hidden dirs, virtualenvs and __pycache__


@dataclass(frozen=True)
class Placement:
    """Where an input ends up: bound at its target, or copied (then `target` lies under COPY_ROOT)."""

    input: Input
    copy: bool
    target: str
    reason: str


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


def plan_inputs(inputs: Iterable[Input], uid: int, gid: int, *, copy_all: bool = False) -> list[Placement]:
    """Bind or copy, per input: bind when (uid, gid) can read everything under it (and not `copy_all`)."""
    out = []
    for i in inputs:
        blocked = None if copy_all else unreadable_part(i.source, uid, gid)
        if copy_all or blocked:
            reason = "copy_all" if copy_all else f"uid {uid} cannot read {blocked}"
            out.append(Placement(i, True, COPY_ROOT + "/" + i.target.lstrip("/"), reason))
        else:
            out.append(Placement(i, False, i.target, f"uid {uid} can read it"))
    return out


def archive(placements: Iterable[Placement], uid: int, gid: int) -> bytes:
    """A tar of the copied inputs, paths relative to COPY_ROOT, owned by (uid, gid), modes 0755/0644."""
    buf = io.BytesIO()
    made: set[str] = set()
    with tarfile.open(fileobj=buf, mode="w") as tf:

        def add_dir(rel: str) -> None:
            parts = Path(rel).parts
            for n in range(1, len(parts) + 1):
                d = "/".join(parts[:n])
                if d not in made:
                    made.add(d)
                    ti = tarfile.TarInfo(d)
                    ti.type, ti.mode, ti.uid, ti.gid = tarfile.DIRTYPE, 0o755, uid, gid
                    tf.addfile(ti)

        def add_file(src: str, rel: str) -> None:
            add_dir(str(Path(rel).parent)) if Path(rel).parent.parts else None
            size = os.path.getsize(src)
            ti = tarfile.TarInfo(rel)
            ti.size, ti.mode, ti.uid, ti.gid = size, 0o644, uid, gid
            with open(src, "rb") as fh:
                tf.addfile(ti, fh)

        for p in placements:
            if not p.copy:
                continue
            rel = p.target[len(COPY_ROOT):].lstrip("/")
            src = Path(p.input.source)
            if src.is_dir():
                add_dir(rel)
                for dirpath, dirnames, filenames in os.walk(src):
                    dirnames[:] = [d for d in dirnames if d != "__pycache__" and not (
                        p.input.python and (d.startswith(".") or d.endswith(".egg-info")
                                            or os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg"))))]
                    if p.input.python:
                        filenames = [f for f in filenames if not f.startswith(".")]
                    sub = os.path.relpath(dirpath, src)
                    base = rel if sub == "." else f"{rel}/{sub}"
                    add_dir(base)
                    for name in filenames:
                        full = os.path.join(dirpath, name)
                        if os.path.isfile(full):
                            add_file(full, f"{base}/{name}")
            else:
                add_file(str(src), rel)
    return buf.getvalue()


def copy_in(client: Any, container: Any, placements: list[Placement], uid: int, gid: int) -> None:
    """Put the copied inputs into the created (not yet started) container's COPY_ROOT volume."""
    if any(p.copy for p in placements):
        container.put_archive(COPY_ROOT, archive(placements, uid, gid))
