"""Reports of impressions by members, and how moderators resolve them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.store.audit import audit, notify
from bot.store.backend import Backend
from bot.store.catalog import utc_now
from bot.store.connection import lock_row


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    impression_id: int
    reporter_id: int
    reason: str
    status: str
    resolved_by: int | None
    resolved_at: str | None


class ReportStore:
    def __init__(self, db: Backend) -> None:
        self._db = db

    async def add(self, guild_id: int, impression_id: int, reporter_id: int, reason: str) -> int | None:
        """A new report's id; None when this member already reported this impression."""

        def job(conn: sqlite3.Connection) -> int | None:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO reports (guild_id, impression_id, reporter_id, reason, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (guild_id, impression_id, reporter_id, reason, utc_now()),
            )
            if cursor.rowcount == 0:
                return None
            audit(conn, guild_id, reporter_id, "impression.report", ("impression", impression_id), reason)
            return int(cursor.lastrowid or 0)

        return await self._db.write(job)

    async def open_report(self, guild_id: int, offset: int = 0) -> tuple[Report | None, int]:
        """The open report at `offset`, the oldest first, and how many are open."""
        rows = await self._db.fetch_all(
            "SELECT *, count(*) OVER () AS open_count FROM reports WHERE guild_id = ? AND status = 'open' "
            "ORDER BY id LIMIT 1 OFFSET ?",
            (guild_id, offset),
        )
        if not rows:
            return None, 0
        row = rows[0]
        return _report(row), int(row["open_count"])

    async def get(self, guild_id: int, report_id: int) -> Report | None:
        row = await self._db.fetch_one("SELECT * FROM reports WHERE guild_id = ? AND id = ?", (guild_id, report_id))
        return None if row is None else _report(row)

    async def resolve(
        self, guild_id: int, report_id: int, actor_id: int, hide: bool, notice: str | None
    ) -> tuple[Report, str | None] | None:
        """Dismiss the report, or hide its impression (closing every open report on it); None if not here.
        With the report, its impression's status as the decision found it (None: already resolved).

        An already resolved report is returned unchanged, for "who decided it and when". Hiding an
        impression no longer shown (its author deleted it, a moderator hid it meanwhile) closes its
        reports and changes nothing else: no hide in the audit log, no second notice to its author.
        """

        def job(conn: sqlite3.Connection) -> tuple[Report, str | None] | None:
            found = conn.execute(
                "SELECT impression_id FROM reports WHERE guild_id = ? AND id = ?", (guild_id, report_id)
            ).fetchone()
            if found is not None:  # its impression first, as every writer of one locks them
                lock_row(conn, "impressions", int(found[0]))
                lock_row(conn, "reports", report_id)
            row = conn.execute("SELECT * FROM reports WHERE guild_id = ? AND id = ?", (guild_id, report_id)).fetchone()
            if row is None or row["status"] != "open":
                return None if row is None else (_report(row), None)
            now = utc_now()
            status, author_id = conn.execute(
                "SELECT status, author_id FROM impressions WHERE id = ?", (row["impression_id"],)
            ).fetchone()
            if hide:
                if status == "published":
                    conn.execute(
                        "UPDATE impressions SET status = 'hidden', updated_at = ? WHERE id = ?",
                        (now, row["impression_id"]),
                    )
                    audit(conn, guild_id, actor_id, "impression.hide", ("impression", row["impression_id"]),
                          f"reported: {row['reason']}", {"status": status}, {"status": "hidden"})  # fmt: skip
                    if notice is not None:
                        notify(conn, self._db.noticed, guild_id, author_id, notice)
                conn.execute(
                    "UPDATE reports SET status = 'actioned', resolved_by = ?, resolved_at = ? "
                    "WHERE impression_id = ? AND status = 'open'",
                    (actor_id, now, row["impression_id"]),
                )
            else:
                conn.execute(
                    "UPDATE reports SET status = 'dismissed', resolved_by = ?, resolved_at = ? WHERE id = ?",
                    (actor_id, now, report_id),
                )
                audit(conn, guild_id, actor_id, "report.dismiss", ("impression", row["impression_id"]), row["reason"])
            decided = Report(report_id, row["impression_id"], row["reporter_id"], row["reason"],
                             "actioned" if hide else "dismissed", actor_id, now)  # fmt: skip
            return decided, str(status)

        return await self._db.write(job)


def _report(row: sqlite3.Row) -> Report:
    return Report(
        row["id"], row["impression_id"], row["reporter_id"], row["reason"], row["status"], row["resolved_by"],
        row["resolved_at"],
    )  # fmt: skip
