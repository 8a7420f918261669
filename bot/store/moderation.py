"""Per-server settings, reviewer bans, moderation states, the audit log and notices to members."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

from bot.store.catalog import utc_now
from bot.store.database import Database
from bot.store.impressions import SCORE_COLUMNS, _apply


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    approval_required: bool = False
    announce_channel_id: int | None = None
    queue_channel_id: int | None = None
    mod_role_id: int | None = None
    post_limit_per_hour: int | None = None  # None: the bot's default


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    actor_id: int
    action: str
    target_type: str
    target_id: int
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: str


SETTING_COLUMNS = ("approval_required", "announce_channel_id", "queue_channel_id", "mod_role_id", "post_limit_per_hour")


def _settings(guild_id: int, row: sqlite3.Row | tuple[Any, ...] | None) -> GuildSettings:
    if row is None:
        return GuildSettings(guild_id)
    values = dict(zip(SETTING_COLUMNS, row, strict=True))
    return GuildSettings(guild_id, **{**values, "approval_required": bool(values["approval_required"])})


def _audit(
    conn: sqlite3.Connection,
    guild_id: int | None,
    actor_id: int,
    action: str,
    target: tuple[str, int],
    reason: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        "INSERT INTO audit_log (guild_id, actor_id, action, target_type, target_id, reason, before, after, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            guild_id,
            actor_id,
            action,
            target[0],
            target[1],
            reason,
            None if before is None else json.dumps(before),
            None if after is None else json.dumps(after),
            utc_now(),
        ),
    )


def _notify(conn: sqlite3.Connection, guild_id: int, user_id: int, text: str) -> None:
    """A notice the member is shown the next time they use the bot here."""
    conn.execute(
        "INSERT INTO member_notices (guild_id, user_id, text, created_at) VALUES (?, ?, ?, ?)",
        (guild_id, user_id, text, utc_now()),
    )


class ModerationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def settings(self, guild_id: int) -> GuildSettings:
        row = await self._db.fetch_one(
            f"SELECT {', '.join(SETTING_COLUMNS)} FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        return _settings(guild_id, row)

    async def update_settings(self, guild_id: int, actor_id: int, changes: dict[str, Any]) -> GuildSettings:
        def job(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                f"SELECT {', '.join(SETTING_COLUMNS)} FROM guild_settings WHERE guild_id = ?", (guild_id,)
            ).fetchone()
            # A server that never changed a setting starts from the defaults, not from NULLs.
            before = {column: getattr(_settings(guild_id, row), column) for column in SETTING_COLUMNS}
            before["approval_required"] = int(before["approval_required"])
            after = {**before, **changes}
            conn.execute(
                f"INSERT INTO guild_settings (guild_id, {', '.join(SETTING_COLUMNS)}, updated_at) "
                f"VALUES (?, {', '.join('?' * len(SETTING_COLUMNS))}, ?) ON CONFLICT (guild_id) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in SETTING_COLUMNS)
                + ", updated_at = excluded.updated_at",
                (guild_id, *(after[c] for c in SETTING_COLUMNS), utc_now()),
            )
            _audit(conn, guild_id, actor_id, "settings.update", ("guild", guild_id), None, before, after)

        await self._db.write(job)
        return await self.settings(guild_id)

    async def set_state(
        self,
        guild_id: int,
        impression_id: int,
        actor_id: int,
        action: str,
        changes: dict[str, Any],
        reason: str | None,
        notice: tuple[int, str] | None = None,
    ) -> bool:
        """Apply `changes` to a visible impression with its audit entry (and a notice to its author).

        False when the impression is not in this guild or is removed; nothing is written then.
        """

        def job(conn: sqlite3.Connection) -> bool:
            columns = ", ".join(changes)
            row = conn.execute(
                f"SELECT {columns} FROM impressions WHERE guild_id = ? AND id = ? AND status != 'removed'",
                (guild_id, impression_id),
            ).fetchone()
            if row is None:
                return False
            before = dict(zip(changes, row, strict=True))
            assignments = ", ".join(f"{column} = ?" for column in changes)
            conn.execute(
                f"UPDATE impressions SET {assignments}, updated_at = ? WHERE id = ?",
                (*changes.values(), utc_now(), impression_id),
            )
            _audit(conn, guild_id, actor_id, action, ("impression", impression_id), reason, before, changes)
            if notice is not None:
                _notify(conn, guild_id, notice[0], notice[1])
            return True

        return await self._db.write(job)

    async def ban(
        self, guild_id: int, user_id: int, actor_id: int, reason: str, expires_at: str | None
    ) -> tuple[bool, str | None]:
        """Ban a member; (False, when the ban ends) and nothing written if one is already in force."""

        def job(conn: sqlite3.Connection) -> tuple[bool, str | None]:
            active = conn.execute(
                "SELECT expires_at FROM reviewer_bans WHERE guild_id = ? AND user_id = ? "
                "AND (expires_at IS NULL OR expires_at > ?)",
                (guild_id, user_id, utc_now()),
            ).fetchone()
            if active is not None:
                return False, active[0]
            conn.execute(
                "INSERT INTO reviewer_bans (guild_id, user_id, reason, banned_by, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET reason = excluded.reason, "
                "banned_by = excluded.banned_by, created_at = excluded.created_at, expires_at = excluded.expires_at",
                (guild_id, user_id, reason, actor_id, utc_now(), expires_at),
            )
            _audit(
                conn, guild_id, actor_id, "member.ban", ("member", user_id), reason, None, {"expires_at": expires_at}
            )
            return True, expires_at

        return await self._db.write(job)

    async def unban(self, guild_id: int, user_id: int, actor_id: int) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute("DELETE FROM reviewer_bans WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
            if cursor.rowcount == 0:
                return False
            _audit(conn, guild_id, actor_id, "member.unban", ("member", user_id))
            return True

        return await self._db.write(job)

    async def audit_page(
        self, guild_id: int, target: tuple[str, int] | None, offset: int, limit: int
    ) -> tuple[list[AuditEntry], int]:
        where = "guild_id = ?"
        params: list[object] = [guild_id]
        if target is not None:
            where += " AND target_type = ? AND target_id = ?"
            params += list(target)
        total = await self._db.fetch_value(f"SELECT count(*) FROM audit_log WHERE {where}", params)
        rows = await self._db.fetch_all(
            f"SELECT * FROM audit_log WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        entries = [
            AuditEntry(
                row["id"],
                row["actor_id"],
                row["action"],
                row["target_type"],
                row["target_id"],
                row["reason"],
                None if row["before"] is None else json.loads(row["before"]),
                None if row["after"] is None else json.loads(row["after"]),
                row["created_at"],
            )
            for row in rows
        ]
        return entries, int(total)

    async def take_notices(self, guild_id: int, user_id: int) -> list[str]:
        """Undelivered notices for a member, marked delivered in the same transaction."""

        def job(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT id, text FROM member_notices WHERE guild_id = ? AND user_id = ? AND delivered_at IS NULL "
                "ORDER BY id",
                (guild_id, user_id),
            ).fetchall()
            if rows:
                conn.executemany(
                    "UPDATE member_notices SET delivered_at = ? WHERE id = ?", [(utc_now(), row[0]) for row in rows]
                )
            return [row[1] for row in rows]

        return await self._db.write(job)

    async def has_notices(self, guild_id: int, user_id: int) -> bool:
        found = await self._db.fetch_value(
            "SELECT 1 FROM member_notices WHERE guild_id = ? AND user_id = ? AND delivered_at IS NULL LIMIT 1",
            (guild_id, user_id),
        )
        return found is not None


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
    def __init__(self, db: Database) -> None:
        self._db = db

    async def oldest(self, guild_id: int) -> tuple[QueueItem | None, int]:
        """The item waiting longest (a new impression or an edit), and how many wait."""
        row = await self._db.fetch_one(
            f"SELECT kind, id, impression_id, count(*) OVER () FROM ({_QUEUE}) ORDER BY created_at, id LIMIT 1",
            (guild_id, guild_id),
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
            row = conn.execute(
                "SELECT * FROM impression_edits WHERE guild_id = ? AND id = ?", (guild_id, edit_id)
            ).fetchone()
            if row is None:
                return None
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
                _apply(conn, impression_id, int(row["edited_by"]), content, now)
            else:
                _notify(
                    conn, guild_id, shown[1], f"A moderator rejected your edit of impression #{impression_id}: {reason}"
                )
            action = "impression.edit.approve" if approve else "impression.edit.reject"
            _audit(conn, guild_id, actor_id, action, ("impression", impression_id), reason, {"edit": edit_id},
                   {"status": status})  # fmt: skip
            return Decision(True, status, actor_id, now), impression_id

        return await self._db.write(job)

    async def decide(
        self, guild_id: int, impression_id: int, actor_id: int, approve: bool, reason: str | None
    ) -> Decision | None:
        """Approve or reject a pending impression; None if it is not in this guild."""

        def job(conn: sqlite3.Connection) -> Decision | None:
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
            _audit(conn, guild_id, actor_id, action, ("impression", impression_id), reason, {"status": "pending"},
                   {"status": status})  # fmt: skip
            if not approve:
                _notify(conn, guild_id, row[1], f"A moderator rejected your impression #{impression_id}: {reason}")
            return Decision(True, status, actor_id, utc_now())

        return await self._db.write(job)


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    impression_id: int
    reporter_id: int
    reason: str
    status: str
    resolved_by: int | None
    resolved_at: str | None


class ReportStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, guild_id: int, impression_id: int, reporter_id: int, reason: str) -> int | None:
        """A new report's id; None when this member already reported this impression."""

        def job(conn: sqlite3.Connection) -> int | None:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO reports (guild_id, impression_id, reporter_id, reason, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (guild_id, impression_id, reporter_id, reason, utc_now()),
            )
            if cursor.rowcount == 0:
                return None
            _audit(conn, guild_id, reporter_id, "impression.report", ("impression", impression_id), reason)
            return int(cursor.lastrowid or 0)

        return await self._db.write(job)

    async def oldest_open(self, guild_id: int) -> tuple[Report | None, int]:
        rows = await self._db.fetch_all(
            "SELECT *, count(*) OVER () AS open_count FROM reports WHERE guild_id = ? AND status = 'open' "
            "ORDER BY id LIMIT 1",
            (guild_id,),
        )
        if not rows:
            return None, 0
        row = rows[0]
        return _report(row), int(row["open_count"])

    async def get(self, guild_id: int, report_id: int) -> Report | None:
        row = await self._db.fetch_one("SELECT * FROM reports WHERE guild_id = ? AND id = ?", (guild_id, report_id))
        return None if row is None else _report(row)

    async def resolve(
        self, guild_id: int, report_id: int, actor_id: int, hide: bool, notice: str | None
    ) -> Report | None:
        """Dismiss the report, or hide its impression (closing every open report on it); None if not here.

        An already resolved report is returned unchanged, for "who decided it and when".
        """

        def job(conn: sqlite3.Connection) -> Report | None:
            row = conn.execute("SELECT * FROM reports WHERE guild_id = ? AND id = ?", (guild_id, report_id)).fetchone()
            if row is None or row["status"] != "open":
                return None if row is None else _report(row)
            now = utc_now()
            if hide:
                impression = conn.execute(
                    "SELECT status, author_id FROM impressions WHERE id = ?", (row["impression_id"],)
                ).fetchone()
                conn.execute(
                    "UPDATE impressions SET status = 'hidden', updated_at = ? WHERE id = ? AND status = 'published'",
                    (now, row["impression_id"]),
                )
                _audit(conn, guild_id, actor_id, "impression.hide", ("impression", row["impression_id"]),
                       f"reported: {row['reason']}", {"status": impression[0]}, {"status": "hidden"})  # fmt: skip
                if notice is not None:
                    _notify(conn, guild_id, impression[1], notice)
                conn.execute(
                    "UPDATE reports SET status = 'actioned', resolved_by = ?, resolved_at = ? "
                    "WHERE impression_id = ? AND status = 'open'",
                    (actor_id, now, row["impression_id"]),
                )
            else:
                conn.execute(
                    "UPDATE reports SET status = 'dismissed', resolved_by = ?, resolved_at = ? WHERE id = ?",
                    (actor_id, now, report_id),
                )
                _audit(conn, guild_id, actor_id, "report.dismiss", ("impression", row["impression_id"]), row["reason"])
            return Report(report_id, row["impression_id"], row["reporter_id"], row["reason"],
                          "actioned" if hide else "dismissed", actor_id, now)  # fmt: skip

        return await self._db.write(job)


def _report(row: sqlite3.Row) -> Report:
    return Report(
        row["id"], row["impression_id"], row["reporter_id"], row["reason"], row["status"], row["resolved_by"],
        row["resolved_at"],
    )  # fmt: skip
