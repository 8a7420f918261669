"""One process that draws charts, started with the first chart: matplotlib's CPU time does not hold the
bot's GIL (the gateway keeps answering while a chart is drawn), and its memory (about 60 MB of libraries
and figures) stays out of the bot process. A worker that dies or hangs is replaced, and the chart asked
for then fails with a sentence; the next one works. A chart's timeout starts once its worker is ready:
starting one (a new interpreter importing matplotlib) takes over a second on a slow machine, and that is
not a chart hanging."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from bot.errors import UserFacingError
from bot.render.chart_drawing import collect_garbage, warm_up

log = logging.getLogger(__name__)
T = TypeVar("T")
STARTUP_TIMEOUT_S = 30.0  # a worker not ready by then is not going to be


class ChartUnavailable(UserFacingError):
    """The chart could not be drawn this time (the worker died, hung or failed)."""


class ChartWorker:
    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._pool: ProcessPoolExecutor | None = None
        self._ready: asyncio.Future[int] | None = None  # the worker's first task, run after `warm_up`

    async def _started(self) -> ProcessPoolExecutor:
        """The worker, started if it is not, once it has run `warm_up` (charts asked for meanwhile all
        wait for the same start)."""
        if self._pool is None or self._ready is None:
            context = multiprocessing.get_context("spawn")  # nothing of the bot's state is inherited
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=warm_up)
            self._ready = asyncio.get_running_loop().run_in_executor(self._pool, os.getpid)
            self._ready.add_done_callback(_seen)
        pool = self._pool
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), STARTUP_TIMEOUT_S)
        except TimeoutError:
            log.warning("The chart worker did not start in %.0f s", STARTUP_TIMEOUT_S)
            raise
        return pool

    def pids(self) -> list[int]:
        """The worker's process id, once it runs (benchmarks read its memory)."""
        processes = getattr(self._pool, "_processes", None) or {}
        return [pid for pid in processes if pid]

    async def draw(self, draw: Callable[[T], bytes], data: T) -> bytes:
        loop = asyncio.get_running_loop()
        try:
            pool = await self._started()
            png = await asyncio.wait_for(loop.run_in_executor(pool, draw, data), self._timeout_s)
            pool.submit(collect_garbage)  # after the answer, before the next chart
            return png
        except TimeoutError:
            log.warning("A chart took longer than %.0f s: the chart worker is replaced", self._timeout_s)
        except BrokenProcessPool:
            log.warning("The chart worker stopped: it is replaced")
        except Exception:
            log.exception("A chart could not be drawn")
        self.discard()
        raise ChartUnavailable("The chart could not be drawn this time; try again in a moment.")

    def discard(self) -> None:
        """Stop the worker, however it is (busy, hung, dead); the next chart starts a new one."""
        pool, self._pool, self._ready = self._pool, None, None
        if pool is None:
            return
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)


def _seen(ready: asyncio.Future[int]) -> None:
    """A start that failed is told to whoever waited for it; with nobody waiting (the worker was replaced
    meanwhile), asyncio would log its exception as never retrieved."""
    if not ready.cancelled():
        ready.exception()
