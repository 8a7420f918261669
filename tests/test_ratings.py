"""The ratings a card shows come from aggregates kept by triggers (migration 0006); whatever happens to
the impressions, they equal a recomputation from the impressions alone."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import aiosqlite
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Scores
from bot.store import Store
from bot.store.bulk import bulk_load_impressions
from bot.store.connection import open_location
from bot.store.impressions import read_ratings
from bot.store.migrate import apply_migrations, bundled_migrations
from bot.store.posting import Draft
from tests.harness import seeded_postgresql
from tests.ratings_model import apply, change, mismatches, recomputed

pytestmark = pytest.mark.both_backends


@pytest.fixture
def ratings_database(backend: str, database: Path, request: pytest.FixtureRequest) -> Iterator[Path | str]:
    """The starter catalog on the module's backend: the kept ratings are triggers on each (two dialects)."""
    if backend == "postgresql":
        with seeded_postgresql(request) as url:
            yield url
        return
    yield database


def test_kept_ratings_equal_a_recomputation_after_every_change(ratings_database: Path | str) -> None:
    conn = open_location(ratings_database)  # foreign keys on, each statement its own transaction
    pair = tuple(row[0] for row in conn.execute("SELECT id FROM series ORDER BY id LIMIT 2").fetchall())
    assert len(pair) == 2

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(change, min_size=1, max_size=25))
    def story(steps: list[tuple[object, ...]]) -> None:
        conn.execute("BEGIN")
        try:
            for step in steps:
                apply(conn, pair, step)
                assert mismatches(conn) == [], step
        finally:
            conn.execute("ROLLBACK")

    try:
        story()
    finally:
        conn.close()


async def test_the_migration_rebuilds_the_ratings_of_impressions_already_stored(tmp_path: Path) -> None:
    # A database at migration 5 with impressions in it, then opened by this version: the rebuild.
    path = tmp_path / "old.sqlite3"
    async with aiosqlite.connect(path) as old:
        await apply_migrations(old, bundled_migrations()[:5])
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO series (id, title, created_at, updated_at) VALUES (1, 'A', '2026', '2026')")
    steps = [("insert", 1, 0, 1, "published", False, (8, None, 5, None, None, None, None)),
             ("insert", 1, 0, 1, "published", True, (6, 7, None, None, None, None, None)),
             ("insert", 1, 0, 2, "published", False, (None, 3, None, None, None, None, None)),
             ("insert", 1, 0, 3, "hidden", False, (1, 1, 1, 1, 1, 1, 1))]  # fmt: skip
    for step in steps:
        apply(conn, (1, 1), step)
    before = recomputed(conn, 1, 1)
    conn.close()
    await (await Store.open(path)).close()
    conn = sqlite3.connect(path)
    assert read_ratings(conn, 1, 1, 8) == before and mismatches(conn) == []
    assert before.reviewers == 2 and before.averages[0].value == 6.0  # each reviewer's latest counts once


def test_a_bulk_load_rebuilds_the_ratings_and_keeps_the_triggers(database: Path) -> None:
    conn = sqlite3.connect(database, isolation_level=None)
    triggers = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
    before = conn.execute(triggers).fetchone()
    [series] = conn.execute("SELECT id FROM series ORDER BY id LIMIT 1").fetchone()
    drafts = [
        (7, Draft(series, author % 5, f"m{author}", "episodes", 1, "x", False, Scores(overall=1 + author % 10)))
        for author in range(40)
    ]
    bulk_load_impressions(database, drafts, "2026-11-25T00:00:00+00:00")
    assert conn.execute(triggers).fetchone() == before
    assert mismatches(conn) == [] and read_ratings(conn, 7, series, 8).reviewers == 5
    apply(conn, (series, series), ("insert", 7, 0, 9, "published", False, (10, None, None, None, None, None, None)))
    assert mismatches(conn) == [] and read_ratings(conn, 7, series, 8).reviewers == 6  # the triggers work again
