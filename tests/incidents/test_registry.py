"""The library as data: ids and sources of INCIDENTS.md, complete pins, the stories the pins must tell,
the failure message, the commands. No JVM is started here."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import pytest_directmem as dm
from pytest_directmem.cli import incidents as cli
from pytest_directmem.incidents import facts, pins
from pytest_directmem.incidents.model import Incident, Variant, VariantResult

JDKS = ("11", "17", "21", "25")
# The rows of INCIDENTS.md ("Incidents to reproduce"), with their sources (the Netty rows cite more).
ROWS = {
    "seed-no-dump": ('seed document (Chinese, "why Direct buffer memory OOM has no dump")',),
    "explicit-gc-disabled": ("alibaba/rocketmq issue 391", "elastic/elasticsearch PR 25759"),
    "explicit-gc-concurrent": ("apache/pulsar issue 13737",),
    "seed-victim": ("seed document (okhttp stack in NioSocketImpl.tryWrite)",),
    "large-heap-write": ("adoptium/adoptium-support issue 894", "JDK-8316156"),
    "temp-cache-pinning": ("ehcache/ehcache3 issue 2868", "linkerd/linkerd PR 1858"),
    "container-default": ("camunda/camunda issue 390", "pravega/pravega issue 6294"),
    "container-oom-kill": ("pravega/pravega issue 6294",),
    "unsafe-outside": ("seed document (Unsafe section)",),
    "gc-storm": ("JDK bug 6857566 (DirectBufferAllocTest)",),
    "limit-edges": ("openjdk test/jdk/java/nio/Buffer/LimitDirectMemory.java",),
    "netty-adaptive": ("netty/netty issue 15767", "netty/netty issue 15850", "netty/netty issue 14598",
                       "PaperMC/Velocity PR 1570", "Netty 4.2 migration guide (io.netty.allocator.type=pooled)"),
    "netty-own-limit": ("reactor/reactor-netty issue 2061", "spring-cloud/spring-cloud-gateway issue 2090",
                        "netty/netty issue 8081"),
    # "More incidents to reproduce"
    "seed-okhttp": ("seed document 004 (okhttp over TLS)",),
    "background-thread": ("camunda/camunda issue 7807", "jankotek/mapdb issue 13"),
    "wrapped-oom": ("netty/netty issue 4275", "netty/netty issue 1574"),
    "map-failed": ("RoaringBitmap/RoaringBitmap issue 14",),
}
VARIANTS = [(i.id, v) for i in dm.incidents.all_incidents() for v in i.variants]


def pinned(incident: str, variant: str) -> dict[str, dict]:
    return pins.load()["incidents"][incident][variant]


def test_every_incident_of_incidents_md_is_in_the_library_with_its_sources():
    library = {i.id: i for i in dm.incidents.all_incidents()}
    for incident_id, sources in ROWS.items():
        assert incident_id in library, f"{incident_id} is missing"
        assert library[incident_id].sources == sources
        assert library[incident_id].variants, incident_id


def test_the_pins_were_written_by_the_pin_command_from_repeated_measurements():
    document = pins.load()
    assert document["command"].startswith("python -m pytest_directmem.incidents.pin")
    assert document["passes"] >= 3
    assert set(JDKS) <= set(document["jdks"]["local"]) and set(JDKS) <= set(document["jdks"]["docker"])


@pytest.mark.parametrize(("incident_id", "variant"), VARIANTS, ids=[f"{i}/{v.name}" for i, v in VARIANTS])
def test_every_variant_is_pinned_on_every_jdk_with_exactly_its_facts(incident_id: str, variant: Variant):
    for jdk in JDKS:
        got = pins.pinned(incident_id, variant.name, jdk)
        assert got is not None, f"{variant} has no pins for JDK {jdk}: run {pins.PIN_COMMAND} --only {incident_id}"
        assert list(got) == list(variant.facts), f"{variant} on {jdk}: pinned facts differ from the variant's: re-pin"


def test_seed_story_no_dump_for_the_direct_oom_while_the_heap_control_writes_one():
    for jdk, f in pinned("seed-no-dump", "direct-oom").items():
        assert (f["outcome"], f["heap_dumps"], f["hs_err"]) == ("DIRECT_OOM", 0, False), jdk
        assert f["oom.top_frame"] == "java.nio.Bits.reserveMemory", jdk
    for jdk, f in pinned("seed-no-dump", "heap-oom-control").items():
        assert (f["outcome"], f["heap_dumps"]) == ("HEAP_OOM", 1), jdk
    for jdk, f in pinned("seed-no-dump", "direct-oom-crash-flag").items():
        assert (f["outcome"], f["hs_err"], f["heap_dumps"]) == ("DIRECT_OOM", False, 0), jdk
    for jdk, f in pinned("seed-no-dump", "heap-oom-crash-flag").items():
        assert f["hs_err"] is True, jdk


def test_seed_story_the_8k_socket_write_is_the_victim_in_util_on_the_jdks_where_it_fails():
    failing = []
    for jdk, f in pinned("seed-victim", "victim-write").items():
        if f["outcome"] == "COMPLETED":
            continue
        failing.append(jdk)
        assert f["outcome"] == "DIRECT_OOM", jdk
        assert f["oom.requested"] in (None, 8192), jdk  # JDK 11's message has no numbers
        assert f["frame:sun.nio.ch.Util.getTemporaryDirectBuffer"] is True, jdk
        assert f["oom.thread"] == "directmem-writer-0", jdk
    assert failing, "the victim write failed on no JDK"
    for jdk, f in pinned("seed-victim", "write-alone").items():
        assert f["outcome"] == "COMPLETED", jdk


def test_container_oom_kill_is_a_kill_not_a_java_error():
    for jdk, f in pinned("container-oom-kill", "max-direct-1g").items():
        assert (f["outcome"], f["container.oom_killed"], f["exit_code"], f["oom.kind"]) == ("OOM_KILLED", True, 137, None), jdk


def test_gc_storm_is_bounded_by_volume_and_tells_its_story():
    for name in ("one-thread", "eight-threads", "eight-threads-no-explicit-gc"):
        workload = dm.incidents.get("gc-storm").variant(name).workload
        assert workload.args[2] == "0" and int(workload.args[3]) > 0, f"{name}: bounded by a wall-clock window"
    for jdk, f in pinned("gc-storm", "eight-threads").items():
        assert (f["outcome"], f["gc.explicit"]) == ("COMPLETED", ">0"), jdk
    for jdk, f in pinned("gc-storm", "eight-threads-no-explicit-gc").items():
        assert (f["outcome"], f["gc.explicit"]) == ("DIRECT_OOM", "0"), jdk


def test_background_thread_dies_while_the_process_lives_on_even_with_exit_on_oom():
    for name in ("writer-dies", "exit-on-oom-flag"):
        for jdk, f in pinned("background-thread", name).items():
            assert (f["outcome"], f["oom.thread"], f["oom.caught_by"]) == ("DIRECT_OOM", "JDBM writer", None), (name, jdk)
            assert (f["exit_code"], f["workload_completed"], f["note.writer_alive"]) == (0, True, False), (name, jdk)
            assert f['stderr:Exception in thread "JDBM writer" java.lang.OutOfMemoryError'] is True, (name, jdk)


def test_wrapped_oom_netty_40_wraps_41_does_not_and_map_failed_is_a_cause():
    for jdk, f in pinned("wrapped-oom", "netty-4.0-decoder").items():
        assert f["outcome"] == "DIRECT_OOM" and f["workload_completed"] is False, jdk
        assert f["oom.carried_by"].startswith("io.netty.handler.codec.DecoderException: java.lang.OutOfMemoryError"), jdk
    for jdk, f in pinned("wrapped-oom", "netty-4.1-decoder").items():
        assert (f["outcome"], f["oom.carried_by"]) == ("DIRECT_OOM", None), jdk
    for jdk, f in pinned("wrapped-oom", "store-write-wrapped").items():
        assert (f["oom.carried_by"], f["oom.caught_by"]) == ("java.io.IOException: store write failed",
                                                             "directmem.OomPaths.wrappedWrite"), jdk
    for jdk, f in pinned("map-failed", "small-mappings-until-limit").items():
        assert (f["outcome"], f["oom.message"], f["oom.kind"]) == ("NATIVE_OOM", "Map failed", "native"), jdk
        assert f["workload_completed"] is False and "hs_err" not in f, jdk  # the JVM may die afterwards: a race
    for jdk, f in pinned("map-failed", "thousand-small-mappings").items():
        assert f["outcome"] == "COMPLETED", jdk


def test_seed_okhttp_fails_in_the_tls_write_where_nio_socket_impl_takes_direct_buffers():
    failing = []
    for jdk, f in pinned("seed-okhttp", "async-post-1000-free").items():
        if f["value.result"] == "response":
            assert (f["outcome"], f["value.response_code"]) == ("COMPLETED", 200), jdk
            continue
        failing.append(jdk)
        assert f["outcome"] == "DIRECT_OOM" and f["workload_completed"] is True, jdk
        assert f["value.callback_error_head"] == ("java.io.IOException: canceled due to java.lang.OutOfMemoryError: "
                                                 "Cannot reserve 8230 bytes of direct buffer memory"), jdk
        assert f["value.suppressed"] == "java.lang.OutOfMemoryError", jdk
        assert f["frame:sun.nio.ch.NioSocketImpl.tryWrite"] and f["frame:sun.nio.ch.Util.getTemporaryDirectBuffer"], jdk
        assert f["oom.thread_unported"].startswith("OkHttp https://localhost/"), jdk
    assert {"17", "21"} <= set(failing), failing
    for jdk, f in pinned("seed-okhttp", "no-culprit").items():
        assert f["value.result"] == "response", jdk


def _result(measured: dict, expected: dict | None) -> VariantResult:
    variant = Incident("demo", (Variant("v1", dm.workloads.churn(1, "1m"), {}, ("heap_dumps",), shows="shows"),),
                       title="t", sources=("s",), cause="c", vary="v", story="st").variants[0]
    run = dm.Run(outcome=dm.Outcome.DIRECT_OOM, jvm=dm.JvmInfo(version="21.0.8", major=21), workload="churn(1, 1m)")
    return VariantResult(variant, run, measured, expected)


def test_a_changed_behaviour_fails_with_expected_vs_measured_and_the_run_summary():
    result = _result({"outcome": "DIRECT_OOM", "heap_dumps": 0}, {"outcome": "COMPLETED", "heap_dumps": 0})
    assert not result.ok and result.mismatches == [("outcome", "COMPLETED", "DIRECT_OOM")]
    with pytest.raises(AssertionError) as e:
        result.check()
    text = str(e.value)
    assert "demo/v1: JDK 21.0.8 (major 21)" in text and "1 of 2 facts differ" in text
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("outcome"))
    assert line.split()[:4] == ["outcome", "COMPLETED", "DIRECT_OOM", "<--"]
    assert "outcome:    DIRECT_OOM" in text  # run.summary() follows


def test_a_jdk_without_pins_fails_and_says_how_to_pin_it():
    result = _result({"outcome": "DIRECT_OOM"}, None)
    with pytest.raises(AssertionError, match="no expectation pinned for JDK major 21.*incidents.pin --only demo --jdk 21"):
        result.check()


def test_unknown_facts_and_duplicate_variants_are_refused():
    with pytest.raises(ValueError, match="unknown fact"):
        Variant("x", dm.workloads.churn(1, "1m"), {}, ("gc.explicit_count",))
    v = Variant("x", dm.workloads.churn(1, "1m"))
    with pytest.raises(ValueError, match="duplicate"):
        Incident("i", (v, v), title="t", cause="c", vary="v", story="s")
    with pytest.raises(ValueError, match="not described in catalog.json"):
        Incident("undescribed", (v,))
    assert dm.incidents.get("seed-no-dump").title.startswith("Direct buffer memory OOM")
    with pytest.raises(ValueError, match="already registered"):
        dm.incidents.register(dm.incidents.get("gc-storm"))


def test_overrides_extend_flags_and_properties():
    v = dm.incidents.get("temp-cache-pinning").variant("four-threads-max-cached-1m")
    opts = v.launch_options(flags=["-Xss1m"], properties={"a": "b"}, jdk="21")
    assert opts["properties"] == {"jdk.nio.maxCachedBufferSize": "1048576", "a": "b"}
    assert opts["flags"] == ["-Xss1m"] and opts["jdk"] == "21" and opts["max_direct"] == "16m"


def test_facts_render_and_measure_on_a_recorded_run():
    run = dm.Run(outcome=dm.Outcome.COMPLETED, value='{"pinned": 0}', peak_rss=100 << 20,
                 direct=dm.DirectSummary(limit=16 << 20, peak_used=0), jvm=dm.JvmInfo(max_heap=16 << 20))
    got = facts.measure(run, ["outcome", "value.pinned", "direct.limit_is_heap", "rss_beyond_pool>=64m", "oom.top_frame"])
    assert got == {"outcome": "COMPLETED", "value.pinned": 0, "direct.limit_is_heap": True,
                   "rss_beyond_pool>=64m": True, "oom.top_frame": None}
    assert facts.show("direct.limit", 16 << 20) == "16777216 (16.0 MiB)"


def test_error_facts_read_the_error_its_journaled_cause_and_stderr():
    event = {"event": "error", "class": "java.io.IOException", "message": "Map failed", "stack": [], "thread": "main",
             "causes": [{"class": "java.lang.OutOfMemoryError", "message": "Map failed"}]}
    run = dm.Run(outcome=dm.Outcome.ERROR, error="java.io.IOException: Map failed\n    at x.y(Z.java:1)",
                 stderr='Exception in thread "JDBM writer" java.lang.OutOfMemoryError: Direct buffer memory\n',
                 events=(event,))
    names = ["error", "error.cause", 'stderr:Exception in thread "JDBM writer"', "stderr:OkHttp"]
    assert facts.measure(run, names) == {"error": "java.io.IOException: Map failed",
                                         "error.cause": "java.lang.OutOfMemoryError: Map failed",
                                         'stderr:Exception in thread "JDBM writer"': True, "stderr:OkHttp": False}
    ported = dm.Run(outcome=dm.Outcome.DIRECT_OOM, oom=dm.OomError(kind="direct", message="m", thread="OkHttp https://localhost:40123/..."))
    assert facts.measure(ported, ["oom.thread_unported"]) == {"oom.thread_unported": "OkHttp https://localhost/..."}
    clean = dm.Run(outcome=dm.Outcome.COMPLETED, events=(event,))
    assert facts.measure(clean, ["error", "error.cause"]) == {"error": None, "error.cause": None}


def test_cli_lists_the_library():
    out = CliRunner().invoke(cli.incidents, ["-v"])
    assert out.exit_code == 0, out.output
    for incident_id in ROWS:
        assert incident_id in out.output
    listed = json.loads(CliRunner().invoke(cli.incidents, ["--json"]).output)
    assert {i["id"] for i in listed} >= set(ROWS)


@pytest.mark.parametrize("args", [[], ["nope"], ["--all", "gc-storm"], ["gc-storm", "--variant", "nope"]])
def test_reproduce_refuses_bad_selections_before_running(args):
    out = CliRunner().invoke(cli.reproduce, args)
    assert out.exit_code == 2, out.output
