"""The series a server watches, and the episode prompts posted for them (once per server, series and
episode, ever: the row is claimed before the message is posted)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from bot.store.audit import audit, notify
from bot.store.backend import Backend
from bot.store.catalog import utc_now


@dataclass(frozen=True, slots=True)
class Watch:
    guild_id: int
    series_id: int
    title: str
    channel_id: int
    added_by: int
    disabled_reason: str | None
    broadcast: str | None  # the server's own rule when it set one, else the catalog's
    broadcast_end: str | None
    episodes: int | None
    announced: int | None  # the newest episode announced so far
    own_schedule: bool  # the server's moderators set the schedule (AniList's next airing does not apply)
    next_episode: int | None
    next_episode_at: str | None
    first_episode: int  # of the server's own schedule (1 for the catalog's)


# A server's own schedule replaces the catalog's rule whole: its end and episode count came with the rule.
_WATCHES = (
    "SELECT w.guild_id, w.series_id, s.title, w.channel_id, w.added_by, w.disabled_reason, "
    "coalesce(g.broadcast, s.broadcast), CASE WHEN g.broadcast IS NULL THEN s.broadcast_end END, "
    "coalesce(g.episodes, s.episodes), (SELECT max(p.episode) FROM episode_prompts p "
    "WHERE p.guild_id = w.guild_id AND p.series_id = w.series_id), g.broadcast IS NOT NULL, "
    "s.next_episode, s.next_episode_at, coalesce(g.first, 1) "
    "FROM watches w JOIN series s ON s.id = w.series_id "
    "LEFT JOIN guild_schedules g ON g.guild_id = w.guild_id AND g.series_id = w.series_id"
)


class PromptKey(NamedTuple):
    guild_id: int
    series_id: int
    episode: int


@dataclass(frozen=True, slots=True)
class LivePrompt:
    """A posted episode prompt and what its count line should say now."""

    key: PromptKey
    title: str
    channel_id: int
    message_id: int
    aired_at: str
    shown: str | None  # the count line it shows (None: none yet)
    impressions: int
    average_overall: float | None
    rated_overall: int


def _watch(row: Sequence[Any]) -> Watch:
    guild_id, series_id, title, channel_id, added_by, disabled, broadcast, end, episodes, announced, own = row[:11]
    return Watch(
        guild_id, series_id, title, channel_id, added_by, disabled, broadcast, end, episodes, announced,
        bool(own), row[11], row[12], row[13],
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class OwnSchedule:
    """A schedule a server's moderators set for a series."""

    broadcast: str
    episodes: int | None
    first_episode: int = 1


_OWN_FIELDS = ("broadcast", "episodes", "first")


def _own_values(schedule: OwnSchedule) -> tuple[str, int | None, int]:
    return schedule.broadcast, schedule.episodes, schedule.first_episode


class WatchStore:
    def __init__(self, db: Backend) -> None:
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
        return [_watch(row) for row in rows]

    async def active(self) -> list[Watch]:
        """Every watch that can prompt: not disabled, on a series with a broadcast rule."""
        rows = await self._db.fetch_all(
            f"{_WATCHES} WHERE w.disabled_reason IS NULL "
            "AND (s.broadcast IS NOT NULL OR g.broadcast IS NOT NULL OR s.next_episode_at IS NOT NULL)"
        )
        return [_watch(row) for row in rows]

    async def claim(self, guild_id: int, series_id: int, episode: int, channel_id: int, aired_at: str) -> bool:
        """Take the prompt of this episode here; False when it was taken already (by any earlier run)."""

        def job(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO episode_prompts (guild_id, series_id, episode, channel_id, posted_at, "
                "aired_at) VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, series_id, episode, channel_id, utc_now(), aired_at),
            )
            return cursor.rowcount == 1

        return await self._db.write(job)

    async def posted(self, key: PromptKey, message_id: int | None, thread_id: int | None) -> None:
        await self._db.write(
            lambda conn: conn.execute(
                "UPDATE episode_prompts SET message_id = ?, thread_id = ? "
                "WHERE guild_id = ? AND series_id = ? AND episode = ?",
                (message_id, thread_id, *key),
            )
        )

    async def live(self, aired_since: str, aired_by: str) -> list[LivePrompt]:
        """Posted prompts of episodes aired in that span, with the impressions of that episode in that server."""
        rows = await self._db.fetch_all(
            "SELECT p.guild_id, p.series_id, p.episode, s.title, p.channel_id, p.message_id, p.aired_at, p.shown, "
            "count(i.id), avg(i.score_overall), count(i.score_overall) "
            "FROM episode_prompts p JOIN series s ON s.id = p.series_id "
            "LEFT JOIN impressions i ON i.guild_id = p.guild_id AND i.series_id = p.series_id "
            "AND i.episodes_watched = p.episode AND i.scope = 'episodes' AND i.status = 'published' "
            "WHERE p.message_id IS NOT NULL AND p.aired_at BETWEEN ? AND ? "
            "GROUP BY p.guild_id, p.series_id, p.episode, s.title, p.channel_id, p.message_id, p.aired_at, p.shown",
            (aired_since, aired_by),
        )
        return [LivePrompt(PromptKey(*row[:3]), *row[3:]) for row in rows]

    async def shown(self, key: PromptKey, line: str) -> None:
        await self._db.write(
            lambda conn: conn.execute(
                "UPDATE episode_prompts SET shown = ? WHERE guild_id = ? AND series_id = ? AND episode = ?",
                (line, *key),
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

    async def own_schedule(self, guild_id: int, series_id: int) -> OwnSchedule | None:
        row = await self._db.fetch_one(
            "SELECT broadcast, episodes, first FROM guild_schedules WHERE guild_id = ? AND series_id = ?",
            (guild_id, series_id),
        )
        return None if row is None else OwnSchedule(*row)

    async def set_schedule(
        self, guild_id: int, series_id: int, schedule: OwnSchedule | None, user_id: int
    ) -> OwnSchedule | None:
        """Set (or, with None, drop) the server's own schedule of a series; what it was before."""

        def job(conn: sqlite3.Connection) -> OwnSchedule | None:
            row = conn.execute(
                "SELECT broadcast, episodes, first FROM guild_schedules WHERE guild_id = ? AND series_id = ?",
                (guild_id, series_id),
            ).fetchone()
            before = None if row is None else OwnSchedule(*row)
            if schedule is None:
                conn.execute("DELETE FROM guild_schedules WHERE guild_id = ? AND series_id = ?", (guild_id, series_id))
            else:
                conn.execute(
                    "INSERT INTO guild_schedules (guild_id, series_id, broadcast, episodes, first, set_by, set_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, series_id) DO UPDATE SET "
                    "broadcast = excluded.broadcast, episodes = excluded.episodes, first = excluded.first, "
                    "set_by = excluded.set_by, set_at = excluded.set_at",
                    (guild_id, series_id, *_own_values(schedule), user_id, utc_now()),
                )
            audit(
                conn, guild_id, user_id, "watch.schedule", ("series", series_id), None,
                None if before is None else dict(zip(_OWN_FIELDS, _own_values(before), strict=True)),
                None if schedule is None else dict(zip(_OWN_FIELDS, _own_values(schedule), strict=True)),
            )  # fmt: skip
            return before

        return await self._db.write(job)
