"""How the store opens SQLite: in autocommit mode (each write's BEGIN … COMMIT is the store's own),
rows readable by column name, a busy timeout rather than an immediate "database is locked", and
foreign keys enforced."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

BUSY_TIMEOUT_MS = 5000


Location = Path | str  # an SQLite file, or a postgresql:// address (DATABASE_URL)


LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout that ran out


def is_busy(error: BaseException) -> bool:
    """Whether `error` is the database giving up on a lock another connection held past BUSY_TIMEOUT_MS
    (an import, a restore, the `sqlite3` shell, another PostgreSQL client): the machine's state, not a
    bug, and the transaction wrote nothing. (psycopg's errors are told by their SQLSTATE: a bot on SQLite
    never imports psycopg.)"""
    if isinstance(error, sqlite3.OperationalError):
        return error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return getattr(error, "sqlstate", None) == LOCK_NOT_AVAILABLE


def is_postgresql(location: Location) -> bool:
    """Whether `location` is a PostgreSQL address (else an SQLite file)."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def on_postgresql(conn: Any) -> bool:
    """Whether a connection `open_location` gave is PostgreSQL's (a PgConnection), not an sqlite3 one."""
    return not isinstance(conn, sqlite3.Connection)


def open_location(location: Location, *, read_only: bool = False) -> Any:
    """A connection to either backend for the offline tools and bulk writers (catalog import, refresh,
    index build, export): an sqlite3.Connection, or a PgConnection that reads the same SQL."""
    if is_postgresql(location):
        from bot.store.postgresql_database import PgConnection  # psycopg only when PostgreSQL is used

        return PgConnection.open(str(location))
    if read_only:
        return open_connection(f"file:{location}?mode=ro", uri=True)
    return open_connection(location)


CATALOG_WRITES = 7_412_001  # the advisory lock PostgreSQL's catalog writers take, one at a time


def begin_catalog_write(conn: Any) -> None:
    """Begin a transaction that writes the catalog, after any other process's catalog write: SQLite's
    BEGIN IMMEDIATE waits for the one writer; PostgreSQL's writers wait for an advisory lock, so two bot
    processes starting on one empty database load the starter catalog once, not twice."""
    conn.execute("BEGIN IMMEDIATE")
    after_catalog_writes(conn)


def lock_row(conn: Any, table: str, row_id: int) -> None:
    """In a write transaction that reads a row to decide how to change it (approve what is pending, hide
    what is not deleted): on PostgreSQL, lock it first, so the read is what the write changes. Without
    the lock, an author's delete committed between the two let a moderator's approval publish the
    deleted impression. (SQLite's one writer runs alone: nothing to do.)"""
    if on_postgresql(conn):
        # NO KEY: the lock an UPDATE of its other columns takes, so a row added beside it (a public post,
        # a report: their foreign keys take KEY SHARE) does not wait for the decision.
        conn.execute(f"SELECT 1 FROM {table} WHERE id = ? FOR NO KEY UPDATE", (row_id,))


def after_members_writes(conn: Any, guild_id: int, user_id: int) -> None:
    """In a write transaction that decides from a member's own rows whether to post (the same form sent
    twice, a duplicate, the posting limit): on PostgreSQL, wait for that member's other post in progress
    in this server, so its row is seen. Two at once both found nothing: the second failed on the unique
    submission key, or two duplicates were kept, or the limit let one more through. A ban of the member
    takes the same turn: two at once both found no ban in force. (Two 32-bit keys: a
    lock space of their own, apart from CATALOG_WRITES; two members sharing keys only wait in turn.)"""
    if on_postgresql(conn):
        conn.execute(
            "SELECT pg_advisory_xact_lock(CAST(? AS integer), CAST(? AS integer))", (guild_id % 2**31, user_id % 2**31)
        )


def after_catalog_writes(conn: Any) -> None:
    """In a write transaction that reads the catalog to decide what it writes (a curator's edit,
    AniList's texts beside the curated ones): wait for any other process's catalog write, as SQLite's
    one writer does, so what it read is not changed under it before it commits. PostgreSQL's
    transactions otherwise see each other's commits between a read and a write: an import could put
    back a synopsis a curator had just written."""
    if on_postgresql(conn):
        conn.execute("SELECT pg_advisory_xact_lock(?)", (CATALOG_WRITES,))


def open_connection(target: Path | str, *, uri: bool = False, any_thread: bool = False) -> sqlite3.Connection:
    """`any_thread`: for a connection handed to a thread of its own (the reader, the group-commit writer)."""
    conn = sqlite3.connect(target, isolation_level=None, uri=uri, check_same_thread=not any_thread)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn
