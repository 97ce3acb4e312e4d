"""dm.maven(): coordinates as classpath entries, resolved once into the user cache, offline afterwards."""

from __future__ import annotations

import pytest

import pytest_directmem as dm
from pytest_directmem.frameworks import maven as mv
from pytest_directmem.config import JvmConfig

UNREACHABLE = "http://127.0.0.1:9/"  # the discard port on loopback: connection refused, at once
NETTY41 = "io.netty:netty-handler:4.1.140.Final"


# ------------------------------------------------------------------------------ no network

@pytest.mark.parametrize("text, parsed", [
    ("io.netty:netty-buffer:4.2.0.Final", ("io.netty", "netty-buffer", "4.2.0.Final", "jar", "")),
    ("io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.1.140.Final",
     ("io.netty", "netty-transport-native-epoll", "4.1.140.Final", "jar", "linux-x86_64")),
    (" org.example:thing:pom:1.0 ", ("org.example", "thing", "1.0", "pom", "")),
])
def test_coordinates_parse(text, parsed):
    c = mv.Coordinate.parse(text)
    assert (c.group, c.artifact, c.version, c.extension, c.classifier) == parsed
    assert mv.Coordinate.parse(str(c)) == c


@pytest.mark.parametrize("bad, why", [
    ("io.netty:netty-buffer", "not a Maven coordinate"),
    ("io.netty:netty-buffer:[4.1,4.2)", "pin an exact version"),
    ("io.netty:netty-buffer:LATEST", "pin an exact version"),
    ("io.netty:netty buffer:4.1.0", "bad artifact"),
    ("a:b:c:d:e:f", "not a Maven coordinate"),
    (42, "a Maven coordinate is a string"),
])
def test_bad_coordinates_are_config_errors_naming_them(bad, why):
    with pytest.raises(dm.ConfigError, match=why) as e:
        dm.maven(bad)
    assert e.value.option == "classpath" and e.value.value == bad


def test_maven_argument_checks():
    with pytest.raises(dm.ConfigError, match="at least one coordinate"):
        dm.maven()
    with pytest.raises(dm.ConfigError, match="http"):
        dm.maven(NETTY41, repository="ftp://example.org/")
    with pytest.raises(dm.ConfigError, match="group:artifact"):
        dm.maven(NETTY41, exclude=["nonsense"])
    assert dm.maven([NETTY41, "io.netty:netty-buffer:4.1.140.Final"]).coordinates[1].artifact == "netty-buffer"


def test_the_cache_key_ignores_the_repository_but_not_the_coordinates():
    a = dm.maven(NETTY41)
    assert a.key == dm.maven(NETTY41, repository=UNREACHABLE).key  # the cache survives a cut network
    assert a.key != dm.maven("io.netty:netty-handler:4.2.20.Final").key
    assert a.key != dm.maven(NETTY41, transitive=False).key
    assert str(a) == f"maven({NETTY41})"


def test_pom_lists_dependencies_with_exclusions():
    pom = mv._pom_xml(dm.maven("g:a:jar:cls:1.0", "g2:b:2", exclude=["x:y"]))
    assert "<groupId>g</groupId><artifactId>a</artifactId><version>1.0</version><type>jar</type>" \
           "<classifier>cls</classifier>" in pom
    assert "<exclusion><groupId>x</groupId><artifactId>y</artifactId></exclusion>" in pom
    assert "<artifactId>*</artifactId>" in mv._pom_xml(dm.maven("g:a:1", transitive=False))


def test_maven_errors_become_one_readable_reason():
    out = ("[INFO] Scanning\n[ERROR] Failed to execute goal on project resolve: Could not resolve dependencies for "
           "project pytest-directmem:resolve:pom:0: Could not find artifact io.netty:nope:jar:1 in directmem "
           "(https://repo.maven.apache.org/maven2/) -> [Help 1]\n[ERROR] \n[ERROR] To see the full stack trace\n")
    text = mv._explain(out, "https://repo.maven.apache.org/maven2/", offline=False)
    assert text.startswith("check the coordinates") and "Could not find artifact io.netty:nope:jar:1" in text
    assert "[Help 1]" not in text and "pytest-directmem:resolve" not in text
    refused = "[ERROR] Failed to execute goal x: Could not transfer artifact a:b:pom:1 from/to directmem: Connection refused"
    assert "is unreachable" in mv._explain(refused, UNREACHABLE, offline=False)


def test_without_mvn_an_unresolved_coordinate_names_the_problem(tmp_path, monkeypatch):
    monkeypatch.setenv("DIRECTMEM_CACHE", str(tmp_path))
    monkeypatch.setenv("DIRECTMEM_MVN", str(tmp_path / "no-such-mvn"))
    with pytest.raises(dm.ConfigError) as e:
        JvmConfig.create(classpath=[dm.maven("io.netty:netty-buffer:4.2.0.Final")])
    assert e.value.value == "io.netty:netty-buffer:4.2.0.Final" and "running Maven failed" in e.value.reason


# ------------------------------------------------------------------ Maven Central, then offline

def test_resolution_brings_transitive_jars_in_maven_order(netty_jars):
    jars = netty_jars["4.1.140.Final"]
    names = [j.name for j in jars]
    assert names[0] == "netty-handler-4.1.140.Final.jar"
    assert {"netty-buffer-4.1.140.Final.jar", "netty-common-4.1.140.Final.jar",
            "netty-transport-4.1.140.Final.jar"} <= set(names)
    assert all(str(j).startswith(str(mv.maven_dir() / "repository")) for j in jars)  # private repo, not ~/.m2
    assert "netty-codec-base-4.2.20.Final.jar" in [j.name for j in netty_jars["4.2.20.Final"]]  # 4.2 split codec


def test_second_resolution_starts_no_maven_and_needs_no_network(netty_jars, monkeypatch):
    monkeypatch.setenv("DIRECTMEM_MVN", "/nonexistent/mvn")  # any Maven run would fail
    monkeypatch.setenv("DIRECTMEM_MAVEN_REPO", UNREACHABLE)
    for version, jars in netty_jars.items():
        assert dm.netty.classpath(version).resolve_classpath() == jars
    config = JvmConfig.create(classpath=[dm.maven("io.netty:netty-handler:4.2.20.Final")])
    assert config.classpath == tuple(netty_jars["4.2.20.Final"])


def test_network_cut_after_first_resolution(netty_jars, monkeypatch):
    """Acceptance: resolved once, the resolver pointed at an unreachable repository still works for
    what it has (a new coordinate set made of cached jars resolves with `mvn -o`), and a NEW
    coordinate fails with a ConfigError naming it, before any JVM starts."""
    monkeypatch.setenv("DIRECTMEM_MAVEN_REPO", UNREACHABLE)
    subset = dm.maven("io.netty:netty-buffer:4.1.140.Final")  # in the local repository, maybe not recorded
    (mv.maven_dir() / "classpaths" / f"{subset.key}.json").unlink(missing_ok=True)
    names = [j.name for j in subset.resolve_classpath()]
    assert names == ["netty-buffer-4.1.140.Final.jar", "netty-common-4.1.140.Final.jar"]

    new = "io.netty:netty-codec-smtp:4.1.140.Final"  # real, never resolved: the test never lets it through
    with pytest.raises(dm.ConfigError) as e:
        dm.launch(dm.workloads.hold("1m", 1), classpath=[dm.maven(new)])
    assert e.value.option == "classpath" and e.value.value == new
    assert "unreachable" in e.value.reason and "127.0.0.1:9" in e.value.reason


@pytest.mark.slow
def test_coordinates_missing_from_maven_central_are_a_config_error(netty_jars):
    bad = "io.netty:netty-bufferx:4.2.0.Final"
    with pytest.raises(dm.ConfigError) as e:
        dm.launch(dm.workloads.hold("1m", 1), classpath=[dm.maven(bad)])
    assert e.value.value == bad
    assert "check the coordinates" in e.value.reason and "Could not find artifact io.netty:netty-bufferx" in e.value.reason
