"""SQLite access: two readers, a group-commit writer for member actions, and a locked writer for the rest.

WAL lets the readers run beside the writers. One reader serves what members wait on in Discord; the
other (`aside`) serves the public site and the charts' data, so 200 page requests or a chart's 20 ms
read never queue in front of a member's lookup. Every trip to a database thread is counted
(`round_trips`): a command answers after at most one, which tests check through this counter."""

from __future__ import annotations

import asyncio
import copy
import sqlite3
from collections.abc import AsyncIterator, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bot.store.backend import Fetching, Trips
from bot.store.connection import BUSY_TIMEOUT_MS, open_connection
from bot.store.group_commit import GroupCommitWriter
from bot.store.migrate import apply_migrations
from bot.store.remembered import Remembered, watched_tables

T = TypeVar("T")

_NOTICED = "SELECT DISTINCT guild_id, user_id FROM member_notices WHERE delivered_at IS NULL"


async def _connect(path: Path) -> aiosqlite.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so one user action is one transaction.
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA foreign_keys = ON")
    return conn


class Database(Fetching):
    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        readers: tuple[sqlite3.Connection, ...],
        here: sqlite3.Connection,
    ) -> None:
        self.path = path
        self._writer = writer
        # A reader is a plain connection used only by its one thread, so a read job may run several
        # statements in one trip (`read`): each trip costs a thread hop, about 100 µs, more than the SQL.
        self._readers = readers
        # Quick reads (a card, an impression: a few index lookups) run on the event loop's own
        # connection: the hop to a reader thread and back cost more than the job (`read`).
        self._here = here
        self._remembered = Remembered(watched_tables(here))
        self._read_threads = tuple(
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-reader-{n}") for n in range(len(readers))
        )
        self._lane = 0  # which reader this view reads with
        self.dialect = "sqlite"
        self._write_lock = asyncio.Lock()
        self._group = GroupCommitWriter(path)
        self._trips = Trips()
        # Who may have a notice waiting (guild, member): read once at open, added to by every write that
        # leaves one (`notify` in bot/store/audit.py), so most commands need no read to know there is none.
        self.noticed: set[tuple[int, int]] = set()

    @classmethod
    async def open(cls, path: Path) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        readers: list[sqlite3.Connection] = []
        here: sqlite3.Connection | None = None
        try:
            async with writer.execute("PRAGMA journal_mode = WAL") as cursor:
                await cursor.fetchone()
            # FULL: a committed impression survives power loss too, not only a crash; writes are rare.
            await writer.execute("PRAGMA synchronous = FULL")
            await apply_migrations(writer)
            for _ in range(2):  # members' reads, and the site's and charts' (`aside`)
                readers.append(open_connection(path, any_thread=True))
            here = open_connection(path)
            # Never wait for a lock on the event loop: a quick read that finds the database busy (rare
            # in WAL mode) is run again on a reader's thread, which waits.
            here.execute("PRAGMA busy_timeout = 0")
        except BaseException:
            for reader in readers:
                reader.close()
            if here is not None:
                here.close()
            await writer.close()
            raise
        database = cls(path, writer, tuple(readers), here)
        database.noticed = {(row[0], row[1]) for row in await database.fetch_all(_NOTICED)}
        return database

    async def write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run `job` atomically and durably, sharing a commit with writes that arrive at the same time.

        The path for frequent member actions; `transaction()` is for rare writes that read as they go.
        """
        self._trips.count += 1
        return await self._group.run(job)

    @property
    def location(self) -> Path:
        return self.path

    @property
    def round_trips(self) -> int:
        return self._trips.count

    @property
    def aside(self) -> Database:
        """This database, reading with the second reader: for the public site and the charts, whose
        reads must not queue in front of members' (writes and everything else are shared)."""
        view = copy.copy(self)
        view._lane = 1
        return view

    async def close(self) -> None:
        await self._group.close()
        async with self._write_lock:
            await self._writer.close()
        loop = asyncio.get_running_loop()
        for reader, thread in zip(self._readers, self._read_threads, strict=True):
            await loop.run_in_executor(thread, reader.close)
            thread.shutdown()
        self._here.close()

    async def read(
        self, job: Callable[[sqlite3.Connection], T], *, quick: bool = False, key: Hashable | None = None
    ) -> T:
        """Run `job` on the reader's thread: one trip, however many statements it runs. A job reads
        every statement to the end: one left open would pin an old snapshot for every later read.

        `quick`: a job of a few index lookups that a member waits on runs here, on the event loop. Its
        SQL takes tens of microseconds; the hop to a thread and back took 100 µs more, and waking the
        loop from another thread more again (`/impression show` answered 0.18 ms sooner, bench e2e's
        set-up). Reads that scan, and the site's and charts' (`aside`), keep their thread.

        `key`: a quick read's result is remembered under it until a table it reads changes
        (bot/store/remembered.py), so a card looked up again costs one row's read instead of its SQL.
        The key must name everything the job reads by, and the result must be immutable."""
        self._trips.count += 1
        lane = self._lane
        if quick and lane == 0:
            try:
                if key is None:
                    return job(self._here)
                return self._remembered.read(self._here, job, key)
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    raise
        return await asyncio.get_running_loop().run_in_executor(self._read_threads[lane], job, self._readers[lane])

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block as one write transaction; it commits on success and rolls back on any error."""
        async with self._write_lock:
            self._trips.count += 1
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.rollback()
                raise
            else:
                await self._writer.commit()
