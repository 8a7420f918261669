"""Full garbage collections of a process, timed through gc.callbacks and appended to a file:
"<monotonic seconds> <pause ms> <objects collected>" per line (the monotonic clock is shared by every process here)."""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any


def watch_full_collections(log: Path) -> None:
    begun: list[float] = []

    def timed(phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            begun.append(time.perf_counter())
        elif begun:
            pause_ms = (time.perf_counter() - begun.pop()) * 1000
            with log.open("a") as out:
                out.write(f"{time.monotonic():.4f} {pause_ms:.3f} {info['collected']}\n")

    gc.callbacks.append(timed)
