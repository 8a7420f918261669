"""The ratings a series card shows, recomputed from the impressions alone (the queries the bot ran
before migration 0006 kept aggregates), to hold the aggregates against."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

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
        tuple(ReviewerRow(row[0], row[1], bool(row[2]), Scores(*row[3:-1]), row[-1]) for row in shown),
        tuple(Average(totals[1 + 2 * n], int(totals[2 + 2 * n])) for n in range(len(SCORE_COLUMNS))),
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


STATUSES = ("pending", "published", "hidden", "rejected", "removed")
GUILDS, AUTHORS = (1, 2), (1, 2, 3)
score = st.none() | st.integers(1, 10)
scores = st.tuples(*[score] * len(SCORE_COLUMNS))
row_index = st.integers(0, 30)  # taken modulo the impressions there are

# What can happen to impression rows, whichever command or tool does it.
change = st.one_of(
    st.tuples(st.just("insert"), st.sampled_from(GUILDS), st.integers(0, 1), st.sampled_from(AUTHORS),
              st.sampled_from(STATUSES), st.booleans(), scores),
    st.tuples(st.just("status"), row_index, st.sampled_from(STATUSES)),
    st.tuples(st.just("feature"), row_index, st.booleans()),
    st.tuples(st.just("scores"), row_index, scores),
    st.tuples(st.just("move"), row_index, st.integers(0, 1)),  # a merge moves impressions to another series
    st.tuples(st.just("author"), row_index, st.sampled_from(AUTHORS)),
    st.tuples(st.just("delete"), row_index),
)  # fmt: skip


def apply(conn: Any, series: tuple[int, int], step: tuple[object, ...]) -> None:
    kind, *args = step
    if kind == "insert":
        guild, which, author, status, featured, values = args
        conn.execute(
            f"INSERT INTO impressions (guild_id, series_id, author_id, author_name, scope, text, status, featured, "
            f"{', '.join(SCORE_COLUMNS)}, created_at, updated_at) "
            f"VALUES (?, ?, ?, ?, 'completed', 'x', ?, ?, {', '.join('?' * len(SCORE_COLUMNS))}, '2026', '2026')",
            (guild, series[which], author, f"member {author}", status, int(featured), *values),
        )
        return
    ids = [row[0] for row in conn.execute("SELECT id FROM impressions ORDER BY id")]
    if not ids:
        return
    target = ids[args[0] % len(ids)]
    if kind == "status":
        conn.execute("UPDATE impressions SET status = ? WHERE id = ?", (args[1], target))
    elif kind == "feature":
        conn.execute("UPDATE impressions SET featured = ? WHERE id = ?", (int(args[1]), target))
    elif kind == "scores":
        assignments = ", ".join(f"{c} = ?" for c in SCORE_COLUMNS)
        conn.execute(f"UPDATE impressions SET {assignments} WHERE id = ?", (*args[1], target))
    elif kind == "move":
        conn.execute("UPDATE impressions SET series_id = ? WHERE id = ?", (series[args[1]], target))
    elif kind == "author":
        conn.execute("UPDATE impressions SET author_id = ? WHERE id = ?", (args[1], target))
    else:
        conn.execute("DELETE FROM impressions WHERE id = ?", (target,))
