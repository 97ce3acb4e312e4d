"""Every environment variable the harness reads, read in one place into a frozen value.

``ENV_VARS`` is the table the README's "Environment variables" section lists (a test keeps them equal);
the session options' variables (``DIRECTMEM_BACKEND``, ``DIRECTMEM_JDK``, ...) come from config.OPTIONS.
``environment()`` reads ``os.environ`` at each call (cheap), so a changed variable takes effect at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


@dataclass(frozen=True)
class Environment:
    cache: Path  # DIRECTMEM_CACHE, else $XDG_CACHE_HOME/pytest-directmem, else ~/.cache/pytest-directmem
    require_docker: bool  # DIRECTMEM_REQUIRE_DOCKER=1
    cds: bool  # DIRECTMEM_CDS (not "0")
    forkserver: bool  # DIRECTMEM_FORKSERVER (not "0")
    maven_repo: str | None  # DIRECTMEM_MAVEN_REPO
    mvn: str | None  # DIRECTMEM_MVN
    debian_mirror: str | None  # DIRECTMEM_DEBIAN_MIRROR
    incidents_expected: Path | None  # DIRECTMEM_INCIDENTS_EXPECTED
    java_home: Path | None  # JAVA_HOME (for jdk="system" and javac)
    runs_dir: Path | None  # DIRECTMEM_RUNS_DIR: runs without an artifacts_dir (default <cache>/runs)
    docker_host: str  # DOCKER_HOST (docker-py's own variable), else the local socket
    docker_hosts: str | None  # DIRECTMEM_DOCKER_HOSTS (the session option docker_hosts, for the CLI too)


ENV_VARS: tuple[tuple[str, str], ...] = (  # (variable, meaning), in the README's order
    ("DIRECTMEM_CACHE", "cache for provisioned JDKs, images' inputs, Maven artifacts, built jars "
                        "(default `~/.cache/pytest-directmem`)"),
    ("DIRECTMEM_REQUIRE_DOCKER", "`1`: fail docker tests instead of skipping them when no engine answers "
                                 "(and `directmem doctor` without an engine)"),
    ("DIRECTMEM_CDS", "`0`: do not map the worker's own classes (JPype, fixtures) from a CDS archive"),
    ("DIRECTMEM_FORKSERVER", "`0`: start every JPype-hosted run in a fresh Python worker instead of a fork of one "
                             "that imported JPype already"),
    ("DIRECTMEM_MAVEN_REPO", "the remote repository `dm.maven(...)` resolves from (default Maven Central)"),
    ("DIRECTMEM_MVN", "the `mvn` to run (default: `mvn` on PATH)"),
    ("DIRECTMEM_DEBIAN_MIRROR", "the Debian mirror the base image is debootstrapped from (default: the host's "
                                "apt sources, else deb.debian.org)"),
    ("DIRECTMEM_INCIDENTS_EXPECTED", "another pins file for the incident library (e.g. measured on your own JDK build)"),
    ("DIRECTMEM_RUNS_DIR", "where runs without an artifacts dir keep theirs (default `$DIRECTMEM_CACHE/runs`; "
                           "pruned after 7 days)"),
)


def environment(environ: Mapping[str, str] | None = None) -> Environment:
    env = os.environ if environ is None else environ

    def text(name: str) -> str | None:
        value = (env.get(name) or "").strip()
        return value or None

    cache = text("DIRECTMEM_CACHE")
    xdg = text("XDG_CACHE_HOME")
    expected = text("DIRECTMEM_INCIDENTS_EXPECTED")
    java_home = text("JAVA_HOME")
    runs = text("DIRECTMEM_RUNS_DIR")
    return Environment(
        cache=Path(cache).expanduser() if cache else (Path(xdg) if xdg else Path.home() / ".cache") / "pytest-directmem",
        require_docker=text("DIRECTMEM_REQUIRE_DOCKER") == "1",
        cds=text("DIRECTMEM_CDS") != "0",
        forkserver=text("DIRECTMEM_FORKSERVER") != "0",
        maven_repo=text("DIRECTMEM_MAVEN_REPO"),
        mvn=text("DIRECTMEM_MVN"),
        debian_mirror=text("DIRECTMEM_DEBIAN_MIRROR"),
        incidents_expected=Path(expected) if expected else None,
        java_home=Path(java_home) if java_home else None,
        runs_dir=Path(runs).expanduser().absolute() if runs else None,
        docker_host=text("DOCKER_HOST") or "unix:///var/run/docker.sock",
        docker_hosts=text("DIRECTMEM_DOCKER_HOSTS"),
    )
