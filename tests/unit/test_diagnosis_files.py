"""The readers of diagnose=True's files, on files recorded from real runs (tests/data/diagnosis/record.py):
async-profiler's collapsed stacks -> sites, Diagnose.java's native.json -> native, and read_diagnosis."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from pytest_directmem.config import DIAGNOSIS_DIR, JvmConfig, to_jvm_args
from pytest_directmem.diagnose.run import read_diagnosis
from pytest_directmem.diagnose.sites import parse_collapsed
from pytest_directmem.errors import ConfigError

DATA = Path(__file__).resolve().parents[1] / "data" / "diagnosis"
JDKS = ("11", "17", "21", "25")
MIB = 1 << 20


@pytest.mark.parametrize("jdk", JDKS)
def test_sites_of_the_acceptance_program_name_its_methods(jdk):
    sites = parse_collapsed((DATA / f"jdk{jdk}-holdtwelve.collapsed").read_text())
    by_method = {s.stack[2]: s for s in sites if s.stack[:2] == ("java.nio.DirectByteBuffer.<init>",
                                                                  "java.nio.ByteBuffer.allocateDirect")}
    # main allocates the 12 held MiB itself, drop() the 3 MiB of garbage; request()'s 2 MiB never got memory
    assert by_method["HoldTwelve.main"].kind == "direct"
    assert 12 * MIB <= by_method["HoldTwelve.main"].bytes < 12 * MIB + 4096  # NMT's malloc headers on top
    assert 3 * MIB <= by_method["HoldTwelve.drop"].bytes < 3 * MIB + 4096
    assert "HoldTwelve.request" not in by_method
    assert sites[0] is by_method["HoldTwelve.main"]  # largest first
    assert [s.bytes for s in sites] == sorted((s.bytes for s in sites), reverse=True)
    assert all(not f.startswith(("directmem.Runner", "directmem.Diagnose", "jdk.internal.misc.Unsafe"))
               for s in sites for f in s.stack)


@pytest.mark.parametrize("jdk", JDKS)
def test_unsafe_allocations_are_not_direct(jdk):
    sites = parse_collapsed((DATA / f"jdk{jdk}-unsafe.collapsed").read_text())
    top = sites[0]
    assert top.kind == "unsafe"
    assert top.stack[:2] == ("sun.misc.Unsafe.allocateMemory", "directmem.Workloads.unsafeAlloc")
    assert 64 * MIB <= top.bytes < 64 * MIB + 64 * 64
    assert not any(s.kind == "direct" and s.bytes >= MIB for s in sites)


def test_collapsed_lines_without_the_malloc_frame_or_malformed_are_skipped():
    text = ("a/B.c;java/nio/ByteBuffer.allocateDirect;java/nio/DirectByteBuffer.<init>;"
            "jdk/internal/misc/Unsafe.allocateMemory;jdk/internal/misc/Unsafe.allocateMemory0;os::malloc 100\n"
            "a/B.c;jdk/internal/misc/Unsafe.allocateMemory0;os::malloc 7\n"
            "a/B.c;os::malloc 999999\n"   # the JVM's own malloc under a Java frame
            "broken line\n\n"
            "a/B.c;java/nio/ByteBuffer.allocateDirect;java/nio/DirectByteBuffer.<init>;"
            "jdk/internal/misc/Unsafe.allocateMemory0;Unsafe_AllocateMemory0 50\n")
    sites = parse_collapsed(text)
    assert [(s.stack, s.bytes, s.kind) for s in sites] == [
        (("java.nio.DirectByteBuffer.<init>", "java.nio.ByteBuffer.allocateDirect", "a.B.c"), 150, "direct"),
        (("a.B.c",), 7, "unsafe"),
    ]


@pytest.mark.parametrize("jdk", ("17", "21", "25"))
def test_native_peaks_cover_the_unsafe_memory(tmp_path, jdk):
    d = tmp_path / DIAGNOSIS_DIR
    d.mkdir()
    shutil.copy(DATA / f"jdk{jdk}-unsafe.native.json", d / "native.json")
    shutil.copy(DATA / f"jdk{jdk}-unsafe.collapsed", d / "sites.collapsed")
    diagnosis, notes = read_diagnosis(tmp_path)
    assert notes == ()
    assert diagnosis.dump is None and diagnosis.holders == ()
    assert diagnosis.native["Other"] >= 64 * MIB
    assert diagnosis.native["Total"] >= diagnosis.native["Other"]
    assert diagnosis.native_outside_direct >= 64 * MIB - 64 * 1024  # less what the JDK keeps in the pool
    assert diagnosis.sites[0].kind == "unsafe"


def test_nmt_off_is_a_note(tmp_path):
    d = tmp_path / DIAGNOSIS_DIR
    d.mkdir()
    shutil.copy(DATA / "jdk11-unsafe.native.json", d / "native.json")  # JPype on 11: NMT_LEVEL_<pid> unset
    diagnosis, notes = read_diagnosis(tmp_path)
    assert diagnosis.native == {} and diagnosis.native_outside_direct is None
    assert notes[0] == "diagnosis: NMT gave no summary: Native memory tracking is not enabled"
    assert notes[1].startswith("diagnosis: no allocation sites: async-profiler wrote no diagnosis/sites.collapsed")


def test_no_diagnosis_dir_no_diagnosis(tmp_path):
    assert read_diagnosis(tmp_path) == (None, ())


def test_a_truncated_dump_is_a_note_not_an_error(tmp_path):
    d = tmp_path / DIAGNOSIS_DIR
    d.mkdir()
    whole = gzip.decompress((DATA.parent / "dumps" / "jdk17-culprit.hprof.gz").read_bytes())
    (d / "direct-oom.hprof").write_bytes(whole[: len(whole) // 2])  # the run was killed while it dumped
    diagnosis, notes = read_diagnosis(tmp_path)
    assert diagnosis.dump == d / "direct-oom.hprof" and diagnosis.holders == ()
    assert "cannot be read" in notes[0]


def test_diagnose_flags():
    off = to_jvm_args(JvmConfig.create(), "/a", 17)
    assert not any("diagnose" in a or "NativeMemoryTracking" in a or "agentpath" in a for a in off)
    on = to_jvm_args(JvmConfig.create(diagnose=True), "/a", 17, "/lib/libasyncProfiler.so")
    assert "-Ddirectmem.diagnose=/a/diagnosis" in on and "-XX:NativeMemoryTracking=summary" in on
    assert "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED" in on
    assert ("-agentpath:/lib/libasyncProfiler.so=start,nativemem=0,total,include=*/Unsafe.allocateMemory0,"
            "collapsed,file=/a/diagnosis/sites.collapsed") in on
    assert not any("agentpath" in a for a in to_jvm_args(JvmConfig.create(diagnose=True), "/a", 17))


def test_diagnose_option_values():
    assert JvmConfig.create(diagnose=True).diagnose is True
    with pytest.raises(ConfigError, match="diagnose"):
        JvmConfig.create(diagnose="yes")  # a keyword takes a bool
    assert JvmConfig.create(diagnose="yes", sources={"diagnose": "DIRECTMEM_DIAGNOSE"}).diagnose is True
    with pytest.raises(ConfigError, match="@pytest.mark.directmem"):
        JvmConfig.create(diagnose="yes", sources={"diagnose": "@pytest.mark.directmem"})
