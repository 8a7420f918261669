"""Curation: the catalog facts and texts that curators edit, and merging duplicates; each audit-logged."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from bot.models import CatalogEntry, Series
from bot.store.audit import audit
from bot.store.backend import Backend
from bot.store.catalog import JSON_FIELDS, series_from_row, utc_now
from bot.store.connection import after_catalog_writes

CURATABLE = frozenset(
    {"title", "format", "episodes", "premiered", "synopsis", "synopsis_credit", "keywords", "notables", "links"}
)

EDIT_ATTEMPTS = 5  # reads of a series that other processes keep changing, before an edit gives up


def _bump_revision(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO catalog_meta (key, value) VALUES ('revision', '1') "
        "ON CONFLICT (key) DO UPDATE SET value = CAST(catalog_meta.value AS INTEGER) + 1"
    )


class CurationStore:
    """Curators' edits: each one transaction, audit-logged, and marked so imports never overwrite it."""

    def __init__(self, db: Backend) -> None:
        self._db = db

    async def add(self, entry: CatalogEntry, actor_id: int, guild_id: int | None) -> int:
        def job(conn: sqlite3.Connection) -> int:
            after_catalog_writes(conn)
            now = utc_now()
            cursor = conn.execute(
                "INSERT INTO series (title, format, episodes, premiered, year, curated_fields, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.title, entry.format, entry.episodes, entry.premiered, entry.year,
                 json.dumps(sorted(CURATABLE)), now, now),
            )  # fmt: skip
            series_id = int(cursor.lastrowid or 0)
            conn.execute(
                "INSERT INTO series_names (series_id, name, kind) VALUES (?, ?, 'title')", (series_id, entry.title)
            )
            audit(conn, guild_id, actor_id, "series.add", ("series", series_id), None, {}, {"title": entry.title})
            _bump_revision(conn)
            return series_id

        return await self._db.write(job)

    async def edit(self, series_id: int, changes: dict[str, Any], actor_id: int, guild_id: int | None) -> bool:
        """Apply curated values (lists as Python lists); False if the series is gone or merged."""
        return await self.edit_with(series_id, lambda _: changes, actor_id, guild_id)

    async def edit_with(
        self, series_id: int, decide: Callable[[Series], dict[str, Any]], actor_id: int, guild_id: int | None
    ) -> bool:
        """Apply the curated values `decide` makes of the series as this transaction reads it (it may
        raise: nothing is written). A value another process changed meanwhile is never overwritten
        unseen: each column is written only if it still holds what was read, else it is read again and
        decided anew (on PostgreSQL, where another process may commit between the read and the write).
        False if the series is gone or merged."""

        def job(conn: sqlite3.Connection) -> bool:
            after_catalog_writes(conn)
            for _ in range(EDIT_ATTEMPTS):
                row = conn.execute("SELECT * FROM series WHERE id = ? AND merged_into IS NULL", (series_id,)).fetchone()
                if row is None:
                    return False
                changes = decide(series_from_row(row, ()))
                unknown = set(changes) - CURATABLE
                if unknown:
                    raise ValueError(f"not curatable: {sorted(unknown)}")
                if not changes:
                    return True
                stored = {k: json.dumps(v, ensure_ascii=False) if k in JSON_FIELDS else v for k, v in changes.items()}
                before = {k: row[k] for k in stored}
                curated = sorted(set(json.loads(row["curated_fields"] or "[]")) | set(stored))
                assignments = ", ".join(f"{column} = ?" for column in stored)
                unchanged = "".join(f" AND {column} IS ?" for column in (*stored, "curated_fields"))
                written = conn.execute(
                    f"UPDATE series SET {assignments}, curated_fields = ?, updated_at = ? WHERE id = ?{unchanged}",
                    (*stored.values(), json.dumps(curated), utc_now(), series_id, *before.values(),
                     row["curated_fields"]),
                ).rowcount  # fmt: skip
                if not written:
                    continue
                if "title" in stored:
                    conn.execute("DELETE FROM series_names WHERE series_id = ? AND kind = 'title'", (series_id,))
                    conn.execute(
                        "INSERT INTO series_names (series_id, name, kind) VALUES (?, ?, 'title')",
                        (series_id, stored["title"]),
                    )
                audit(conn, guild_id, actor_id, "series.edit", ("series", series_id), None, before, stored)
                _bump_revision(conn)
                return True
            raise RuntimeError(f"series:{series_id} changed under {EDIT_ATTEMPTS} edits in a row")

        return await self._db.write(job)

    async def merge(self, source: int, target: int, actor_id: int, guild_id: int | None) -> int:
        """Move impressions, names and sources of `source` into `target`; returns impressions moved."""

        def job(conn: sqlite3.Connection) -> int:
            after_catalog_writes(conn)
            moved = conn.execute("UPDATE impressions SET series_id = ? WHERE series_id = ?", (target, source)).rowcount
            conn.execute("UPDATE series_sources SET series_id = ? WHERE series_id = ?", (target, source))
            conn.execute(
                "UPDATE series_names SET series_id = ?, kind = 'synonym' WHERE series_id = ?", (target, source)
            )
            conn.execute("UPDATE series SET merged_into = ?, updated_at = ? WHERE id = ?", (target, utc_now(), source))
            audit(conn, guild_id, actor_id, "series.merge", ("series", source), None, {"merged_into": None},
                       {"merged_into": target, "impressions_moved": moved})  # fmt: skip
            _bump_revision(conn)
            return moved

        return await self._db.write(job)
