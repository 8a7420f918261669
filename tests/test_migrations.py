from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.store import Store
from bot.store.migrate import Migration, SchemaTooNewError, apply_migrations, bundled_migrations

SCHEMA_TABLES = {
    "series",
    "series_sources",
    "series_names",
    "catalog_meta",
    "impressions",
    "impression_revisions",
    "guild_settings",
    "reviewer_bans",
    "reports",
    "audit_log",
    "member_notices",
}
NOW = "2024-01-31T00:00:00+00:00"


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


async def test_an_empty_database_gets_the_whole_schema_in_wal_mode(database_path: Path) -> None:
    store = await Store.open(database_path)
    try:
        assert await store.db.fetch_value("PRAGMA journal_mode") == "wal"
        assert await store.db.fetch_value("PRAGMA foreign_keys") == 1
        assert await store.db.fetch_value("PRAGMA busy_timeout") > 0
    finally:
        await store.close()
    assert _tables(database_path) >= SCHEMA_TABLES
    assert _user_version(database_path) == len(bundled_migrations())


async def test_both_connections_that_write_commit_durably(database_path: Path) -> None:
    """A member's post (the group-commit writer) and a moderator's action (the transaction writer) each
    reach the disk before they are answered: synchronous FULL (2) in WAL mode, foreign keys kept."""
    store = await Store.open(database_path)
    pragmas = ("journal_mode", "synchronous", "foreign_keys")
    try:
        posting = await store.db.write(
            lambda conn: tuple(conn.execute(f"PRAGMA {name}").fetchone()[0] for name in pragmas)
        )
        async with store.db.transaction() as conn:
            acting = tuple([(await (await conn.execute(f"PRAGMA {name}")).fetchone())[0] for name in pragmas])
    finally:
        await store.close()
    assert posting == acting == ("wal", 2, 1)


async def test_reopening_keeps_rows_and_reapplies_nothing(database_path: Path) -> None:
    store = await Store.open(database_path)
    async with store.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO series (title, created_at, updated_at) VALUES ('Metallic Rouge', ?, ?)", (NOW, NOW)
        )
    await store.close()

    store = await Store.open(database_path)
    try:
        assert await store.db.fetch_value("SELECT title FROM series") == "Metallic Rouge"
        assert (await store.stats.counts(None)).series == 1
    finally:
        await store.close()


async def test_a_new_migration_runs_once_on_an_existing_database(database_path: Path) -> None:
    await (await Store.open(database_path)).close()
    with sqlite3.connect(database_path) as conn:
        conn.execute("INSERT INTO series (title, created_at, updated_at) VALUES ('Bocchi', ?, ?)", (NOW, NOW))
    later = [
        *bundled_migrations(),
        Migration(len(bundled_migrations()) + 1, "later.sql", "ALTER TABLE series ADD COLUMN mood TEXT;"),
    ]

    async with aiosqlite.connect(database_path, isolation_level=None) as conn:
        assert await apply_migrations(conn, later) == later[-1].version
        assert await apply_migrations(conn, later) == later[-1].version  # a second start changes nothing
    with sqlite3.connect(database_path) as conn:
        assert conn.execute("SELECT title, mood FROM series").fetchall() == [("Bocchi", None)]


async def test_a_failing_migration_leaves_the_previous_version_intact(database_path: Path) -> None:
    await (await Store.open(database_path)).close()
    version = _user_version(database_path)
    broken = [
        *bundled_migrations(),
        Migration(version + 1, "broken.sql", "CREATE TABLE half_done (x);\nTHIS IS NOT SQL;"),
    ]
    async with aiosqlite.connect(database_path, isolation_level=None) as conn:
        with pytest.raises(sqlite3.OperationalError):
            await apply_migrations(conn, broken)
    assert _user_version(database_path) == version
    assert "half_done" not in _tables(database_path)


async def test_a_database_from_a_newer_bot_is_refused(database_path: Path) -> None:
    await (await Store.open(database_path)).close()
    with sqlite3.connect(database_path) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(SchemaTooNewError, match="schema version 999"):
        await Store.open(database_path)


def test_migration_files_are_numbered_without_gaps() -> None:
    migrations = bundled_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "0001_initial.sql"


async def test_migration_13_keeps_the_recorded_posts_and_accepts_pages(database_path: Path) -> None:
    """0013 copies `impression_posts` into a table whose CHECK allows a page: every post recorded before
    is kept, with its foreign key and index."""
    async with aiosqlite.connect(database_path) as conn:
        await conn.execute("PRAGMA foreign_keys = ON")
        assert await apply_migrations(conn, bundled_migrations()[:12]) == 12
        await conn.execute(
            "INSERT INTO series (id, title, created_at, updated_at) VALUES (1, 'Rouge', ?, ?)", (NOW, NOW)
        )
        await conn.execute(
            "INSERT INTO impressions (id, guild_id, series_id, author_id, author_name, scope, text, created_at, "
            "updated_at) VALUES (5, 1, 1, 7, 'Ann', 'completed', 'Kept.', ?, ?)",
            (NOW, NOW),
        )
        for message_id, kind in ((10, "card"), (11, "announcement")):
            await conn.execute("INSERT INTO impression_posts VALUES (?, 1, 5, 3, ?, ?)", (message_id, kind, NOW))
        await conn.commit()
        with pytest.raises(sqlite3.IntegrityError):
            await conn.execute("INSERT INTO impression_posts VALUES (12, 1, 5, 3, 'page', ?)", (NOW,))
        await conn.rollback()
    store = await Store.open(database_path)  # runs 0013 on start
    try:
        rows = await store.db.fetch_all("SELECT message_id, impression_id, kind FROM impression_posts ORDER BY 1")
        assert [tuple(row) for row in rows] == [(10, 5, "card"), (11, 5, "announcement")]
        await store.impressions.record_post(1, 5, 3, 12, "page")
        assert [tuple(row) for row in await store.db.fetch_all("PRAGMA foreign_key_list(impression_posts)")]
        assert (
            await store.db.fetch_value(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'impression_posts_impression'"
            )
            == 1
        )
    finally:
        await store.close()
