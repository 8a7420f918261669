"""The store on PostgreSQL: the interface of `backend.Backend` (`read`, `write`, `fetch_*`, `aside`,
`round_trips`, `noticed`), as SQLite's `Database` gives it, so no store function, service or cog knows
which backend it runs on.

A store job is a plain function of a connection. Here it gets a `PgConnection`: the part of
`sqlite3.Connection` the store uses (`execute`, `executemany`, `lastrowid`, `rowcount`, `total_changes`,
rows readable by index and by column name), over psycopg, each statement rewritten once by
`bot.store.dialect`. Each connection lives on a thread of its own, as SQLite's do, so a job runs
however many statements it needs in one trip.

Writes: each job is one transaction of its own (PostgreSQL commits concurrently; SQLite's group
commit is what one file needs, not this). Two transactions that touch the same aggregates can
deadlock or fail to serialize; PostgreSQL then rolls one back, and it is run again, whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import logging
import re
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import psycopg
from psycopg import errors
from psycopg.adapt import Loader
from psycopg.types.numeric import IntDumper

from bot.store.backend import Fetching, Trips
from bot.store.connection import BUSY_TIMEOUT_MS
from bot.store.dialect import RETURNING, inserted_table, to_postgresql
from bot.store.postgresql import apply_postgresql_migrations, connect

T = TypeVar("T")
log = logging.getLogger(__name__)

_NOTICED = "SELECT DISTINCT guild_id, user_id FROM member_notices WHERE delivered_at IS NULL"
_RETRIED = (errors.DeadlockDetected, errors.SerializationFailure)
_ATTEMPTS = 5
_CHANGES = re.compile(r"^\s*(?:UPDATE|DELETE)\b", re.IGNORECASE)
# Connections: members' reads, the site's and charts' reads (one), and writes. Each is a trip to the
# server, so reads that arrive together run side by side (SQLite's one reader answers in microseconds).
READERS = 3
WRITERS = 3


class _BrokenBeforeCommit(Exception):
    """The connection broke before a write's COMMIT was sent: nothing of it was written."""


class PgRow(tuple[Any, ...]):
    """A row read by index or by column name, as sqlite3.Row is."""

    __slots__ = ()
    _names: ClassVar[tuple[str, ...]] = ()
    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


@lru_cache(maxsize=1024)
def _row_class(names: tuple[str, ...]) -> type[PgRow]:
    return type("PgRow", (PgRow,), {"__slots__": (), "_names": names, "_index": {n: i for i, n in enumerate(names)}})


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], PgRow]:
    names = tuple(column.name for column in cursor.description or ())
    made = _row_class(names)
    return lambda values: made(values)


class _NumberLoader(Loader):
    """`numeric` (what PostgreSQL's sum() of BIGINT gives) as an int, or a float: SQLite gives those."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        return float(text) if "." in text or "e" in text.lower() else int(text)


def identity_tables_of(conn: psycopg.Connection[Any]) -> frozenset[str]:
    """The tables whose `id` PostgreSQL assigns: an INSERT into one returns it (SQLite's lastrowid)."""
    rows = conn.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND column_name = 'id' AND is_identity = 'YES'"
    )
    return frozenset(row[0] for row in rows)


@lru_cache(maxsize=2048)
def _plan(statement: str, identity_tables: frozenset[str]) -> tuple[bytes, bool, bool]:
    """How a store statement runs here, worked out once per statement: the query PostgreSQL reads, whether
    it returns the new row's id (SQLite's lastrowid), and whether it counts in `total_changes`."""
    table = inserted_table(statement)
    wants_id = table in identity_tables and not RETURNING.search(statement)
    changes = table is not None or bool(_CHANGES.match(statement))
    return to_postgresql(statement, wants_id).encode(), wants_id, changes


class PgCursor:
    """What a store job reads from an executed statement."""

    __slots__ = ("_cursor", "lastrowid", "rowcount")

    def __init__(self, cursor: psycopg.Cursor[PgRow], lastrowid: int | None) -> None:
        self._cursor = cursor
        self.lastrowid = lastrowid
        self.rowcount = cursor.rowcount

    def fetchone(self) -> PgRow | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[PgRow]:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int) -> list[PgRow]:
        return self._cursor.fetchmany(size) if self._cursor.description else []

    def __iter__(self) -> Iterator[PgRow]:
        return iter(self.fetchall())

    @property
    def description(self) -> Any:
        return self._cursor.description


class PgConnection:
    """The subset of sqlite3.Connection that store jobs use, over one psycopg connection."""

    def __init__(self, conn: psycopg.Connection[Any], identity_tables: frozenset[str]) -> None:
        self.raw = conn
        self._identity_tables = identity_tables
        self.total_changes = 0

    @classmethod
    def open(
        cls, url: str, identity_tables: frozenset[str] | None = None, *, lock_timeout_ms: int | None = None
    ) -> PgConnection:
        conn = connect(url)
        if lock_timeout_ms is not None:
            conn.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
        conn.row_factory = _row_factory
        # SQLite has no booleans: a Python bool is stored as 0/1, and the schema's flags are integers.
        conn.adapters.register_dumper(bool, IntDumper)
        conn.adapters.register_loader("numeric", _NumberLoader)
        return cls(conn, identity_tables_of(conn) if identity_tables is None else identity_tables)

    def execute(self, statement: str, params: Iterable[Any] = ()) -> PgCursor:
        query, wants_id, changes = _plan(statement, self._identity_tables)
        cursor = self.raw.cursor()
        cursor.execute(query, tuple(params))
        lastrowid = None
        if wants_id:
            row = cursor.fetchone()
            lastrowid = None if row is None else int(row[0])  # None: INSERT OR IGNORE met its conflict
        if changes:
            self.total_changes += max(cursor.rowcount, 0)
        return PgCursor(cursor, lastrowid)

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> PgCursor:
        cursor = self.raw.cursor()
        batch = [tuple(row) for row in rows]
        if batch:
            cursor.executemany(_plan(statement, frozenset())[0], batch)
            self.total_changes += max(cursor.rowcount, 0)
        return PgCursor(cursor, None)

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


class _Lane:
    """One connection and the one thread that uses it; a connection the server dropped (a restart, a
    failover) is opened again before the lane's next job."""

    def __init__(self, conn: PgConnection, name: str, url: str, lock_timeout_ms: int | None = None) -> None:
        self.conn = conn
        self.url = url
        self.lock_timeout_ms = lock_timeout_ms
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    def run(self, job: Callable[[PgConnection], T]) -> T:
        """On the lane's thread: the job, on a live connection."""
        if self.conn.raw.closed or self.conn.raw.broken:
            tables = self.conn._identity_tables
            with contextlib.suppress(psycopg.Error):
                self.conn.close()
            self.conn = PgConnection.open(self.url, tables, lock_timeout_ms=self.lock_timeout_ms)
            log.info("Reconnected to PostgreSQL")
        return job(self.conn)

    def close(self) -> None:
        self.conn.close()


class _Pool:
    """Lanes that take jobs in turn: a job waits for a free one."""

    def __init__(self, lanes: list[_Lane]) -> None:
        self.lanes = lanes
        self._free: asyncio.Queue[_Lane] = asyncio.Queue()
        for lane in lanes:
            self._free.put_nowait(lane)

    @contextlib.asynccontextmanager
    async def lane(self) -> AsyncIterator[_Lane]:
        lane = await self._free.get()
        try:
            yield lane
        finally:
            self._free.put_nowait(lane)


class PostgresDatabase(Fetching):
    def __init__(self, url: str, path: Path, readers: tuple[_Pool, _Pool], writers: _Pool) -> None:
        self.url = url
        self.path = path  # beside the data: the heartbeat file and local scratch, as with SQLite
        self._readers = readers
        self._lane = 0
        self._writers = writers
        self._trips = Trips()
        self.dialect = "postgresql"
        self.noticed: set[tuple[int, int]] = set()

    @classmethod
    async def open(cls, url: str, path: Path, readers: int = READERS, writers: int = WRITERS) -> PostgresDatabase:
        """`readers` for members' reads, one for the site's and the charts', `writers` writers: the
        connections this process holds (the public site's process asks for fewer)."""

        def opened() -> list[_Lane]:
            first = PgConnection.open(url)
            lanes = [_Lane(first, "postgresql-0", url)]
            try:
                apply_postgresql_migrations(first.raw)
                tables = identity_tables_of(first.raw)
                first._identity_tables = tables
                # A write waits for another client's lock as long as SQLite's would for its writer, then
                # fails as busy (a sentence to the member, store.connection.is_busy): not for ever, with
                # the writer's lane held and every later write queued behind it.
                for n in range(1, readers + 1 + writers):
                    timeout = BUSY_TIMEOUT_MS if n > readers else None
                    conn = PgConnection.open(url, tables, lock_timeout_ms=timeout)
                    lanes.append(_Lane(conn, f"postgresql-{n}", url, timeout))
            except BaseException:
                for lane in lanes:
                    lane.close()
                    lane.thread.shutdown()
                raise
            return lanes

        lanes = await asyncio.to_thread(opened)
        members, aside, writing = lanes[:readers], lanes[readers : readers + 1], lanes[readers + 1 :]
        database = cls(url, path, (_Pool(members), _Pool(aside)), _Pool(writing))
        database.noticed = {(row[0], row[1]) for row in await database.fetch_all(_NOTICED)}
        return database

    @property
    def location(self) -> str:
        return self.url

    @property
    def round_trips(self) -> int:
        return self._trips.count

    @property
    def aside(self) -> PostgresDatabase:
        view = copy.copy(self)
        view._lane = 1
        return view

    async def read(self, job: Callable[[Any], T], *, quick: bool = False, key: Hashable | None = None) -> T:
        # Quick or not, every read is a trip to the server, from a thread; nothing is remembered (`key`):
        # other bots write to the same server, and PostgreSQL has no cheap "changed since" to ask.
        self._trips.count += 1
        # No transaction around the job: each statement sees the data as of its start, as SQLite's
        # reader in autocommit gives, and a BEGIN and COMMIT would be two more trips to the server.
        loop = asyncio.get_running_loop()
        async with self._readers[self._lane].lane() as lane:
            try:
                return await loop.run_in_executor(lane.thread, lane.run, job)
            except psycopg.OperationalError:
                if not lane.conn.raw.broken:
                    raise
                return await loop.run_in_executor(lane.thread, lane.run, job)  # a read is safe to run again

    async def write(self, job: Callable[[Any], T]) -> T:
        """Run `job` as one transaction, committed before this returns; run again if PostgreSQL rolled
        it back for a deadlock or a serialization failure."""
        self._trips.count += 1
        loop = asyncio.get_running_loop()
        async with self._writers.lane() as lane:
            try:
                return await loop.run_in_executor(lane.thread, lane.run, lambda conn: self._committed(conn, job))
            except _BrokenBeforeCommit:  # the server dropped the connection: nothing was written
                return await loop.run_in_executor(lane.thread, lane.run, lambda conn: self._committed(conn, job))

    @staticmethod
    def _committed(conn: PgConnection, job: Callable[[Any], T]) -> T:
        for attempt in itertools.count(1):
            committing = False
            try:
                with conn.raw.transaction():
                    result = job(conn)
                    committing = True
                return result
            except _RETRIED:  # (before OperationalError: they are kinds of it)
                if attempt >= _ATTEMPTS:
                    raise
                log.info("A write was rolled back by PostgreSQL (attempt %d); running it again", attempt)
            except psycopg.OperationalError as error:
                # A connection that broke before COMMIT was sent wrote nothing, and the job may run again
                # on a new one; one that broke during COMMIT may have written: that is the caller's error.
                if conn.raw.broken and not committing:
                    raise _BrokenBeforeCommit from error
                raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        for lane in [lane for pool in (*self._readers, self._writers) for lane in pool.lanes]:
            await loop.run_in_executor(lane.thread, lane.close)
            lane.thread.shutdown()
