"""Writes that arrive together share a commit, yet each stays atomic on its own."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.store import Store

NOW = "2026-11-25T00:00:00+00:00"


async def test_a_failing_write_undoes_only_itself(database_path: Path) -> None:
    store = await Store.open(database_path)

    def good(n: int):
        def job(conn: sqlite3.Connection) -> int:
            conn.execute("INSERT INTO series (title, created_at, updated_at) VALUES (?, ?, ?)", (f"S{n}", NOW, NOW))
            return n

        return job

    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO series (title, created_at, updated_at) VALUES ('half', ?, ?)", (NOW, NOW))
        raise ValueError("the action failed halfway")

    try:
        results = await asyncio.gather(
            *(store.db.write(good(n)) for n in range(20)), store.db.write(bad), return_exceptions=True
        )
        assert results[:20] == list(range(20))
        assert isinstance(results[20], ValueError)
    finally:
        await store.close()
    with sqlite3.connect(database_path) as conn:
        titles = {row[0] for row in conn.execute("SELECT title FROM series")}
    assert titles == {f"S{n}" for n in range(20)}, "every good write is committed, the bad one left nothing"


async def test_a_write_is_on_disk_when_it_returns(database_path: Path) -> None:
    store = await Store.open(database_path)
    try:
        await store.db.write(
            lambda conn: conn.execute(
                "INSERT INTO series (title, created_at, updated_at) VALUES ('Durable', ?, ?)", (NOW, NOW)
            )
        )
        with sqlite3.connect(database_path) as other:  # another connection sees it at once
            assert other.execute("SELECT count(*) FROM series WHERE title = 'Durable'").fetchone()[0] == 1
    finally:
        await store.close()


async def test_closing_finishes_queued_writes(database_path: Path) -> None:
    store = await Store.open(database_path)
    pending = [
        asyncio.create_task(
            store.db.write(
                lambda conn, n=n: conn.execute(
                    "INSERT INTO series (title, created_at, updated_at) VALUES (?, ?, ?)", (f"Q{n}", NOW, NOW)
                )
            )
        )
        for n in range(50)
    ]
    await asyncio.sleep(0)
    await store.close()
    await asyncio.gather(*pending)
    with sqlite3.connect(database_path) as conn:
        assert conn.execute("SELECT count(*) FROM series").fetchone()[0] == 50
