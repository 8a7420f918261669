"""Bulk writes outside the member path: synthetic impressions for benchmarks, and online backups."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

from bot.store.posting import SCORE_COLUMNS, Draft
from bot.store.remembered import MOVE_READ_VERSION

_COLUMNS = ("guild_id", "series_id", "author_id", "author_name", "scope", "episodes_watched", "text", "spoiler",
            *SCORE_COLUMNS, "status", "created_at", "updated_at")  # fmt: skip


_RATING_TRIGGERS = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
    "AND (name LIKE 'impressions_rate_%' OR name LIKE 'series_reviewers_%' OR name LIKE 'impressions_chart_%' "
    "OR name LIKE '%read_version%')"
)
_SCORES = ", ".join(SCORE_COLUMNS)
# Migration 0006's rebuild of the series card aggregates, for after a load made without its triggers.
_REBUILD = (
    "DELETE FROM series_reviewers",
    "DELETE FROM series_ratings",
    f"INSERT INTO series_reviewers (guild_id, series_id, author_id, impression_id, featured, {_SCORES}) "
    f"SELECT guild_id, series_id, author_id, max(id), featured, {_SCORES} FROM impressions "
    "WHERE status = 'published' GROUP BY guild_id, series_id, author_id",
    "INSERT INTO series_ratings SELECT guild_id, series_id, count(*), "
    + ", ".join(f"count({c}), coalesce(sum({c}), 0)" for c in SCORE_COLUMNS)
    + " FROM series_reviewers GROUP BY guild_id, series_id",
    # Every chart drawn before the load is out of date (its trigger was set aside with the others).
    "INSERT OR REPLACE INTO chart_versions SELECT guild_id, series_id, coalesce((SELECT version "
    "FROM chart_versions v WHERE v.guild_id = i.guild_id AND v.series_id = i.series_id), 0) + 1 "
    "FROM impressions i GROUP BY guild_id, series_id",
    MOVE_READ_VERSION,  # and every remembered read is forgotten (bot/store/remembered.py)
)


def bulk_load_impressions(database: Path, rows: Iterable[tuple[int, Draft]], created_at: str) -> None:
    """Published impressions, 50,000 a transaction and unsynced: for benchmarks, never for members, and
    never while a bot runs on the database. The card aggregates' triggers are set aside during the
    load (they would triple its time) and the aggregates rebuilt once at the end."""
    sql = f"INSERT INTO impressions ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
    values = (
        (guild, d.series_id, d.author_id, d.author_name, d.scope, d.episodes_watched, d.text, int(d.spoiler),
         *d.scores.values(), "published", created_at, created_at)
        for guild, d in rows
    )  # fmt: skip
    with contextlib.closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA synchronous = OFF")
        triggers = conn.execute(_RATING_TRIGGERS).fetchall()
        for name, _ in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.commit()
        try:
            while batch := list(islice(values, 50_000)):
                conn.executemany(sql, batch)
                conn.commit()
        finally:
            for statement in _REBUILD:
                conn.execute(statement)
            for _, trigger in triggers:
                conn.execute(trigger)
            conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def backup_database(source: Path, destination: Path) -> str:
    """A consistent copy through SQLite's online backup API, safe while the bot runs; its integrity verdict."""
    with (
        contextlib.closing(sqlite3.connect(source)) as original,
        contextlib.closing(sqlite3.connect(destination)) as copy,
    ):
        original.backup(copy)
        return str(copy.execute("PRAGMA integrity_check").fetchone()[0])
