"""How long dm.analyze_dump takes on a ~64 MiB heap dump, and how much memory the analysis itself uses.

A real JVM (-Xmx96m, SerialGC, DisableExplicitGC) fills its heap with a mix of objects: linked chains
1000 deep (the worst case of a level-by-level search), HashMap entries with String keys, Object[]
arrays, byte[] blobs, plus direct buffers held in a static list, slices of them, and dropped ones; it
dumps itself with HotSpotDiagnosticMXBean.dumpHeap(f, live=false). Each analysis then runs in a fresh
Python process (so its peak RSS is its own): wall time of analyze_dump, tracemalloc's peak of Python and
numpy allocations, and ru_maxrss (which includes the mapped dump pages it touched).

    .venv/bin/python bench/dump_analysis.py [--jdk 17] [--runs 5] [--mib 64] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pytest_directmem.jdk import resolve_jdk  # noqa: E402

FILL = textwrap.dedent("""
    import com.sun.management.HotSpotDiagnosticMXBean;
    import java.lang.management.ManagementFactory;
    import java.nio.ByteBuffer;
    import java.util.*;

    public class Fill {
        static final List<Object> ROOTS = new ArrayList<>();
        static final List<ByteBuffer> BUFFERS = new ArrayList<>();
        static final class Node { Node next; long value; int tag; Object payload; }

        public static void main(String[] args) throws Exception {
            long target = Long.parseLong(args[1]) << 20;
            Runtime rt = Runtime.getRuntime();
            for (int i = 0; i < 200; i++) BUFFERS.add(ByteBuffer.allocateDirect(64 << 10));
            for (int i = 0; i < 50; i++) BUFFERS.add(BUFFERS.get(i).duplicate());
            for (int i = 0; i < 100; i++) ByteBuffer.allocateDirect(32 << 10);  // garbage
            Random r = new Random(42);
            int round = 0;
            while (rt.totalMemory() - rt.freeMemory() < target) {
                Node head = null;
                for (int i = 0; i < 1000; i++) { Node n = new Node(); n.next = head; n.value = i; head = n; }
                ROOTS.add(head);
                Map<String, Object[]> map = new HashMap<>();
                for (int i = 0; i < 400; i++) map.put("key-" + round + "-" + i, new Object[] {head, "v" + i, null});
                ROOTS.add(map);
                ROOTS.add(new byte[256 + r.nextInt(2048)]);
                round++;
            }
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(args[0], false);
            System.out.println("rounds " + round);
        }
    }
""")

CHILD = textwrap.dedent("""
    import json, resource, sys, time, tracemalloc
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    import pytest_directmem.diagnose as d
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    a = d.analyze_dump(sys.argv[1])
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"seconds": dt, "cpu_seconds": cpu, "tracemalloc_peak": peak, "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "maxrss_before_kib": before, "objects": a.objects, "buffers": len(a.buffers),
                      "holders": len(a.holders), "top": a.holders[0].path if a.holders else None,
                      "garbage": a.garbage_bytes, "total": a.total_bytes}))
""")

NO_TRACE = CHILD.replace("tracemalloc.start()", "").replace("tracemalloc.get_traced_memory()[1]", "0")


def make_dump(jdk: str, mib: int, work: Path) -> Path:
    (work / "Fill.java").write_text(FILL)
    subprocess.run(["javac", "--release", "11", "-d", str(work), str(work / "Fill.java")], check=True)
    dump = work / "fill.hprof"
    java = resolve_jdk(jdk).home / "bin" / "java"
    subprocess.run([str(java), "-Xmx96m", "-XX:+UseSerialGC", "-XX:+DisableExplicitGC", "-XX:MaxDirectMemorySize=64m",
                    "-cp", str(work), "Fill", str(dump), str(mib)], check=True)
    return dump


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jdk", default="17")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mib", type=int, default=40, help="heap to fill before dumping (40: a ~64 MiB dump)")
    ap.add_argument("--keep", default=None, help="a directory to keep the dump in")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="dm-bench-dump-"))
    work.mkdir(parents=True, exist_ok=True)
    dump = make_dump(args.jdk, args.mib, work)
    print(f"dump: {dump} {dump.stat().st_size / (1 << 20):.1f} MiB (JDK {args.jdk})")
    timed, traced = [], []
    for i in range(args.runs):
        for code, into in ((NO_TRACE, timed), (CHILD, traced)):
            out = subprocess.run([sys.executable, "-c", code, str(dump)], capture_output=True, text=True, check=True)
            into.append(json.loads(out.stdout))
    first = timed[0]
    print(f"objects {first['objects']}, direct buffers {first['buffers']}, holders {first['holders']}, "
          f"top {first['top']}, garbage {first['garbage']} bytes, total {first['total']} bytes")
    secs = [r["seconds"] for r in timed]
    cpu = [r["cpu_seconds"] for r in timed]
    print(f"analysis time over {len(secs)} runs: wall median {statistics.median(secs):.2f} s "
          f"(min {min(secs):.2f}, max {max(secs):.2f}); CPU median {statistics.median(cpu):.2f} s "
          f"(min {min(cpu):.2f}); load average before: {os.getloadavg()[0]:.1f}")
    print(f"analysis memory: tracemalloc peak (Python + numpy) median "
          f"{statistics.median(r['tracemalloc_peak'] for r in traced) / (1 << 20):.0f} MiB; "
          f"process peak RSS median {statistics.median(r['maxrss_kib'] for r in timed) / 1024:.0f} MiB "
          f"(interpreter + imports before: {statistics.median(r['maxrss_before_kib'] for r in timed) / 1024:.0f} MiB; "
          f"includes the mapped dump pages)")
    print("note: wall-clock figures; the machine may be shared (2 cores).")


if __name__ == "__main__":
    main()
