"""okhttp scenarios as workloads: okhttp 4.12 + MockWebServer + okhttp-tls, TLS over loopback.

    import pytest_directmem as dm
    run = dm.launch(dm.okhttp.seed(free=1000), **dm.okhttp.options(), max_direct="16m", jdk="17")
    print(run.value["callback_error"])   # java.io.IOException: canceled due to java.lang.OutOfMemoryError: ...

The scenarios (java-fixtures/okhttp/, package ``directmem.okhttp``) are compiled on first use with
``javac --release 11`` against okhttp, MockWebServer and okhttp-tls ``4.12.0`` (resolved from Maven
Central once, then offline: pytest_directmem.frameworks.maven) into ``_fixtures/directmem-okhttp.jar``, rebuilt
when the sources change (the jar records their hash). :func:`options` puts okhttp and that jar on
the run's classpath; the workloads are ``static`` calls into it, so they run on either host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..units import parse_size
from ..workloads import Workload, _count, static

__all__ = ["seed", "options", "classpath", "scenario_jar", "VERSION", "ARTIFACTS"]

VERSION = "4.12.0"
ARTIFACTS = ("com.squareup.okhttp3:okhttp", "com.squareup.okhttp3:mockwebserver", "com.squareup.okhttp3:okhttp-tls")
JAR = Path(__file__).parent.parent / "_fixtures" / "directmem-okhttp.jar"
SOURCES = Path(__file__).parent.parent.parent / "java-fixtures" / "okhttp"
_CLASS = "directmem.okhttp.OkHttpScenarios"


def classpath(version: str = VERSION, **maven_options: Any):
    """okhttp, mockwebserver and okhttp-tls `version` from Maven (with Kotlin, okio, JUnit 4)."""
    from .maven import maven

    if not isinstance(version, str) or not version:
        raise ConfigError("okhttp.version", version, 'an okhttp version like "4.12.0"')
    return maven(*(f"{a}:{version}" for a in ARTIFACTS), **maven_options)


def options(version: str = VERSION, *, properties: dict[str, Any] | None = None) -> dict[str, Any]:
    """Launch options for an okhttp run: okhttp `version` and the scenario jar on the classpath.
    ``dm.launch(dm.okhttp.seed(), **dm.okhttp.options(), max_direct="16m")``. The scenarios are
    compiled against 4.12's API (okhttp 4.x)."""
    return {"classpath": [classpath(version), scenario_jar()], "properties": dict(properties or {})}


def seed(free: int | str = 1000, body: int | str = "16k") -> Workload:
    """Seed document 004: after a warm-up POST over TLS, a culprit holds all of the direct limit but
    `free` bytes, then an asynchronous POST of `body` bytes goes out on okhttp's dispatcher.

    Value (and a journaled ``note``): ``result`` ("failure" or "response"), ``response_code``,
    ``callback_thread`` (ports removed), ``callback_error`` / ``callback_error_head`` (the
    exception the callback got, without the message's "(allocated: ...)" part), ``suppressed``,
    ``oom_via_try_write`` / ``oom_via_temporary_buffer`` / ``oom_via_ssl_socket`` (frames of the
    suppressed OOM: NioSocketImpl.tryWrite, Util.getTemporaryDirectBuffer,
    SSLSocketOutputRecord.deliver), ``oom_top_frame``, ``tls``, ``protocol``,
    ``free_after_culprit``. Measured: with 0-200 bytes free the handshake's own writes fail; the
    server's reads share the limit. Needs :func:`options` on the run."""
    f = parse_size(free, "okhttp.seed.free")
    b = parse_size(body, "okhttp.seed.body", minimum=1)
    if b > 64 << 20:
        raise ConfigError("okhttp.seed.body", body, "at most 64m")
    _count("okhttp.seed.free", f, 0)
    return static(f"{_CLASS}#seed", str(f), str(b))


# ------------------------------------------------------------------------------- the jar

def scenario_jar() -> Path:
    """The scenario jar (java-fixtures/okhttp compiled against okhttp VERSION and the fixtures jar)."""
    from ..jars import ensure_jar, fixtures_jar

    return ensure_jar(JAR, SOURCES, "okhttp", compile_against=f"okhttp {VERSION}",
                      classpath=lambda: [fixtures_jar(), *classpath().resolve_classpath()])
