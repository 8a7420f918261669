"""The series of an anime season, with one server's numbers, and the series airing around now."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from bot.store.backend import Backend


@dataclass(frozen=True, slots=True)
class SeasonEntry:
    series_id: int
    title: str
    format: str | None
    premiered: str | None
    episodes: int | None
    broadcast: str | None
    broadcast_end: str | None
    next_episode: int | None
    next_episode_at: str | None
    impressions: int  # this server's published impressions of it
    reviewers: int
    rated_overall: int
    sum_overall: int


@dataclass(frozen=True, slots=True)
class SeasonRows:
    series: list[SeasonEntry]
    airing: list[SeasonEntry]  # series that may air around now (without this server's numbers)


_COLUMNS = (
    "s.id, s.title, s.format, s.premiered, s.episodes, s.broadcast, s.broadcast_end, s.next_episode, s.next_episode_at"
)


class SeasonStore:
    def __init__(self, db: Backend) -> None:
        self._db = db

    async def season(
        self, guild_id: int, season: str, year: int, span: tuple[date, date], today: date, recent: date
    ) -> SeasonRows:
        """The series of a season (its own season and year, or, without them, a premiere within `span`), and
        those with a schedule that may reach `today`: a rule not ended by then, or one without an end whose
        series premiered since `recent` or has a known episode count (so a rule left open does not air
        forever). One trip for both."""

        def job(conn: sqlite3.Connection) -> SeasonRows:
            rows = conn.execute(
                f"SELECT {_COLUMNS}, (SELECT count(*) FROM impressions i WHERE i.guild_id = ? "
                "AND i.series_id = s.id AND i.status = 'published'), coalesce(r.reviewers, 0), "
                "coalesce(r.n_overall, 0), coalesce(r.sum_overall, 0) FROM series s "
                "LEFT JOIN series_ratings r ON r.guild_id = ? AND r.series_id = s.id WHERE s.merged_into IS NULL "
                "AND ((s.season = ? AND s.year = ?) OR (s.season IS NULL AND s.premiered >= ? AND s.premiered < ?))",
                (guild_id, guild_id, season, year, span[0].isoformat(), span[1].isoformat()),
            ).fetchall()
            airing = conn.execute(
                f"SELECT {_COLUMNS}, 0, 0, 0, 0 FROM series s WHERE s.merged_into IS NULL AND ("
                "(s.broadcast IS NOT NULL AND (s.broadcast_end >= ? OR (s.broadcast_end IS NULL "
                "AND (s.episodes IS NOT NULL OR s.premiered >= ?)))) OR s.next_episode_at >= ?)",
                (today.isoformat(), recent.isoformat(), today.isoformat()),
            ).fetchall()
            return SeasonRows([SeasonEntry(*row) for row in rows], [SeasonEntry(*row) for row in airing])

        return await self._db.read(job)
