"""Where the base image's Debian comes from: the mirror debootstrap uses (no registry needed)."""

from __future__ import annotations

import re
from pathlib import Path

SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
MIRROR_ENV = "DIRECTMEM_DEBIAN_MIRROR"


def debian_mirror() -> str:
    """The Debian mirror to debootstrap from: $DIRECTMEM_DEBIAN_MIRROR, else the host's apt sources
    that serve the suite, else deb.debian.org."""
    from ..environment import environment

    env = environment().debian_mirror
    if env:
        return env
    for uri, suites in apt_sources(Path("/etc/apt")):
        if SUITE in suites and not uri.rstrip("/").endswith("-security"):
            return uri
    return DEFAULT_MIRROR


def apt_sources(etc_apt: Path) -> list[tuple[str, set[str]]]:
    """(URI, suites) of the enabled 'deb' sources, one-line and deb822 formats."""
    out: list[tuple[str, set[str]]] = []
    files = [etc_apt / "sources.list"] + sorted((etc_apt / "sources.list.d").glob("*.list"))
    for f in files:
        for line in _read(f).splitlines():
            line = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
            if len(line) >= 3 and line[0] == "deb":
                out.append((line[1], {line[2]}))
    for f in sorted((etc_apt / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", _read(f)):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[:1].isspace():
                    continue
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
            if "deb" in fields.get("types", "").split() and fields.get("enabled", "yes").lower() != "no":
                for uri in fields.get("uris", "").split():
                    out.append((uri, set(fields.get("suites", "").split())))
    return out


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
