"""The ratings a series card shows, recomputed from the impressions alone (the queries the bot ran
before migration 0006 kept aggregates), to hold the aggregates against."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from bot.models import Average, Ratings, ReviewerRow, Scores
from bot.store.connection import open_location
from bot.store.impressions import read_ratings
from bot.store.posting import SCORE_COLUMNS

SCORES = ", ".join(SCORE_COLUMNS)
# Each reviewer's newest published impression (in SQL both backends read).
LATEST = (
    f"SELECT id, featured, {SCORES} FROM impressions WHERE id IN (SELECT max(id) FROM impressions "
    "WHERE guild_id = ? AND series_id = ? AND status = 'published' GROUP BY author_id)"
)


def recomputed(conn: Any, guild_id: int, series_id: int, limit: int = 8) -> Ratings:
    shown = conn.execute(
        f"SELECT i.id, i.author_name, i.featured, {', '.join('i.' + c for c in SCORE_COLUMNS)}, i.author_id "
        f"FROM ({LATEST} ORDER BY featured DESC, id DESC LIMIT ?) latest "
        "JOIN impressions i ON i.id = latest.id ORDER BY i.featured DESC, i.id DESC",
        (guild_id, series_id, limit),
    ).fetchall()
    selects = ", ".join(f"avg({c}), count({c})" for c in SCORE_COLUMNS)
    totals = conn.execute(f"SELECT count(*), {selects} FROM ({LATEST}) AS latest", (guild_id, series_id)).fetchone()
    return Ratings(
        [ReviewerRow(row[0], row[1], bool(row[2]), Scores(*row[3:-1]), row[-1]) for row in shown],
        [Average(totals[1 + 2 * n], int(totals[2 + 2 * n])) for n in range(len(SCORE_COLUMNS))],
        int(totals[0]),
    )


def mismatches(conn: Any) -> list[str]:
    """Every (server, series) whose kept ratings differ from a recomputation; [] when all agree."""
    pairs = conn.execute(
        "SELECT guild_id, series_id FROM impressions UNION SELECT guild_id, series_id FROM series_ratings"
    ).fetchall()
    found = []
    for guild_id, series_id in pairs:
        kept, fresh = read_ratings(conn, guild_id, series_id, 8), recomputed(conn, guild_id, series_id)
        if kept != fresh:
            found.append(f"guild {guild_id}, series {series_id}: kept {kept} but recomputed {fresh}")
    return found


def database_mismatches(location: Path | str) -> list[str]:
    """`mismatches` of a database (an SQLite file, or a PostgreSQL address), if it holds the aggregates
    (a migrated database)."""
    if isinstance(location, str):
        conn: Any = open_location(location)
    elif not location.exists():
        return []
    else:
        conn = sqlite3.connect(location)
        if conn.execute("PRAGMA user_version").fetchone()[0] < 6:
            conn.close()
            return []
    try:
        return mismatches(conn)
    finally:
        conn.close()
