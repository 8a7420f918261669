"""SQLite access: a reader, a group-commit writer for member actions, and a locked writer for the rest.

WAL lets the reader run beside the writers."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.store.group_commit import GroupCommitWriter
from bot.store.migrate import apply_migrations

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000


async def _connect(path: Path) -> aiosqlite.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so one user action is one transaction.
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA foreign_keys = ON")
    return conn


class Database:
    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self._group = GroupCommitWriter(path, BUSY_TIMEOUT_MS)

    @classmethod
    async def open(cls, path: Path) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        try:
            async with writer.execute("PRAGMA journal_mode = WAL") as cursor:
                await cursor.fetchone()
            # FULL: a committed impression survives power loss too, not only a crash; writes are rare.
            await writer.execute("PRAGMA synchronous = FULL")
            await apply_migrations(writer)
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run `job` atomically and durably, sharing a commit with writes that arrive at the same time.

        The path for frequent member actions; `transaction()` is for rare writes that read as they go.
        """
        return await self._group.run(job)

    async def close(self) -> None:
        await self._group.close()
        async with self._write_lock:
            await self._writer.close()
        await self._reader.close()

    # Each read is one call on the reader's thread that runs the statement to the end: a statement left
    # open across an await would pin an old snapshot for every other read sharing the connection.
    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self._reader.execute_fetchall(sql, tuple(params))
        return next(iter(rows), None)

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return list(await self._reader.execute_fetchall(sql, tuple(params)))

    async def fetch_value(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block as one write transaction; it commits on success and rolls back on any error."""
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.rollback()
                raise
            else:
                await self._writer.commit()
