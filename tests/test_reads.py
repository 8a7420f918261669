"""Reads: a quick one (a card, an impression) runs on the event loop's own connection and sees every write
that returned before it; the others keep their reader's thread. A keyed quick read is remembered until
what it reads changes, whoever changes it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.store import Store
from bot.store.cards import CardData
from bot.store.catalog import read_series
from bot.store.connection import open_location
from bot.store.impressions import read_ratings
from bot.store.remembered import tables_read, watched_tables
from tests.ratings_model import GUILDS, apply, change

NOW = "2026-11-25T00:00:00+00:00"


def _count_fresh(conn: sqlite3.Connection) -> tuple[int, int]:
    found = conn.execute("SELECT count(*) FROM series WHERE title = 'Fresh'").fetchone()[0]
    return threading.get_ident(), found


async def test_a_quick_read_runs_on_the_loop_and_sees_the_write_that_returned_before_it(database_path: Path) -> None:
    store = await Store.open(database_path)
    here = threading.get_ident()
    try:
        before = store.db.round_trips
        assert await store.db.read(_count_fresh, quick=True) == (here, 0)
        await store.db.write(
            lambda conn: conn.execute(
                "INSERT INTO series (title, created_at, updated_at) VALUES ('Fresh', ?, ?)", (NOW, NOW)
            )
        )
        assert await store.db.read(_count_fresh, quick=True) == (here, 1)
        # Not quick, or the site's and charts' reads: on a reader's thread, seeing the same.
        elsewhere, found = await store.db.read(_count_fresh)
        aside, found_aside = await store.db.aside.read(_count_fresh, quick=True)
        assert here not in (elsewhere, aside) and found == found_aside == 1
        assert store.db.round_trips - before == 5  # each read and the write still count as a trip
    finally:
        await store.close()


async def test_a_quick_read_that_finds_the_database_busy_runs_again_on_a_readers_thread(database_path: Path) -> None:
    store = await Store.open(database_path)
    here = threading.get_ident()
    tried: list[int] = []

    def job(conn: sqlite3.Connection) -> int:
        tried.append(threading.get_ident())
        if threading.get_ident() == here:  # as SQLite answers while another connection holds a lock
            busy = sqlite3.OperationalError("database is locked")
            busy.sqlite_errorcode = sqlite3.SQLITE_BUSY
            raise busy
        return int(conn.execute("SELECT count(*) FROM series").fetchone()[0])

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("SELECT no_such_column FROM series")

    try:
        assert await store.db.read(job, quick=True) >= 0
        assert tried[0] == here and tried[1] != here
        try:  # any other error is the job's own: raised, not run again
            await store.db.read(broken, quick=True)
        except sqlite3.OperationalError as error:
            assert "no_such_column" in str(error)
        else:
            raise AssertionError("a broken query passed")
    finally:
        await store.close()


# What can change a card: its impressions (every command and tool ends in one of these), its series'
# title, and a merge into the other series (or the merge undone).
card_change = (
    change
    | st.tuples(st.just("retitle"), st.integers(0, 1), st.text(min_size=1, max_size=8))
    | st.tuples(st.just("merge"), st.integers(0, 1))
)
# The bot's group commit, and a connection of another process's kind: the command line's restore and
# import write beside a running bot. (To the event loop's connection every writer is another connection.)
writer = st.sampled_from(["the bot", "another process"])


def _apply_card_change(conn: sqlite3.Connection, pair: tuple[int, int], step: tuple[object, ...]) -> None:
    if step[0] == "retitle":
        conn.execute("UPDATE series SET title = ? WHERE id = ?", (step[2], pair[cast(int, step[1])]))
    elif step[0] == "merge":
        which = cast(int, step[1])
        merged = conn.execute("SELECT merged_into FROM series WHERE id = ?", (pair[which],)).fetchone()[0]
        target = None if merged is not None else pair[1 - which]
        conn.execute("UPDATE series SET merged_into = ? WHERE id = ?", (target, pair[which]))
    else:
        apply(conn, pair, step)


def test_a_remembered_card_equals_a_fresh_read_after_any_write_by_anyone(database: Path) -> None:
    """Cards and impressions are remembered between commits (`Database.read(key=…)`): whoever changes
    whatever a card shows, the next card read equals one read afresh."""
    fresh = open_location(database)
    pair = cast(tuple[int, int], tuple(row[0] for row in fresh.execute("SELECT id FROM series ORDER BY id LIMIT 2")))

    def read_afresh(guild: int, series_id: int) -> CardData:
        series = read_series(fresh, series_id)
        return CardData(series, read_ratings(fresh, guild, series_id if series is None else series.id, 8), None)

    async def story(steps: list[tuple[str, tuple[object, ...]]]) -> None:
        store = await Store.open(database)
        other = open_location(database)  # autocommit: each statement commits
        cards = [(guild, series_id) for guild in GUILDS for series_id in pair]
        try:
            for who, step in steps:
                for guild, series_id in cards:  # each card read, and remembered, before the change
                    await store.cards.read(guild, series_id, 8, credits=False)
                if who == "the bot":
                    await store.db.write(lambda conn, step=step: _apply_card_change(conn, pair, step))
                else:
                    _apply_card_change(other, pair, step)
                for guild, series_id in cards:
                    card = await store.cards.read(guild, series_id, 8, credits=False)
                    assert card == read_afresh(guild, series_id), (who, step)
        finally:
            other.close()
            await store.close()

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.tuples(writer, card_change), min_size=1, max_size=8))
    def any_story(steps: list[tuple[str, tuple[object, ...]]]) -> None:
        asyncio.run(story(steps))

    try:
        any_story()
    finally:
        fresh.close()


async def test_a_remembered_read_runs_again_only_after_a_change_to_what_it_reads(database_path: Path) -> None:
    store = await Store.open(database_path)
    runs: list[int] = []

    def job(conn: sqlite3.Connection) -> tuple[int, int]:
        runs.append(1)
        return threading.get_ident(), int(
            conn.execute("SELECT count(*) FROM series WHERE title = 'Fresh'").fetchone()[0]
        )

    here = threading.get_ident()
    try:
        assert [await store.db.read(job, quick=True, key="fresh") for _ in range(3)] == [(here, 0)] * 3
        assert len(runs) == 1
        await store.db.read(job, quick=True, key="another")  # another key is read for itself
        assert len(runs) == 2
        await store.state.set("unrelated", "a write to a table no card reads")
        assert await store.db.read(job, quick=True, key="fresh") == (here, 0) and len(runs) == 2
        await store.db.write(
            lambda conn: conn.execute(
                "INSERT INTO series (title, created_at, updated_at) VALUES ('Fresh', ?, ?)", (NOW, NOW)
            )
        )
        assert await store.db.read(job, quick=True, key="fresh") == (here, 1) and len(runs) == 3
        await store.db.read(job, key="fresh")  # not quick: a reader's thread, nothing remembered
        assert len(runs) == 4
    finally:
        await store.close()


async def test_a_read_of_a_table_no_trigger_watches_is_never_remembered(database: Path) -> None:
    """A keyed read is remembered only if every table it reads moves `read_version` (listed through
    SQLite's authorizer the first time), so no later query can make a remembered read stale."""
    store = await Store.open(database)
    runs: list[str] = []

    def unwatched(conn: sqlite3.Connection) -> int:  # bot_state: nothing moves read_version for it
        runs.append("unwatched")
        return int(conn.execute("SELECT count(*) FROM bot_state").fetchone()[0])

    def counting(with_state: bool) -> Callable[[sqlite3.Connection], int]:
        def job(conn: sqlite3.Connection) -> int:  # one kind of job: it reads bot_state in one branch only
            runs.append(f"state={with_state}")
            found = int(conn.execute("SELECT count(*) FROM series").fetchone()[0])
            if with_state:
                found += int(conn.execute("SELECT count(*) FROM bot_state").fetchone()[0])
            return found

        return job

    try:
        for _ in range(3):
            await store.db.read(unwatched, quick=True, key="state")
        assert runs == ["unwatched"] * 3
        runs.clear()
        for with_state in (False, False, True, True):
            await store.db.read(counting(with_state), quick=True, key=("count", with_state))
        assert runs == ["state=False", "state=True", "state=True"]  # the branch reading bot_state: never kept
        # The bot's own keyed reads, a card and an impression, read watched tables only: remembered.
        series_id = int(await store.db.fetch_value("SELECT min(id) FROM series"))
        read_tables: list[frozenset[str]] = []
        conn = open_location(database)
        for job in (
            lambda c: read_series(c, series_id) and read_ratings(c, 1, series_id, 8),
            lambda c: c.execute("SELECT * FROM impressions WHERE guild_id = 1 AND id = 1").fetchall(),
        ):
            read_tables.append(tables_read(conn, job)[1])
        watched = watched_tables(conn)
        conn.close()
        assert read_tables[0] == {"series", "series_sources", "series_reviewers", "impressions", "series_ratings"}
        assert read_tables[0] | read_tables[1] | {"catalog_meta"} <= watched
        card = await store.cards.read(1, series_id, 8, credits=True)
        assert await store.cards.read(1, series_id, 8, credits=True) is card  # remembered: the same object
    finally:
        await store.close()
