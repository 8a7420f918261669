"""Per-server settings, reviewer bans, moderation states, the audit log and notices to members."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from bot.store.audit import audit, notify
from bot.store.backend import Backend
from bot.store.catalog import utc_now
from bot.store.connection import after_members_writes, lock_row


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    approval_required: bool = False
    announce_channel_id: int | None = None
    queue_channel_id: int | None = None
    mod_role_id: int | None = None
    post_limit_per_hour: int | None = None  # None: the bot's default
    episode_threads: bool = False  # a thread under each episode prompt
    public_slug: str | None = None  # where its public pages live; None: not published


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


log = logging.getLogger(__name__)
SETTINGS_TTL_S = 60.0
SETTING_COLUMNS = (
    "approval_required", "announce_channel_id", "queue_channel_id", "mod_role_id", "post_limit_per_hour",
    "episode_threads", "public_slug",
)  # fmt: skip
FLAG_COLUMNS = ("approval_required", "episode_threads")  # stored 0/1


def _settings(guild_id: int, row: sqlite3.Row | tuple[Any, ...] | None) -> GuildSettings:
    if row is None:
        return GuildSettings(guild_id)
    values = dict(zip(SETTING_COLUMNS, row, strict=True))
    return GuildSettings(guild_id, **{**values, **{flag: bool(values[flag]) for flag in FLAG_COLUMNS}})


class ModerationStore:
    def __init__(self, db: Backend) -> None:
        self._db = db
        # Settings are read on most interactions (is the member a moderator by the mod role? where do
        # announcements go?) and change rarely: kept here, so an answer waits for no read of them. This
        # process's own writes replace them at once; a change by another process (a restore from the
        # command line) is read in the background once the kept copy is SETTINGS_TTL_S old.
        self._settings: dict[int, tuple[float, GuildSettings]] = {}
        self._writes: dict[int, int] = {}  # per server, how many setting writes this process made
        self._refreshing: set[asyncio.Task[GuildSettings]] = set()  # kept referenced while they run

    async def settings(self, guild_id: int) -> GuildSettings:
        kept = self._settings.get(guild_id)
        if kept is None:
            return await self._read_settings(guild_id)
        if time.monotonic() - kept[0] > SETTINGS_TTL_S:
            self._settings[guild_id] = (time.monotonic(), kept[1])  # restamped: one refresh at a time
            task = asyncio.get_running_loop().create_task(self._read_settings(guild_id))
            self._refreshing.add(task)
            task.add_done_callback(self._refreshed)
        return kept[1]

    def _refreshed(self, task: asyncio.Task[GuildSettings]) -> None:
        self._refreshing.discard(task)
        # A refresh that failed (the store closing under it) keeps the copy there is; the next read tries.
        if not task.cancelled() and task.exception() is not None:
            log.info("Settings were not refreshed: %s", task.exception())

    async def _read_settings(self, guild_id: int) -> GuildSettings:
        writes = self._writes.get(guild_id, 0)
        row = await self._db.fetch_one(
            f"SELECT {', '.join(SETTING_COLUMNS)} FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        settings = _settings(guild_id, row)
        if self._writes.get(guild_id, 0) == writes:  # a write while this read ran makes it stale: drop it
            self._settings[guild_id] = (time.monotonic(), settings)
        return settings

    async def preload_settings(self) -> None:
        """Every server's settings, read once at start-up."""
        rows = await self._db.fetch_all(f"SELECT guild_id, {', '.join(SETTING_COLUMNS)} FROM guild_settings")
        now = time.monotonic()
        for row in rows:
            self._settings[row[0]] = (now, _settings(row[0], tuple(row)[1:]))

    async def update_settings(self, guild_id: int, actor_id: int, changes: dict[str, Any]) -> GuildSettings:
        def job(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                f"SELECT {', '.join(SETTING_COLUMNS)} FROM guild_settings WHERE guild_id = ?", (guild_id,)
            ).fetchone()
            # A server that never changed a setting starts from the defaults, not from NULLs.
            before = {column: getattr(_settings(guild_id, row), column) for column in SETTING_COLUMNS}
            before.update({flag: int(before[flag]) for flag in FLAG_COLUMNS})
            after = {**before, **changes}
            # A new server's row gets every column; an existing one only the changed columns: two
            # moderators changing two settings at once (PostgreSQL runs writes side by side) each keep theirs.
            conn.execute(
                f"INSERT INTO guild_settings (guild_id, {', '.join(SETTING_COLUMNS)}, updated_at) "
                f"VALUES (?, {', '.join('?' * len(SETTING_COLUMNS))}, ?) ON CONFLICT (guild_id) DO UPDATE SET "
                + "".join(f"{c} = excluded.{c}, " for c in SETTING_COLUMNS if c in changes)
                + "updated_at = excluded.updated_at",
                (guild_id, *(after[c] for c in SETTING_COLUMNS), utc_now()),
            )
            audit(conn, guild_id, actor_id, "settings.update", ("guild", guild_id), None, before, after)

        self._writes[guild_id] = self._writes.get(guild_id, 0) + 1
        self._settings.pop(guild_id, None)
        await self._db.write(job)
        self._writes[guild_id] += 1  # a read that ran beside the write may hold the old values
        return await self._read_settings(guild_id)

    async def set_state(
        self,
        guild_id: int,
        impression_id: int,
        actor_id: int,
        action: str,
        changes: dict[str, Any],
        reason: str | None,
        notice: tuple[int, str] | None = None,
        only_from: frozenset[str] = frozenset(),
    ) -> str | None:
        """Apply `changes` to an impression with its audit entry (and a notice to its author), if its
        status, read under the transaction's lock, is one of `only_from` (any but removed when empty).

        Returns the status it found (None: not in this guild); nothing is written unless it was allowed,
        so two moderators hiding at once write one hide and send one notice.
        """

        def job(conn: sqlite3.Connection) -> str | None:
            lock_row(conn, "impressions", impression_id)
            columns = ", ".join(changes)
            row = conn.execute(
                f"SELECT status, {columns} FROM impressions WHERE guild_id = ? AND id = ?", (guild_id, impression_id)
            ).fetchone()
            if row is None:
                return None
            status = str(row[0])
            if status == "removed" or (only_from and status not in only_from):
                return status
            before = dict(zip(changes, tuple(row)[1:], strict=True))
            assignments = ", ".join(f"{column} = ?" for column in changes)
            conn.execute(
                f"UPDATE impressions SET {assignments}, updated_at = ? WHERE id = ?",
                (*changes.values(), utc_now(), impression_id),
            )
            audit(conn, guild_id, actor_id, action, ("impression", impression_id), reason, before, changes)
            if notice is not None:
                notify(conn, self._db.noticed, guild_id, notice[0], notice[1])
            return status

        return await self._db.write(job)

    async def ban(
        self, guild_id: int, user_id: int, actor_id: int, reason: str, expires_at: str | None
    ) -> tuple[bool, str | None]:
        """Ban a member; (False, when the ban ends) and nothing written if one is already in force."""

        def job(conn: sqlite3.Connection) -> tuple[bool, str | None]:
            # The member's turn, as their posts take it: a second ban at once waits and finds this one in
            # force, and a post in progress is either before the ban or sees it.
            after_members_writes(conn, guild_id, user_id)
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
            audit(conn, guild_id, actor_id, "member.ban", ("member", user_id), reason, None, {"expires_at": expires_at})
            return True, expires_at

        return await self._db.write(job)

    async def unban(self, guild_id: int, user_id: int, actor_id: int) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute("DELETE FROM reviewer_bans WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
            if cursor.rowcount == 0:
                return False
            audit(conn, guild_id, actor_id, "member.unban", ("member", user_id))
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
        # Forgotten before the read: a notice written from now on adds the member again.
        self._db.noticed.discard((guild_id, user_id))

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
        if (guild_id, user_id) not in self._db.noticed:
            return False  # nothing was left for them since the store opened: no read needed
        found = await self._db.fetch_value(
            "SELECT 1 FROM member_notices WHERE guild_id = ? AND user_id = ? AND delivered_at IS NULL LIMIT 1",
            (guild_id, user_id),
        )
        return found is not None
