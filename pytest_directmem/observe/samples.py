"""The direct-pool samples a Java thread writes: uptime_ms,count,used,capacity,heap_used."""

from __future__ import annotations

from pathlib import Path

from ..result import Sample


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
            nums = [int(p) for p in parts[:5]]
        except ValueError:
            continue  # header repeated or torn line
        out.append(Sample(nums[0], nums[1], nums[2], nums[3], nums[4] if len(nums) > 4 else None))
    return tuple(out)
