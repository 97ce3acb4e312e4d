"""Cross-check of dm.analyze_dump against an independent analyser: Shark 2.14 (square/leakcanary, from
Maven Central through dm.maven), run by tests/data/dumps/shark/SharkBuffers.java on the recorded dumps.

Shark walks from its GC roots through Class objects (e.g. sticky class LauncherHelper -> appClass ->
Culprit -> CACHE), where analyze_dump, like Eclipse MAT, takes every static field as a root; so a
Shark path's root is compared as its last static-field step when it has one, otherwise as its GC root
type (Shark shows a java-frame local as a LOCAL reference of the thread object). Compared per dump: which buffers exist with which capacity, cleaner, att and fd; which are
unreachable (garbage); and per path root the count and bytes of the buffers that count against the
limit (the holders' roots)."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

import pytest_directmem as dm
from pytest_directmem.jdk import resolve_jdk

DATA = Path(__file__).resolve().parents[1] / "data" / "dumps"
DUMPS = sorted(p.name for p in DATA.glob("*.hprof.gz"))
SHARK = "com.squareup.leakcanary:shark:2.14"
_SHARK_ROOT = {"THREAD_OBJECT": "thread", "JAVA_FRAME": "local", "JNI_GLOBAL": "JNI global",
               "JNI_LOCAL": "JNI local", "NATIVE_STACK": "native stack", "THREAD_BLOCK": "thread block",
               "MONITOR_USED": "monitor used", "STICKY_CLASS": "sticky class", "UNKNOWN": "unknown"}

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("javac") is None, reason="needs javac")]


@pytest.fixture(scope="module")
def shark(tmp_path_factory):
    try:
        cp = ":".join(str(p) for p in dm.maven(SHARK).resolve_classpath())
    except dm.ConfigError as e:  # neither cached nor reachable (Maven Central)
        pytest.skip(f"Shark not available: {e}")
    classes = tmp_path_factory.mktemp("shark")
    subprocess.run(["javac", "--release", "11", "-d", str(classes), "-cp", cp,
                    str(DATA / "shark" / "SharkBuffers.java")], check=True)
    java = str(resolve_jdk("system").home / "bin" / "java")
    return [java, "-Xmx512m", "-cp", f"{classes}:{cp}", "SharkBuffers"]


def _ours_root(label: str) -> str:
    if label.startswith("static "):
        return label
    if label.startswith("thread '"):
        return "thread"
    if label.startswith("local in "):
        return "local"
    return label.split(" (thread")[0]


def _shark_buffers(cmd: list[str], dump: Path) -> dict[int, dict]:
    out = subprocess.run([*cmd, str(dump)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    found: dict[int, dict] = {}
    for line in out.stdout.splitlines():
        parts = line.split("\t")
        facts = dict(kv.split("=") for kv in parts[1].split())
        rec = {"capacity": int(facts["capacity"]), "cleaner": facts["cleaner"] == "1", "att": facts["att"] == "1",
               "fd": facts["fd"] == "1", "root": None}
        if parts[0] == "REACHABLE":
            statics = [s.split(" ")[2] for s in parts[3:] if s.split(" ")[1] == "STATIC_FIELD"]
            local = len(parts) > 3 and parts[3].split(" ")[1] == "LOCAL"  # Shark: a frame's local hangs off its thread
            rec["root"] = f"static {statics[-1]}" if statics else "local" if local else _SHARK_ROOT.get(parts[2], parts[2])
        found[int(facts["id"])] = rec
    return found


@pytest.mark.parametrize("name", DUMPS)
def test_holders_agree_with_shark(shark, tmp_path, name):
    raw = tmp_path / name.removesuffix(".gz")
    raw.write_bytes(gzip.decompress((DATA / name).read_bytes()))
    theirs = _shark_buffers(shark, raw)
    ours = dm.analyze_dump(raw)
    mine = {b.id: b for b in ours.buffers}
    # Shark drops a leaking object whose shortest path runs through another one (its path
    # deduplication): a buffer held only through a view's att (e.g. the jimage reader's map)
    assert set(theirs) <= set(mine)
    for i in set(mine) - set(theirs):
        assert mine[i].path and mine[i].path[-1] == "java.nio.DirectByteBuffer.att", mine[i]
    for i, b in mine.items():
        if i not in theirs:
            continue
        t = theirs[i]
        assert (b.capacity, t["root"] is not None) == (t["capacity"], b.path is not None), (b, t)
        expected = ("view" if t["att"] else "mapped" if t["fd"] else "direct" if t["cleaner"] else
                    "victim" if b.address == 0 else "native")
        assert b.kind == expected, (b, t)
    counting = [b for b in ours.buffers if b.kind == "direct"]
    assert {b.id for b in counting if b.path is None} == {i for i, t in theirs.items()
                                                           if t["root"] is None and mine[i].kind == "direct"}
    per_root_ours: Counter = Counter()
    per_root_theirs: Counter = Counter()
    counting = [b for b in counting if b.id in theirs]  # the others are held through a view (checked above)
    for b in counting:
        if b.path is not None:
            per_root_ours[_ours_root(b.path[0])] += 1
            per_root_theirs[theirs[b.id]["root"]] += 1
    assert per_root_ours == per_root_theirs
    # the holders themselves, root + count + bytes, equal the same grouping of Shark's answer
    holders = Counter()
    for h in ours.holders:
        if h.path[-1] != "java.nio.DirectByteBuffer.att":
            holders[_ours_root(h.path[0])] += h.bytes
    shark_bytes = Counter()
    for b in counting:
        if b.path is not None:
            shark_bytes[theirs[b.id]["root"]] += theirs[b.id]["capacity"]
    assert holders == shark_bytes
    assert sum(h.count for h in ours.holders if h.path[-1] != "java.nio.DirectByteBuffer.att") == \
        sum(per_root_theirs.values())
