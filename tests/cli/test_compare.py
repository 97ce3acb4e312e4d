"""`directmem compare` for real: runs side by side, per-variant expectations, an HTML comparison."""

import json

import click
import pytest
from click.testing import CliRunner

from pytest_directmem.cli.commands import compare, main
from pytest_directmem.cli.options import parse_variant

BASE = ["compare", "churn", "--count", "50", "--size", "1m", "--heap", "64m", "--max-direct", "16m"]


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_compare_explicit_gc_variants_side_by_side(tmp_path):
    report = tmp_path / "compare.html"
    r = invoke(*BASE, "--variant", "name=explicit GC;explicit-gc=enabled;expect=completed",
               "--variant", "explicit-gc=disabled;expect=completed",
               "--report", str(report), "--artifacts-dir", str(tmp_path / "runs"))
    assert r.exit_code == 1, r.output  # the second expectation is wrong on purpose
    lines = r.stdout.splitlines()
    row1 = next(ln for ln in lines if ln.startswith("explicit GC "))
    row2 = next(ln for ln in lines if ln.startswith("explicit-gc=disabled;expect=completed"))
    assert "COMPLETED" in row1 and "ok: completed" in row1
    assert "DIRECT_OOM" in row2 and "NOT MET: completed" in row2
    assert "explicit-gc=disabled;expect=completed: expected completed, got direct-oom" in r.stderr
    assert "[1/2] explicit GC: churn(50, 1m)" in r.stderr and "[2/2]" in r.stderr
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["1-churn", "2-churn"]
    page = report.read_text()
    assert page.count("<svg") == 1 and page.count('id="dm-direct-used-') == 2
    assert "expected completed: NOT met" in page


def test_compare_json_lists_every_run(tmp_path):
    r = invoke(*BASE, "--variant", "explicit-gc=concurrent;gc=Parallel;expect=completed,direct-oom",
               "--variant", "name=leak;count=5;keep-every=1", "--json", "-q")
    assert r.exit_code == 0, r.output
    runs = json.loads(r.stdout)
    assert [x["name"] for x in runs] == ["explicit-gc=concurrent;gc=Parallel;expect=completed,direct-oom", "leak"]
    assert runs[0]["limits"]["gc"] == "Parallel" and runs[0]["limits"]["explicit_gc"] == "concurrent"
    assert runs[0]["matched"] is True
    assert runs[1]["workload"] == "churn(5, 1m, keep_every=1)" and runs[1]["outcome"] == "completed"
    assert r.stderr == ""


def test_variant_syntax():
    base = {"max_direct": "16m", "flags": ("-Xss1m",), "properties": (), "explicit_gc": None,
            "explicit_gc_switch": "disabled"}
    name, p = parse_variant("name=A;explicit-gc=enabled;heap-dump=off;flag=-Xss2m;property=a=b=c;count=7", compare, base)
    assert name == "A"
    assert p["explicit_gc"] == "enabled" and p["explicit_gc_switch"] is None  # a variant's choice wins
    assert p["heap_dump_on_oom"] is False and p["flags"] == ["-Xss1m", "-Xss2m"] and p["properties"] == ["a=b=c"]
    assert p["count"] == 7 and p["max_direct"] == "16m"
    assert parse_variant("gc=Z;expect=completed", compare, base) == ("gc=Z;expect=completed", {
        **base, "flags": ["-Xss1m"], "properties": [], "gc": "Z", "expect": "completed"})
    for bad, message in (("explicit-gc=maybe", "explicit-gc='maybe'"), ("colour=red", "unknown key 'colour'"),
                         ("gc", "is not key=value"), ("count=many", "count='many'"), ("heap-dump=perhaps", "on or off")):
        with pytest.raises(click.BadParameter, match=message):
            parse_variant(bad, compare, base)


def test_variant_keys_are_the_ones_the_readme_names():
    base = {"docker_hosts": ("unix:///var/run/docker.sock",)}
    _, p = parse_variant("docker-host=tcp://127.0.0.1:2375;docker-host=ssh://ci@b", compare, base)
    assert p["docker_hosts"] == ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375", "ssh://ci@b"]
    with pytest.raises(click.BadParameter) as err:
        parse_variant("colour=red", compare, base)
    known = set(str(err.value).split("known: ", 1)[1].split(", "))
    assert {"flag", "property", "heap-dump", "docker-host", "max-direct", "classpath"} <= known, known
    assert not known & {"flags", "properties", "heap-dump-on-oom", "docker-hosts"}, known


def test_bad_variant_is_a_usage_error_before_any_run(tmp_path):
    r = invoke(*BASE, "--variant", "explicit-gc=enabled", "--variant", "max-direct=lots",
               "--artifacts-dir", str(tmp_path / "runs"))
    assert r.exit_code == 2 and "invalid max_direct='lots'" in r.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    r = invoke(*BASE)
    assert r.exit_code == 2 and "--variant" in r.output


def _bare_java_version(jdk):
    """java.version as a plain `java` of that JDK prints it (the oracle for the JDK column)."""
    import re
    import subprocess

    from pytest_directmem.jdk import resolve_jdk

    out = subprocess.run([str(resolve_jdk(jdk).java), "-XshowSettings:properties", "-version"], capture_output=True,
                         text=True, timeout=60).stderr
    return re.search(r"^\s*java\.version = (\S+)$", out, re.M).group(1)


def test_runs_that_differ_in_jdk_or_host_get_columns_not_one_jdk_in_the_header(tmp_path):
    report = tmp_path / "compare.html"
    r = invoke(*BASE, "--variant", "name=a;host=java", "--variant", "name=b;host=jpype;jdk=11", "--variant", "name=c",
               "-q", "--report", str(report))
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "churn(50, 1m); the runs differ in JDK, host (see the table)", lines[0]
    assert " on JDK " not in r.stdout
    head = lines[2].split()
    assert head[:3] == ["variant", "JDK", "host"] and "backend" not in head, head
    system, eleven = _bare_java_version("system"), _bare_java_version("11")
    assert system != eleven
    rows = {ln.split()[0]: ln.split()[1:3] for ln in lines[4:7]}
    assert rows == {"a": [system, "java"], "b": [eleven, "jpype"], "c": [system, "jpype"]}, rows
    page = report.read_text()
    assert "<th>JDK</th><th>host</th><th>outcome</th>" in page
    assert f"<td>{eleven}</td><td>jpype</td>" in page and f"<td>{system}</td><td>java</td>" in page


def test_runs_on_one_jdk_and_host_name_it_in_the_header_without_columns():
    r = invoke(*BASE, "--variant", "name=a;gc=Serial", "--variant", "name=b;gc=Parallel", "-q")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"churn(50, 1m) on JDK {_bare_java_version('system')} ("), lines[0]
    assert lines[2].split()[:2] == ["variant", "outcome"], lines[2]


def test_a_missing_workload_option_names_the_variant_and_both_ways_to_give_it(tmp_path):
    r = CliRunner().invoke(main, ["compare", "churn", "--variant", "explicit-gc=enabled", "--variant", "count=5;size=1m",
                                  "--artifacts-dir", str(tmp_path / "runs")])
    assert r.exit_code == 2 and not (tmp_path / "runs").exists(), r.output
    assert ("churn needs --count and --size; --variant 'explicit-gc=enabled' gives neither: give them before the variants "
            "for every run (e.g. directmem compare churn --count 200 --size 1m --variant ...), or in each --variant "
            "(e.g. --variant 'count=200;size=1m')") in r.output, r.output
    r = CliRunner().invoke(main, ["run", "unsafe-alloc"])  # the example is the workload's own
    assert r.exit_code == 2 and "unsafe-alloc needs --size, --count (e.g. directmem run unsafe-alloc --size 1m --count 200)" in r.output
    r = CliRunner().invoke(main, ["compare", "churn", "--size", "1m", "--variant", "count=5", "--variant", "keep-every=2",
                                  "--artifacts-dir", str(tmp_path / "runs")])  # the second variant lacks what the first set
    assert r.exit_code == 2 and "churn needs --count; --variant 'keep-every=2' does not give it: give it before" in r.output and "(from --variant" not in r.output, r.output
