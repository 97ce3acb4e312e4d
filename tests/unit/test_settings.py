"""Session settings: one precedence order (CLI > env > ini > default), errors name the source."""

import pytest

import pytest_directmem as dm
from pytest_directmem.settings import resolve_settings


def test_default():
    s = resolve_settings({}, {}, {})
    assert (s["backend"].value, s["backend"].source) == ("local", "default")
    assert s["jdk"].value == ()


@pytest.mark.parametrize("cli,env,ini,value,source", [
    ("docker", "local", "local", "docker", "--directmem-backend"),
    (None, "docker", "local", "docker", "DIRECTMEM_BACKEND"),
    (None, None, "docker", "docker", "directmem_backend (ini)"),
    (None, "", "docker", "docker", "directmem_backend (ini)"),
])
def test_backend_precedence(cli, env, ini, value, source):
    s = resolve_settings({"backend": cli}, {"DIRECTMEM_BACKEND": env} if env is not None else {}, {"backend": ini})
    assert (s["backend"].value, s["backend"].source) == (value, source)


def test_jdk_list():
    s = resolve_settings({"jdk": "11, 17,21,25"}, {"DIRECTMEM_JDK": "21"}, {})
    assert s["jdk"].value == ("11", "17", "21", "25") and s["jdk"].source == "--directmem-jdk"
    assert resolve_settings({}, {"DIRECTMEM_JDK": "21"}, {"jdk": "17"})["jdk"].value == ("21",)


@pytest.mark.parametrize("cli,env,ini,message", [
    ({"backend": "k8s"}, {}, {}, "invalid backend='k8s' (from --directmem-backend)"),
    ({}, {"DIRECTMEM_BACKEND": "podman"}, {}, "(from DIRECTMEM_BACKEND)"),
    ({}, {}, {"jdk": "8"}, "invalid jdk='8' (from directmem_jdk (ini))"),
    ({"jdk": "17,17"}, {}, {}, "distinct"),
    ({"jdk": "17,,21"}, {}, {}, "comma-separated"),
])
def test_bad_setting_names_source(cli, env, ini, message):
    with pytest.raises(dm.ConfigError) as info:
        resolve_settings(cli, env, ini)
    assert message in str(info.value)


@pytest.mark.parametrize("cli,env,ini,value,source", [
    (None, None, None, "jpype", "default"),
    ("java", "jpype", "jpype", "java", "--directmem-host"),
    (None, "java", "jpype", "java", "DIRECTMEM_HOST"),
    (None, None, "java", "java", "directmem_host (ini)"),
])
def test_host_precedence(cli, env, ini, value, source):
    s = resolve_settings({"host": cli}, {"DIRECTMEM_HOST": env} if env is not None else {}, {"host": ini})
    assert (s["host"].value, s["host"].source) == (value, source)


def test_a_host_list_parametrizes_and_is_checked():
    s = resolve_settings({"host": "jpype, java"}, {}, {})
    assert (s["host"].value, s["host"].source) == (("jpype", "java"), "--directmem-host")
    assert resolve_settings({}, {"DIRECTMEM_HOST": "java"}, {})["host"].value == "java"  # one host: a plain default
    with pytest.raises(dm.ConfigError, match="distinct hosts"):
        resolve_settings({"host": "java,java"}, {}, {})
    with pytest.raises(dm.ConfigError, match=r"invalid host='graal' \(from DIRECTMEM_HOST\)"):
        resolve_settings({}, {"DIRECTMEM_HOST": "jpype,graal"}, {})


def test_bad_host_names_source():
    with pytest.raises(dm.ConfigError, match=r"invalid host='graal' \(from directmem_host \(ini\)\)"):
        resolve_settings({}, {}, {"host": "graal"})
