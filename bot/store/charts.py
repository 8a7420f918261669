"""The numbers the charts draw, read in one trip per chart: each reviewer's latest published impression of
a series in a server (the ratings aggregates of migration 0006), and for the season view each reviewer's
latest published impression at each point of the season."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.models import CATEGORY_FIELDS
from bot.store.backend import Backend
from bot.store.catalog import read_series
from bot.store.impressions import read_ratings


@dataclass(frozen=True, slots=True)
class CategoryAverage:
    field: str
    rated: int  # reviewers who scored it (Unevaluated ones are not counted)
    average: float | None


@dataclass(frozen=True, slots=True)
class SeasonPoint:
    scope: str  # episodes | completed | dropped
    episodes: int | None  # episodes watched (for "episodes" and "dropped")
    impressions: int
    rated: int
    average_overall: float | None


@dataclass(frozen=True, slots=True)
class SeriesChartData:
    """Everything a series chart shows, and so what its cache key is made of."""

    series_id: int
    title: str
    episodes: int | None
    reviewers: int
    categories: tuple[CategoryAverage, ...]
    overall: tuple[int, ...]  # how many reviewers gave 1, 2, … 10
    season: tuple[SeasonPoint, ...]


@dataclass(frozen=True, slots=True)
class MemberChartData:
    """A member's category averages over their latest impression of each series, beside this server's
    averages of the same series."""

    series: int
    mine: tuple[CategoryAverage, ...]
    server: tuple[CategoryAverage, ...]


def _averages(row: sqlite3.Row | tuple[int, ...]) -> tuple[CategoryAverage, ...]:
    """From a row of (rated, total) pairs in category order."""
    found = []
    for n, field in enumerate(CATEGORY_FIELDS):
        rated, total = int(row[2 * n] or 0), int(row[2 * n + 1] or 0)
        found.append(CategoryAverage(field, rated, round(total / rated, 2) if rated else None))
    return tuple(found)


_COUNTS = ", ".join(f"count(score_{field}), sum(score_{field})" for field in CATEGORY_FIELDS)


def _season(conn: sqlite3.Connection, guild_id: int, series_id: int) -> tuple[SeasonPoint, ...]:
    rows = conn.execute(
        "SELECT scope, episodes_watched, count(*), count(score_overall), avg(score_overall) FROM ("
        " SELECT scope, episodes_watched, score_overall, row_number() OVER ("
        "  PARTITION BY author_id, scope, coalesce(episodes_watched, -1) ORDER BY id DESC) AS latest"
        " FROM impressions WHERE guild_id = ? AND series_id = ? AND status = 'published'"
        ") AS ranked WHERE latest = 1 GROUP BY scope, episodes_watched ORDER BY scope, episodes_watched",
        (guild_id, series_id),
    ).fetchall()
    return tuple(
        SeasonPoint(scope, episodes, count, rated, None if average is None else round(average, 2))
        for scope, episodes, count, rated, average in rows
    )


def read_chart_version(conn: sqlite3.Connection, guild_id: int, series_id: int) -> tuple[int, str] | None:
    """The series (merges followed) and a version of everything its chart shows here: its impressions'
    version (moved by every write, see migration 0009) and the catalog's revision (its title)."""
    series = read_series(conn, series_id)  # merges followed, as everywhere
    if series is None:
        return None
    version = conn.execute(
        "SELECT coalesce((SELECT version FROM chart_versions WHERE guild_id = ? AND series_id = ?), 0), "
        "coalesce((SELECT value FROM catalog_meta WHERE key = 'revision'), '0')",  # text on both backends
        (guild_id, series.id),
    ).fetchone()
    return series.id, f"{version[0]}.{version[1]}"


class ChartStore:
    def __init__(self, db: Backend) -> None:
        self._db = db

    async def version(self, guild_id: int, series_id: int) -> tuple[int, str] | None:
        return await self._db.read(lambda conn: read_chart_version(conn, guild_id, series_id))

    async def series(self, guild_id: int, series_id: int) -> SeriesChartData | None:
        """None for an unknown series; merges are followed."""

        def job(conn: sqlite3.Connection) -> SeriesChartData | None:
            series = read_series(conn, series_id)
            if series is None:
                return None
            ratings = read_ratings(conn, guild_id, series.id, 0)  # the card's averages, no reviewer rows
            counts = dict(
                conn.execute(
                    "SELECT score_overall, count(*) FROM series_reviewers WHERE guild_id = ? AND series_id = ? "
                    "AND score_overall IS NOT NULL GROUP BY score_overall",
                    (guild_id, series.id),
                ).fetchall()
            )
            return SeriesChartData(
                series_id=series.id,
                title=series.title,
                episodes=series.episodes,
                reviewers=ratings.reviewers,
                categories=tuple(
                    CategoryAverage(field, average.count, None if average.value is None else round(average.value, 2))
                    for field, average in zip(CATEGORY_FIELDS, ratings.averages, strict=True)
                ),
                overall=tuple(int(counts.get(score, 0)) for score in range(1, 11)),
                season=_season(conn, guild_id, series.id),
            )

        return await self._db.read(job)

    async def member(self, guild_id: int, author_id: int) -> MemberChartData:
        def job(conn: sqlite3.Connection) -> MemberChartData:
            mine = conn.execute(
                f"SELECT {_COUNTS}, count(*) FROM series_reviewers WHERE guild_id = ? AND author_id = ?",
                (guild_id, author_id),
            ).fetchone()
            server = conn.execute(
                f"SELECT {', '.join(f'sum(n_{f}), sum(sum_{f})' for f in CATEGORY_FIELDS)} FROM series_ratings "
                "WHERE guild_id = ? AND series_id IN "
                "(SELECT series_id FROM series_reviewers WHERE guild_id = ? AND author_id = ?)",
                (guild_id, guild_id, author_id),
            ).fetchone()
            return MemberChartData(int(mine[-1]), _averages(mine), _averages(server))

        return await self._db.read(job)
