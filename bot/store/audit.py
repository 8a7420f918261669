"""Rows every moderation write adds beside its change: the audit entry, and a notice to a member."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from bot.store.catalog import utc_now


def audit(
    conn: sqlite3.Connection,
    guild_id: int | None,
    actor_id: int,
    action: str,
    target: tuple[str, int],
    reason: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        "INSERT INTO audit_log (guild_id, actor_id, action, target_type, target_id, reason, before, after, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            guild_id,
            actor_id,
            action,
            target[0],
            target[1],
            reason,
            None if before is None else json.dumps(before),
            None if after is None else json.dumps(after),
            utc_now(),
        ),
    )


def notify(conn: sqlite3.Connection, noticed: set[tuple[int, int]], guild_id: int, user_id: int, text: str) -> None:
    """A notice the member is shown the next time they use the bot here; `noticed` (the database's
    set of members who may have one) learns of it before the commit, so no notice is ever missed."""
    noticed.add((guild_id, user_id))
    conn.execute(
        "INSERT INTO member_notices (guild_id, user_id, text, created_at) VALUES (?, ?, ?, ?)",
        (guild_id, user_id, text, utc_now()),
    )
