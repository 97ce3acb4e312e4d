"""HTML pages and run records from real runs, read as text (the browser test looks at the pixels)."""

import json
import re
from html.parser import HTMLParser

import pytest

import pytest_directmem as dm
from pytest_directmem.report.html import write_comparison_report, write_run_report
from pytest_directmem.report.model import MAX_POINTS, _thin, anchor_for, run_record
from pytest_directmem.report.timeline import timeline_svg

W = dm.workloads

MiB = 1 << 20


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.tags = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids.update(v for k, v in attrs if k == "id")


def parse(text):
    p = _Ids()
    p.feed(text)
    return p


def test_record_is_json_and_carries_the_timeline(seed_runs):
    _, oom = seed_runs[1]
    rec = run_record(oom, name="disabled")
    assert json.loads(json.dumps(rec)) == rec  # travels through pytest-xdist and --json
    assert rec["outcome"] == "direct-oom" and rec["oom"]["kind"] == "direct"
    assert rec["direct"]["limit"] == 16 * MiB and rec["direct"]["samples"]
    # the OOM time comes from the journal's Java-side uptime, inside the sampled window
    first, last = rec["direct"]["samples"][0][0] / 1000, rec["direct"]["samples"][-1][0] / 1000
    assert first <= rec["oom"]["uptime_s"] <= last + 0.1 and not rec["oom"]["uptime_approx"]
    assert rec["heap_dumps"] == [] and rec["heap_dump_on_oom"] is True
    assert rec["cli_command"] == ("directmem run churn --count 50 --size 1m --heap 64m --max-direct 16m "
                                  "--disable-explicit-gc")
    assert "samples" not in run_record(oom, timeline=False)["direct"]


def test_cli_command_keeps_user_flags_and_properties():
    from pytest_directmem.config import JvmConfig

    c = JvmConfig.create(heap="64m", properties={"io.netty.maxDirectMemory": "0"}, flags=["-Xss512k"],
                         heap_dump_on_oom=False, gc="Parallel", timeout=30)
    assert c.cli_args() == ["--heap", "64m", "--gc", "Parallel", "--no-heap-dump", "--property",
                            "io.netty.maxDirectMemory=0", "--flag=-Xss512k", "--timeout", "30"]
    assert JvmConfig.create().cli_args() == []


@pytest.mark.parametrize("workload,args", [
    (W.churn(200, "1m"), ["churn", "--count", "200", "--size", "1m"]),
    (W.churn(200, 1000, keep_every=3), ["churn", "--count", "200", "--size", "1000", "--keep-every", "3"]),
    (W.hold("1m"), ["hold", "--size", "1m"]),
    (W.heap_hog(), ["heap-hog"]),
    (W.heap_hog("2m"), ["heap-hog", "--chunk", "2m"]),
    (W.socket_write(2, "8k", 10, hold="15m"), ["socket-write", "--threads", "2", "--payload", "8k", "--writes", "10",
                                               "--hold", "15m"]),
    (W.storm(4, "1m", 0.5), ["storm", "--threads", "4", "--size", "1m", "--duration", "500ms"]),
    (W.main("com.example.Main", "a", 1), ["main", "com.example.Main", "a", "1"]),
    (W.static("java.lang.Math#abs", -5), ["static", "java.lang.Math#abs", "--", "-5"]),
    (W.static("x.Y#z", True, None, "s"), ["static", "x.Y#z", "true", "null", "s"]),
])
def test_every_workload_kind_has_its_command_line(workload, args):
    """The `directmem run` line of a run gives the same workload back when the CLI parses it."""
    from click.testing import CliRunner

    from pytest_directmem.cli import main
    from pytest_directmem.cli.options import build_workload, launch_kwargs

    assert workload.cli_args() == args
    captured = {}

    def fake(name, rest, params):  # parse with the real command's options, build without running
        captured["w"] = build_workload(name, rest, params)
        captured["launch"] = launch_kwargs(params)
        raise SystemExit(0)

    import pytest_directmem.cli.commands as cli

    orig = cli.build_workload
    cli.build_workload = fake
    try:
        CliRunner().invoke(main, ["run", *args])
        assert captured["w"] == workload
        # the launch options of the `again:` line stay options, also when a value needs "--" before it
        CliRunner().invoke(main, ["run", *workload.cli_args(["--heap", "64m", "--host", "java"])])
    finally:
        cli.build_workload = orig
    assert captured["w"] == workload
    assert captured["launch"]["heap"] == "64m" and captured["launch"]["host"] == "java"


def test_thinning_keeps_the_peak():
    samples = [[i, (i * 7919) % 1000, 0, None] for i in range(20_000)] + [[20_000, 5000, 0, None]]
    samples[12_345][1] = 99_999
    thin = _thin(samples)
    assert len(thin) <= MAX_POINTS + 2
    assert max(s[1] for s in thin) == 99_999 and thin[-1] == samples[-1]
    assert [s[0] for s in thin] == sorted(s[0] for s in thin)


def test_svg_marks_what_happened(seed_runs):
    recs = [run_record(r, name=n, anchor=f"a{i}") for i, (n, r) in enumerate(seed_runs)]
    svg = timeline_svg(recs)
    ids = parse(svg).ids
    for i in range(3):
        assert {f"dm-direct-used-a{i}", f"dm-direct-limit-a{i}", f"dm-heap-dump-a{i}"} <= ids
    assert "dm-gc-explicit-a0" in ids and "dm-gc-explicit-marker-a0" in ids  # System.gc() drawn apart
    assert not any(x.startswith("dm-gc-explicit") and x.endswith("a1") for x in ids)  # DisableExplicitGC: none
    assert {"dm-oom-marker-a1", "dm-oom-message-a1", "dm-oom-marker-a2"} <= ids
    assert "dm-oom-marker-a0" not in ids
    assert "GC: System.gc()" in svg and ("Cannot reserve" in svg or "Direct buffer memory" in svg)
    assert "heap dump: 1 written" in svg and "heap dump: none (HeapDumpOnOutOfMemoryError was on)" in svg


def test_pages_are_self_contained(seed_runs, tmp_path):
    run_page = write_run_report(seed_runs[1][1], tmp_path / "run.html").read_text()
    cmp_page = write_comparison_report(seed_runs, tmp_path / "compare.html").read_text()
    for text in (run_page, cmp_page):
        assert "<script" not in text
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), "nothing may be fetched"
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text)
        assert "directmem run churn --count 50 --size 1m" in text  # the reproducing command
    assert cmp_page.count("<svg") == 1  # one figure, one panel per run on shared axes
    p = parse(cmp_page)
    assert {"comparison-timeline", anchor_for(1, "churn, explicit GC on")} <= p.ids
    assert "java_pid" in cmp_page  # the heap dump of the control is named
    assert f'href="#{anchor_for(2, "churn, -XX:+DisableExplicitGC")}"' in cmp_page  # the table links to each run


def test_container_limit_and_oom_kill_are_drawn(seed_runs):
    rec = run_record(seed_runs[0][1], anchor="c")
    rec["container"] = {"oom_killed": True, "memory_limit": 48 * MiB, "image": "img", "id": "x", "exit_code": 137}
    svg = timeline_svg([rec])
    assert "dm-container-limit-c" in parse(svg).ids
    assert "container memory 48 MiB" in svg and "OOM-killed by the kernel" in svg
    rec["container"]["memory_limit"] = 4 << 30  # far off the direct scale: said, not drawn
    svg = timeline_svg([rec])
    assert "dm-container-limit-c" not in parse(svg).ids and "limit off this scale" in svg


@pytest.mark.parametrize("outcome", list(dm.Outcome))
def test_every_outcome_has_a_badge(outcome):
    from pytest_directmem.report.html import OUTCOME_COLORS

    assert outcome.value in OUTCOME_COLORS
