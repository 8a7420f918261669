"""What every benchmark suite reads its figures with: percentiles, a process's memory, a verdict."""

from __future__ import annotations

from pathlib import Path


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def rss_mb(pid: int | str) -> float:
    """A process's resident memory ("self" for this one), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def verdict(ok: bool) -> str:
    return "pass" if ok else "MISS"
