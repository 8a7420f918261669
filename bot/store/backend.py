"""What every store is built on: one interface, two backends (SQLite's `Database`, PostgreSQL's
`PostgresDatabase`). A store job is a plain function of a connection that runs the store's SQL, written
once (bot/store/dialect.py says how PostgreSQL reads it); which backend runs it is chosen at start-up."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Backend(Protocol):
    path: Path  # the SQLite file, or (PostgreSQL) where the heartbeat and scratch files go
    noticed: set[tuple[int, int]]  # who may have a notice waiting (bot/store/audit.py)
    dialect: str  # "sqlite" or "postgresql": only for the few statements the two spell differently

    @property
    def location(self) -> Path | str: ...  # what a tool of its own opens (open_location)

    @property
    def round_trips(self) -> int: ...

    @property
    def aside(self) -> Backend: ...

    async def read(self, job: Callable[[Any], T], *, quick: bool = False, key: Hashable | None = None) -> T: ...

    async def write(self, job: Callable[[Any], T]) -> T: ...

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Any: ...

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Any]: ...

    async def fetch_value(self, sql: str, params: Iterable[Any] = ()) -> Any: ...

    async def close(self) -> None: ...


class Trips:
    """The round-trip counter, shared by a database and its `aside` view."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


class Fetching:
    """`fetch_*`, one statement in one trip, for both backends: each gives `read`."""

    async def read(self, job: Callable[[Any], T], *, quick: bool = False, key: Hashable | None = None) -> T:
        """`quick`: a job of a few index lookups, which a member waits on (a card, an impression).
        `key`: the result may be remembered under it until what it read changes (SQLite's does)."""
        raise NotImplementedError

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Any:
        rows = await self.fetch_all(sql, params)
        return next(iter(rows), None)

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        bound = tuple(params)
        rows: list[Any] = await self.read(lambda conn: conn.execute(sql, bound).fetchall())
        return rows

    async def fetch_value(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]
