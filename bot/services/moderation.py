"""Moderation: every action checks, here, that the actor moderates this server."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.errors import ONLY_MODERATORS, InvalidInput, NotFound, PermissionDenied
from bot.models import Impression
from bot.parsing import is_blank
from bot.services.impressions import Actor, parse_impression_ref
from bot.store.export import export_guild
from bot.store.impressions import ImpressionStore
from bot.store.moderation import AuditEntry, GuildSettings, ModerationStore
from bot.store.queue import Decision, QueueItem, QueueKind, QueueStore
from bot.store.reports import Report, ReportStore

MAX_REASON = 500
MAX_POST_LIMIT = 1000
LOG_PAGE = 10
_DURATION = re.compile(r"^\s*(\d{1,4})\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True, slots=True)
class BanResult:
    banned_now: bool  # False: a ban was already in force and nothing was written
    until: datetime | None


@dataclass(frozen=True, slots=True)
class BanTarget:
    user_id: int
    is_bot: bool
    is_moderator: bool


def check_reason(reason: str | None, *, required: bool = True) -> str | None:
    text = (reason or "").strip()
    if is_blank(text):
        if required:
            raise InvalidInput("Give a reason: the member is told it, and it goes into the audit log.")
        return None
    if len(text) > MAX_REASON:
        raise InvalidInput(f"Keep the reason under {MAX_REASON} characters (it has {len(text):,}).")
    return text


def parse_duration(text: str | None) -> timedelta | None:
    if not text or not text.strip():
        return None
    match = _DURATION.match(text)
    if match is None or int(match[1]) == 0:
        raise InvalidInput("A duration looks like 30m, 12h, 7d or 2w; leave it out for a ban without end.")
    return timedelta(seconds=int(match[1]) * _UNITS[match[2].lower()])


HIDEABLE = frozenset({"published", "pending", "rejected"})  # hidden: already; removed: gone


class ModerationService:
    def __init__(
        self, moderation: ModerationStore, impressions: ImpressionStore, queue: QueueStore, reports: ReportStore
    ) -> None:
        self._moderation = moderation
        self._impressions = impressions
        self._queue = queue
        self._reports = reports

    @staticmethod
    def require_moderator(actor: Actor) -> None:
        # default_permissions only hides commands in the client; this is the check that counts.
        if not actor.is_moderator:
            raise PermissionDenied(ONLY_MODERATORS)

    async def settings_for_check(self, guild_id: int) -> GuildSettings:
        """Settings read for a permission check (no actor check: nothing is shown)."""
        return await self._moderation.settings(guild_id)

    async def settings(self, actor: Actor) -> GuildSettings:
        self.require_moderator(actor)
        return await self._moderation.settings(actor.guild_id)

    async def update_settings(self, actor: Actor, changes: dict[str, Any]) -> GuildSettings:
        self.require_moderator(actor)
        limit = changes.get("post_limit_per_hour")
        if limit is not None and not 0 <= limit <= MAX_POST_LIMIT:
            raise InvalidInput(f"The posting limit is 0 (none) to {MAX_POST_LIMIT} impressions per hour.")
        if not changes:
            return await self._moderation.settings(actor.guild_id)
        return await self._moderation.update_settings(actor.guild_id, actor.user_id, changes)

    async def _target(self, guild_id: int, ref: str) -> Impression:
        _, impression_id = parse_impression_ref(ref)
        impression = await self._impressions.get(guild_id, impression_id)
        if impression is None:
            raise NotFound(f"No impression #{impression_id} in this server.")
        return impression

    async def hide(self, actor: Actor, ref: str, reason: str) -> int:
        self.require_moderator(actor)
        text = check_reason(reason)
        impression = await self._target(actor.guild_id, ref)
        impression_id = impression.id
        notice = (impression.author_id, f"A moderator hid your impression #{impression_id}: {text}")
        found = await self._moderation.set_state(
            actor.guild_id, impression_id, actor.user_id, "impression.hide", {"status": "hidden"}, text, notice,
            only_from=HIDEABLE,
        )  # fmt: skip
        self._changed(impression_id, found, HIDEABLE, "is already hidden")
        return impression_id

    async def restore(self, actor: Actor, ref: str) -> int:
        self.require_moderator(actor)
        impression_id = (await self._target(actor.guild_id, ref)).id
        found = await self._moderation.set_state(
            actor.guild_id, impression_id, actor.user_id, "impression.restore", {"status": "published"}, None,
            only_from=frozenset({"hidden"}),
        )  # fmt: skip
        self._changed(impression_id, found, frozenset({"hidden"}), "is not hidden")
        return impression_id

    async def feature(self, actor: Actor, ref: str, featured: bool) -> int:
        self.require_moderator(actor)
        impression_id = (await self._target(actor.guild_id, ref)).id
        action = "impression.feature" if featured else "impression.unfeature"
        found = await self._moderation.set_state(
            actor.guild_id, impression_id, actor.user_id, action, {"featured": int(featured)}, None
        )
        self._changed(impression_id, found, frozenset(), "")
        return impression_id

    @staticmethod
    def _changed(impression_id: int, found: str | None, allowed: frozenset[str], otherwise: str) -> None:
        """The sentence for a change its transaction refused: the impression was deleted, or its status
        (read under the lock, so a moderator's change a moment earlier counts) did not allow it."""
        if found is None or found == "removed":
            raise NotFound(f"No impression #{impression_id} in this server.")
        if allowed and found not in allowed:
            raise InvalidInput(f"Impression #{impression_id} {otherwise}.")

    async def ban(self, actor: Actor, target: BanTarget, reason: str, duration: str | None) -> BanResult:
        self.require_moderator(actor)
        text = check_reason(reason)
        assert text is not None
        if target.is_bot:
            raise InvalidInput("Bots do not post impressions; there is nothing to ban.")
        if target.is_moderator:
            raise InvalidInput("Moderators cannot be banned from reviewing; take away their role first.")
        if target.user_id == actor.user_id:
            raise InvalidInput("You cannot ban yourself.")
        span = parse_duration(duration)
        until = None if span is None else datetime.now(UTC) + span
        created, ends = await self._moderation.ban(
            actor.guild_id,
            target.user_id,
            actor.user_id,
            text,
            None if until is None else until.isoformat(timespec="seconds"),
        )
        return BanResult(created, None if ends is None else datetime.fromisoformat(ends))

    async def unban(self, actor: Actor, user_id: int) -> None:
        self.require_moderator(actor)
        if not await self._moderation.unban(actor.guild_id, user_id, actor.user_id):
            raise NotFound("That member is not banned from reviewing here.")

    async def log_page(self, actor: Actor, target: tuple[str, int] | None, number: int) -> tuple[list[AuditEntry], int]:
        self.require_moderator(actor)
        return await self._moderation.audit_page(actor.guild_id, target, number * LOG_PAGE, LOG_PAGE)

    async def export(self, actor: Actor, database: Path | str) -> bytes:
        """This server's data as the JSON `python -m bot export` writes, read in one snapshot."""
        self.require_moderator(actor)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        document = await asyncio.to_thread(export_guild, database, actor.guild_id, stamp)
        return json.dumps(document, ensure_ascii=False, indent=1).encode()

    async def take_notices(self, guild_id: int, user_id: int) -> list[str]:
        if not await self._moderation.has_notices(guild_id, user_id):
            return []
        return await self._moderation.take_notices(guild_id, user_id)

    async def pending_at(self, actor: Actor, number: int) -> tuple[QueueItem | None, int]:
        """The impression or edit waiting at place `number` (0: the longest waiting), and how many wait."""
        self.require_moderator(actor)
        return await self._queue.waiting(actor.guild_id, max(0, number))

    async def require_pending(self, actor: Actor, kind: QueueKind, item_id: int) -> None:
        """Before a reject form opens: a moderator, and something of this server still waiting."""
        self.require_moderator(actor)
        if not await self._queue.is_pending(actor.guild_id, kind, item_id):
            what = "impression" if kind == "impression" else "edit"
            raise NotFound(f"No {what} #{item_id} is waiting for approval in this server.")

    async def decide(
        self,
        actor: Actor,
        item_id: int,
        approve: bool,
        reason: str | None = None,
        kind: QueueKind = "impression",
    ) -> tuple[Decision, int]:
        """Approve or reject a waiting impression or edit; with the impression's id."""
        self.require_moderator(actor)
        text = None if approve else check_reason(reason)
        if kind == "edit":
            outcome = await self._queue.decide_edit(actor.guild_id, item_id, actor.user_id, approve, text)
            if outcome is None:
                raise NotFound(f"No edit #{item_id} in this server.")
            return outcome
        decision = await self._queue.decide(actor.guild_id, item_id, actor.user_id, approve, text)
        if decision is None:
            raise NotFound(f"No impression #{item_id} in this server.")
        return decision, item_id

    async def require_may_report(self, guild_id: int, user_id: int) -> None:
        if await self._impressions.is_banned(guild_id, user_id):
            raise PermissionDenied("You are banned from reviewing here, which includes reporting.")

    async def report(self, actor: Actor, impression_id: int, reason: str) -> int:
        """A member reports a visible impression of this server, once."""
        await self.require_may_report(actor.guild_id, actor.user_id)
        text = check_reason(reason)
        assert text is not None
        impression = await self._impressions.get(actor.guild_id, impression_id)
        if impression is None or impression.status != "published":
            raise NotFound(f"No impression #{impression_id} in this server.")
        if impression.author_id == actor.user_id:
            raise InvalidInput("That is your own impression: edit or delete it instead.")
        report_id = await self._reports.add(actor.guild_id, impression_id, actor.user_id, text)
        if report_id is None:
            raise InvalidInput(f"You already reported impression #{impression_id}; moderators will look at it.")
        return report_id

    async def report_at(self, actor: Actor, number: int) -> tuple[Report | None, int]:
        """The open report at place `number` (0: the oldest), and how many are open."""
        self.require_moderator(actor)
        return await self._reports.open_report(actor.guild_id, max(0, number))

    async def resolve_report(self, actor: Actor, report_id: int, hide: bool) -> tuple[Report, str | None]:
        """The report, and its impression's status as this call found it when this call resolved it
        (None: someone already had; not "published" with `hide`: it was no longer shown, nothing hidden)."""
        self.require_moderator(actor)
        current = await self._reports.get(actor.guild_id, report_id)
        if current is None:
            raise NotFound(f"No report #{report_id} in this server.")
        if current.status != "open":
            return current, None
        notice = f"A moderator hid your impression #{current.impression_id} after a report: {current.reason}"
        resolved = await self._reports.resolve(actor.guild_id, report_id, actor.user_id, hide, notice if hide else None)
        assert resolved is not None
        return resolved
