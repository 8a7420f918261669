"""The series a server watches, and the episode prompts posted for them (once per server, series and
episode, ever: the row is claimed before the message is posted)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.store.audit import audit, notify
from bot.store.catalog import utc_now
from bot.store.database import Database


@dataclass(frozen=True, slots=True)
class Watch:
    guild_id: int
    series_id: int
    title: str
    channel_id: int
    added_by: int
    disabled_reason: str | None
    broadcast: str | None
    broadcast_end: str | None
    episodes: int | None
    announced: int | None  # the newest episode announced so far


_WATCHES = (
    "SELECT w.guild_id, w.series_id, s.title, w.channel_id, w.added_by, w.disabled_reason, s.broadcast, "
    "s.broadcast_end, s.episodes, (SELECT max(p.episode) FROM episode_prompts p "
    "WHERE p.guild_id = w.guild_id AND p.series_id = w.series_id) "
    "FROM watches w JOIN series s ON s.id = w.series_id"
)


class WatchStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, guild_id: int, series_id: int, channel_id: int, user_id: int) -> None:
        """Watch a series in a channel (again: a new channel, and a disabled watch works again)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO watches (guild_id, series_id, channel_id, added_by, added_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (guild_id, series_id) DO UPDATE SET channel_id = excluded.channel_id, "
                "added_by = excluded.added_by, disabled_reason = NULL",
                (guild_id, series_id, channel_id, user_id, utc_now()),
            )
            audit(conn, guild_id, user_id, "watch.add", ("series", series_id), None, None, {"channel": channel_id})

        await self._db.write(job)

    async def remove(self, guild_id: int, series_id: int, user_id: int) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            gone = conn.execute(
                "DELETE FROM watches WHERE guild_id = ? AND series_id = ?", (guild_id, series_id)
            ).rowcount
            if gone:
                audit(conn, guild_id, user_id, "watch.remove", ("series", series_id))
            return bool(gone)

        return await self._db.write(job)

    async def of_guild(self, guild_id: int) -> list[Watch]:
        rows = await self._db.fetch_all(f"{_WATCHES} WHERE w.guild_id = ? ORDER BY s.title", (guild_id,))
        return [Watch(*row) for row in rows]

    async def active(self) -> list[Watch]:
        """Every watch that can prompt: not disabled, on a series with a broadcast rule."""
        rows = await self._db.fetch_all(f"{_WATCHES} WHERE w.disabled_reason IS NULL AND s.broadcast IS NOT NULL")
        return [Watch(*row) for row in rows]

    async def claim(self, guild_id: int, series_id: int, episode: int, channel_id: int) -> bool:
        """Take the prompt of this episode here; False when it was taken already (by any earlier run)."""

        def job(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO episode_prompts (guild_id, series_id, episode, channel_id, posted_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (guild_id, series_id, episode, channel_id, utc_now()),
            )
            return cursor.rowcount == 1

        return await self._db.write(job)

    async def posted(self, guild_id: int, series_id: int, episode: int, message_id: int) -> None:
        await self._db.write(
            lambda conn: conn.execute(
                "UPDATE episode_prompts SET message_id = ? WHERE guild_id = ? AND series_id = ? AND episode = ?",
                (message_id, guild_id, series_id, episode),
            )
        )

    async def disable(self, watch: Watch, reason: str) -> None:
        """Stop a watch the bot cannot post for, and tell the moderator who added it."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE watches SET disabled_reason = ? WHERE guild_id = ? AND series_id = ?",
                (reason, watch.guild_id, watch.series_id),
            )
            notify(
                conn, self._db.noticed, watch.guild_id, watch.added_by,
                f"Episode prompts for {watch.title} stopped: {reason} Run /watch add again to restart them.",
            )  # fmt: skip

        await self._db.write(job)
