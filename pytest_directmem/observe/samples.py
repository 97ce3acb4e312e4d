"""The buffer-pool samples a Java thread writes (samples.csv):
uptime_ms,count,used,capacity,heap_used[,mapped_count,mapped_used] — "direct" pool count/used/capacity
in buffers and bytes, heap used in bytes, and the "mapped" pool (FileChannel.map) count and bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..result import MappedSummary, Sample


def read_samples(path: Path) -> tuple[Sample, ...]:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ()
    out = []
    for line in lines[1:]:
        parts = line.split(",")
        if len(parts) < 4:
            continue
        try:
            nums = [int(p) for p in parts[:7]]
        except ValueError:
            continue  # header repeated or torn line
        extra = nums[4:] + [None] * (3 - len(nums[4:]))
        out.append(Sample(nums[0], nums[1], nums[2], nums[3], extra[0], extra[1], extra[2]))
    return tuple(out)


def mapped_summary(samples: tuple[Sample, ...], events: list[dict[str, Any]]) -> MappedSummary:
    """Peaks of the "mapped" pool from the samples and the runner's "direct_peak" events (which carry
    ``mapped_used`` / ``mapped_count``, kept by the sampler between samples). None when never sampled."""
    used = [s.mapped_used for s in samples if s.mapped_used is not None and s.mapped_used >= 0]
    count = [s.mapped_count for s in samples if s.mapped_count is not None and s.mapped_count >= 0]
    for e in events:
        if e.get("event") in ("direct_peak", "mapped_peak"):
            if isinstance(e.get("mapped_used"), int) and e["mapped_used"] >= 0:
                used.append(e["mapped_used"])
            if isinstance(e.get("mapped_count"), int) and e["mapped_count"] >= 0:
                count.append(e["mapped_count"])
    return MappedSummary(peak_used=max(used) if used else None, peak_count=max(count) if count else None)
