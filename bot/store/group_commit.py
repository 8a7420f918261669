"""Group commit: write jobs that arrive together share one transaction and one fsync.

Each job runs on the writer thread inside its own savepoint, so it is atomic on its own and a failing
job undoes only itself; its caller is answered after COMMIT, so what it wrote is durable by then.
A job is a plain function of the connection: the whole action runs in one trip to the thread.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.store.connection import open_connection

T = TypeVar("T")
MAX_BATCH = 256
_Job = tuple[Callable[[sqlite3.Connection], Any], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class GroupCommitWriter:
    def __init__(self, path: Path) -> None:
        self._conn = open_connection(path, any_thread=True)
        self._conn.execute("PRAGMA synchronous = FULL")
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="sqlite-group-commit", daemon=True)
        self._thread.start()

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((job, loop, future))
        return await future

    async def close(self) -> None:
        self._jobs.put(None)
        await asyncio.to_thread(self._thread.join)
        self._conn.close()

    def _serve(self) -> None:
        stopping = False
        while not stopping:
            first = self._jobs.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            for (_, loop, future), (ok, value) in zip(batch, self._commit(batch), strict=True):
                loop.call_soon_threadsafe(_settle, future, ok, value)

    def _commit(self, batch: list[_Job]) -> list[tuple[bool, Any]]:
        conn = self._conn
        results: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job, _, _ in batch:
                conn.execute("SAVEPOINT job")
                try:
                    results.append((True, job(conn)))
                    conn.execute("RELEASE job")
                except Exception as error:
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    results.append((False, error))
            conn.execute("COMMIT")
        except Exception as error:  # BEGIN or COMMIT failed: nothing of the batch was written
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return [(False, error)] * len(batch)
        return results
