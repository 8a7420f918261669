"""Reads: a quick one (a card, an impression) runs on the event loop's own connection and sees every write
that returned before it; the others keep their reader's thread."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from bot.store import Store

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
