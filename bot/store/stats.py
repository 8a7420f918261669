from __future__ import annotations

from dataclasses import dataclass

from bot.store.backend import Backend


@dataclass(frozen=True, slots=True)
class StoreCounts:
    series: int
    impressions: int


class StatsStore:
    def __init__(self, db: Backend) -> None:
        self._db = db

    async def counts(self, guild_id: int | None) -> StoreCounts:
        """Catalog size (merged-away entries excluded) and published impressions, in one guild or all."""
        series = await self._db.fetch_value("SELECT count(*) FROM series WHERE merged_into IS NULL")
        if guild_id is None:
            impressions = await self._db.fetch_value("SELECT count(*) FROM impressions WHERE status = 'published'")
        else:
            impressions = await self._db.fetch_value(
                "SELECT count(*) FROM impressions WHERE guild_id = ? AND status = 'published'", (guild_id,)
            )
        return StoreCounts(series=int(series), impressions=int(impressions))
