"""Is DATABASE_PATH usable? Checked before the bot logs in or a tool starts, so a bad path is one
sentence, not a traceback from deep inside SQLite."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path


class DatabaseUnusable(Exception):
    """DATABASE_PATH cannot hold the database; the message names the path and what to do."""


def check_database_path(path: Path, *, must_exist: bool = False) -> None:
    if path.is_dir():
        raise DatabaseUnusable(f"DATABASE_PATH {path} is a folder; give the path of a file inside it.")
    folder = path.parent
    for ancestor in (folder, *folder.parents):
        if ancestor.exists() and not ancestor.is_dir():
            raise DatabaseUnusable(f"DATABASE_PATH {path} lies under {ancestor}, which is a file, not a folder.")
    if must_exist and not path.exists():
        raise DatabaseUnusable(f"There is no database at {path} (DATABASE_PATH).")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # SQLite needs to create its journal files beside the database: the folder must be writable.
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as error:
        raise DatabaseUnusable(
            f"DATABASE_PATH {path} cannot be written: {error.strerror or error} in {folder}. "
            "Choose a writable place, or fix the folder's permissions."
        ) from None
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise DatabaseUnusable(f"DATABASE_PATH {path} is not readable and writable by this user.")
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
                conn.execute("PRAGMA schema_version").fetchone()
        except sqlite3.DatabaseError as error:
            raise DatabaseUnusable(f"DATABASE_PATH {path} is not an SQLite database ({error}).") from None
