"""Impressions, their revisions, and what the ratings table needs. Every query is scoped by guild."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from typing import Literal

from bot.models import Average, Impression, Ratings, ReviewerRow, Scores, Series
from bot.store.audit import audit
from bot.store.backend import Backend
from bot.store.catalog import read_series, utc_now
from bot.store.connection import after_members_writes, lock_row
from bot.store.posting import (
    BANNED_SQL,
    SCORE_COLUMNS,
    Draft,
    PostPolicy,
    Refusal,
    Revision,
    approval_required,
    refusal_of,
    same_content,
)

_SCORES = ", ".join(SCORE_COLUMNS)
Sort = Literal["newest", "highest", "lowest"]
ORDER_BY: dict[str, str] = {
    "newest": "featured DESC, id DESC",
    # Unevaluated sorts last either way.
    "highest": "featured DESC, score_overall IS NULL, score_overall DESC, id DESC",
    "lowest": "featured DESC, score_overall IS NULL, score_overall ASC, id DESC",
}


def _read_back(conn: sqlite3.Connection, impression_id: int) -> Impression:
    # Read on the writer, inside the transaction: the reader may not see this write yet.
    return impression_of(conn.execute("SELECT * FROM impressions WHERE id = ?", (impression_id,)).fetchone())


def impression_of(row: sqlite3.Row) -> Impression:
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


def _content(draft: Draft) -> tuple[object, ...]:
    """The editable columns in table order: scope, episodes, text, spoiler, the seven scores."""
    return (draft.scope, draft.episodes_watched, draft.text, int(draft.spoiler), *draft.scores.values())


def apply_content(
    conn: sqlite3.Connection, impression_id: int, edited_by: int, content: tuple[object, ...], now: str
) -> None:
    """Keep the shown version as a revision, then replace it with `content`."""
    conn.execute(
        f"INSERT INTO impression_revisions (impression_id, edited_by, scope, episodes_watched, text, spoiler, "
        f"{_SCORES}, status, created_at) SELECT id, ?, scope, episodes_watched, text, spoiler, {_SCORES}, "
        f"status, updated_at FROM impressions WHERE id = ?",
        (edited_by, impression_id),
    )
    assignments = ", ".join(
        f"{column} = ?" for column in ("scope", "episodes_watched", "text", "spoiler", *SCORE_COLUMNS)
    )
    conn.execute(f"UPDATE impressions SET {assignments}, updated_at = ? WHERE id = ?", (*content, now, impression_id))


class ImpressionStore:
    def __init__(self, db: Backend) -> None:
        self._db = db

    async def refusal(self, guild_id: int, draft: Draft, policy: PostPolicy) -> Refusal | None:
        """Would a post like `draft` be refused now? Asked before the member writes the text: a read, so
        opening the form never waits for another writer (the post checks again as it is written)."""
        now = utc_now()
        return await self._db.read(lambda conn: refusal_of(conn, guild_id, draft, policy, now), quick=True)

    async def add(
        self, guild_id: int, draft: Draft, submission_key: str, policy: PostPolicy
    ) -> tuple[Impression, bool] | Refusal:
        """Store a new impression; returns it and whether it is new (a repeated submission_key is not).

        A ban, the posting limit and a duplicate are checked in the same transaction, so none races a post.
        """
        now = utc_now()

        def job(conn: sqlite3.Connection) -> tuple[Impression, bool] | Refusal:
            after_members_writes(conn, guild_id, draft.author_id)
            existing = conn.execute("SELECT id FROM impressions WHERE submission_key = ?", (submission_key,)).fetchone()
            if existing is not None:
                return _read_back(conn, int(existing[0])), False
            refused = refusal_of(conn, guild_id, draft, policy, now)
            if refused is not None:
                return refused
            status = "pending" if approval_required(conn, guild_id) else "published"
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
        return None if row is None else impression_of(row)

    async def revise(
        self, guild_id: int, impression_id: int, draft: Draft, edited_by: int, hold: bool
    ) -> Revision | None:
        """Edit an impression in one transaction.

        The same content as now (or as the edit already waiting) changes nothing. With approval on and
        `hold`, an edit of a published impression waits in impression_edits while the approved version
        stays shown; otherwise it is applied at once and the previous version kept as a revision.
        """

        def job(conn: sqlite3.Connection) -> Revision | None:
            lock_row(conn, "impressions", impression_id)  # held or applied is decided by its status
            row = conn.execute(
                "SELECT * FROM impressions WHERE guild_id = ? AND id = ? AND status != 'removed'",
                (guild_id, impression_id),
            ).fetchone()
            if row is None:
                return None
            current = impression_of(row)
            waiting = conn.execute(
                "SELECT * FROM impression_edits WHERE impression_id = ? AND status = 'pending' ORDER BY id DESC",
                (impression_id,),
            ).fetchone()
            base = waiting or row
            if same_content(base, draft):
                return Revision("unchanged", current, None if waiting is None else int(waiting["id"]))
            now = utc_now()
            conn.execute(
                "UPDATE impression_edits SET status = 'superseded', decided_at = ? "
                "WHERE impression_id = ? AND status = 'pending'",
                (now, impression_id),
            )
            if hold and current.status == "published" and approval_required(conn, guild_id):
                cursor = conn.execute(
                    f"INSERT INTO impression_edits (guild_id, impression_id, edited_by, scope, episodes_watched, "
                    f"text, spoiler, {_SCORES}, created_at) VALUES ({', '.join('?' * (8 + len(SCORE_COLUMNS)))})",
                    (guild_id, impression_id, edited_by, *_content(draft), now),
                )
                proposed = replace(
                    current,
                    scope=draft.scope,
                    episodes_watched=draft.episodes_watched,
                    text=draft.text,
                    spoiler=draft.spoiler,
                    scores=draft.scores,
                    updated_at=now,
                )
                return Revision("held", proposed, int(cursor.lastrowid or 0))
            apply_content(conn, impression_id, edited_by, _content(draft), now)
            return Revision("applied", _read_back(conn, impression_id))

        return await self._db.write(job)

    async def pending_edit(self, guild_id: int, edit_id: int) -> Impression | None:
        """The impression as a waiting edit would make it (for the moderators' queue)."""
        row = await self._db.fetch_one(
            "SELECT * FROM impression_edits WHERE guild_id = ? AND id = ? AND status = 'pending'", (guild_id, edit_id)
        )
        if row is None:
            return None
        current = await self.get(guild_id, int(row["impression_id"]))
        if current is None:
            return None
        return replace(
            current,
            scope=row["scope"],
            episodes_watched=row["episodes_watched"],
            text=row["text"],
            spoiler=bool(row["spoiler"]),
            scores=Scores(*(row[column] for column in SCORE_COLUMNS)),
            updated_at=row["created_at"],
        )

    async def record_post(
        self, guild_id: int, impression_id: int, channel_id: int, message_id: int, kind: str
    ) -> Impression | None:
        """Remember a public message of the bot that shows this impression, to edit it when the impression
        changes; the impression as it is once the post is recorded (None if it is gone from this server).

        The impression is locked first, so a hide, delete or edit either commits after this record (and
        its refresh finds the post) or before it (and is read here, for the caller to bring the post in
        line): a refresh that read the posts a moment before this record can no longer miss it."""

        def job(conn: sqlite3.Connection) -> Impression | None:
            lock_row(conn, "impressions", impression_id)
            conn.execute(
                "INSERT INTO impression_posts (message_id, guild_id, impression_id, channel_id, kind, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO UPDATE SET "  # a page turned: its new impression
                "impression_id = excluded.impression_id, kind = excluded.kind, created_at = excluded.created_at",
                (message_id, guild_id, impression_id, channel_id, kind, utc_now()),
            )
            row = conn.execute(
                "SELECT * FROM impressions WHERE guild_id = ? AND id = ?", (guild_id, impression_id)
            ).fetchone()
            return None if row is None else impression_of(row)

        return await self._db.write(job)

    async def posts(self, guild_id: int, impression_id: int) -> list[tuple[int, int, str]]:
        """(channel id, message id, kind) of the bot's public posts of an impression."""
        rows = await self._db.fetch_all(
            "SELECT channel_id, message_id, kind FROM impression_posts WHERE guild_id = ? AND impression_id = ? "
            "ORDER BY message_id",
            (guild_id, impression_id),
        )
        return [(int(row[0]), int(row[1]), str(row[2])) for row in rows]

    async def forget_post(self, message_id: int) -> None:
        await self._db.write(lambda conn: conn.execute("DELETE FROM impression_posts WHERE message_id = ?",
                                                       (message_id,)) and None)  # fmt: skip

    async def remove(self, guild_id: int, impression_id: int, actor_id: int, reason: str | None) -> bool:
        """Deleting keeps the row (status removed) and records who did it: nothing is lost. False (and
        nothing written) when it was already deleted: the same confirmation clicked twice is one delete."""

        def job(conn: sqlite3.Connection) -> bool:
            now = utc_now()
            changed = conn.execute(
                "UPDATE impressions SET status = 'removed', updated_at = ? "
                "WHERE guild_id = ? AND id = ? AND status != 'removed'",
                (now, guild_id, impression_id),
            ).rowcount
            if changed:
                audit(conn, guild_id, actor_id, "impression.delete", ("impression", impression_id), reason)
            return bool(changed)

        return await self._db.write(job)

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
        return (None if row is None else impression_of(row)), int(total)

    async def get_with_series(self, guild_id: int, impression_id: int) -> tuple[Impression | None, Series | None]:
        """An impression of this server and its series, in one trip."""

        def job(conn: sqlite3.Connection) -> tuple[Impression | None, Series | None]:
            row = conn.execute(
                "SELECT * FROM impressions WHERE guild_id = ? AND id = ? AND status != 'removed'",
                (guild_id, impression_id),
            ).fetchone()
            if row is None:
                return None, None
            return impression_of(row), read_series(conn, row["series_id"])

        return await self._db.read(job, quick=True, key=("impression", guild_id, impression_id))

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
        return await self._db.fetch_value(BANNED_SQL, (guild_id, user_id, utc_now())) is not None


def read_ratings(conn: sqlite3.Connection, guild_id: int, series_id: int, limit: int) -> Ratings:
    """The ratings table of a series in a server, from the aggregates migration 0006 keeps in step with
    every write: the `limit` reviewers to show (featured first, then the most recent) and, per
    category, the mean of each reviewer's latest score (unevaluated ignored)."""
    shown = conn.execute(
        f"SELECT r.impression_id, i.author_name, r.featured, {', '.join('r.' + c for c in SCORE_COLUMNS)}, r.author_id "
        "FROM series_reviewers r JOIN impressions i ON i.id = r.impression_id "
        "WHERE r.guild_id = ? AND r.series_id = ? ORDER BY r.featured DESC, r.impression_id DESC LIMIT ?",
        (guild_id, series_id, limit),
    ).fetchall()
    totals = conn.execute(
        f"SELECT reviewers, {', '.join(f'n_{c[6:]}, sum_{c[6:]}' for c in SCORE_COLUMNS)} "
        "FROM series_ratings WHERE guild_id = ? AND series_id = ?",
        (guild_id, series_id),
    ).fetchone()
    rows = [ReviewerRow(row[0], row[1], bool(row[2]), Scores(*row[3:-1]), row[-1]) for row in shown]
    if totals is None:
        return Ratings(tuple(rows), tuple(Average(None, 0) for _ in SCORE_COLUMNS), 0)
    averages = []
    for n in range(len(SCORE_COLUMNS)):
        count, total = totals[1 + 2 * n], totals[2 + 2 * n]
        averages.append(Average(total / count if count else None, count))
    return Ratings(tuple(rows), tuple(averages), totals[0])
