"""The series catalog: async reads for the bot, and a synchronous bulk writer for imports.

Bulk imports run tens of thousands of statements; on aiosqlite each would be a thread hop, so
`CatalogWriter` uses its own plain sqlite3 connection and is run in a worker thread (or the CLI).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from typing import Any, Self

from bot.models import CatalogEntry, IndexedName, Link, Series, SeriesFacts, SeriesLabel
from bot.parsing import storable
from bot.store.backend import Backend
from bot.store.connection import after_catalog_writes, begin_catalog_write, open_location

ANILIST_SOURCE = re.compile(r"^https://anilist\.co/anime/(\d+)$")
MAL_SOURCE = re.compile(r"^https://myanimelist\.net/anime/(\d+)$")

# Fields an import may refresh on an existing series (unless a curator edited them).
REFRESHED_FIELDS = (
    "format", "episodes", "status", "season", "year", "studios", "keywords", "picture", "broadcast", "broadcast_end",
)  # fmt: skip
# Fields an import only fills in when they are still empty.
FILLED_FIELDS = ("title_english", "title_japanese", "premiered", "official_site")
JSON_FIELDS = frozenset({"synonyms", "studios", "keywords", "notables", "links"})


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def source_id(pattern: re.Pattern[str], sources: Iterable[str]) -> int | None:
    for url in sources:
        match = pattern.match(url)
        if match and len(match.group(1)) <= 18:  # (more digits would not fit the column: no real id)
            return int(match.group(1))
    return None


def series_names(
    title: str, english: str | None, japanese: str | None, synonyms: Iterable[str]
) -> list[tuple[str, str]]:
    """(name, kind) pairs, each distinct name once, the strongest kind first."""
    seen: set[str] = set()
    names = []
    for name, kind in [(title, "title"), (english, "english"), (japanese, "japanese")] + [
        (s, "synonym") for s in synonyms
    ]:
        if name and name.strip() and name not in seen:
            seen.add(name)
            names.append((name, kind))
    return names


def series_from_row(row: sqlite3.Row, sources: Sequence[str]) -> Series:
    def strings(key: str) -> tuple[str, ...]:
        return tuple(json.loads(row[key] or "[]"))

    return Series(
        id=row["id"],
        title=row["title"],
        title_english=row["title_english"],
        title_japanese=row["title_japanese"],
        synonyms=strings("synonyms"),
        format=row["format"],
        episodes=row["episodes"],
        status=row["status"],
        premiered=date.fromisoformat(row["premiered"]) if row["premiered"] else None,
        season=row["season"],
        year=row["year"],
        studios=strings("studios"),
        keywords=strings("keywords"),
        notables=strings("notables"),
        synopsis=row["synopsis"],
        synopsis_credit=row["synopsis_credit"],
        links=tuple(Link(item["label"], item["url"]) for item in json.loads(row["links"] or "[]")),
        official_site=row["official_site"],
        picture=row["picture"],
        anilist_id=row["anilist_id"],
        mal_id=row["mal_id"],
        sources=tuple(sources),
        curated_fields=frozenset(json.loads(row["curated_fields"] or "[]")),
        merged_into=row["merged_into"],
        enriched_at=row["enriched_at"],
        broadcast=row["broadcast"],
        broadcast_end=row["broadcast_end"],
        next_episode=row["next_episode"],
        next_episode_at=row["next_episode_at"],
    )


@dataclass(frozen=True, slots=True)
class Enrichment:
    synopsis: str | None
    synopsis_credit: str | None
    studios: tuple[str, ...]
    episodes: int | None
    romaji: str | None = None
    english: str | None = None
    keywords: tuple[str, ...] = ()
    cover: str | None = None  # an https image URL
    next_episode: int | None = None
    next_episode_at: str | None = None


class CatalogStore:
    def __init__(self, db: Backend) -> None:
        self._db = db

    async def count(self) -> int:
        return int(await self._db.fetch_value("SELECT count(*) FROM series WHERE merged_into IS NULL"))

    async def revision(self) -> int:
        value = await self._db.fetch_value("SELECT value FROM catalog_meta WHERE key = 'revision'")
        return int(value or 0)

    async def meta(self, prefix: str) -> dict[str, str]:
        return await self._db.read(lambda conn: read_meta(conn, prefix))

    async def get(self, series_id: int) -> Series | None:
        """The series with this id, following merges to the surviving one."""
        return await self._db.read(lambda conn: read_series(conn, series_id))

    async def facts(self, series_id: int) -> SeriesFacts | None:
        """Title, episode count and merge target, without following the merge."""
        row = await self._db.fetch_one("SELECT id, title, episodes, merged_into FROM series WHERE id = ?", (series_id,))
        return None if row is None else SeriesFacts(*row)

    @property
    def location(self) -> Path | str:
        """Where the catalog is, for a process of its own that reads it (the lookup index's build)."""
        return self._db.location

    async def index_rows(self) -> tuple[list[IndexedName], list[SeriesLabel]]:
        """Everything the in-memory lookup index is built from."""
        return await self._db.read(read_index_rows)

    async def recent(self, today: date, limit: int) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT id FROM series WHERE merged_into IS NULL AND premiered <= ? ORDER BY premiered DESC LIMIT ?",
            (today.isoformat(), limit),
        )
        return [row[0] for row in rows]

    async def save_enrichment(self, series_id: int, enrichment: Enrichment | None, source: str) -> bool:
        """Cache what AniList said (None: it had nothing); curated fields are never touched. True when it
        brought names to look the series up by (the lookup index learns them at its next rebuild)."""
        return await self._db.write(lambda conn: _save_enrichment(conn, series_id, enrichment, source))


def _save_enrichment(conn: sqlite3.Connection, series_id: int, found: Enrichment | None, source: str) -> bool:
    after_catalog_writes(conn)  # the curated fields it reads stay as read until it commits
    row = conn.execute(
        "SELECT curated_fields, title, title_english, title_japanese, synonyms FROM series WHERE id = ?", (series_id,)
    ).fetchone()
    if row is None:
        return False
    curated = set(json.loads(row[0] or "[]"))
    updates: dict[str, Any] = {"enriched_at": utc_now(), "enrichment_source": source}
    new_names: list[str] = []
    if found is not None:
        updates.update(next_episode=found.next_episode, next_episode_at=found.next_episode_at)
        if found.synopsis and "synopsis" not in curated:
            updates.update(synopsis=found.synopsis, synopsis_credit=found.synopsis_credit)
        for column, value in (("studios", found.studios), ("keywords", found.keywords)):
            if value and column not in curated:
                updates[column] = json.dumps(list(value), ensure_ascii=False)
        if found.episodes and "episodes" not in curated:
            updates["episodes"] = found.episodes
        if found.cover and "picture" not in curated:
            updates["picture"] = found.cover
        synonyms = json.loads(row[4] or "[]")
        known = {row[1], row[2], row[3], *synonyms}
        names = [
            (name, "synonym") for name in dict.fromkeys((found.romaji, found.english)) if name and name not in known
        ]
        if found.english and not row[2] and "title_english" not in curated:  # an English title it lacked
            updates["title_english"] = found.english
            names = [(name, "english" if name == found.english else kind) for name, kind in names]
        elif "synonyms" in curated:  # a curator's list of names stays as it is
            names = [(name, kind) for name, kind in names if kind == "english"]
        new_names = [name for name, kind in names if kind == "synonym"]
        if new_names:
            updates["synonyms"] = json.dumps([*synonyms, *new_names], ensure_ascii=False)
        conn.executemany(
            "INSERT INTO series_names (series_id, name, kind) VALUES (?, ?, ?)",
            [(series_id, name, kind) for name, kind in names],
        )
        new_names = [name for name, _ in names]
    assignments = ", ".join(f"{column} = ?" for column in updates)
    conn.execute(f"UPDATE series SET {assignments} WHERE id = ?", (*updates.values(), series_id))
    return bool(new_names)


def _storable(entry: CatalogEntry) -> CatalogEntry:
    """A dataset's entry with its text made storable (bot.parsing.storable: no NUL, no lone surrogate),
    whichever way it came (JSON read by read_json already is)."""
    changed = {f.name: storable(getattr(entry, f.name)) for f in fields(entry)}
    return replace(entry, **changed)


def _year(premiered: str | None) -> int | None:
    return int(premiered[:4]) if premiered else None


@dataclass(slots=True)
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


# A catalog write commits every CATALOG_CHUNK series and then leaves the database to others for
# WRITERS_TURN_S. SQLite has one writer, and one that waits retries at most every 100 ms (its busy
# handler's longest sleep): a 9,000-series refresh in one transaction, or an import's batches committed
# back to back, held members' posts and moderators' changes for seconds, past the 3 s Discord waits for
# an answer. Now a post waits for one chunk at most (about 0.3 s); a 40,000-series import takes 2.4 s more.
CATALOG_CHUNK = 2000
WRITERS_TURN_S = 0.12


class CatalogWriter:
    """Synchronous bulk writes to the catalog; one instance per thread (never the event loop's: it
    sleeps between chunks)."""

    def __init__(self, database: Path | str) -> None:
        self._conn: sqlite3.Connection = open_location(database)  # or a PgConnection, which reads the same calls
        self._committed_at = float("-inf")  # monotonic: this writer's last commit

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM series").fetchone()[0])

    def meta(self, prefix: str) -> dict[str, str]:
        return read_meta(self._conn, prefix)

    def _begin(self) -> None:
        """Begin a catalog write, after leaving the database to other writers for a turn if this one
        committed just before (see WRITERS_TURN_S)."""
        wait = self._committed_at + WRITERS_TURN_S - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        begin_catalog_write(self._conn)

    def _commit(self) -> None:
        self._conn.execute("COMMIT")
        self._committed_at = time.monotonic()

    def set_meta(self, values: dict[str, str]) -> None:
        self._begin()
        try:
            self._write_meta(values)
            self._commit()
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def upsert(self, entries: Iterable[CatalogEntry], meta: dict[str, str] | None = None) -> UpsertCounts:
        """Merge entries into the catalog, CATALOG_CHUNK a transaction (the meta with the last); sources
        decide identity. A failure leaves the chunks committed before it."""
        counts = UpsertCounts()
        pending = iter(entries)
        chunk = list(islice(pending, CATALOG_CHUNK))
        while True:
            following = list(islice(pending, CATALOG_CHUNK))  # read ahead: the last chunk carries the meta
            self._upsert_chunk(chunk, None if following else meta, counts)
            if not following:
                return counts
            chunk = following

    def _upsert_chunk(self, chunk: list[CatalogEntry], meta: dict[str, str] | None, counts: UpsertCounts) -> None:
        changed = counts.inserted + counts.updated
        self._begin()
        try:
            now = utc_now()
            for entry in map(_storable, chunk):
                existing = self._find(entry.sources)
                if existing is None:
                    self._insert(entry, now)
                    counts.inserted += 1
                elif self._update(existing, entry, now):
                    counts.updated += 1
                else:
                    counts.unchanged += 1
            self._write_meta(meta or {})
            if counts.inserted + counts.updated > changed:
                self._bump_revision()
            self._commit()
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def _write_meta(self, values: dict[str, str]) -> None:
        self._conn.executemany(
            "INSERT INTO catalog_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            values.items(),
        )

    def _bump_revision(self) -> None:
        """Inside a write: the bot's lookup index rebuilds when it sees a new revision."""
        self._conn.execute(
            "INSERT INTO catalog_meta (key, value) VALUES ('revision', '1') "
            "ON CONFLICT (key) DO UPDATE SET value = CAST(catalog_meta.value AS INTEGER) + 1"
        )

    def _find(self, sources: Sequence[str]) -> sqlite3.Row | None:
        if not sources:
            return None
        marks = ",".join("?" * len(sources))
        row: sqlite3.Row | None = self._conn.execute(
            f"SELECT s.* FROM series_sources src JOIN series s ON s.id = src.series_id "
            f"WHERE src.url IN ({marks}) ORDER BY s.id LIMIT 1",
            tuple(sources),
        ).fetchone()
        # A source of a merged-away series belongs to the series it was merged into.
        while row is not None and row["merged_into"] is not None:
            row = self._conn.execute("SELECT * FROM series WHERE id = ?", (row["merged_into"],)).fetchone()
        return row

    def _insert(self, entry: CatalogEntry, now: str) -> None:
        cursor = self._conn.execute(
            "INSERT INTO series (title, title_english, title_japanese, synonyms, format, episodes, status, "
            "premiered, season, year, studios, keywords, official_site, picture, anilist_id, mal_id, "
            "broadcast, broadcast_end, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.title,
                entry.title_english,
                entry.title_japanese,
                json.dumps(entry.synonyms, ensure_ascii=False),
                entry.format,
                entry.episodes,
                entry.status,
                entry.premiered,
                entry.season,
                entry.year,
                json.dumps(entry.studios, ensure_ascii=False),
                json.dumps(entry.keywords, ensure_ascii=False),
                entry.official_site,
                entry.picture,
                source_id(ANILIST_SOURCE, entry.sources),
                source_id(MAL_SOURCE, entry.sources),
                entry.broadcast,
                entry.broadcast_end,
                now,
                now,
            ),
        )
        series_id = int(cursor.lastrowid or 0)
        self._add_sources(series_id, entry.sources)
        self._write_names(
            series_id, series_names(entry.title, entry.title_english, entry.title_japanese, entry.synonyms)
        )

    def _update(self, row: sqlite3.Row, entry: CatalogEntry, now: str) -> bool:
        curated = set(json.loads(row["curated_fields"] or "[]"))
        changes: dict[str, Any] = {}
        for name in REFRESHED_FIELDS + FILLED_FIELDS:
            if name in curated:
                continue
            new = getattr(entry, name)
            if name in JSON_FIELDS:
                if not new:
                    continue
                new = json.dumps(new, ensure_ascii=False)
            if new is None or (name in FILLED_FIELDS and row[name] is not None):
                continue
            if row[name] != new:
                changes[name] = new
        if "synonyms" not in curated:
            synonyms = json.loads(row["synonyms"] or "[]")
            known = {row["title"], row["title_english"], row["title_japanese"], *synonyms}
            extra = [s for s in [entry.title, *entry.synonyms] if s and s not in known]
            if extra:
                changes["synonyms"] = json.dumps(synonyms + list(dict.fromkeys(extra)), ensure_ascii=False)
        for column, pattern in (("anilist_id", ANILIST_SOURCE), ("mal_id", MAL_SOURCE)):
            if row[column] is None and (found := source_id(pattern, entry.sources)) is not None:
                changes[column] = found
        added_sources = self._add_sources(row["id"], entry.sources)
        if not changes:
            return added_sources > 0
        changes["updated_at"] = now
        assignments = ", ".join(f"{column} = ?" for column in changes)
        self._conn.execute(f"UPDATE series SET {assignments} WHERE id = ?", (*changes.values(), row["id"]))
        merged = {key: row[key] for key in row.keys()} | changes  # noqa: SIM118 - sqlite3.Row needs keys()
        names = series_names(
            merged["title"], merged["title_english"], merged["title_japanese"], json.loads(merged["synonyms"])
        )
        self._conn.execute("DELETE FROM series_names WHERE series_id = ?", (row["id"],))
        self._write_names(row["id"], names)
        return True

    def _add_sources(self, series_id: int, sources: Iterable[str]) -> int:
        before = self._conn.total_changes
        self._conn.executemany(
            "INSERT OR IGNORE INTO series_sources (url, series_id) VALUES (?, ?)",
            [(url, series_id) for url in sources],
        )
        return self._conn.total_changes - before

    def _write_names(self, series_id: int, names: list[tuple[str, str]]) -> None:
        self._conn.executemany(
            "INSERT INTO series_names (series_id, name, kind) VALUES (?, ?, ?)",
            [(series_id, name, kind) for name, kind in names],
        )


def read_series(conn: sqlite3.Connection, series_id: int) -> Series | None:
    """The series with this id, following merges to the surviving one (one query per hop); a part of
    read jobs that answer a command in one trip."""
    for _ in range(16):  # merges never chain this deep; the bound only guards against a cycle
        row = conn.execute(
            "SELECT s.*, (SELECT group_concat(url, char(10)) FROM (SELECT url FROM series_sources "
            "WHERE series_id = s.id ORDER BY url) AS urls) AS source_urls FROM series s WHERE s.id = ?",
            (series_id,),
        ).fetchone()
        if row is None:
            return None
        if row["merged_into"] is None:
            return series_from_row(row, row["source_urls"].split("\n") if row["source_urls"] else [])
        series_id = row["merged_into"]
    return None


def read_meta(conn: sqlite3.Connection, prefix: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT key, value FROM catalog_meta WHERE key >= ? AND key < ? ORDER BY key", (prefix, prefix + "\uffff")
    ).fetchall()
    return {row["key"]: row["value"] for row in rows}


def read_index_rows(conn: sqlite3.Connection) -> tuple[list[IndexedName], list[SeriesLabel]]:
    names = conn.execute(
        "SELECT n.series_id, n.name, n.kind FROM series_names n "
        "JOIN series s ON s.id = n.series_id WHERE s.merged_into IS NULL ORDER BY n.id"
    )
    indexed = [IndexedName(series_id, name, kind) for series_id, name, kind in names]
    labels = conn.execute("SELECT id, title, year, format, premiered FROM series WHERE merged_into IS NULL")
    return indexed, [
        SeriesLabel(i, title, year or _year(premiered), kind) for i, title, year, kind, premiered in labels
    ]


def read_index_rows_of_file(database: Path | str) -> tuple[list[IndexedName], list[SeriesLabel]]:
    """`read_index_rows` on a connection of its own (for a process that builds the index apart)."""
    conn = open_location(database, read_only=True)
    try:
        return read_index_rows(conn)
    finally:
        conn.close()
