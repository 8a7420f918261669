"""One process that draws charts, started with the first chart: matplotlib's CPU time does not hold the
bot's GIL (the gateway keeps answering while a chart is drawn), and its memory (about 60 MB of libraries
and figures) stays out of the bot process. A worker that dies or hangs is replaced, and the chart asked
for then fails with a sentence; the next one works."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from bot.errors import UserFacingError
from bot.render.chart_drawing import collect_garbage, warm_up

log = logging.getLogger(__name__)
T = TypeVar("T")


class ChartUnavailable(UserFacingError):
    """The chart could not be drawn this time (the worker died, hung or failed)."""


class ChartWorker:
    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")  # nothing of the bot's state is inherited
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=warm_up)
        return self._pool

    def pids(self) -> list[int]:
        """The worker's process id, once it runs (benchmarks read its memory)."""
        processes = getattr(self._pool, "_processes", None) or {}
        return [pid for pid in processes if pid]

    async def draw(self, draw: Callable[[T], bytes], data: T) -> bytes:
        loop = asyncio.get_running_loop()
        try:
            png = await asyncio.wait_for(loop.run_in_executor(self._executor(), draw, data), self._timeout_s)
            self._executor().submit(collect_garbage)  # after the answer, before the next chart
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
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
