"""Bring a catalog loaded by an earlier release up to what the starter bundle carries now: broadcast
rules and romaji names (Step 11). Once per database, at start-up, in one transaction; fields a curator
edited are left alone, and nothing else an import wrote is touched."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bot.models import CatalogEntry
from bot.store.catalog import CatalogWriter, series_names

STARTER_BACKFILL_KEY = "backfill:starter-step11"


class CatalogBackfill(CatalogWriter):
    def backfill_starter(self, entries: Iterable[CatalogEntry]) -> int | None:
        """How many series gained a schedule or names; None when this database had it done before."""
        conn = self._conn
        self._begin()
        try:
            if conn.execute("SELECT 1 FROM catalog_meta WHERE key = ?", (STARTER_BACKFILL_KEY,)).fetchone():
                conn.execute("ROLLBACK")
                return None
            changed = sum(self._fill(entry) for entry in entries)
            conn.execute("INSERT INTO catalog_meta (key, value) VALUES (?, ?)", (STARTER_BACKFILL_KEY, str(changed)))
            if changed:
                self._bump_revision()
            self._commit()
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return changed

    def _fill(self, entry: CatalogEntry) -> bool:
        row = self._find(entry.sources)
        if row is None:
            return False
        curated = set(json.loads(row["curated_fields"] or "[]"))
        changes: dict[str, Any] = {}
        if entry.broadcast and row["broadcast"] is None and "broadcast" not in curated:
            changes |= {"broadcast": entry.broadcast, "broadcast_end": entry.broadcast_end}
        synonyms = json.loads(row["synonyms"] or "[]")
        known = {row["title"], row["title_english"], row["title_japanese"], *synonyms}
        added = [name for name in dict.fromkeys(entry.synonyms) if name not in known]
        if added and "synonyms" not in curated:
            changes["synonyms"] = json.dumps(synonyms + added, ensure_ascii=False)
        if not changes:
            return False
        assignments = ", ".join(f"{column} = ?" for column in changes)
        self._conn.execute(f"UPDATE series SET {assignments} WHERE id = ?", (*changes.values(), row["id"]))
        if "synonyms" in changes:
            names = series_names(row["title"], row["title_english"], row["title_japanese"], synonyms + added)
            self._conn.execute("DELETE FROM series_names WHERE series_id = ?", (row["id"],))
            self._write_names(row["id"], names)
        return True
