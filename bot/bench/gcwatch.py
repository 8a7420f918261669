"""Full garbage collections of a process, timed through gc.callbacks and appended to a file:
"<monotonic seconds> <pause ms> <objects collected> <CPU ms>" per line (the monotonic clock is shared by every
process here). The CPU time beside the pause tells a collection's own work from a machine that ran something
else meanwhile."""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any


def watch_full_collections(log: Path) -> None:
    begun: list[tuple[float, float]] = []

    def timed(phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            begun.append((time.perf_counter(), time.thread_time()))
        elif begun:
            wall, cpu = begun.pop()
            pause_ms, cpu_ms = (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000
            with log.open("a") as out:
                out.write(f"{time.monotonic():.4f} {pause_ms:.3f} {info['collected']} {cpu_ms:.3f}\n")

    gc.callbacks.append(timed)
