"""Charts of a series in a server, and of a member's own scores: the numbers from the store, the picture
from the chart worker, kept by what they show so an unchanged chart is served without drawing it."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.errors import NotFound
from bot.render.chart_drawing import draw_member_chart, draw_series_chart
from bot.render.chart_worker import ChartWorker
from bot.store.charts import ChartStore, MemberChartData, SeriesChartData

KEPT_CHARTS = 64  # about 70 KB each
T = TypeVar("T", SeriesChartData, MemberChartData)


@dataclass(frozen=True, slots=True)
class Chart(Generic[T]):
    data: T
    png: bytes
    cached: bool


class ChartService:
    def __init__(self, charts: ChartStore, worker: ChartWorker) -> None:
        self._charts = charts
        self._worker = worker
        # Pictures by a digest of the numbers drawn: the same numbers are never drawn twice (a member's
        # chart, whose numbers span many series, is found only this way).
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        # Series charts by (server, series) with the version they were drawn at (migration 0009's, moved
        # by a trigger on every impression write): while it holds, not even the numbers are read again.
        self._kept_series: dict[tuple[int, int], tuple[str, Chart[SeriesChartData]]] = {}
        self.drawn = 0  # charts drawn by the worker (the rest came from the cache)

    async def series(self, guild_id: int, series_id: int) -> Chart[SeriesChartData]:
        """A series' charts in a server. The version is one indexed read: a kept chart is served on it
        without reading the numbers (a series with 10,000 impressions takes milliseconds to read)."""
        found = await self._charts.version(guild_id, series_id)
        if found is None:
            raise NotFound("There is no such series (it may have been removed).")
        resolved, version = found
        kept = self._kept_series.get((guild_id, resolved))
        if kept is not None and kept[0] == version:
            return Chart(kept[1].data, kept[1].png, cached=True)
        data = await self._charts.series(guild_id, resolved)
        if data is None:
            raise NotFound("There is no such series (it may have been removed).")
        if not data.reviewers:  # nothing to draw: the answer says so in words
            return Chart(data, b"", cached=False)
        chart = await self._picture(f"s:{guild_id}", data, draw_series_chart)
        self._kept_series[(guild_id, resolved)] = (version, chart)
        while len(self._kept_series) > KEPT_CHARTS:
            self._kept_series.pop(next(iter(self._kept_series)))
        return chart

    async def member(self, guild_id: int, user_id: int) -> Chart[MemberChartData]:
        data = await self._charts.member(guild_id, user_id)
        if not data.series:  # nothing to draw: the answer says so in words
            return Chart(data, b"", cached=False)
        return await self._picture(f"m:{guild_id}:{user_id}", data, draw_member_chart)

    async def _picture(self, scope: str, data: T, draw: Callable[[T], bytes]) -> Chart[T]:
        key = hashlib.sha256(f"{scope}:{data!r}".encode()).hexdigest()
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            return Chart(data, kept, cached=True)
        png = await self._worker.draw(draw, data)
        self.drawn += 1
        self._kept[key] = png
        while len(self._kept) > KEPT_CHARTS:
            self._kept.popitem(last=False)
        return Chart(data, png, cached=False)

    def worker_pids(self) -> list[int]:
        return self._worker.pids()

    def close(self) -> None:
        self._worker.discard()
