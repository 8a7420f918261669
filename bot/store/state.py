"""Facts the bot keeps about itself (key → text), such as the last published command list's hash."""

from __future__ import annotations

import sqlite3

from bot.store.backend import Backend
from bot.store.catalog import utc_now


class StateStore:
    def __init__(self, db: Backend) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        value = await self._db.fetch_value("SELECT value FROM bot_state WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def set_once(self, key: str, value: str) -> str:
        """`value` stored under `key` unless one is there already; the stored one. Safe between processes
        (the bot's and its public site's): the first writer wins and both read the same."""

        def job(conn: sqlite3.Connection) -> str:
            conn.execute(
                "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (key, value, utc_now()),
            )
            return str(conn.execute("SELECT value FROM bot_state WHERE key = ?", (key,)).fetchone()[0])

        return await self._db.write(job)

    async def set(self, key: str, value: str) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, value, utc_now()),
            )

        await self._db.write(job)
