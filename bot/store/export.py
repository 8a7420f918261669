"""A server's data as one document, and back: impressions, revisions, audit log, settings, bans, reports.

Series are carried by title and site ids, so an export restores into a database whose catalog ids differ.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from typing import Any, TypeGuard

from bot.models import IMPRESSION_TEXT_MAX
from bot.parsing import INT64, is_slug_of, is_storable, parse_instant, read_json
from bot.store.connection import Location, on_postgresql, open_location

FORMAT = "anime-impressions-export"
VERSION = 1
# Per-guild tables, how each row finds its guild, and the order rows are written in (the key).
GUILD_TABLES = {
    "impressions": ("guild_id = ?", "id"),
    "impression_revisions": ("impression_id IN (SELECT id FROM impressions WHERE guild_id = ?)", "id"),
    "impression_edits": ("guild_id = ?", "id"),
    "audit_log": ("guild_id = ?", "id"),
    "guild_settings": ("guild_id = ?", "guild_id"),
    "reviewer_bans": ("guild_id = ?", "user_id"),
    "reports": ("guild_id = ?", "id"),
    "member_notices": ("guild_id = ?", "id"),
}
_CHUNK = 500  # ids per IN (…): far under both backends' limit on parameters


class ExportError(Exception):
    """The export cannot be restored here; the message is for the operator."""


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def export_guild(database: Location, guild_id: int, exported_at: str) -> dict[str, Any]:
    """The server's data, from either backend, read in one snapshot."""
    conn = open_location(database, read_only=True)
    try:
        if on_postgresql(conn):
            conn.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        else:
            conn.execute("BEGIN")
        document: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "guild_id": guild_id,
            "exported_at": exported_at,
        }
        for table, (where, key) in GUILD_TABLES.items():
            document[table] = _rows(conn, f"SELECT * FROM {table} WHERE {where} ORDER BY {key}", (guild_id,))
        series_ids = sorted({row["series_id"] for row in document["impressions"]})
        document["series"] = [
            {
                **_rows(conn, "SELECT id, title FROM series WHERE id = ?", (series_id,))[0],
                "sources": [
                    r["url"] for r in _rows(conn, "SELECT url FROM series_sources WHERE series_id = ?", (series_id,))
                ],
            }
            for series_id in series_ids
        ]
        conn.execute("COMMIT")
    finally:
        conn.close()
    return document


def import_guild(database: Location, document: dict[str, Any]) -> dict[str, int]:
    """Restore an export into a database (either backend) that holds nothing of that server yet; one
    transaction."""
    guild_id, impressions = _check_document(document)
    conn = open_location(database)
    try:
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute("SELECT 1 FROM impressions WHERE guild_id = ? LIMIT 1", (guild_id,)).fetchone():
            raise ExportError(
                f"This database already holds impressions of server {guild_id}; restore into an empty one."
            )
        series_map = {entry["id"]: _series_here(conn, entry) for entry in document["series"]}
        impression_ids = {row.get("id") for row in impressions}
        # Impression ids are global: keep the export's own when all are free here (old links keep
        # working), otherwise number every row anew and rewrite what refers to them.
        wanted = sorted(i for i in impression_ids if type(i) is int)
        taken = any(
            conn.execute(
                f"SELECT 1 FROM impressions WHERE id IN ({', '.join('?' * len(chunk))}) LIMIT 1", chunk
            ).fetchone()
            for chunk in (wanted[n : n + _CHUNK] for n in range(0, len(wanted), _CHUNK))
        )
        renumber = Renumbering(series_map) if taken else None
        counts: dict[str, int] = {}
        for table in GUILD_TABLES:
            rows = document.get(table, [])
            if not isinstance(rows, list):
                raise ExportError(f"“{table}” in the export is not a list of rows.")
            columns = _columns(conn, table)
            for number, row in enumerate(rows, 1):
                checked = _checked_row(table, number, row, columns, guild_id, impression_ids)
                if table == "impressions":
                    if checked.get("series_id") not in series_map:
                        raise ExportError(f"Impression row {number} names a series the export does not list.")
                    checked["series_id"] = series_map[checked["series_id"]]
                old_id = int(checked.get("id") or 0)
                if renumber is not None:
                    checked = renumber.row(table, checked)
                # Column names come from our own schema, never from the file.
                names = ", ".join(checked)
                try:
                    cursor = conn.execute(
                        f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(checked))})",
                        tuple(checked.values()),
                    )
                except _integrity_errors(conn) as error:  # a value our schema refuses: a missing one, a bad state
                    reason = str(error).splitlines()[0][:120]
                    raise ExportError(
                        f"Row {number} of “{table}” breaks a rule of this bot's data ({reason})."
                    ) from None
                if renumber is not None and table == "impressions":
                    renumber.impressions[old_id] = int(cursor.lastrowid or 0)
            if renumber is not None and table == "impressions":
                renumber.impression_texts(conn)  # now every new number is known, forward references too
            counts[table] = len(rows)
        if on_postgresql(conn):  # ids written as the export had them: PostgreSQL's next ids follow them
            from bot.store.postgresql import continue_identities  # psycopg: loaded on PostgreSQL only

            continue_identities(conn.raw)
        conn.execute("COMMIT")
        return counts
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


_REFERENCE = re.compile(r"series:(\d{1,18})#(\d{1,18})|(impression #)(\d{1,18})")
# Tables whose rows are numbered by SQLite: on renumbering, their ids are left to it.
_NUMBERED = frozenset({"impressions", "impression_revisions", "impression_edits", "reports", "audit_log",
                       "member_notices"})  # fmt: skip


class Renumbering:
    """Old impression ids → new ones, applied to every row that refers to an impression."""

    def __init__(self, series: dict[int, int]) -> None:
        self.series = series
        self.impressions: dict[int, int] = {}

    def text(self, value: str | None) -> str | None:
        """`series:4772#628` and "impression #628" in texts, pointed at the new numbers."""
        if value is None:
            return None

        def moved(match: re.Match[str]) -> str:
            if match[1] is not None:
                series = self.series.get(int(match[1]), int(match[1]))
                return f"series:{series}#{self.impressions.get(int(match[2]), int(match[2]))}"
            return f"{match[3]}{self.impressions.get(int(match[4]), int(match[4]))}"

        return _REFERENCE.sub(moved, value)

    def impression_texts(self, conn: sqlite3.Connection) -> None:
        for new in self.impressions.values():
            [text] = conn.execute("SELECT text FROM impressions WHERE id = ?", (new,)).fetchone()
            conn.execute("UPDATE impressions SET text = ? WHERE id = ?", (self.text(text), new))

    def row(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        row = {k: v for k, v in row.items() if not (k == "id" and table in _NUMBERED)}
        if "impression_id" in row:
            row["impression_id"] = self.impressions[row["impression_id"]]
        if table == "audit_log" and row.get("target_type") == "impression":
            row["target_id"] = self.impressions.get(row["target_id"], row["target_id"])
        for column in ("text", "reason") if table != "impressions" else ():
            if isinstance(row.get(column), str):
                row[column] = self.text(row[column])
        return row


def _check_document(document: Any) -> tuple[int, list[dict[str, Any]]]:
    """The export's server id and impressions, once its outline is what this bot writes."""
    if not isinstance(document, dict) or document.get("format") != FORMAT or document.get("version") != VERSION:
        raise ExportError("This file is not an export of this bot (format or version differs).")
    guild_id = document.get("guild_id")
    if not _is_id(guild_id) or not isinstance(document.get("series"), list):
        raise ExportError("The export has no server id or no series list; it is damaged or not an export.")
    for entry in document["series"]:
        if not isinstance(entry, dict) or not _is_id(entry.get("id")) or not isinstance(entry.get("title"), str):
            raise ExportError("A series of the export has no id or title; it is damaged.")
        sources = entry.get("sources", [])
        if not isinstance(sources, list) or not all(isinstance(url, str) for url in sources):
            raise ExportError("A series of the export has sources that are not a list of addresses; it is damaged.")
        if not is_storable(entry["title"]) or not all(map(is_storable, sources)):
            raise ExportError(
                "A series of the export holds a character that is not text (NUL, or half a UTF-16 pair); it is damaged."
            )
    impressions = document.get("impressions")
    if not isinstance(impressions, list) or not all(isinstance(row, dict) for row in impressions):
        raise ExportError("The export has no list of impressions; it is damaged or not an export.")
    if not all(_is_id(row.get("id")) for row in impressions):
        raise ExportError("An impression of the export has no id; it is damaged.")
    return guild_id, impressions


_IMPRESSION_TEXTS = ("impressions", "impression_revisions", "impression_edits")  # (an edit waits for approval)


def _integrity_errors(conn: Any) -> tuple[type[Exception], ...]:
    """What either backend raises for a row its constraints refuse (NOT NULL, CHECK, UNIQUE, foreign keys)."""
    if on_postgresql(conn):
        import psycopg  # loaded on PostgreSQL only

        return (psycopg.IntegrityError,)
    return (sqlite3.IntegrityError,)


def _is_object(text: str) -> bool:
    """Whether `text` is a JSON object (what the audit log's before and after hold, read by /mod log)."""
    try:
        return isinstance(read_json(text), dict)
    except ValueError:
        return False


def _is_id(value: object) -> TypeGuard[int]:
    return type(value) is int and value >= 0 and value in INT64


def _columns(conn: sqlite3.Connection, table: str) -> dict[str, str]:
    """Column name → its kind (INTEGER or TEXT), from this database's own schema."""
    if on_postgresql(conn):
        rows = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = ?",
            (table,),
        )
        return {name: "INTEGER" if kind in ("bigint", "integer", "smallint") else "TEXT" for name, kind in rows}
    return {row[1]: str(row[2]).upper() for row in conn.execute(f"PRAGMA table_info({table})")}


def _checked_row(
    table: str,
    number: int,
    row: object,
    columns: dict[str, str],
    guild_id: int,
    impression_ids: set[object],
) -> dict[str, Any]:
    """A row of the export, accepted only with known columns, values of their type, and this server's ids."""
    if not isinstance(row, dict):
        raise ExportError(f"Row {number} of “{table}” is not an object.")
    checked: dict[str, Any] = {}
    for key, value in row.items():
        kind = columns.get(key)
        if kind is None:
            raise ExportError(f"Row {number} of “{table}” has a column this bot does not know: {str(key)[:40]!r}.")
        wanted = int if kind == "INTEGER" else str
        if value is not None and (type(value) is not wanted):
            raise ExportError(
                f"Row {number} of “{table}”: {key} should be {wanted.__name__}, not {type(value).__name__}."
            )
        if type(value) is int and value not in INT64:
            raise ExportError(f"Row {number} of “{table}”: {key} is a number too large for any column.")
        if isinstance(value, str) and not is_storable(value):  # never typed; no database can store it
            raise ExportError(
                f"Row {number} of “{table}”: {key} holds a character that is not text (NUL, or half a UTF-16 pair)."
            )
        # (Longer, its edit form could not be opened: Discord's form input holds 4,000 characters.)
        if key == "text" and table in _IMPRESSION_TEXTS and isinstance(value, str) and len(value) > IMPRESSION_TEXT_MAX:
            raise ExportError(
                f"Row {number} of “{table}”: the text is longer than an impression can be "
                f"({len(value):,} characters; at most {IMPRESSION_TEXT_MAX:,})."
            )
        if key.endswith("_at") and isinstance(value, str):
            # Read back by every card ("Last updated …"), compared as text in order and in post limits: a
            # date the bot could not read ("yesterday") broke every card showing that impression.
            moment = parse_instant(value)
            if moment is None:
                raise ExportError(
                    f"Row {number} of “{table}”: {key} is not a date and time from 1900 to 2200 (ISO 8601)."
                )
            value = moment.astimezone(UTC).isoformat()  # as the bot writes them: UTC, "+00:00"
        if table == "audit_log" and key in ("before", "after") and isinstance(value, str) and not _is_object(value):
            raise ExportError(f"Row {number} of “audit_log”: {key} is not a JSON object, as the bot writes it.")
        if key == "public_slug" and isinstance(value, str) and not is_slug_of(value, guild_id):
            raise ExportError(
                f"Row {number} of “{table}”: public_slug is not an address this server can have on the public site."
            )
        checked[key] = value
    if "guild_id" in columns and checked.get("guild_id") != guild_id:
        raise ExportError(f"Row {number} of “{table}” belongs to another server than the export's ({guild_id}).")
    if table != "impressions" and "impression_id" in columns and checked.get("impression_id") not in impression_ids:
        raise ExportError(f"Row {number} of “{table}” refers to an impression that is not in the export.")
    return checked


def _series_here(conn: sqlite3.Connection, entry: dict[str, Any]) -> int:
    """The series of this database that an exported one is: by site id, else by exact title, else a new one."""
    for url in entry.get("sources", []):
        row = conn.execute("SELECT series_id FROM series_sources WHERE url = ?", (url,)).fetchone()
        if row:
            return int(row[0])
    row = conn.execute("SELECT id FROM series WHERE title = ? AND merged_into IS NULL", (entry["title"],)).fetchone()
    if row:
        return int(row[0])
    now = datetime.now(UTC).isoformat(timespec="seconds")
    cursor = conn.execute(
        "INSERT INTO series (title, created_at, updated_at) VALUES (?, ?, ?)", (entry["title"], now, now)
    )
    series_id = int(cursor.lastrowid or 0)
    conn.execute("INSERT INTO series_names (series_id, name, kind) VALUES (?, ?, 'title')", (series_id, entry["title"]))
    return series_id
