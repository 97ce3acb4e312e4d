"""Maven coordinates as classpath entries, resolved once into the user cache, offline afterwards.

    classpath=[dm.maven("io.netty:netty-handler:4.2.7.Final")]      # transitive dependencies included

`maven()` returns a value with a ``resolve_classpath()`` method, which ``JvmConfig`` calls while it
validates the options, so a bad coordinate is a :class:`ConfigError` naming it before any JVM
starts. Resolution runs Maven itself (``mvn``, or ``$DIRECTMEM_MVN``) on a generated POM with a
private local repository, ``<cache>/maven/repository`` (``$DIRECTMEM_CACHE``, else
``~/.cache/pytest-directmem``), so ``~/.m2`` is neither needed nor touched. The resolved jars of
each coordinate set are written to ``<cache>/maven/classpaths/<key>.json``: later resolutions
read that file and start no Maven at all (fast, and offline). When that file is missing but the
POMs are already in the local repository, ``mvn -o`` resolves without the network; only then is
the remote repository asked (``$DIRECTMEM_MAVEN_REPO`` or ``repository=``, default Maven
Central). All Maven runs hold one file lock, so pytest-xdist workers resolve one at a time.

Coordinates: ``group:artifact:version``, ``group:artifact:extension:version`` or
``group:artifact:extension:classifier:version``; exact versions only (a range or LATEST would
change the classpath silently from one run to the next).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from ..errors import ConfigError

__all__ = ["maven", "MavenArtifacts", "Coordinate", "DEFAULT_REPOSITORY", "maven_dir"]

DEFAULT_REPOSITORY = "https://repo.maven.apache.org/maven2/"
REPO_ENV, MVN_ENV = "DIRECTMEM_MAVEN_REPO", "DIRECTMEM_MVN"
PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
MIRROR_ID = "directmem"  # constant: Maven tracks where a cached file came from by this id, not by URL
MVN_TIMEOUT_S = 900
_FORMAT = 1
_PART = re.compile(r"^[A-Za-z0-9_.\-]+$")
_RANGE = re.compile(r"[\[\](),]")


@dataclass(frozen=True)
class Coordinate:
    group: str
    artifact: str
    version: str
    extension: str = "jar"
    classifier: str = ""

    @classmethod
    def parse(cls, text: object) -> Coordinate:
        if not isinstance(text, str):
            raise ConfigError("classpath", text, 'a Maven coordinate is a string like "io.netty:netty-buffer:4.2.0.Final"')
        parts = text.strip().split(":")
        if len(parts) == 3:
            g, a, v = parts
            e, c = "jar", ""
        elif len(parts) == 4:
            g, a, e, v = parts
            c = ""
        elif len(parts) == 5:
            g, a, e, c, v = parts
        else:
            raise ConfigError("classpath", text, "not a Maven coordinate: use group:artifact:version "
                              "(or group:artifact:extension[:classifier]:version)")
        if v.upper() in ("LATEST", "RELEASE") or _RANGE.search(v):
            raise ConfigError("classpath", text, "pin an exact version: a range or LATEST/RELEASE would change "
                              "the classpath between runs")
        for name, part in (("group", g), ("artifact", a), ("version", v), ("extension", e)) + ((("classifier", c),) if c else ()):
            if not _PART.match(part):
                raise ConfigError("classpath", text, f"bad {name} {part!r} in the Maven coordinate "
                                  "(letters, digits, '.', '-', '_')")
        return cls(g, a, v, e, c)

    def __str__(self) -> str:
        mid = "" if (self.extension, self.classifier) == ("jar", "") else f":{self.extension}" + (
            f":{self.classifier}" if self.classifier else "")
        return f"{self.group}:{self.artifact}{mid}:{self.version}"

    def pom_path(self, repo: Path) -> Path:
        return repo.joinpath(*self.group.split("."), self.artifact, self.version, f"{self.artifact}-{self.version}.pom")


def maven_dir() -> Path:
    from ..jdk import cache_dir

    return cache_dir() / "maven"


def _repository(value: str | None) -> str:
    from ..environment import environment

    url = (value or environment().maven_repo or DEFAULT_REPOSITORY).strip()
    if not re.match(r"^(https?|file)://\S+$", url):
        source = None if value else REPO_ENV
        raise ConfigError("repository", url, "a Maven repository is an http(s):// or file:// URL", source)
    return url if url.endswith("/") else url + "/"


@dataclass(frozen=True)
class MavenArtifacts:
    """Maven coordinates resolved together (one dependency tree, Maven's nearest-wins mediation)."""

    coordinates: tuple[Coordinate, ...]
    repository: str | None = None  # None: $DIRECTMEM_MAVEN_REPO, else Maven Central (read at resolution)
    transitive: bool = True
    exclude: tuple[str, ...] = ()  # "group:artifact" of transitive dependencies to leave out
    refresh: bool = False  # ignore the cached classpath once (e.g. a -SNAPSHOT changed upstream)

    def __str__(self) -> str:
        return f"maven({', '.join(map(str, self.coordinates))})"

    @property
    def key(self) -> str:
        """The cache key: coordinates (in order), transitivity, exclusions. Not the repository URL:
        a release resolved once is the same everywhere, and the cache must survive a cut network."""
        ident = json.dumps([_FORMAT, [str(c) for c in self.coordinates], self.transitive, list(self.exclude)])
        return hashlib.sha256(ident.encode()).hexdigest()[:24]

    def resolve_classpath(self) -> list[Path]:
        """The jar files, in Maven's order (each coordinate's own jar first, then its dependencies)."""
        base = maven_dir()
        repo = base / "repository"
        record = base / "classpaths" / f"{self.key}.json"
        if not self.refresh:
            cached = _read_record(record, repo)
            if cached is not None:
                return cached
        from ..jdk import file_lock

        with file_lock(base / ".lock"):
            if not self.refresh:
                cached = _read_record(record, repo)  # another worker may have resolved it meanwhile
                if cached is not None:
                    return cached
            url = _repository(self.repository)
            offline_first = not self.refresh and all(c.pom_path(repo).is_file() for c in self.coordinates)
            jars, error = (self._mvn(base, url, offline=True) if offline_first else (None, ""))
            if jars is None:
                jars, error = self._mvn(base, url, offline=False)
            if jars is None:
                raise ConfigError("classpath", ", ".join(map(str, self.coordinates)), error)
            _write_record(record, repo, self, url, jars)
            return jars

    def _mvn(self, base: Path, url: str, *, offline: bool) -> tuple[list[Path] | None, str]:
        from ..environment import environment

        mvn = environment().mvn or shutil.which("mvn")
        if not mvn:
            return None, (f"Maven (mvn) is not on PATH (or set ${MVN_ENV}) and these coordinates are not "
                          f"resolved in {base} yet")
        repo = base / "repository"
        repo.mkdir(parents=True, exist_ok=True)
        settings = base / f"settings-{hashlib.sha256(url.encode()).hexdigest()[:12]}.xml"
        if not settings.is_file():
            tmp = settings.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(_settings_xml(url))
            tmp.replace(settings)
        with tempfile.TemporaryDirectory(prefix="directmem-mvn-", dir=base) as tmp:
            pom, out = Path(tmp) / "pom.xml", Path(tmp) / "classpath.txt"
            pom.write_text(_pom_xml(self))
            cmd = [mvn, "-B", "-ntp", "-s", str(settings), "-f", str(pom), f"-Dmaven.repo.local={repo}",
                   "-o" if offline else "-U", f"{PLUGIN}:build-classpath", f"-Dmdep.outputFile={out}",
                   "-Dmdep.includeScope=runtime", f"-Dmdep.pathSeparator={os.pathsep}"]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=MVN_TIMEOUT_S,
                                      stdin=subprocess.DEVNULL, cwd=tmp)
            except (OSError, subprocess.TimeoutExpired) as e:
                return None, f"running Maven failed: {e}"
            if proc.returncode != 0 or not out.is_file():
                return None, _explain(proc.stdout + proc.stderr, url, offline)
            text = out.read_text().strip()
            jars = [Path(p) for p in text.split(os.pathsep) if p.strip()] if text else []
        missing = [p for p in jars if not p.is_file()]
        if missing:
            return None, f"Maven reported jars that do not exist: {missing[:3]}"
        return jars, ""


def maven(*coordinates: str, repository: str | None = None, transitive: bool = True,
          exclude: tuple[str, ...] | list[str] = (), refresh: bool = False) -> MavenArtifacts:
    """A classpath entry for Maven coordinates, e.g. ``dm.maven("io.netty:netty-buffer:4.2.0.Final")``.

    Several coordinates are resolved together as one dependency tree (as a POM listing them would).
    ``repository``: a remote repository URL instead of ``$DIRECTMEM_MAVEN_REPO`` / Maven Central;
    ``exclude``: ``"group:artifact"`` of transitive dependencies to leave out;
    ``refresh``: resolve again even when the cache has this coordinate set.
    """
    if not coordinates:
        raise ConfigError("classpath", "maven()", "give at least one coordinate, e.g. io.netty:netty-buffer:4.2.0.Final")
    if len(coordinates) == 1 and isinstance(coordinates[0], (list, tuple)):
        coordinates = tuple(coordinates[0])
    parsed = tuple(Coordinate.parse(c) for c in coordinates)
    if repository is not None:
        _repository(repository)
    if isinstance(exclude, str) or not all(isinstance(x, str) and re.match(r"^[\w.\-]+:[\w.\-*]+$", x) for x in exclude):
        raise ConfigError("classpath", exclude, 'exclude is a list of "group:artifact" strings')
    for name, flag in (("transitive", transitive), ("refresh", refresh)):
        if not isinstance(flag, bool):
            raise ConfigError("classpath", flag, f"maven({name}=...) must be True or False")
    return MavenArtifacts(parsed, repository, transitive, tuple(exclude), refresh)


def _read_record(record: Path, repo: Path) -> list[Path] | None:
    try:
        data = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    if data.get("format") != _FORMAT:
        return None
    jars = [repo / rel for rel in data.get("jars", [])]
    return jars if all(j.is_file() for j in jars) else None


def _write_record(record: Path, repo: Path, a: MavenArtifacts, url: str, jars: list[Path]) -> None:
    rel = []
    for j in jars:
        try:
            rel.append(str(j.resolve().relative_to(repo.resolve())))
        except ValueError:  # outside the private repository (should not happen): keep it absolute
            rel.append(str(j))
    record.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": _FORMAT, "coordinates": [str(c) for c in a.coordinates], "transitive": a.transitive,
            "exclude": list(a.exclude), "repository": url, "resolved_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "jars": rel}
    tmp = record.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(record)


def _settings_xml(url: str) -> str:
    return (f"<settings><mirrors><mirror><id>{MIRROR_ID}</id><mirrorOf>*</mirrorOf><url>{escape(url)}</url>"
            "</mirror></mirrors></settings>\n")


def _pom_xml(a: MavenArtifacts) -> str:
    deps = []
    for c in a.coordinates:
        excl = ["<exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion>"] if not a.transitive else []
        excl += [f"<exclusion><groupId>{g}</groupId><artifactId>{art}</artifactId></exclusion>"
                 for g, art in (x.split(":") for x in a.exclude)]
        deps.append(
            f"<dependency><groupId>{c.group}</groupId><artifactId>{c.artifact}</artifactId><version>{c.version}</version>"
            f"<type>{c.extension}</type>" + (f"<classifier>{c.classifier}</classifier>" if c.classifier else "")
            + (f"<exclusions>{''.join(excl)}</exclusions>" if excl else "") + "</dependency>")
    return ("<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion>"
            "<groupId>pytest-directmem</groupId><artifactId>resolve</artifactId><version>0</version>"
            f"<packaging>pom</packaging><dependencies>{''.join(deps)}</dependencies></project>\n")


_NOISE = re.compile(r"^(Failed to execute goal .*?: )?(Could not resolve dependencies for project [^:]+:[^:]+:[^:]+:[^:]+: )?")


def _explain(output: str, url: str, offline: bool) -> str:
    """One readable sentence out of Maven's [ERROR] lines, plus a hint."""
    errors = [ln[len("[ERROR]"):].strip() for ln in output.splitlines() if ln.startswith("[ERROR]")]
    errors = [e for e in errors if e and not e.startswith(("->", "To see the full", "Re-run Maven", "For more info"))]
    first_line = _NOISE.sub("", errors[0]).replace(" -> [Help 1]", "") if errors else (output.strip().splitlines() or ["?"])[-1]
    if offline:
        return f"not resolvable offline: {first_line}"
    low = first_line.lower()
    if "could not find artifact" in low or "not found" in low or "failure to find" in low:
        hint = f"check the coordinates: {url} does not have them"
    elif any(w in low for w in ("transfer", "connect", "unknownhost", "unreachable", "timed out", "refused")):
        hint = (f"the repository {url} is unreachable and these coordinates are not in the cache "
                f"({maven_dir()}): resolve them once while online, or set ${REPO_ENV} to a reachable mirror")
    else:
        hint = f"Maven could not resolve them from {url}"
    return f"{hint} ({first_line})"


def main(argv: list[str] | None = None) -> int:
    """python -m pytest_directmem.frameworks.maven [--repository URL] COORD...: print the resolved classpath."""
    args = list(sys.argv[1:] if argv is None else argv)
    repository = None
    if len(args) >= 2 and args[0] == "--repository":
        repository, args = args[1], args[2:]
    if not args or args[0].startswith("-"):
        print(main.__doc__, file=sys.stderr)
        return 2
    try:
        jars = maven(*args, repository=repository).resolve_classpath()
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(os.pathsep.join(map(str, jars)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
