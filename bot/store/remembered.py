"""Quick reads remembered until what they read changes (`Database.read(job, quick=True, key=…)`).

A member who looks a popular series up, and the next one, and the next, read the same card: its SQL and
the objects made of it were the biggest part of a lookup's time in the bot (bench e2e). Migration 0011
keeps one counter, `read_version`, that a trigger moves on every change to each table a card or an
impression is read from, in the change's own transaction: so whichever command, tool or process writes,
the counter moves. A remembered result is good while the counter holds.

Only the tables that have the three triggers are watched. The first time a kind of read is remembered (its
job's code and its key's flags, `_flags`), the tables it reads are listed through SQLite's authorizer; a
kind that reads a table nobody watches is never remembered (and says so once in the log), so a later
query cannot make a remembered read stale. (A branch chosen by the rows read rather than by the key would
escape that listing: the keyed reads have none, merges followed included, which read the same tables.)"""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Hashable
from types import CodeType
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# More than the cards and impressions a busy server looks at between two changes.
REMEMBERED_CAP = 512
EVENTS = ("insert", "update", "delete")
_TRIGGERS = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%read_version%'"
_VERSION = "SELECT version FROM read_version"
# What a change to a watched table does by trigger; done by hand where triggers are set aside (the bulk
# loader), and by the card bench to time a read afresh.
MOVE_READ_VERSION = "UPDATE read_version SET version = version + 1"


def move_read_version(conn: sqlite3.Connection) -> None:
    """Forget every remembered read, as any change to what they read does."""
    conn.execute(MOVE_READ_VERSION)


def watched_tables(conn: sqlite3.Connection) -> frozenset[str]:
    """The tables every change to which moves `read_version` (all three of their triggers in place)."""
    names: defaultdict[str, set[str]] = defaultdict(set)
    for table, name in conn.execute(_TRIGGERS):
        names[table].add(name)
    return frozenset(table for table, found in names.items() if found >= {f"{table}_read_version_{e}" for e in EVENTS})


def tables_read(conn: sqlite3.Connection, job: Callable[[sqlite3.Connection], T]) -> tuple[T, frozenset[str]]:
    """Run `job`, and list the tables its statements read (SQLite asks the authorizer as it prepares
    each statement; setting one expires the statements already prepared, so none is missed)."""
    tables: set[str] = set()

    def note(action: int, table: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_READ and table:
            tables.add(table)
        return sqlite3.SQLITE_OK

    conn.set_authorizer(note)
    try:
        result = job(conn)
    finally:
        conn.set_authorizer(None)
    return result, frozenset(tables)


def _flags(key: Hashable) -> Hashable:
    """What of a key may choose the tables its job reads: every part but the ids (ints select rows; a
    flag such as a card's `credits` may add a table). Listing the tables is costly (it makes SQLite
    prepare the connection's statements again, doubling a card's read), so it is done once per kind."""
    if isinstance(key, tuple):
        return tuple(part for part in key if isinstance(part, bool) or not isinstance(part, int))
    return key if isinstance(key, bool) or not isinstance(key, int) else None


class Remembered:
    """The remembered results of one connection's keyed reads (the event loop's: it never writes)."""

    __slots__ = ("allowed", "results", "version", "watched")

    def __init__(self, watched: frozenset[str]) -> None:
        self.results: dict[Hashable, Any] = {}
        self.version = -1
        self.watched = watched
        # Per kind of read: does it read watched tables only?
        self.allowed: dict[tuple[CodeType | None, Hashable], bool] = {}

    def read(self, conn: sqlite3.Connection, job: Callable[[sqlite3.Connection], T], key: Hashable) -> T:
        version = conn.execute(_VERSION).fetchone()[0]
        if version != self.version:
            self.results.clear()
            self.version = version
        elif key in self.results:
            result: T = self.results[key]
            return result
        # Read after the counter: a change landing in between leaves this result under the older
        # version, which the next read finds moved.
        code: CodeType | None = getattr(job, "__code__", None)
        kind = (code, _flags(key))
        allowed = self.allowed.get(kind) if code is not None else False
        if allowed is None:
            result, tables = tables_read(conn, job)
            allowed = self.allowed[kind] = bool(tables) and tables <= self.watched
            if not allowed:
                log.warning(
                    "A read keyed %r reads %s, which read_version does not watch: it is never remembered",
                    key, ", ".join(sorted(tables - self.watched)) or "no table",
                )  # fmt: skip
        else:
            result = job(conn)
        if allowed:
            if len(self.results) >= REMEMBERED_CAP:
                del self.results[next(iter(self.results))]  # the oldest
            self.results[key] = result
        return result
