"""What a series card shows, read in one trip to the database: the series, this server's ratings of
it, and (when asked) the dataset credits for its footer."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.models import Ratings, Series
from bot.store.backend import Backend
from bot.store.catalog import read_meta, read_series
from bot.store.impressions import read_ratings


@dataclass(frozen=True, slots=True)
class CardData:
    series: Series | None  # None: no such series
    ratings: Ratings
    credits: dict[str, str] | None  # None unless asked for


class CardStore:
    def __init__(self, db: Backend) -> None:
        self._db = db

    async def read(self, guild_id: int, series_id: int, reviewers: int, *, credits: bool) -> CardData:
        def job(conn: sqlite3.Connection) -> CardData:
            series = read_series(conn, series_id)  # merges followed: the ratings are the survivor's
            ratings = read_ratings(conn, guild_id, series_id if series is None else series.id, reviewers)
            return CardData(series, ratings, read_meta(conn, "credit:") if credits else None)

        return await self._db.read(job, quick=True, key=("card", guild_id, series_id, reviewers, credits))
