"""Copy this file into your suite: it fails when a Netty upgrade changes the direct-memory outcome.

    pytest test_netty_upgrade.py --directmem-jdk=17,21,25     # every JDK is a parametrization

Each test runs the same traffic pattern under the same limits on the Netty you run today and on a
candidate, and compares what happened: completed, a JDK direct OOM, Netty's own
OutOfDirectMemoryError... Make it yours: put your traffic in WORKLOAD (a dm.netty scenario, or
your application's own main class: dm.workloads.main("com.example.Load") with
classpath=[dm.maven("com.example:app:1.2.3")]), your limits in LIMITS, your Netty settings in
NETTY (e.g. allocator_type="pooled", netty_max_direct="256m") and your releases below. Netty
comes from Maven Central once, then from the cache (offline).
"""

import pytest

import pytest_directmem as dm

BASELINE = "4.1.140.Final"                    # the Netty production runs today
CANDIDATES = ["4.2.0.Final", "4.2.20.Final"]  # the upgrades under review
LIMITS = dict(max_direct="32m", heap="128m")  # production's limits, scaled down with the traffic
NETTY = dict()                                # Netty settings: allocator_type=, netty_max_direct=, opens=
# 4 connections stream 4 x 8000 x 8 KiB through a Netty server that keeps one read buffer in 64
WORKLOAD = dm.netty.loopback(connections=4, message="8k", messages=8000, keep_every=64)


def outcome(run):
    """What must not change across the upgrade: the outcome and the kind of OutOfMemoryError."""
    return run.outcome, run.oom.kind if run.oom else None


@pytest.mark.directmem(**LIMITS)
@pytest.mark.parametrize("netty", CANDIDATES)
def test_netty_upgrade_keeps_the_direct_memory_outcome(directmem, netty):
    before = directmem.run(WORKLOAD, **dm.netty.options(BASELINE, **NETTY))
    after = directmem.run(WORKLOAD, **dm.netty.options(netty, **NETTY))
    assert outcome(after) == outcome(before), (
        f"Netty {BASELINE} -> {netty} on JDK {after.jvm.version}: {before.outcome} -> {after.outcome}"
        + (f": {after.oom}" if after.oom else "")
        + f" (peak allocator memory {dm.netty.info(before).get('peak_allocator')} -> {dm.netty.info(after).get('peak_allocator')} bytes)"
    )
