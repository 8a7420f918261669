"""Impressions, their revisions, and what the ratings table needs. Every query is scoped by guild."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal

from bot.models import CATEGORY_FIELDS, Average, Impression, ReviewerRow, Scores
from bot.store.catalog import utc_now
from bot.store.database import Database

SCORE_COLUMNS = tuple(f"score_{field}" for field in CATEGORY_FIELDS)
_SCORES = ", ".join(SCORE_COLUMNS)
_BANNED = "SELECT 1 FROM reviewer_bans WHERE guild_id = ? AND user_id = ? AND (expires_at IS NULL OR expires_at > ?)"
Sort = Literal["newest", "highest", "lowest"]
ORDER_BY: dict[str, str] = {
    "newest": "featured DESC, id DESC",
    # Unevaluated sorts last either way.
    "highest": "featured DESC, score_overall IS NULL, score_overall DESC, id DESC",
    "lowest": "featured DESC, score_overall IS NULL, score_overall ASC, id DESC",
}


@dataclass(frozen=True, slots=True)
class Draft:
    """An impression as a member submits it, already validated by the service."""

    series_id: int
    author_id: int
    author_name: str
    scope: str
    episodes_watched: int | None
    text: str
    spoiler: bool
    scores: Scores


def _approval_required(conn: sqlite3.Connection, guild_id: int) -> bool:
    row = conn.execute("SELECT approval_required FROM guild_settings WHERE guild_id = ?", (guild_id,)).fetchone()
    return bool(row and row[0])


def _read_back(conn: sqlite3.Connection, impression_id: int) -> Impression:
    # Read on the writer, inside the transaction: the reader may not see this write yet.
    return _impression(conn.execute("SELECT * FROM impressions WHERE id = ?", (impression_id,)).fetchone())


def _impression(row: sqlite3.Row) -> Impression:
    return Impression(
        id=row["id"],
        guild_id=row["guild_id"],
        series_id=row["series_id"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        scope=row["scope"],
        episodes_watched=row["episodes_watched"],
        text=row["text"],
        spoiler=bool(row["spoiler"]),
        scores=Scores(*(row[column] for column in SCORE_COLUMNS)),
        status=row["status"],
        featured=bool(row["featured"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class ImpressionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, guild_id: int, draft: Draft, submission_key: str) -> tuple[Impression, bool] | None:
        """Store a new impression; returns it and whether it is new (a repeated submission_key is not).

        None when the author is banned in this guild (checked in the same transaction).
        """
        now = utc_now()

        def job(conn: sqlite3.Connection) -> tuple[Impression, bool] | None:
            if conn.execute(_BANNED, (guild_id, draft.author_id, now)).fetchone() is not None:
                return None
            existing = conn.execute("SELECT id FROM impressions WHERE submission_key = ?", (submission_key,)).fetchone()
            if existing is not None:
                return _read_back(conn, int(existing[0])), False
            status = "pending" if _approval_required(conn, guild_id) else "published"
            cursor = conn.execute(
                f"INSERT INTO impressions (guild_id, series_id, author_id, author_name, scope, episodes_watched, "
                f"text, spoiler, {_SCORES}, status, submission_key, created_at, updated_at) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, {', '.join('?' * len(SCORE_COLUMNS))}, ?, ?, ?, ?)",
                (
                    guild_id,
                    draft.series_id,
                    draft.author_id,
                    draft.author_name,
                    draft.scope,
                    draft.episodes_watched,
                    draft.text,
                    int(draft.spoiler),
                    *draft.scores.values(),
                    status,
                    submission_key,
                    now,
                    now,
                ),
            )
            return _read_back(conn, int(cursor.lastrowid or 0)), True

        return await self._db.write(job)

    async def get(self, guild_id: int, impression_id: int) -> Impression | None:
        row = await self._db.fetch_one(
            "SELECT * FROM impressions WHERE guild_id = ? AND id = ? AND status != 'removed'",
            (guild_id, impression_id),
        )
        return None if row is None else _impression(row)

    async def update(self, guild_id: int, impression_id: int, draft: Draft, edited_by: int) -> Impression:
        """Replace the content, keeping the previous version as a revision (one transaction).

        With approval on, an edited impression waits for a moderator again.
        """

        def job(conn: sqlite3.Connection) -> Impression:
            conn.execute(
                f"INSERT INTO impression_revisions (impression_id, edited_by, scope, episodes_watched, text, spoiler, "
                f"{_SCORES}, status, created_at) SELECT id, ?, scope, episodes_watched, text, spoiler, {_SCORES}, "
                f"status, updated_at FROM impressions WHERE guild_id = ? AND id = ?",
                (edited_by, guild_id, impression_id),
            )
            if _approval_required(conn, guild_id):
                conn.execute("UPDATE impressions SET status = 'pending' WHERE id = ? AND status = 'published'",
                             (impression_id,))  # fmt: skip
            assignments = ", ".join(f"{column} = ?" for column in SCORE_COLUMNS)
            conn.execute(
                f"UPDATE impressions SET scope = ?, episodes_watched = ?, text = ?, spoiler = ?, {assignments}, "
                f"updated_at = ? WHERE guild_id = ? AND id = ?",
                (
                    draft.scope,
                    draft.episodes_watched,
                    draft.text,
                    int(draft.spoiler),
                    *draft.scores.values(),
                    utc_now(),
                    guild_id,
                    impression_id,
                ),
            )
            return _read_back(conn, impression_id)

        return await self._db.write(job)

    async def remove(self, guild_id: int, impression_id: int, actor_id: int, reason: str | None) -> None:
        """Deleting keeps the row (status removed) and records who did it: nothing is lost."""

        def job(conn: sqlite3.Connection) -> None:
            now = utc_now()
            conn.execute(
                "UPDATE impressions SET status = 'removed', updated_at = ? WHERE guild_id = ? AND id = ?",
                (now, guild_id, impression_id),
            )
            conn.execute(
                "INSERT INTO audit_log (guild_id, actor_id, action, target_type, target_id, reason, created_at) "
                "VALUES (?, ?, 'impression.delete', 'impression', ?, ?, ?)",
                (guild_id, actor_id, impression_id, reason, now),
            )

        await self._db.write(job)

    async def page_for_series(
        self, guild_id: int, series_id: int, sort: Sort, reviewer_id: int | None, offset: int
    ) -> tuple[Impression | None, int]:
        """The impression at `offset` in this order, and how many there are."""
        where = "guild_id = ? AND series_id = ? AND status = 'published'"
        params: list[object] = [guild_id, series_id]
        if reviewer_id is not None:
            where += " AND author_id = ?"
            params.append(reviewer_id)
        return await self._page(where, params, ORDER_BY[sort], offset)

    async def page_for_author(
        self, guild_id: int, author_id: int, series_id: int | None, offset: int
    ) -> tuple[Impression | None, int]:
        where = "guild_id = ? AND author_id = ? AND status != 'removed'"
        params: list[object] = [guild_id, author_id]
        if series_id is not None:
            where += " AND series_id = ?"
            params.append(series_id)
        return await self._page(where, params, "id DESC", offset)

    async def _page(self, where: str, params: list[object], order: str, offset: int) -> tuple[Impression | None, int]:
        total = await self._db.fetch_value(f"SELECT count(*) FROM impressions WHERE {where}", params)
        row = await self._db.fetch_one(
            f"SELECT * FROM impressions WHERE {where} ORDER BY {order} LIMIT 1 OFFSET ?", [*params, offset]
        )
        return (None if row is None else _impression(row)), int(total)

    # Each reviewer's latest published impression: max(id) per author, its other columns from the same
    # row (SQLite's rule for bare columns beside max()), all from the covering index of migration 0003.
    _LATEST = (
        f"SELECT max(id) AS id, featured, {_SCORES} FROM impressions "
        "WHERE guild_id = ? AND series_id = ? AND status = 'published' GROUP BY author_id"
    )

    async def latest_per_reviewer(self, guild_id: int, series_id: int, limit: int) -> list[ReviewerRow]:
        """The `limit` reviewers to show: featured first, then the most recent."""
        rows = await self._db.fetch_all(
            f"SELECT i.id, i.author_name, i.featured, {', '.join('i.' + c for c in SCORE_COLUMNS)} "
            f"FROM ({self._LATEST} ORDER BY featured DESC, id DESC LIMIT ?) latest "
            "JOIN impressions i ON i.id = latest.id ORDER BY i.featured DESC, i.id DESC",
            (guild_id, series_id, limit),
        )
        return [ReviewerRow(row[0], row[1], bool(row[2]), Scores(*row[3:])) for row in rows]

    async def averages(self, guild_id: int, series_id: int) -> tuple[list[Average], int]:
        """Per category, the mean of each reviewer's latest score (unevaluated ignored); and the reviewers."""
        selects = ", ".join(f"avg({c}), count({c})" for c in SCORE_COLUMNS)
        row = await self._db.fetch_one(f"SELECT count(*), {selects} FROM ({self._LATEST})", (guild_id, series_id))
        assert row is not None
        averages = [Average(row[1 + 2 * n], int(row[2 + 2 * n])) for n in range(len(SCORE_COLUMNS))]
        return averages, int(row[0])

    async def recent(self, guild_id: int, author_id: int | None, limit: int) -> list[tuple[int, str, str]]:
        """(id, series title, author name) of the latest visible impressions, for autocomplete."""
        where = "i.guild_id = ? AND i.status = 'published'"
        params: list[object] = [guild_id]
        if author_id is not None:
            where = "i.guild_id = ? AND i.author_id = ? AND i.status != 'removed'"
            params.append(author_id)
        rows = await self._db.fetch_all(
            f"SELECT i.id, s.title, i.author_name FROM impressions i JOIN series s ON s.id = i.series_id "
            f"WHERE {where} ORDER BY i.id DESC LIMIT ?",
            [*params, limit],
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def is_banned(self, guild_id: int, user_id: int) -> bool:
        return await self._db.fetch_value(_BANNED, (guild_id, user_id, utc_now())) is not None

    async def announce_channel(self, guild_id: int) -> int | None:
        return await self._db.fetch_value(
            "SELECT announce_channel_id FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )

    async def mod_role(self, guild_id: int) -> int | None:
        return await self._db.fetch_value("SELECT mod_role_id FROM guild_settings WHERE guild_id = ?", (guild_id,))
