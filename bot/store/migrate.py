"""Forward-only schema migrations: `migrations/NNNN_name.sql`, applied in order, recorded in user_version.
PostgreSQL's are in `migrations_postgresql/` (bot/store/postgresql.py), under the same numbers."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

log = logging.getLogger(__name__)
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of the bot than this one."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations(folder_name: str = "migrations") -> list[Migration]:
    folder = resources.files("bot.store") / folder_name
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    first = versions[0] if versions else 1  # PostgreSQL's begin with a baseline equal to SQLite's 0001-0010
    if versions != list(range(first, first + len(found))):
        raise RuntimeError(f"migrations must be numbered one after another without gaps, found {versions}")
    return found


def pending(migrations: list[Migration], current: int, database: str) -> list[Migration]:
    """The migrations after `current`; a database newer than every migration is refused."""
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise SchemaTooNewError(
            f"The {database} is at schema version {current}, but this bot only knows up to {latest}; "
            "it was written by a newer release. Upgrade the bot or point DATABASE_PATH at another file."
        )
    return [migration for migration in migrations if migration.version > current]


async def apply_migrations(conn: aiosqlite.Connection, migrations: list[Migration] | None = None) -> int:
    """Bring the schema up to date; returns the resulting version."""
    migrations = bundled_migrations() if migrations is None else migrations
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    for migration in pending(migrations, current, "database"):
        log.info("Applying migration %s", migration.name)
        # One transaction per migration: a failure leaves the previous version intact.
        script = f"BEGIN IMMEDIATE;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
        try:
            await conn.executescript(script)
        except Exception:
            if conn.in_transaction:
                await conn.rollback()
            raise
        current = migration.version
    return current
