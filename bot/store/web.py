"""What the public web pages read (nothing here writes but a member's privacy choice): published servers
by their slug, a series' published impressions a page at a time, the series a server reviewed."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.models import Impression, Ratings, Series
from bot.store.backend import Backend
from bot.store.catalog import read_series, utc_now
from bot.store.charts import read_chart_version
from bot.store.impressions import impression_of, read_ratings

WEB_PAGE = 20  # impressions a page


@dataclass(frozen=True, slots=True)
class SeriesPageData:
    series: Series
    ratings: Ratings
    impressions: list[Impression]
    total: int  # published impressions of the series in the server
    unnamed: frozenset[int]  # authors who asked not to be named on the web


@dataclass(frozen=True, slots=True)
class ReviewedSeries:
    series_id: int
    title: str
    reviewers: int
    average_overall: float | None
    latest: str  # when its newest published impression was written


def _guild_of_slug(conn: sqlite3.Connection, slug: str) -> int | None:
    row = conn.execute("SELECT guild_id FROM guild_settings WHERE public_slug = ?", (slug,)).fetchone()
    return None if row is None else int(row[0])


def _unnamed(conn: sqlite3.Connection, guild_id: int) -> frozenset[int]:
    rows = conn.execute("SELECT user_id FROM web_privacy WHERE guild_id = ?", (guild_id,)).fetchall()
    return frozenset(int(row[0]) for row in rows)


class WebStore:
    def __init__(self, db: Backend) -> None:
        self._db = db

    async def guild_of_slug(self, slug: str) -> int | None:
        return await self._db.read(lambda conn: _guild_of_slug(conn, slug))

    async def set_named(self, guild_id: int, user_id: int, named: bool) -> None:
        def job(conn: sqlite3.Connection) -> None:
            if named:
                conn.execute("DELETE FROM web_privacy WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
            else:
                conn.execute(
                    "INSERT OR IGNORE INTO web_privacy (guild_id, user_id, set_at) VALUES (?, ?, ?)",
                    (guild_id, user_id, utc_now()),
                )

        await self._db.write(job)

    async def series_page(self, guild_id: int, series_id: int, page: int, reviewers: int) -> SeriesPageData | None:
        """A series (merges followed), its ratings here, and one page of its published impressions here."""

        def job(conn: sqlite3.Connection) -> SeriesPageData | None:
            series = read_series(conn, series_id)
            if series is None:
                return None
            rows = conn.execute(
                "SELECT * FROM impressions WHERE guild_id = ? AND series_id = ? AND status = 'published' "
                "ORDER BY id DESC LIMIT ? OFFSET ?",
                (guild_id, series.id, WEB_PAGE, page * WEB_PAGE),
            ).fetchall()
            [total] = conn.execute(
                "SELECT count(*) FROM impressions WHERE guild_id = ? AND series_id = ? AND status = 'published'",
                (guild_id, series.id),
            ).fetchone()
            unnamed = conn.execute("SELECT user_id FROM web_privacy WHERE guild_id = ?", (guild_id,)).fetchall()
            return SeriesPageData(
                series,
                read_ratings(conn, guild_id, series.id, reviewers),
                [impression_of(row) for row in rows],
                int(total),
                frozenset(int(row[0]) for row in unnamed),
            )

        return await self._db.read(job)

    async def best_rated(self, guild_id: int, min_reviewers: int, limit: int) -> list[ReviewedSeries]:
        """The series with the highest average Overall here among those at least `min_reviewers` rated."""
        rows = await self._db.fetch_all(
            "SELECT s.id, s.title, r.reviewers, 1.0 * r.sum_overall / r.n_overall, '' FROM series_ratings r "
            "JOIN series s ON s.id = r.series_id WHERE r.guild_id = ? AND r.n_overall >= ? "
            "ORDER BY 1.0 * r.sum_overall / r.n_overall DESC, r.n_overall DESC LIMIT ?",
            (guild_id, min_reviewers, limit),
        )
        return [ReviewedSeries(*row) for row in rows]

    async def latest(self, guild_id: int, series_id: int | None, limit: int) -> list[tuple[Impression, str]]:
        """The newest published impressions here (of one series, or of all), each with its series' title,
        and whether its author may be named is left to the service (see `unnamed`)."""
        where = "AND i.series_id = ?" if series_id is not None else ""
        params = (guild_id, series_id, limit) if series_id is not None else (guild_id, limit)
        rows = await self._db.fetch_all(
            f"SELECT i.*, s.title AS series_title FROM impressions i JOIN series s ON s.id = i.series_id "
            f"WHERE i.guild_id = ? AND i.status = 'published' {where} ORDER BY i.id DESC LIMIT ?",
            params,
        )
        return [(impression_of(row), row["series_title"]) for row in rows]

    async def reviewers(self, guild_id: int) -> list[tuple[int, str, int]]:
        """Who wrote published impressions here: (author id, the name on their newest one, how many)."""
        rows = await self._db.fetch_all(
            "SELECT author_id, (SELECT author_name FROM impressions j WHERE j.id = newest), written FROM "
            "(SELECT author_id, max(id) AS newest, count(*) AS written FROM impressions "
            "WHERE guild_id = ? AND status = 'published' GROUP BY author_id) AS mine ORDER BY written DESC, author_id",
            (guild_id,),
        )
        return [(int(row[0]), str(row[1]), int(row[2])) for row in rows]

    async def by_author(self, guild_id: int, author_id: int, limit: int) -> list[tuple[Impression, str]]:
        rows = await self._db.fetch_all(
            "SELECT i.*, s.title AS series_title FROM impressions i JOIN series s ON s.id = i.series_id "
            "WHERE i.guild_id = ? AND i.author_id = ? AND i.status = 'published' ORDER BY i.id DESC LIMIT ?",
            (guild_id, author_id, limit),
        )
        return [(impression_of(row), row["series_title"]) for row in rows]

    async def series_version(self, slug: str, series_id: int) -> tuple[int, str, frozenset[int]] | None:
        """In one trip, for a page's ETag: the version of a series' impressions on a published server
        (`read_chart_version`: the series, merges followed, and that version) and who there asked not to be
        named; None for an unknown slug or series."""

        def job(conn: sqlite3.Connection) -> tuple[int, str, frozenset[int]] | None:
            guild_id = _guild_of_slug(conn, slug)
            found = None if guild_id is None else read_chart_version(conn, guild_id, series_id)
            if guild_id is None or found is None:
                return None
            return *found, _unnamed(conn, guild_id)

        return await self._db.read(job)

    async def unnamed(self, guild_id: int) -> frozenset[int]:
        return await self._db.read(lambda conn: _unnamed(conn, guild_id))

    async def published(self) -> list[tuple[str, int]]:
        rows = await self._db.fetch_all(
            "SELECT public_slug, guild_id FROM guild_settings WHERE public_slug IS NOT NULL"
        )
        return [(row[0], int(row[1])) for row in rows]

    async def reviewed(self, guild_id: int, limit: int) -> list[ReviewedSeries]:
        """The series with published impressions here, the most recently reviewed first."""
        rows = await self._db.fetch_all(
            "SELECT s.id, s.title, r.reviewers, CASE WHEN r.n_overall > 0 THEN 1.0 * r.sum_overall / r.n_overall END, "
            "(SELECT max(created_at) FROM impressions i WHERE i.guild_id = r.guild_id AND i.series_id = r.series_id "
            "AND i.status = 'published') AS latest FROM series_ratings r JOIN series s ON s.id = r.series_id "
            "WHERE r.guild_id = ? AND r.reviewers > 0 ORDER BY latest DESC LIMIT ?",
            (guild_id, limit),
        )
        return [ReviewedSeries(*row) for row in rows]
