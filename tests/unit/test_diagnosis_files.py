"""The readers of diagnose=True's files, on files recorded from real runs (tests/data/diagnosis/record.py):
async-profiler's text traces (and the older collapsed stacks) -> sites, Diagnose.java's native.json -> native, and read_diagnosis."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from pytest_directmem.config import DIAGNOSIS_DIR, JvmConfig, to_jvm_args
from pytest_directmem.diagnose.run import read_diagnosis
from pytest_directmem.diagnose.sites import parse_collapsed, parse_traces
from pytest_directmem.errors import ConfigError

DATA = Path(__file__).resolve().parents[1] / "data" / "diagnosis"
JDKS = ("11", "17", "21", "25")
MIB = 1 << 20


def traces(name: str) -> str:
    return gzip.decompress((DATA / f"{name}.sites.txt.gz").read_bytes()).decode()


@pytest.mark.parametrize("jdk", JDKS)
def test_sites_of_the_acceptance_program_name_its_methods_with_calls_and_bytes(jdk):
    sites = parse_traces(traces(f"jdk{jdk}-holdtwelve"))
    by_method = {s.stack[2]: s for s in sites if s.stack[:2] == ("java.nio.DirectByteBuffer.<init>",
                                                                  "java.nio.ByteBuffer.allocateDirect")}
    # main allocates the 12 held MiB itself, drop() the 3 MiB of garbage; request()'s 2 MiB never got memory
    main, drop = by_method["HoldTwelve.main"], by_method["HoldTwelve.drop"]
    assert (main.kind, main.count, drop.kind, drop.count) == ("direct", 12, "direct", 3)
    assert 12 * MIB <= main.bytes < 12 * MIB + 12 * 64  # NMT's malloc header on top of each
    assert 3 * MIB <= drop.bytes < 3 * MIB + 3 * 64
    assert "HoldTwelve.request" not in by_method
    assert sites[0] is main  # largest first
    assert [s.bytes for s in sites] == sorted((s.bytes for s in sites), reverse=True)
    assert all(not f.startswith(("directmem.Runner", "directmem.Diagnose", "jdk.internal.misc.Unsafe", "org.jpype"))
               for s in sites for f in s.stack)
    assert all(s.count >= 1 for s in sites)
    # the JDK's own JNI mallocs (zlib under the jar reader, ProcessHandle) are "other", small, outside the limit
    others = [s for s in sites if s.kind == "other"]
    assert others and sum(s.bytes for s in others) < MIB
    assert all(s.stack[0].rsplit(".", 1)[0] not in ("java.nio.DirectByteBuffer", "sun.misc.Unsafe") for s in others)


@pytest.mark.parametrize("jdk", JDKS)
def test_unsafe_allocations_are_not_direct(jdk):
    sites = parse_traces(traces(f"jdk{jdk}-unsafe"))
    top = sites[0]
    assert top.kind == "unsafe" and top.count == 64
    assert top.stack[:2] == ("sun.misc.Unsafe.allocateMemory", "directmem.Workloads.unsafeAlloc")
    assert 64 * MIB <= top.bytes < 64 * MIB + 64 * 64
    assert not any(s.kind == "direct" and s.bytes >= MIB for s in sites)


@pytest.mark.parametrize("jdk", JDKS)
def test_older_collapsed_sites_have_bytes_without_calls(jdk):
    sites = parse_collapsed((DATA / f"jdk{jdk}-holdtwelve.collapsed").read_text())
    main = next(s for s in sites if s.stack[2:3] == ("HoldTwelve.main",))
    assert main.kind == "direct" and main.count == 0 and 12 * MIB <= main.bytes < 12 * MIB + 4096
    assert sites[0] is main


def test_text_traces_kinds_and_skips():
    text = """--- Execution profile ---
Total samples       : 9

--- 300 bytes (50.00%), 3 samples
  [ 0] malloc_hook
  [ 1] os::malloc
  [ 2] Unsafe_AllocateMemory0
  [ 3] jdk.internal.misc.Unsafe.allocateMemory0
  [ 4] jdk.internal.misc.Unsafe.allocateMemory
  [ 5] java.nio.DirectByteBuffer.<init>
  [ 6] java.nio.ByteBuffer.allocateDirect
  [ 7] a.B.c
  [ 8] directmem.Runner.run

--- 7 bytes (1.00%), 1 sample
  [ 0] malloc_hook
  [ 1] jdk.internal.misc.Unsafe.allocateMemory0
  [ 2] a.B.c

--- 40 bytes (5.00%), 2 samples
  [ 0] malloc_hook
  [ 1] inflateInit2_
  [ 2] Java_java_util_zip_Inflater_init
  [ 3] java.util.zip.Inflater.init
  [ 4] a.B.c

--- 999 bytes (40.00%), 1 sample
  [ 0] malloc_hook
  [ 1] os::malloc
  [ 2] JVM_FindClassFromCaller
  [ 3] Java_java_lang_Class_forName0
  [ 4] java.lang.Class.forName0

--- 5 bytes (1.00%), 1 sample
  [ 0] malloc_hook
  [ 1] Java_x_Y_z
  [ 2] jdk.internal.misc.Unsafe.allocateMemory0
  [ 3] directmem.Diagnose.run

--- garbage
  [ 0] a.B.c

--- 100 bytes (10.00%), 1 sample
  [ 0] malloc_hook
  [ 1] os::malloc
  [ 2] Unsafe_AllocateMemory0
  [ 3] jdk.internal.misc.Unsafe.allocateMemory0
  [ 4] java.nio.DirectByteBuffer.<init>
  [ 5] a.B.c
"""
    sites = parse_traces(text)
    assert [(s.kind, s.stack, s.bytes, s.count) for s in sites] == [
        ("direct", ("java.nio.DirectByteBuffer.<init>", "java.nio.ByteBuffer.allocateDirect", "a.B.c"), 300, 3),
        ("direct", ("java.nio.DirectByteBuffer.<init>", "a.B.c"), 100, 1),
        ("other", ("java.util.zip.Inflater.init", "a.B.c"), 40, 2),
        ("unsafe", ("a.B.c",), 7, 1),
    ]


def test_collapsed_lines_without_the_malloc_frame_or_malformed_are_skipped():
    text = ("a/B.c;java/nio/ByteBuffer.allocateDirect;java/nio/DirectByteBuffer.<init>;"
            "jdk/internal/misc/Unsafe.allocateMemory;jdk/internal/misc/Unsafe.allocateMemory0;os::malloc 100\n"
            "a/B.c;jdk/internal/misc/Unsafe.allocateMemory0;os::malloc 7\n"
            "a/B.c;os::malloc 999999\n"   # the JVM's own malloc under a Java frame
            "broken line\n\n"
            "a/B.c;java/nio/ByteBuffer.allocateDirect;java/nio/DirectByteBuffer.<init>;"
            "jdk/internal/misc/Unsafe.allocateMemory0;Unsafe_AllocateMemory0 50\n")
    sites = parse_collapsed(text)
    assert [(s.stack, s.bytes, s.kind, s.count) for s in sites] == [
        (("java.nio.DirectByteBuffer.<init>", "java.nio.ByteBuffer.allocateDirect", "a.B.c"), 150, "direct", 0),
        (("a.B.c",), 7, "unsafe", 0),
    ]


@pytest.mark.parametrize("jdk", ("17", "21", "25"))
def test_native_peaks_cover_the_unsafe_memory(tmp_path, jdk):
    d = tmp_path / DIAGNOSIS_DIR
    d.mkdir()
    shutil.copy(DATA / f"jdk{jdk}-unsafe.native.json", d / "native.json")
    (d / "sites.txt").write_text(traces(f"jdk{jdk}-unsafe"))
    diagnosis, notes = read_diagnosis(tmp_path)
    assert notes == ()
    assert diagnosis.dump is None and diagnosis.holders == ()
    assert diagnosis.native["Other"] >= 64 * MIB
    assert diagnosis.native["Total"] >= diagnosis.native["Other"]
    assert diagnosis.native_outside_direct >= 64 * MIB - 64 * 1024  # less what the JDK keeps in the pool
    assert diagnosis.sites[0].kind == "unsafe" and diagnosis.sites[0].count == 64


def test_nmt_off_is_a_note(tmp_path):
    d = tmp_path / DIAGNOSIS_DIR
    d.mkdir()
    shutil.copy(DATA / "jdk11-unsafe.native.json", d / "native.json")  # JPype on 11: NMT_LEVEL_<pid> unset
    diagnosis, notes = read_diagnosis(tmp_path)
    assert diagnosis.native == {} and diagnosis.native_outside_direct is None
    assert notes[0] == "diagnosis: NMT gave no summary: Native memory tracking is not enabled"
    assert notes[1].startswith("diagnosis: no allocation sites: async-profiler wrote no diagnosis/sites.txt")


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
    assert ("-agentpath:/lib/libasyncProfiler.so=start,nativemem=0,include=*Unsafe.allocateMemory0,include=Java_*,"
            "exclude=org.jpype.*,exclude=Java_org_jpype_*,exclude=Java_java_lang_ClassLoader_*,"
            "exclude=Java_jdk_internal_loader_*,traces,file=/a/diagnosis/sites.txt,log=/a/profiler.log") in on
    assert not any("agentpath" in a for a in to_jvm_args(JvmConfig.create(diagnose=True), "/a", 17))


def test_diagnose_option_values():
    assert JvmConfig.create(diagnose=True).diagnose is True
    with pytest.raises(ConfigError, match="diagnose"):
        JvmConfig.create(diagnose="yes")  # a keyword takes a bool
    assert JvmConfig.create(diagnose="yes", sources={"diagnose": "DIRECTMEM_DIAGNOSE"}).diagnose is True
    with pytest.raises(ConfigError, match="@pytest.mark.directmem"):
        JvmConfig.create(diagnose="yes", sources={"diagnose": "@pytest.mark.directmem"})


def test_non_pie_reads_the_elf_type(tmp_path):
    from pytest_directmem.diagnose.profiler import library_for, non_pie

    def elf(e_type: int) -> Path:
        p = tmp_path / f"exe{e_type}"
        p.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(9) + e_type.to_bytes(2, "little") + bytes(46))
        return p

    assert non_pie(elf(2)) and not non_pie(elf(3))  # ET_EXEC / ET_DYN (PIE)
    assert not non_pie(tmp_path / "missing") and not non_pie(Path(__file__))
    assert library_for(True, str(elf(2))) is None and library_for(False) is None


def test_a_withheld_profiler_is_a_note(tmp_path):
    from pytest_directmem.diagnose.profiler import NON_PIE
    from pytest_directmem.diagnose.run import write_sites_skipped

    (tmp_path / DIAGNOSIS_DIR).mkdir()
    write_sites_skipped(tmp_path, NON_PIE)
    diagnosis, notes = read_diagnosis(tmp_path)
    assert diagnosis.sites == () and notes == (f"diagnosis: no allocation sites: {NON_PIE}",)
