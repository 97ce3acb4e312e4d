"""The validation layer's limits and flag rules against bare java: what config_checks rejects, the JVM
refuses (or it silences the harness's GC log); what it accepts, the JVM takes."""

import subprocess
import textwrap

import pytest

import pytest_directmem as dm
from pytest_directmem.config import JvmConfig, format_size
from pytest_directmem.config_checks import JAVA_LONG_MAX, MIN_HEAP, check_flag
from pytest_directmem.jdk import cached_jdks, installed_jdks, resolve_jdk

from .java_classes import HAS_JAVAC

pytestmark = pytest.mark.skipif(not HAS_JAVAC, reason="javac needed")

GC3 = "public class G { public static void main(String[] a) { for (int i = 0; i < 3; i++) System.gc(); } }"
HARNESS_LOG = "-Xlog:gc*:file=gc.log:uptime,level,tags:filecount=0"  # what to_jvm_args puts first


def _jdks():
    seen, out = set(), []
    for j in installed_jdks() + cached_jdks():
        if j.major not in seen:
            seen.add(j.major)
            out.append(j)
    return out


def _java(jdk, *args, cwd=None):
    return subprocess.run([str(jdk.java), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def gc_class(tmp_path_factory):
    d = tmp_path_factory.mktemp("g")
    (d / "G.java").write_text(GC3)
    subprocess.run(["javac", "--release", "11", "-d", str(d), str(d / "G.java")], check=True)
    return d


def test_min_heap_starts_every_jdk_and_half_of_it_does_not():
    jdks = _jdks()
    assert jdks
    for j in jdks:
        assert _java(j, f"-Xmx{format_size(MIN_HEAP)}", "-version").returncode == 0, j
    refused = [j.major for j in jdks if _java(j, f"-Xmx{format_size(MIN_HEAP // 2)}", "-version").returncode != 0]
    assert refused, "no JDK refuses half the minimum heap: the minimum may be lowered"


def test_the_worker_completes_at_the_min_heap(tmp_path):
    run = dm.launch(dm.workloads.churn(1, "4k"), heap=MIN_HEAP, artifacts_dir=tmp_path / "a")
    assert run.outcome is dm.Outcome.COMPLETED, run.summary()
    with pytest.raises(dm.ConfigError, match="heap"):
        dm.launch(dm.workloads.churn(1, "4k"), heap=MIN_HEAP - (1 << 20), artifacts_dir=tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_java_long_is_the_largest_size_the_jvm_takes():
    jdk = resolve_jdk("system")
    assert _java(jdk, f"-XX:MaxDirectMemorySize={JAVA_LONG_MAX}", "-version").returncode == 0
    assert _java(jdk, f"-XX:MaxDirectMemorySize={JAVA_LONG_MAX + 1}", "-version").returncode != 0
    JvmConfig.create(max_direct=JAVA_LONG_MAX)
    with pytest.raises(dm.ConfigError):
        JvmConfig.create(max_direct=JAVA_LONG_MAX + 1)


@pytest.mark.parametrize("flags", [["-Xms512m", "-Xmx64m"], ["-XX:+UseG1GC", "-XX:+UseParallelGC"]])
def test_contradictions_the_config_rejects_the_jvm_refuses(flags):
    assert _java(resolve_jdk("system"), *flags, "-version").returncode != 0
    with pytest.raises(dm.ConfigError, match="flags"):
        JvmConfig.create(flags=flags)


SILENCERS = ["-Xlog:disable", "-Xlog:gc*=off:file=gc.log", "-Xlog:all=off:file=gc.log", "-Xlog:gc=off",
             "-Xlog:gc*=off", "-Xlog:all=off", "-Xlog:gc*:file=other.log", "-Xlog:safepoint=off", "-XX:-UsePerfData"]


@pytest.mark.parametrize("flag", SILENCERS)
def test_a_log_flag_is_rejected_exactly_when_it_empties_the_harness_gc_log(flag, gc_class, tmp_path):
    jdk = resolve_jdk("system")
    base = tmp_path / "base"
    base.mkdir()
    assert _java(jdk, HARNESS_LOG, "-cp", str(gc_class), "G", cwd=base).returncode == 0
    with_flag = tmp_path / "flag"
    with_flag.mkdir()
    assert _java(jdk, HARNESS_LOG, flag, "-cp", str(gc_class), "G", cwd=with_flag).returncode == 0
    baseline = (base / "gc.log").read_text().count("System.gc()")
    assert baseline >= 3
    silenced = (with_flag / "gc.log").read_text().count("System.gc()") < baseline
    try:
        check_flag(flag, None)
        rejected = False
    except dm.ConfigError:
        rejected = True
    assert rejected == silenced, textwrap.shorten((with_flag / "gc.log").read_text(), 200)


def test_run_expect_typo_is_a_config_error_listing_the_outcomes(tmp_path):
    run = dm.launch(dm.workloads.churn(1, "4k"), artifacts_dir=tmp_path / "a")
    with pytest.raises(dm.ConfigError) as info:
        run.expect("direct_oom_typo")
    assert info.value.option == "expect" and "completed, direct-oom" in str(info.value)
    assert run.expect("completed") is run and run.expect("COMPLETED") is run
