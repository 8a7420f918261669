"""The rules a write of an impression checks inside its own transaction: who may post (a ban, the
posting limit, a duplicate) and whether an edit changes anything."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.models import CATEGORY_FIELDS, Impression, Scores

SCORE_COLUMNS = tuple(f"score_{field}" for field in CATEGORY_FIELDS)
BANNED_SQL = "SELECT 1 FROM reviewer_bans WHERE guild_id = ? AND user_id = ? AND (expires_at IS NULL OR expires_at > ?)"
WINDOW = timedelta(hours=1)  # the posting limit counts impressions per member per hour


@dataclass(frozen=True, slots=True)
class Draft:
    """An impression as a member submits it, already validated by the service."""

    series_id: int
    author_id: int
    author_name: str
    scope: str
    episodes_watched: int | None
    text: str
    spoiler: bool
    scores: Scores


@dataclass(frozen=True, slots=True)
class PostPolicy:
    """What the service decided about the poster: moderators are exempt from the posting limit."""

    exempt: bool
    default_limit: int  # impressions per hour when the server set none


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a post is not stored: a ban, the posting limit (until `retry_at`), or a duplicate (`impression_id`)."""

    reason: Literal["banned", "rate_limited", "duplicate"]
    impression_id: int | None = None
    retry_at: str | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class Revision:
    """The outcome of an edit: unchanged, applied, or held for approval as edit `edit_id`."""

    outcome: Literal["unchanged", "applied", "held"]
    impression: Impression  # as it is shown now; for a held edit, as it will read once approved
    edit_id: int | None = None


def approval_required(conn: sqlite3.Connection, guild_id: int) -> bool:
    row = conn.execute("SELECT approval_required FROM guild_settings WHERE guild_id = ?", (guild_id,)).fetchone()
    return bool(row and row[0])


def _post_limit(conn: sqlite3.Connection, guild_id: int, default: int) -> int:
    row = conn.execute("SELECT post_limit_per_hour FROM guild_settings WHERE guild_id = ?", (guild_id,)).fetchone()
    return default if row is None or row[0] is None else int(row[0])


def refusal_of(conn: sqlite3.Connection, guild_id: int, draft: Draft, policy: PostPolicy, now: str) -> Refusal | None:
    """Everything that stops a new post, read in the caller's transaction so nothing races it."""
    if conn.execute(BANNED_SQL, (guild_id, draft.author_id, now)).fetchone() is not None:
        return Refusal("banned")
    duplicate = conn.execute(
        "SELECT id FROM impressions WHERE guild_id = ? AND author_id = ? AND series_id = ? AND scope = ? "
        "AND episodes_watched IS ? AND status NOT IN ('removed', 'rejected') ORDER BY id DESC LIMIT 1",
        (guild_id, draft.author_id, draft.series_id, draft.scope, draft.episodes_watched),
    ).fetchone()
    if duplicate is not None:
        return Refusal("duplicate", impression_id=int(duplicate[0]))
    limit = _post_limit(conn, guild_id, policy.default_limit)
    if policy.exempt or limit == 0:
        return None
    since = (datetime.fromisoformat(now) - WINDOW).isoformat(timespec="seconds")
    # Removed impressions count too: deleting and posting again is no way around the limit.
    recent = [row[0] for row in conn.execute(
        "SELECT created_at FROM impressions WHERE guild_id = ? AND author_id = ? AND created_at > ? "
        "ORDER BY created_at", (guild_id, draft.author_id, since),
    )]  # fmt: skip
    if len(recent) < limit:
        return None
    # A slot frees when the post that keeps the count at the limit leaves the window.
    frees_at = datetime.fromisoformat(recent[len(recent) - limit]) + WINDOW
    return Refusal("rate_limited", retry_at=frees_at.isoformat(timespec="seconds"), limit=limit)


def same_content(row: sqlite3.Row, draft: Draft) -> bool:
    return (
        row["scope"] == draft.scope
        and row["episodes_watched"] == draft.episodes_watched
        and row["text"] == draft.text
        and bool(row["spoiler"]) == draft.spoiler
        and tuple(row[column] for column in SCORE_COLUMNS) == draft.scores.values()
    )
