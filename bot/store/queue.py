"""The approval queue: new impressions and edits waiting for a moderator, and their decisions."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal

from bot.store.audit import audit, notify
from bot.store.backend import Backend
from bot.store.catalog import utc_now
from bot.store.connection import lock_row
from bot.store.impressions import apply_content
from bot.store.posting import SCORE_COLUMNS


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of approving or rejecting: done now, or by whom and when it was decided before."""

    done: bool
    status: str
    actor_id: int | None = None
    decided_at: str | None = None


QueueKind = Literal["impression", "edit"]


@dataclass(frozen=True, slots=True)
class QueueItem:
    """Something waiting for a moderator: a new impression, or an edit (`id` is then the edit's)."""

    kind: QueueKind
    id: int
    impression_id: int


_QUEUE = (
    "SELECT 'impression' AS kind, id, id AS impression_id, created_at FROM impressions "
    "WHERE guild_id = ? AND status = 'pending' UNION ALL "
    "SELECT 'edit', id, impression_id, created_at FROM impression_edits WHERE guild_id = ? AND status = 'pending'"
)


class QueueStore:
    def __init__(self, db: Backend) -> None:
        self._db = db

    async def waiting(self, guild_id: int, offset: int = 0) -> tuple[QueueItem | None, int]:
        """The item at `offset`, the longest waiting first (a new impression or an edit), and how many wait."""
        row = await self._db.fetch_one(
            f"SELECT kind, id, impression_id, count(*) OVER () FROM ({_QUEUE}) AS queue ORDER BY created_at, id "
            "LIMIT 1 OFFSET ?",
            (guild_id, guild_id, offset),
        )
        if row is None:
            return None, 0
        kind, item_id, impression_id, total = row
        return QueueItem(kind, int(item_id), int(impression_id)), int(total)

    async def is_pending(self, guild_id: int, kind: QueueKind, item_id: int) -> bool:
        table = "impressions" if kind == "impression" else "impression_edits"
        found = await self._db.fetch_value(
            f"SELECT 1 FROM {table} WHERE guild_id = ? AND id = ? AND status = 'pending'", (guild_id, item_id)
        )
        return found is not None

    async def decide_edit(
        self, guild_id: int, edit_id: int, actor_id: int, approve: bool, reason: str | None
    ) -> tuple[Decision, int] | None:
        """Approve (apply) or reject a waiting edit; with the impression's id. None if not in this guild."""

        def job(conn: sqlite3.Connection) -> tuple[Decision, int] | None:
            of = conn.execute(
                "SELECT impression_id FROM impression_edits WHERE guild_id = ? AND id = ?", (guild_id, edit_id)
            ).fetchone()
            if of is None:
                return None
            # The impression first, then its edit: the order an author's new edit locks them in.
            lock_row(conn, "impressions", int(of[0]))
            lock_row(conn, "impression_edits", edit_id)
            row = conn.execute("SELECT * FROM impression_edits WHERE id = ?", (edit_id,)).fetchone()
            impression_id = int(row["impression_id"])
            if row["status"] != "pending":
                return Decision(False, row["status"], row["decided_by"], row["decided_at"]), impression_id
            shown = conn.execute("SELECT status, author_id FROM impressions WHERE id = ?", (impression_id,)).fetchone()
            if shown is None or shown[0] == "removed":
                return None
            now = utc_now()
            status = "approved" if approve else "rejected"
            conn.execute(
                "UPDATE impression_edits SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?",
                (status, actor_id, now, edit_id),
            )
            if approve:
                content = tuple(row[c] for c in ("scope", "episodes_watched", "text", "spoiler", *SCORE_COLUMNS))
                apply_content(conn, impression_id, int(row["edited_by"]), content, now)
            else:
                notify(
                    conn,
                    self._db.noticed,
                    guild_id,
                    shown[1],
                    f"A moderator rejected your edit of impression #{impression_id}: {reason}",
                )
            action = "impression.edit.approve" if approve else "impression.edit.reject"
            audit(conn, guild_id, actor_id, action, ("impression", impression_id), reason, {"edit": edit_id},
                   {"status": status})  # fmt: skip
            return Decision(True, status, actor_id, now), impression_id

        return await self._db.write(job)

    async def decide(
        self, guild_id: int, impression_id: int, actor_id: int, approve: bool, reason: str | None
    ) -> Decision | None:
        """Approve or reject a pending impression; None if it is not in this guild."""

        def job(conn: sqlite3.Connection) -> Decision | None:
            lock_row(conn, "impressions", impression_id)
            row = conn.execute(
                "SELECT status, author_id FROM impressions WHERE guild_id = ? AND id = ?", (guild_id, impression_id)
            ).fetchone()
            if row is None or row[0] == "removed":
                return None
            if row[0] != "pending":
                earlier = conn.execute(
                    "SELECT actor_id, created_at FROM audit_log WHERE target_type = 'impression' AND target_id = ? "
                    "AND action IN ('impression.approve', 'impression.reject') ORDER BY id DESC LIMIT 1",
                    (impression_id,),
                ).fetchone()
                return Decision(False, row[0], *(earlier or (None, None)))
            status = "published" if approve else "rejected"
            conn.execute(
                "UPDATE impressions SET status = ?, updated_at = ? WHERE id = ?", (status, utc_now(), impression_id)
            )
            action = "impression.approve" if approve else "impression.reject"
            audit(conn, guild_id, actor_id, action, ("impression", impression_id), reason, {"status": "pending"},
                   {"status": status})  # fmt: skip
            if not approve:
                notify(
                    conn,
                    self._db.noticed,
                    guild_id,
                    row[1],
                    f"A moderator rejected your impression #{impression_id}: {reason}",
                )
            return Decision(True, status, actor_id, utc_now())

        return await self._db.write(job)
