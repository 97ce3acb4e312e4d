"""Netty 4.1 against 4.2 through the harness: the measured differences, pinned.

CI runs a lean slice here (two JDKs for the allocator story, the limit story on 17 and 25); the whole
matrix (every variant on JDK 11, 17, 21 and 25) is the incident library's (tests/incidents).
Every expectation below was measured with this harness (docs/incidents.md shows the table).
"""

from __future__ import annotations


import pytest

import pytest_directmem as dm
from pytest_directmem.incidents import netty as incidents

MiB = 1 << 20
PooledA, AdaptiveA = "io.netty.buffer.PooledByteBufAllocator", "io.netty.buffer.AdaptiveByteBufAllocator"
COMPLETED = {"outcome": "COMPLETED", "oom.kind": None}


def _direct(major: int, requested: int | None = None, limit: int | None = None) -> dict:
    """A JDK direct OOM: JDK 11's "Direct buffer memory" has no numbers."""
    out = {"outcome": "DIRECT_OOM", "oom.kind": "direct"}
    if requested is not None:
        out["oom.requested"] = None if major == 11 else requested
    if limit is not None:
        out["oom.limit"] = None if major == 11 else limit
    return out


def _framework(limit: int) -> dict:
    return {"outcome": "FRAMEWORK_OOM", "oom.kind": "framework", "oom.limit": limit}


def expected(variant: str, major: int) -> dict:
    """The facts measured for a variant on a JDK major (identical on every run)."""
    counts = {"note.netty_max_direct": 32 * MiB}
    table = {
        "4.1-pooled-stream": {**COMPLETED, "oom.requested": None, "note.netty_allocator": PooledA},
        "4.1-adaptive-stream": {**COMPLETED, "oom.requested": None, "note.netty_allocator": AdaptiveA},
        "4.2.0-adaptive-stream": {**_direct(major, 640 << 10), "note.netty_allocator": AdaptiveA},
        "4.2.0-pooled-stream": {**COMPLETED, "oom.requested": None, "note.netty_allocator": PooledA},
        "4.2.20-adaptive-stream": {**COMPLETED, "oom.requested": None, "note.netty_allocator": AdaptiveA},
        "4.1-pooled-churn": {**COMPLETED, "oom.requested": None, "note.netty_allocator": PooledA,
                             "note.netty_kept_bytes": 1562 * 8192},
        "4.2.0-adaptive-churn": {**_direct(major, 128 << 10), "note.netty_allocator": AdaptiveA,
                                 "note.netty_kept_bytes": (256 if major == 25 else 255) * 8192},
        "4.1-limit-opens": {**_framework(32 * MiB), **counts, "note.netty_no_cleaner": True, "note.netty_used_counter": 0},
        "4.1-limit-leak-stream": {**_framework(32 * MiB), **counts, "note.netty_no_cleaner": True,
                                  "note.netty_used_counter": 0},
        "4.1-limit-no-opens": {**_direct(major, limit=64 * MiB), **counts, "note.netty_no_cleaner": False,
                               "note.netty_used_counter": -1},
        "4.2.0-limit-no-opens": {**_direct(major, limit=64 * MiB), **counts, "note.netty_no_cleaner": False,
                                 "note.netty_used_counter": -1},
        "4.2.20-limit-no-opens": {**_framework(32 * MiB), **counts, "note.netty_no_cleaner": False,
                                  "note.netty_used_counter": 0},
        # JDK 25: Netty 4.2 turns Unsafe off; 4.2.7 then enforces nothing (the 256 MiB cap stops it)
        "4.2.7-default": ({**COMPLETED, "oom.limit": None, "value.capped": True} if major >= 25
                          else {**_direct(major, limit=32 * MiB), "value.capped": None})
        | {**counts, "note.netty_no_cleaner": False, "note.netty_used_counter": -1},
        "4.2.20-default": ({**_framework(32 * MiB), "value.capped": None} if major >= 25
                           else {**_direct(major, limit=32 * MiB), "value.capped": None})
        | {**counts, "note.netty_no_cleaner": False, "note.netty_used_counter": 0},
    }
    return table[variant]


def _variant(name: str):
    for incident in incidents.INCIDENTS:
        for v in incident.variants:
            if v.name == name:
                return v
    raise KeyError(name)


def run_variant(directmem, name: str, jdk: str):
    """Run a variant of the Netty incidents and compare every fact with the measured table."""
    result = _variant(name).run(directmem, jdk=jdk, expect=expected(name, int(jdk)))
    return result.check().run


# ------------------------------------------------------------------------------ no JVM

def test_workload_values_and_labels():
    w = dm.netty.alloc("8k", 100, keep_every=4, allocator="adaptive")
    assert (w.kind, w.name) == ("call", "pytest_directmem.frameworks.netty:netty_scenario")
    assert w.args == ("alloc", "adaptive", "8192", "100", "4", str(256 * MiB))
    assert str(w) == "netty.alloc(8k, allocator=adaptive, count=100, keep_every=4)"
    assert dm.netty.loopback(2, "1m", 3, keep_every=0).label == "netty.loopback(2, 1m, 3, allocator=default, keep_every=0)"
    d = dm.netty.decode_leak("1m", 1000)
    assert d.args == ("DecodeLeak#run", str(MiB), "1000") and str(d) == "netty.decode_leak(1m, 1000)"


@pytest.mark.parametrize("make, option", [
    (lambda: dm.netty.alloc("0"), "netty.alloc.size"),
    (lambda: dm.netty.alloc("1m", keep_every=2), "netty.alloc.count"),
    (lambda: dm.netty.alloc("1m", allocator="jemalloc"), "netty.alloc.allocator"),
    (lambda: dm.netty.loopback(0), "netty.loopback.connections"),
    (lambda: dm.netty.loopback(2, "8k", 10, wait="forever"), "netty.loopback.wait"),
    (lambda: dm.netty.options("4.2.20.Final", allocator_type="jemalloc"), "netty.allocator_type"),
    (lambda: dm.netty.classpath(""), "netty.version"),
    (lambda: dm.netty.decode_leak("3g"), "netty.decode_leak.size"),
    (lambda: dm.netty.decode_leak("1m", 0), "netty.decode_leak.frames"),
])
def test_bad_arguments_are_config_errors(make, option):
    with pytest.raises(dm.ConfigError) as e:
        make()
    assert e.value.option == option


def test_options_assemble_netty_flags(netty_jars):
    o = dm.netty.options("4.1.140.Final", netty_max_direct="32m", allocator_type="pooled", flags=["-Xss1m"])
    assert o["properties"] == {"io.netty.allocator.type": "pooled", "io.netty.maxDirectMemory": str(32 * MiB),
                               "io.netty.tryReflectionSetAccessible": "true"}
    assert o["flags"] == ["-Xss1m", "--add-opens=java.base/java.nio=ALL-UNNAMED"]
    assert dm.netty.options("4.1.140.Final")["flags"] == []  # Netty's defaults untouched
    assert dm.netty.options("4.1.140.Final", netty_max_direct="1m", opens=False)["flags"] == []


def test_without_netty_on_the_classpath_the_run_says_how_to_add_it(directmem, netty_jars):
    run = directmem.run(dm.netty.alloc("1m", 1), jdk="17")
    run.expect("error")
    assert "Netty is not on the classpath" in run.error and "dm.netty.classpath" in run.error


# ------------------------------------------------------------------ the allocator story (CI)

@pytest.mark.parametrize("jdk", ["17", "21"])
def test_adaptive_allocator_regression_4_1_to_4_2_0_and_back(directmem, netty_jars, jdk):
    """One read buffer in 64 kept while 250 MiB stream over 4 loopback connections, 32 MiB limit."""
    before = run_variant(directmem, "4.1-pooled-stream", jdk)
    assert before.value["received"] == before.value["expected"] == 4 * 8000 * 8192
    assert dm.netty.info(before)["peak_allocator"] <= 16 * MiB

    upgraded = run_variant(directmem, "4.2.0-adaptive-stream", jdk)
    assert upgraded.oom.thread.startswith("directmem-netty-server-")  # the server's event loop, reading
    assert "io.netty.buffer.AdaptivePoolingAllocator" in " ".join(upgraded.oom.stack)
    info = dm.netty.info(upgraded)
    assert info["version"] == "4.2.0.Final" and info["received"] < 4 * 8000 * 8192
    assert info["peak_allocator"] > 30 * MiB and info["peak_allocator"] > 5 * info["retained_capacity"]  # ~10x what it keeps

    run_variant(directmem, "4.2.0-pooled-stream", jdk)  # -Dio.netty.allocator.type=pooled: the mitigation
    fixed = run_variant(directmem, "4.2.20-adaptive-stream", jdk)
    assert dm.netty.info(fixed)["peak_allocator"] < 16 * MiB


# --------------------------------------------------------------------- Netty's own limit (CI)

def test_netty_own_limit_framework_oom_with_used_and_max_parsed(directmem, netty_jars):
    run = run_variant(directmem, "4.1-limit-opens", "17")
    assert run.oom.class_name == "io.netty.util.internal.OutOfDirectMemoryError"
    assert (run.oom.requested, run.oom.allocated, run.oom.limit) == (4 * MiB, 32 * MiB, 32 * MiB)  # a 4 MiB chunk
    assert run.oom.stack[0].startswith("io.netty.util.internal.PlatformDependent.incrementMemoryCounter")
    assert run.direct.limit == 64 * MiB and run.heap_dumps == []
    assert dm.netty.info(run)["peak_counter"] == 32 * MiB


def test_a_loopback_server_that_never_releases_hits_netty_own_limit_on_its_event_loop(directmem, netty_jars):
    run = run_variant(directmem, "4.1-limit-leak-stream", "21")
    assert run.oom.thread.startswith("directmem-netty-server-")
    assert (run.oom.requested, run.oom.allocated) == (4 * MiB, 32 * MiB)  # a new 4 MiB chunk of the pooled arena
    info = dm.netty.info(run)
    assert 0 < info["received"] <= info["retained_capacity"]  # read buffers are at least as big as the data
    assert info["peak_counter"] == 32 * MiB  # Netty's own counter reached its limit


@pytest.mark.parametrize("name", ["4.1-limit-no-opens", "4.2.0-limit-no-opens", "4.2.20-limit-no-opens"])
def test_netty_limit_without_add_opens_depends_on_the_release(directmem, netty_jars, name):
    """4.1 and 4.2.0 ignore io.netty.maxDirectMemory without the add-opens; 4.2.20 counts anyway."""
    run_variant(directmem, name, "17")


@pytest.mark.parametrize("name", ["4.2.7-default", "4.2.20-default"])
def test_jdk25_netty_4_2_7_enforces_no_limit_4_2_20_does(directmem, netty_jars, name):
    run = run_variant(directmem, name, "25")
    if name == "4.2.7-default":
        assert run.value == {"allocated": 256, "buffers": 256, "bytes": 256 * MiB, "capped": True}
        assert dm.netty.info(run)["has_unsafe"] is False  # JDK 25: Netty 4.2 leaves sun.misc.Unsafe alone
