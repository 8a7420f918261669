"""How the store opens SQLite: in autocommit mode (each write's BEGIN … COMMIT is the store's own),
rows readable by column name, a busy timeout rather than an immediate "database is locked", and
foreign keys enforced."""

from __future__ import annotations

import sqlite3
from pathlib import Path

BUSY_TIMEOUT_MS = 5000


def open_connection(target: Path | str, *, uri: bool = False, any_thread: bool = False) -> sqlite3.Connection:
    """`any_thread`: for a connection handed to a thread of its own (the reader, the group-commit writer)."""
    conn = sqlite3.connect(target, isolation_level=None, uri=uri, check_same_thread=not any_thread)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn
