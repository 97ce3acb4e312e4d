"""Paired A/B timing shared by the benchmarks: alternate the order each pair, report medians and ratios."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Callable

Measure = Callable[[Path, int], "tuple[float, int, str]"]  # (root, index) -> (seconds, peak bytes, outcome)


def measure_pairs(run_a: Measure, run_b: Measure, pairs: int) -> dict[str, list]:
    """One warm-up of each, then `pairs` pairs in alternating order (AB, BA, ...) so drift hits both."""
    out: dict[str, list] = {"a_t": [], "b_t": [], "a_mem": [], "b_mem": [], "ratios": [], "outcomes": []}
    with tempfile.TemporaryDirectory(prefix="directmem-bench-") as tmp:
        root = Path(tmp)
        run_a(root, -1)
        run_b(root, -1)
        for i in range(pairs):
            order = (run_a, run_b) if i % 2 == 0 else (run_b, run_a)
            res = {f: f(root, i) for f in order}
            (ta, ma, oa), (tb, mb, ob) = res[run_a], res[run_b]
            out["outcomes"].append((oa, ob))
            out["a_t"].append(ta), out["b_t"].append(tb), out["a_mem"].append(ma), out["b_mem"].append(mb)
            out["ratios"].append(ta / tb)
    return out


def report(r: dict[str, list], *, a: str, b: str, memory: str, goal: float) -> None:
    med = statistics.median
    width = max(len(a), len(b)) + 3  # "A  " / "B  "

    def row(label: str, values: list[float], unit: str = "s") -> str:
        return f"{label:<{width}} : median {med(values):.3f}{unit}  (min {min(values):.3f}, max {max(values):.3f})"

    print(f"outcomes (A, B): {sorted(set(r['outcomes']))}")
    print(row(f"A  {a}", r["a_t"]) + f"  {memory} median {med(r['a_mem']) / 2**20:.1f} MiB")
    print(row(f"B  {b}", r["b_t"]) + f"  {memory} median {med(r['b_mem']) / 2**20:.1f} MiB")
    print(row("ratio A/B, paired", r["ratios"], unit="") + f"  goal <= {goal}")
    if med(r["b_mem"]):
        print(f"{memory + ' ratio A/B':<{width}} : {med(r['a_mem']) / med(r['b_mem']):.2f}")
