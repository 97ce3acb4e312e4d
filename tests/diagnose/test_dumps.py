"""dm.analyze_dump on heap dumps recorded from real JVMs (tests/data/dumps, re-made by
tests/data/dumps/record/record_dumps.py): the issue-11 acceptance program on JDK 11, 17, 21 and 25,
a Netty scenario, and a dump with every kind of buffer."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

import pytest_directmem as dm
from pytest_directmem.diagnose.hprof import Hprof, java_name

DUMPS = Path(__file__).resolve().parents[1] / "data" / "dumps"
MIB = 1 << 20
JDKS = ("11", "17", "21", "25")


@pytest.mark.parametrize("jdk", JDKS)
def test_acceptance_holder_garbage_and_victim(jdk):
    """Culprit.java: 12 x 1 MiB held in a static list, 3 x 1 MiB dropped, then 2 MiB asked for with
    DisableExplicitGC and MaxDirectMemorySize=16m; dumped with live=false in the catch block."""
    a = dm.analyze_dump(DUMPS / f"jdk{jdk}-culprit.hprof.gz")
    top = a.holders[0]
    assert top.path == ("static Culprit.CACHE", "java.util.ArrayList.elementData", "java.lang.Object[]")
    assert (top.count, top.bytes) == (12, 12 * MIB)
    assert (a.garbage_bytes, a.garbage_count) == (3 * MIB, 3)
    assert a.total_bytes == 15 * MIB + sum(h.bytes for h in a.holders[1:])
    assert a.victim is not None and a.victim.capacity == 2 * MIB and a.victim.address == 0
    assert a.hprof_version == "JAVA PROFILE 1.0.2"
    assert isinstance(a, dm.DumpAnalysis) and isinstance(top, dm.Holder)


def test_field_order_differs_between_jdks_so_fields_are_read_by_name():
    """The INCIDENTS.md fact the reader is built around, checked on the recorded dumps."""
    orders = {}
    for jdk in JDKS:
        heap = Hprof(gzip.decompress((DUMPS / f"jdk{jdk}-culprit.hprof.gz").read_bytes()))
        cls = heap.class_named("java.nio.Buffer")
        orders[jdk] = [name for name, _ in cls.own_fields]
        assert {"address", "capacity"} <= set(orders[jdk])
    assert len({tuple(o) for o in orders.values()}) > 1, orders


def test_every_kind_of_buffer():
    """Mixed.java: PARENT (1 MiB) with a slice and a duplicate, a read-only view of 256 KiB, a mapped
    file of 64 KiB, 512 KiB held by a local of thread 'local-holder', 2 x 128 KiB garbage."""
    a = dm.analyze_dump(DUMPS / "jdk21-mixed.hprof.gz")
    by_root = {h.path[0]: h for h in a.holders}
    assert by_root["static Mixed.PARENT"].bytes == MIB
    local = [h for h in a.holders if "thread 'local-holder'" in h.path[0]]
    assert len(local) == 1 and local[0].bytes == 512 << 10
    assert local[0].path[0].startswith("local in Mixed.lambda$main$")
    assert by_root["static Mixed.READ_ONLY"].path == ("static Mixed.READ_ONLY", "java.nio.DirectByteBuffer.att")
    assert (a.garbage_bytes, a.garbage_count) == (256 << 10, 2)
    views = [b for b in a.buffers if b.kind == "view" and b.path and b.path[0] in ("static Mixed.SLICE", "static Mixed.DUP")]
    parent = next(b for b in a.buffers if b.path == ("static Mixed.PARENT",))
    assert len(views) == 2 and {b.parent for b in views} == {parent.id}
    assert {b.capacity for b in views} == {MIB - 1024, MIB}
    ro = sorted((b.cls, b.kind) for b in a.buffers if b.path and b.path[0] == "static Mixed.READ_ONLY")
    assert ro == [("java.nio.DirectByteBuffer", "direct"), ("java.nio.DirectByteBufferR", "view")]
    mapped = [b for b in a.buffers if b.kind == "mapped"]
    assert [(b.capacity, b.path) for b in mapped] == [(64 << 10, ("static Mixed.MAPPED",))]
    assert a.mapped_bytes == 64 << 10
    assert a.victim is None


def test_netty_scenario():
    """NettyHold.java: netty-buffer 4.1.115's PooledByteBufAllocator, 256 KiB buffers held in a static list
    until the JDK's limit (64m: two arenas of 4 MiB chunks). The direct buffers are the pool's chunks, each
    shared by 16 PooledByteBufs; the victim is the next chunk."""
    a = dm.analyze_dump(DUMPS / "jdk17-netty.hprof.gz")
    top = a.holders[0]
    assert top.path == ("static NettyHold.KEEP", "java.util.ArrayList.elementData", "java.lang.Object[]",
                        "io.netty.buffer.PooledByteBuf.memory")
    assert (top.count, top.bytes) == (16, 64 * MIB)
    assert a.victim is not None and a.victim.capacity == 4 * MIB
    # made by native code (no cleaner, no att), outside the limit: the jimage reader's map (the largest)
    # and perf counters' 8-byte buffers (jdk.internal.perf.Perf.createLong)
    native = sorted((b for b in a.buffers if b.kind == "native"), key=lambda b: -b.capacity)
    assert native and a.native_bytes == sum(b.capacity for b in native) > 16 * MIB
    assert "jdk.internal.jimage" in " ".join(native[0].path or ())


WITH_FIGURES = sorted(p.name.removesuffix(".stdout.txt") for p in DUMPS.glob("*.stdout.txt") if "allocated: " in p.read_text())


def test_the_recorded_messages_have_figures_from_17_on():
    assert WITH_FIGURES == ["jdk17-culprit", "jdk17-netty", "jdk21-culprit", "jdk25-culprit"]
    assert "OOM Direct buffer memory" in (DUMPS / "jdk11-culprit.stdout.txt").read_text()


@pytest.mark.parametrize("name", WITH_FIGURES)
def test_total_equals_the_allocated_of_the_recorded_oom_message(name):
    """The JVM's own figure, recorded with the dump: "Cannot reserve R bytes of direct buffer memory
    (allocated: A, limit: L)" (17+). A counts max(1, capacity) per buffer (EmptyByteBuf's 0-byte one: 1)."""
    out = (DUMPS / f"{name}.stdout.txt").read_text()
    m = re.search(r"Cannot reserve (\d+) bytes of direct buffer memory \(allocated: (\d+)", out)
    a = dm.analyze_dump(DUMPS / f"{name}.hprof.gz")
    assert a.total_bytes == int(m.group(2))
    assert a.victim is not None and a.victim.capacity == int(m.group(1))


def test_ignoring_reference_referent_is_what_makes_garbage_garbage(monkeypatch):
    from pytest_directmem.diagnose import graph

    monkeypatch.setattr(graph, "IGNORED", ())
    a = dm.analyze_dump(DUMPS / "jdk17-culprit.hprof.gz")
    assert a.garbage_bytes == 0  # every dropped buffer is reachable through its own Cleaner's referent


@pytest.mark.parametrize("name, java", [
    ("java/util/ArrayList", "java.util.ArrayList"), ("[Ljava/lang/Object;", "java.lang.Object[]"),
    ("[[I", "int[][]"), ("[B", "byte[]"),
])
def test_class_names(name, java):
    assert java_name(name) == java


def test_bad_files_are_config_errors(tmp_path):
    with pytest.raises(dm.ConfigError, match="no such file"):
        dm.analyze_dump(tmp_path / "missing.hprof")
    (tmp_path / "x.hprof").write_text("hello, not a dump\n")
    with pytest.raises(dm.ConfigError, match="not an HPROF heap dump"):
        dm.analyze_dump(tmp_path / "x.hprof")
    raw = gzip.decompress((DUMPS / "jdk11-culprit.hprof.gz").read_bytes())
    (tmp_path / "cut.hprof").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(dm.ConfigError, match="truncated"):
        dm.analyze_dump(tmp_path / "cut.hprof")
