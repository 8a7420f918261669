"""The garbage collector's oldest generation is collected while the event loop is quiet.

A burst of interactions keeps about 100,000 of discord.py's objects alive at once. CPython starts a full
collection when the objects that survived to the oldest generation since the last one outnumber a
quarter of those that survived it then; after `gc.freeze()` (the lookup index) those are few, so a burst
set one off in its middle, walking every object in flight: 30 ms with the event loop stopped
(`python -m bot.bench e2e`, the no-op discord.py bot alike). Young generations stay automatic (they are
cheap); the oldest is collected by `QuietCollector`: when it is due and the process has been quiet for a
while (the loop kept time, no young collection ran, and the last interaction arrived long enough ago to
have been answered), or, under load that never pauses, once it is long overdue.

Due means CPython's two conditions, the second counted on what is alive: ten collections of the middle
generation since the last full one, and an oldest generation grown by a quarter since then. CPython counts
every object that reached it, the dead included; a burst's objects reach it while in flight and are then
freed by reference counting (its answered interactions are released), so by that count every burst was
followed by a full collection that freed nothing: 8-15 ms of CPU, walking the caches (bench e2e).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass

NEVER = 1 << 30  # a threshold the middle generation's collections never reach


@dataclass(frozen=True, slots=True)
class CollectorPacing:
    check_s: float = 0.1  # how often the loop's timeliness is looked at
    late_s: float = 0.005  # a check this late found work queued on the loop
    quiet_s: float = 0.5  # on time this long: quiet
    # and no work arrived for this long: what arrived was answered (Discord waits 3 s for an answer), so
    # its objects are gone instead of walked. A burst waiting on Discord's replies keeps the loop on time.
    settled_s: float = 3.0
    due_after: int = 10  # collections of the middle generation since the last full one (CPython's own)
    grown_by: float = 0.25  # and the oldest generation this much larger than the last one left it (likewise)
    overdue_after: int = 200  # collected even when never quiet, so cycles that reached it are freed


class QuietCollector:
    """Owns the oldest generation's collections for as long as it runs; CPython's rule is back after."""

    def __init__(
        self, pacing: CollectorPacing = CollectorPacing(), last_arrival: Callable[[], float] | None = None
    ) -> None:
        """`last_arrival` tells when work last arrived (monotonic seconds): the bot's last interaction."""
        self.pacing = pacing
        self._last_arrival = last_arrival or (lambda: float("-inf"))
        self.collections = 0  # full collections it started
        self._left = 0  # objects the last full collection left in the oldest generation (none yet)
        self._not_grown_at = -1  # the middle generation's count when the oldest was last found not grown
        self._task: asyncio.Task[None] | None = None
        self._thresholds = gc.get_threshold()

    def start(self) -> None:
        self._thresholds = gc.get_threshold()
        young, middle = self._thresholds[:2]
        gc.set_threshold(young, middle, NEVER)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="quiet-collector")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        gc.set_threshold(*self._thresholds)

    async def _run(self) -> None:
        pacing = self.pacing
        calm_since = time.monotonic()
        young = gc.get_count()[1:]
        while True:
            asked = time.monotonic()
            await asyncio.sleep(pacing.check_s)
            now = time.monotonic()
            counts = gc.get_count()
            if now - asked > pacing.check_s + pacing.late_s or counts[1:] != young:
                # The loop had other work first (a long callback, work queued), or the process keeps
                # making objects (a young collection ran): interactions in flight, whose objects a full
                # collection would walk. A burst whose answers keep up with its arrivals is only the latter.
                calm_since = now
            young = counts[1:]
            due = counts[2]
            quiet = now - calm_since >= pacing.quiet_s and now - self._last_arrival() >= pacing.settled_s
            if due >= pacing.overdue_after or (due >= pacing.due_after and quiet and self._grown(due)):
                gc.collect(2)
                self.collections += 1
                self._left, self._not_grown_at = len(gc.get_objects(2)), -1

    def _grown(self, due: int) -> bool:
        """Has the oldest generation grown by `grown_by` since the last full collection? Counted (a walk
        of its list, a fraction of a collection) at most once per collection of the middle generation:
        only those move objects into it."""
        if due == self._not_grown_at:
            return False
        if len(gc.get_objects(2)) > self._left * (1 + self.pacing.grown_by):
            return True
        self._not_grown_at = due
        return False
