from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import __version__
from bot.store import Store


@dataclass(frozen=True, slots=True)
class AboutInfo:
    version: str
    uptime: timedelta
    series_count: int
    impressions_in_guild: int | None
    impressions_total: int
    latency_ms: float | None
    credits: tuple[str, ...] = ()


class AboutService:
    def __init__(self, store: Store, started_at: datetime) -> None:
        self._store = store
        self._started_at = started_at

    async def describe(self, *, guild_id: int | None, now: datetime, latency_s: float) -> AboutInfo:
        everywhere = await self._store.stats.counts(None)
        here = await self._store.stats.counts(guild_id) if guild_id is not None else None
        # discord.py reports inf until the first heartbeat is acknowledged.
        latency_ms = latency_s * 1000 if latency_s == latency_s and latency_s != float("inf") else None
        return AboutInfo(
            version=__version__,
            uptime=now - self._started_at,
            series_count=everywhere.series,
            impressions_in_guild=None if here is None else here.impressions,
            impressions_total=everywhere.impressions,
            latency_ms=latency_ms,
            credits=tuple((await self._store.catalog.meta("credit:")).values()),
        )
