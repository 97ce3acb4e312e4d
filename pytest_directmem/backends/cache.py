"""Each engine's input cache: one volume (transport.CACHE_VOLUME) with a directory per content digest.

A run's container mounts the volume read-only at transport.CACHE_ROOT. Before it starts, every digest not
yet known to be on that engine (in this process) is looked up with a stat through the archive API (HEAD
/containers/{id}/archive: nothing is transferred). A missing one is uploaded by a loader container: the
tar goes to ``<digest>.part-<random>`` (put_archive), then ``mv -T`` renames it into place, so a reader sees
a whole directory or none; when two processes upload the same digest at once, the second rename fails and
its part is removed. The loader runs the runtime image as root without network or capabilities.

Nothing is evicted: ``docker volume rm directmem-input-cache`` on an engine empties its cache (the next
run uploads again); ``directmem doctor`` shows its size.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Iterable

from ..errors import DirectmemError
from .transport import CACHE_ROOT, CACHE_VOLUME, Placement, archive

LABEL_CACHE = "io.directmem.input-cache"
LOADER_TIMEOUT_S = 300

_lock = threading.Lock()
_known: set[tuple[str, str]] = set()  # (engine url, digest) seen present


@dataclass(frozen=True)
class Upload:
    """What one run sent to its engine's cache: digests looked up, uploaded, and the tar's bytes."""

    looked_up: int = 0
    uploaded: int = 0
    bytes: int = 0


def ensure_volume(client: Any) -> None:
    """The engine's cache volume (creating an existing named volume returns it)."""
    client.volumes.create(name=CACHE_VOLUME, labels={LABEL_CACHE: "1"})


def present(client: Any, container_id: str, digest: str) -> bool:
    """Whether CACHE_ROOT/<digest> exists in the (created, maybe not started) container's cache mount."""
    api = client.api
    r = api.head(api._url("/containers/{0}/archive", container_id), params={"path": f"{CACHE_ROOT}/{digest}"})
    if r.status_code == 404:
        return False
    r.raise_for_status()
    return True


def ensure_cached(url: str, client: Any, container_id: str, copies: Iterable[Placement], *, image: str,
                  labels: dict[str, str]) -> Upload:
    """Make every copied input of a run present in the engine's cache before its container starts."""
    groups: dict[str, list[Placement]] = defaultdict(list)
    for p in copies:
        if p.copy:
            groups[p.digest].append(p)
    looked = 0
    missing: dict[str, list[Placement]] = {}
    for digest, ps in groups.items():
        with _lock:
            if (url, digest) in _known:
                continue
        looked += 1
        if present(client, container_id, digest):
            with _lock:
                _known.add((url, digest))
        else:
            missing[digest] = ps
    if not missing:
        return Upload(looked_up=looked)
    size = upload(client, missing, image=image, labels=labels)
    with _lock:
        _known.update((url, d) for d in missing)
    return Upload(looked_up=looked, uploaded=len(missing), bytes=size)


def upload(client: Any, groups: dict[str, list[Placement]], *, image: str, labels: dict[str, str]) -> int:
    """Upload each digest's inputs through a loader container; returns the tar's size in bytes."""
    import docker.types

    tag = uuid.uuid4().hex[:8]
    seen: set[tuple[str, str]] = set()
    items = []
    for digest, ps in groups.items():
        for p in ps:
            leaf = PurePosixPath(p.target).name
            if (digest, leaf) not in seen:
                seen.add((digest, leaf))
                items.append((p.input, f"{digest}.part-{tag}/{leaf}"))
    data = archive(items)
    moves = " ; ".join(f"{{ mv -T {d}.part-{tag} {d} 2>/dev/null || rm -rf {d}.part-{tag}; }}" for d in groups)
    loader = client.containers.create(
        image, ["sh", "-c", f"cd {CACHE_ROOT} && {moves}"], name=f"directmem-load-{tag}", user="0:0",
        network_mode="none", labels=labels, cap_drop=["ALL"], security_opt=["no-new-privileges"],
        mounts=[docker.types.Mount(CACHE_ROOT, CACHE_VOLUME, type="volume")])
    try:
        loader.put_archive(CACHE_ROOT, data)
        loader.start()
        code = loader.wait(timeout=LOADER_TIMEOUT_S)["StatusCode"]
        if code != 0:
            raise DirectmemError(f"the loader of the engine's input cache exited with {code}: "
                                 f"{loader.logs().decode(errors='replace')[-500:]}")
    finally:
        try:
            client.api.remove_container(loader.id, force=True)
        except Exception:  # noqa: BLE001 - gone already
            pass
    return len(data)


def forget(url: str) -> None:
    """Forget what is known to be on `url` (its cache volume was removed)."""
    with _lock:
        for key in [k for k in _known if k[0] == url]:
            _known.discard(key)
