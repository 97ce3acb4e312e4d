"""A bad launch option names what the user typed: the CLI flag on `directmem` (`--docker-host`, `--max-direct`),
the pytest option on pytest (tests/plugin/test_plugin.py), the keyword in Python (ConfigError's option alone)."""

import pytest
from click.testing import CliRunner

import pytest_directmem as dm
from pytest_directmem.cli import main
from pytest_directmem.config import BY_NAME, OPTIONS

TINY = ["churn", "--count", "2", "--size", "1k"]
DOCKER = ["--backend", "docker"]
# every launch option that can hold a bad value: (option name, its flag and a bad value on the command line)
BAD = {
    "jdk": ["--jdk", "9"],
    "heap": ["--heap", "1k"],
    "max_direct": ["--max-direct", "1x"],
    "max_ram_percentage": ["--max-ram-percentage", "200"],
    "gc": ["--gc", "Foo"],
    "properties": ["--property", "java.class.path=/x"],
    "flags": ["--flag=-Xlog:disable"],
    "classpath": ["--classpath", "/nonexistent/x.jar"],
    "memory": [*DOCKER, "--memory", "1m"],
    "cpus": [*DOCKER, "--cpus", "0.001"],
    "docker_hosts": [*DOCKER, "--docker-host", "foo"],
    "timeout": ["--timeout", "-1"],
}


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_every_option_with_a_value_to_check_is_covered():
    checked = {o.name for o in OPTIONS if o.cli_type not in ("choice", "switch", "path")}  # click checks those
    assert checked == set(BAD)


@pytest.fixture
def nothing_starts(monkeypatch):
    started = []
    monkeypatch.setattr("subprocess.Popen", lambda *a, **k: started.append(a))
    yield
    assert started == []


@pytest.mark.parametrize("name", list(BAD))
def test_run_names_the_flag(name, nothing_starts):
    r = invoke("run", *TINY, *BAD[name])
    assert r.exit_code == 2, r.output
    flag = BY_NAME[name].cli_flag
    assert flag in BAD[name] or f"{flag}=" in BAD[name][-1]
    assert f"invalid {name}=" in r.output and f"(from {flag}):" in r.output, r.output


def test_the_docker_host_message_on_each_command(nothing_starts):
    want = "invalid docker_hosts='foo' (from --docker-host): an engine URL is"
    assert want in invoke("run", *TINY, *DOCKER, "--docker-host", "foo").output
    assert want in invoke("compare", *TINY, *DOCKER, "--docker-host", "foo", "--variant", "gc=G1").output
    assert want in invoke("reproduce", "seed-victim", "--docker-host", "foo").output
    assert want in invoke("doctor", "--offline", "--docker-host", "foo").output
    r = invoke("run", *TINY, "--docker-host", "unix:///var/run/docker.sock", "--docker-host", "tcp://a")
    assert r.exit_code == 2 and "invalid docker_hosts='tcp://a' (from --docker-host): tcp:// needs a port" in r.output


def test_compare_names_the_variant_that_set_the_value(nothing_starts):
    r = invoke("compare", *TINY, "--variant", "gc=G1", "--variant", "max-direct=1x")
    assert r.exit_code == 2 and "invalid max_direct='1x' (from --variant 'max-direct=1x')" in r.output, r.output
    r = invoke("compare", *TINY, "--max-direct", "1x", "--variant", "gc=G1")
    assert r.exit_code == 2 and "invalid max_direct='1x' (from --max-direct)" in r.output, r.output
    r = invoke("compare", *TINY, "--flag=-Xss1m", "--variant", "flag=-Xlog:disable")  # flags add up: either
    assert "invalid flags='-Xlog:disable' (from --flag or --variant 'flag=-Xlog:disable')" in r.output, r.output


def test_python_names_the_keyword(tmp_path):
    with pytest.raises(dm.ConfigError) as e:
        dm.launch(dm.workloads.churn(2, "1k"), backend="docker", docker_hosts=["foo"], artifacts_dir=tmp_path / "a")
    assert e.value.option == "docker_hosts" and e.value.source is None
    assert str(e.value).startswith("invalid docker_hosts='foo': an engine URL is")


@pytest.mark.parametrize("args, want", [
    (["churn", "--count", "200", "--size", "12q"], "invalid churn.size='12q' (from --size): not a size"),
    (["churn", "--count", "0", "--size", "1m"], "invalid churn.count=0 (from --count): must be an int >= 1"),
    (["heap-hog", "--size", "12q"], "invalid heap_hog.chunk='12q' (from --size)"),  # the alias the user typed
    (["heap-hog", "--chunk", "12q"], "invalid heap_hog.chunk='12q' (from --chunk)"),
    (["socket-write", "--payload", "1k", "--writes", "1", "--hold", "2q"], "invalid socket_write.hold='2q' (from --hold)"),
])
def test_run_names_the_workload_flag(args, want, nothing_starts):
    r = invoke("run", *args)
    assert r.exit_code == 2 and want in r.output, r.output


def test_compare_names_the_variant_that_set_a_workload_argument(nothing_starts):
    r = invoke("compare", *TINY, "--variant", "gc=G1", "--variant", "size=12q")
    assert r.exit_code == 2 and "invalid churn.size='12q' (from --variant 'size=12q'): not a size" in r.output, r.output
    r = invoke("compare", "churn", "--count", "2", "--size", "12q", "--variant", "gc=G1")
    assert r.exit_code == 2 and "invalid churn.size='12q' (from --size)" in r.output, r.output
    r = invoke("compare", *TINY, "--variant", "count=0;gc=G1")
    assert r.exit_code == 2 and "invalid churn.count=0 (from --variant 'count=0;gc=G1')" in r.output, r.output
    r = invoke("compare", "hold", "--size", "1m", "--variant", "gc=G1", "--variant", "hold=2q")  # not hold's option
    assert r.exit_code == 2 and "hold does not take --hold; it takes --size, --count (from --variant 'hold=2q')" \
        in r.output, r.output
    r = invoke("compare", "hold", "--size", "1m", "--hold", "2q", "--variant", "gc=G1")  # the common flag's
    assert r.exit_code == 2 and "hold does not take --hold" in r.output and "from --variant" not in r.output, r.output
