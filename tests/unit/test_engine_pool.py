"""The docker_hosts option (engine URLs) and the pool's choice when engines do not answer (no engine needed:
nothing listens on the ports below)."""

from __future__ import annotations

import socket

import pytest

import pytest_directmem as dm
from pytest_directmem.backends import engine as pool
from pytest_directmem.config import JvmConfig
from pytest_directmem.settings import resolve_settings


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: connections are refused


@pytest.mark.parametrize("value, urls", [
    ("unix:///var/run/docker.sock", ("unix:///var/run/docker.sock",)),
    ("tcp://127.0.0.1:2375, ssh://ci@build-2", ("tcp://127.0.0.1:2375", "ssh://ci@build-2")),
    ("tcp://h1:2375 tcp://h2:2376/", ("tcp://h1:2375", "tcp://h2:2376")),
    (["ssh://build-3:2222", "tcp://[::1]:2375"], ("ssh://build-3:2222", "tcp://[::1]:2375")),
])
def test_engine_urls_are_parsed(value, urls):
    assert pool.parse_hosts(value) == urls
    assert JvmConfig.create(docker_hosts=value, backend="docker").docker_hosts == urls


@pytest.mark.parametrize("value, why", [
    ("http://h:2375", "an engine URL is"),
    ("tcp://h", "tcp:// needs a port"),
    ("tcp://h:99999", "port 1-65535"),
    ("unix://docker.sock", "absolute path"),
    ("tcp://h:2375/path", "no path"),
    ("tcp://h:1,tcp://h:1", "listed twice"),
    (" , ", "no engine URL"),
    ([3], "strings"),
])
def test_bad_engine_urls_are_a_config_error_naming_the_option(value, why):
    with pytest.raises(dm.ConfigError) as info:
        JvmConfig.create(docker_hosts=value)
    assert info.value.option == "docker_hosts" and why in str(info.value)


def test_the_session_setting_comes_from_env_ini_or_command_line_with_its_source():
    s = resolve_settings({}, {"DIRECTMEM_DOCKER_HOSTS": "tcp://a:1,tcp://b:2"}, {})
    assert s["docker_hosts"].value == ("tcp://a:1", "tcp://b:2") and s["docker_hosts"].source == "DIRECTMEM_DOCKER_HOSTS"
    with pytest.raises(dm.ConfigError) as info:
        resolve_settings({"docker_hosts": "tcp://a"}, {}, {})
    assert "--directmem-docker-hosts" in str(info.value)


def test_no_engine_answering_names_every_engine_and_why():
    a, b = f"tcp://127.0.0.1:{_closed_port()}", f"tcp://127.0.0.1:{_closed_port()}"
    try:
        with pytest.raises(dm.BackendUnavailable) as info:
            pool.pick([a, b])
        assert a in str(info.value) and b in str(info.value)
        assert pool.is_dead(a) and pool.is_dead(b)  # not asked again in this process
    finally:
        pool.configure(None)  # forgets the dead


def test_a_run_on_engines_that_do_not_answer_fails_before_anything_starts(tmp_path):
    url = f"tcp://127.0.0.1:{_closed_port()}"
    try:
        with pytest.raises(dm.BackendUnavailable, match=url.replace(".", r"\.")):
            dm.launch(dm.workloads.hold("1m"), backend="docker", docker_hosts=[url], artifacts_dir=tmp_path / "a")
        assert not (tmp_path / "a").exists()  # nothing left behind
    finally:
        pool.configure(None)


def test_skipped_engines_are_named_with_why():
    url = f"tcp://127.0.0.1:{_closed_port()}"
    try:
        pool.mark_dead(url, "ConnectionError: [Errno 111] Connection refused")
        assert pool.skipped([url, "unix:///var/run/docker.sock"]) == [f"{url} (ConnectionError: [Errno 111] Connection refused)"]
    finally:
        pool.configure(None)


def test_a_long_connection_error_keeps_its_cause():
    e = ConnectionError("HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /version "
                        "(Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f>: Failed to "
                        "establish a new connection: [Errno 111] Connection refused'))")
    assert pool._first_line(e) == "ConnectionError: [Errno 111] Connection refused"
