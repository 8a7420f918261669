"""PostgreSQL: its schema (`migrations_postgresql/`, applied forward and recorded in `schema_version`)
and `python -m bot migrate-to`, which copies an SQLite database into an empty PostgreSQL one and proves
the copy: each table's row count and checksum, read back from PostgreSQL, equal the SQLite file's.

The bot's own reads and writes on PostgreSQL are `postgresql_database.py`'s (README, "Scaling out")."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bot.config import ConfigError
from bot.store.connection import is_postgresql, open_connection
from bot.store.migrate import bundled_migrations, pending

FOLDER = "migrations_postgresql"
# Kept by triggers from impressions: copied as they are (their triggers off meanwhile), so that a
# copy is the same data, not a recomputation that would differ in its version counters.
TRIGGERED = ("impressions", "series_reviewers")
_NOT_COPIED = ("sqlite_",)  # SQLite's own tables
_BATCH = 5_000
_MIGRATIONS_LOCK = 7_412_000  # an advisory lock: one process migrates at a time
_MODULUS = 2**128


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    rows: int
    checksum: str  # of the rows as PostgreSQL holds them, the same as of the SQLite file's


def connect(url: str) -> psycopg.Connection[Any]:
    """A connection to the PostgreSQL at `url`; a malformed address is a configuration error, a server
    that does not answer is psycopg.OperationalError (the caller says which, in one sentence)."""
    if not is_postgresql(url):
        # The address is not repeated: it may hold a password.
        raise ConfigError("That is not a PostgreSQL address: it starts with postgresql://")
    try:
        # Autocommit: each `with conn.transaction()` block is a transaction of its own, and nothing else is.
        return psycopg.connect(url, connect_timeout=10, autocommit=True)
    except psycopg.ProgrammingError as error:  # an unparsable address
        raise ConfigError(f"The PostgreSQL address cannot be read: {error}.") from None


def schema_version(conn: psycopg.Connection[Any]) -> int:
    found = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not found or not found[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def apply_postgresql_migrations(conn: psycopg.Connection[Any]) -> int:
    """Bring PostgreSQL's schema up to date, in one transaction; returns its version. Processes that
    start together (two shards on one new database) take turns: the second finds the work done."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATIONS_LOCK,))
        current = schema_version(conn)
        for migration in pending(bundled_migrations(FOLDER), current, "PostgreSQL database"):
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            conn.execute(migration.sql.encode())  # bytes: the script is several statements, run as one
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (migration.version,))
            current = migration.version
    return current


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return [name for name in names if not name.startswith(_NOT_COPIED)]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return sorted(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))


def _postgresql_columns(conn: psycopg.Connection[Any]) -> dict[str, dict[str, str]]:
    """Each table of the public schema: its columns and their types."""
    found: dict[str, dict[str, str]] = {}
    for table, column, kind in conn.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'"
    ):
        found.setdefault(table, {})[column] = kind
    found.pop("schema_version", None)
    return found


def checksum(rows: Iterable[Iterable[Any]], types: list[str]) -> tuple[int, str]:
    """(rows, checksum): a sum of each row's hash, so the order rows are read in does not matter. Each
    value is read as its PostgreSQL column holds it (SQLite may keep 5 in a TEXT column, PostgreSQL '5')."""
    count, total = 0, 0
    for row in rows:
        values = [
            None if value is None else (int(value) if kind == "bigint" else str(value))
            for value, kind in zip(row, types, strict=True)
        ]
        digest = hashlib.blake2b(json.dumps(values, ensure_ascii=False).encode(), digest_size=16).digest()
        total = (total + int.from_bytes(digest, "big")) % _MODULUS
        count += 1
    return count, f"{total:032x}"


def _sqlite_rows(conn: sqlite3.Connection, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    cursor = conn.execute(f"SELECT {', '.join(columns)} FROM {table}")
    while batch := cursor.fetchmany(_BATCH):
        yield from (tuple(row) for row in batch)


def _postgresql_rows(conn: psycopg.Connection[Any], table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table))
    with conn.cursor(name=f"verify_{table}") as cursor:  # server-side: a million rows are not held at once
        cursor.itersize = _BATCH
        cursor.execute(query)
        yield from cursor


def migrate_to(source: Path, url: str) -> list[TableCopy]:
    """Copy every table of the SQLite database at `source` (at the current schema version) into the
    empty PostgreSQL database at `url`, and verify each table read back, in one transaction: a copy
    that does not verify is not kept. The SQLite file is only read, as one snapshot."""
    lite = open_connection(f"file:{source}?mode=ro", uri=True)
    try:
        # One read transaction: every table is read from the same snapshot, even while the bot writes.
        lite.execute("BEGIN")
        with connect(url) as pg:
            if _postgresql_columns(pg) or schema_version(pg):
                raise ConfigError(
                    "The PostgreSQL database is not empty (it has tables already); give an empty one, "
                    "so that nothing there is overwritten."
                )
            apply_postgresql_migrations(pg)
            target = _postgresql_columns(pg)
            tables = _sqlite_tables(lite)
            for table in tables:
                if sorted(target.get(table, {})) != _columns(lite, table):
                    raise RuntimeError(f"The two schemas differ at table {table}: this release's migrations disagree.")
            with pg.transaction():
                copied = _copy(lite, pg, {table: target[table] for table in tables})
                return [_verified(pg, table, target[table], copied[table]) for table in tables]
    finally:
        lite.close()


def _written(rows: Iterable[tuple[Any, ...]], copy: psycopg.Copy) -> Iterator[tuple[Any, ...]]:
    """`rows`, each written to PostgreSQL's COPY as it passes (to be checksummed on the way)."""
    for row in rows:
        copy.write_row(row)
        yield row


def _copy(
    lite: sqlite3.Connection, pg: psycopg.Connection[Any], tables: dict[str, dict[str, str]]
) -> dict[str, tuple[int, str]]:
    """Inside the caller's transaction; each table's rows and checksum as read from SQLite, on the way
    (tables: each one's columns and their PostgreSQL types)."""
    pg.execute("SET CONSTRAINTS ALL DEFERRED")  # a series may be merged into one copied after it
    for table in TRIGGERED:
        pg.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(sql.Identifier(table)))
    copied = {}
    for table, kinds in tables.items():
        columns = sorted(kinds)
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        try:
            with pg.cursor().copy(statement) as copy:
                rows = _written(_sqlite_rows(lite, table, columns), copy)
                copied[table] = checksum(rows, [kinds[column] for column in columns])
        except psycopg.DataError as error:  # text with a NUL character: SQLite keeps it, PostgreSQL cannot
            reason = " ".join(str(error).split())[:200]
            raise RuntimeError(f"Table {table} holds a value PostgreSQL cannot store ({reason})") from None
    pg.execute("SET CONSTRAINTS ALL IMMEDIATE")  # every row is in: check the references now
    for table in TRIGGERED:
        pg.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(sql.Identifier(table)))
    continue_identities(pg)
    return copied


def continue_identities(pg: psycopg.Connection[Any]) -> None:
    """After rows were written with the ids they had elsewhere (a copy, a restore): PostgreSQL's next id
    of each table follows the largest one there, as SQLite's does by itself."""
    for table, column in pg.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND is_identity = 'YES'"
    ).fetchall():
        pg.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence({}, {}), coalesce(max({}), 0) + 1, false) FROM {}").format(
                sql.Literal(table), sql.Literal(column), sql.Identifier(column), sql.Identifier(table)
            )
        )


def _verified(pg: psycopg.Connection[Any], table: str, kinds: dict[str, str], expected: tuple[int, str]) -> TableCopy:
    """The table read back from PostgreSQL holds what was read from SQLite."""
    columns = sorted(kinds)
    found = checksum(_postgresql_rows(pg, table, columns), [kinds[column] for column in columns])
    if found != expected:
        raise RuntimeError(
            f"Table {table} differs after the copy: {expected[0]:,} rows (checksum {expected[1][:12]}) in SQLite, "
            f"{found[0]:,} rows (checksum {found[1][:12]}) in PostgreSQL; nothing was kept."
        )
    return TableCopy(table, found[0], found[1])
