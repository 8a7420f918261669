"""Impressions: who may post, edit and delete; scopes and scores; the ratings summary of a series."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.models import CATEGORY_FIELDS, IMPRESSION_TEXT_MAX, Impression, Scores, Series, SeriesFacts
from bot.parsing import is_blank, is_number
from bot.services.impression_ids import Plan, new_nonce
from bot.services.series import parse_series_ref
from bot.store.catalog import CatalogStore
from bot.store.impressions import ImpressionStore, Sort
from bot.store.posting import Draft, PostPolicy, Refusal, Revision

MAX_EPISODES = 10_000  # when the series' own count is unknown, still a sane bound
BANNED = "You are banned from posting impressions in this server."
SCOPES = ("episodes", "completed", "dropped")
DEFAULT_POST_LIMIT = 10  # impressions per member per hour in a server, unless its moderators set another
_REF = re.compile(r"^\s*(?:series:(\d{1,18}))?\s*#?\s*(\d{1,18})\s*$")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, and where: resolved once per interaction, and what each service call that acts on
    a server's data takes (so no call can pair one server's member with another server's id)."""

    user_id: int
    name: str
    is_moderator: bool = False
    guild_id: int = 0  # 0 outside any server (a direct message)


class DuplicateImpression(InvalidInput):
    """The member already has an impression of this series with this scope: offer to edit it instead."""

    def __init__(self, impression_id: int) -> None:
        super().__init__(
            f"You already posted impression #{impression_id} of this series with the same episodes watched; "
            "edit it instead of posting it twice."
        )
        self.impression_id = impression_id


def refusal_error(refusal: Refusal, now: datetime | None = None) -> InvalidInput | PermissionDenied:
    """The sentence for a post the store refused."""
    if refusal.reason == "banned":
        return PermissionDenied(BANNED)
    if refusal.reason == "duplicate":
        assert refusal.impression_id is not None
        return DuplicateImpression(refusal.impression_id)
    assert refusal.retry_at is not None
    wait = datetime.fromisoformat(refusal.retry_at) - (now or datetime.now(UTC))
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return InvalidInput(
        f"You have posted {refusal.limit} impressions in the last hour, this server's limit; "
        f"try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )


@dataclass(frozen=True, slots=True)
class Page:
    impression: Impression
    series: Series
    number: int  # 0-based
    total: int


def parse_impression_ref(text: str) -> tuple[int | None, int]:
    """`628`, `#628` or `series:4772#628` → (series id or None, impression id)."""
    match = _REF.match(text)
    if match is None:
        raise InvalidInput("“{}” is not an impression id: use a number like 628 or series:4772#628.", text[:40])
    series, impression = match.groups()
    return (int(series) if series else None), int(impression)


def check_scores(scores: Scores) -> None:
    for field, value in zip(CATEGORY_FIELDS, scores.values(), strict=True):
        if value is not None and not 1 <= value <= 10:
            category = field.replace("_", " ")
            raise InvalidInput(f"Scores go from 1 to 10; {category} was {value}. Leave it out to keep it unevaluated.")


def check_text(text: str) -> str:
    stripped = text.strip()
    if is_blank(stripped):  # also a text of zero-width spaces or fillers: it would show as nothing
        raise InvalidInput("Your impression is empty. Write what you thought of the episodes you watched.")
    if len(stripped) > IMPRESSION_TEXT_MAX:
        raise InvalidInput(
            f"Your impression is {len(stripped):,} characters long; the limit is {IMPRESSION_TEXT_MAX:,}."
        )
    return stripped


class ImpressionService:
    def __init__(self, impressions: ImpressionStore, catalog: CatalogStore) -> None:
        self._impressions = impressions
        self._catalog = catalog

    async def _series_to_review(self, series_id: int) -> SeriesFacts:
        facts = await self._catalog.facts(series_id)
        if facts is None:
            raise NotFound(f"There is no series series:{series_id}.")
        if facts.merged_into is not None:
            raise InvalidInput(
                f"series:{series_id} was merged into series:{facts.merged_into}; post your impression there."
            )
        return facts

    async def _check_not_banned(self, actor: Actor) -> None:
        if await self._impressions.is_banned(actor.guild_id, actor.user_id):
            raise PermissionDenied(BANNED)

    @staticmethod
    def _check_scope(series: Series | SeriesFacts, scope: str, episodes: int | None) -> int | None:
        if scope not in SCOPES:
            raise InvalidInput("The scope is one of: episodes watched, completed, dropped.")
        if scope == "completed":
            return series.episodes
        if episodes is None:
            what = "how many episodes you watched" if scope == "episodes" else "after how many episodes you dropped it"
            raise InvalidInput(f"Say {what} with the `episodes` option.")
        if episodes < 1:
            raise InvalidInput("Episodes watched starts at 1.")
        if episodes > MAX_EPISODES:
            raise InvalidInput(f"No series has {episodes:,} episodes; the count goes up to {MAX_EPISODES:,}.")
        if series.episodes and episodes > series.episodes:
            raise InvalidInput(f"{{}} has {series.episodes} episodes, not {episodes}.", series.title)
        return episodes

    async def plan(
        self,
        actor: Actor,
        series_ref: str,
        scope: str,
        episodes: int | None,
        scores: Scores,
        spoiler: bool,
        *,
        scope_known: bool = True,
    ) -> tuple[Plan, SeriesFacts]:
        """Check everything but the text, before the member spends time writing it (a ban, the
        posting limit and a duplicate are read together, as the post's own transaction reads them).

        `scope_known=False` (the card's short form, where the scope is typed into the form itself):
        a duplicate can only be told once the form is sent.
        """
        series_id = parse_series_ref(series_ref)
        if series_id is None:
            raise InvalidInput("Pick the series from the list as you type its name.")
        series = await self._series_to_review(series_id)
        episodes = self._check_scope(series, scope, episodes)
        check_scores(scores)
        plan = Plan(series.id, scope, episodes, scores, spoiler, new_nonce())
        refused = await self._impressions.refusal(actor.guild_id, self._draft(actor, plan, ""), self._policy(actor))
        if refused is not None and (scope_known or refused.reason != "duplicate"):
            raise refusal_error(refused)
        return plan, series

    @staticmethod
    def _policy(actor: Actor) -> PostPolicy:
        return PostPolicy(exempt=actor.is_moderator, default_limit=DEFAULT_POST_LIMIT)

    @staticmethod
    def _draft(actor: Actor, plan: Plan, text: str) -> Draft:
        return Draft(
            series_id=plan.series_id,
            author_id=actor.user_id,
            author_name=actor.name,
            scope=plan.scope,
            episodes_watched=plan.episodes_watched,
            text=text,
            spoiler=plan.spoiler,
            scores=plan.scores,
        )

    async def post(self, actor: Actor, plan: Plan, text: str) -> tuple[Impression, bool]:
        """Store the impression (once per plan nonce); returns it and whether it is new."""
        series = await self._series_to_review(plan.series_id)
        episodes = self._check_scope(series, plan.scope, plan.episodes_watched)
        check_scores(plan.scores)  # the custom_id came back from the client: check it again
        draft = self._draft(actor, replace(plan, episodes_watched=episodes), check_text(text))
        stored = await self._impressions.add(
            actor.guild_id, draft, f"{actor.user_id}:{plan.nonce}", self._policy(actor)
        )
        # A ban, the posting limit and duplicates are checked inside the write, so nothing races a post.
        if isinstance(stored, Refusal):
            raise refusal_error(stored)
        return stored

    async def find(self, guild_id: int, ref: str, actor: Actor | None = None) -> tuple[Impression, Series]:
        """A published impression; a pending, hidden or rejected one only for its author and moderators
        (without `actor`: as anyone sees it)."""
        series_id, impression_id = parse_impression_ref(ref)
        impression, series = await self._impressions.get_with_series(guild_id, impression_id)
        # Another server's impression, a removed one, or a wrong series all read "not found".
        if impression is None or (series_id is not None and series_id != impression.series_id):
            raise NotFound(f"No impression #{impression_id} in this server.")
        privileged = actor is not None and (actor.is_moderator or actor.user_id == impression.author_id)
        if impression.status != "published" and not privileged:
            raise NotFound(f"No impression #{impression_id} in this server.")
        assert series is not None  # an impression's series always exists (a foreign key)
        return impression, series

    async def _own(self, actor: Actor, ref: str, *, moderators_too: bool) -> Impression:
        _, impression_id = parse_impression_ref(ref)
        impression = await self._impressions.get(actor.guild_id, impression_id)
        if impression is None:
            raise NotFound(f"No impression #{impression_id} in this server.")
        if impression.author_id != actor.user_id and not (moderators_too and actor.is_moderator):
            raise PermissionDenied(
                f"Impression #{impression_id} is {{}}'s; only they can change it.", impression.author_name
            )
        return impression

    async def editable(self, actor: Actor, ref: str) -> Impression:
        await self._check_not_banned(actor)
        return await self._own(actor, ref, moderators_too=False)

    async def edit(
        self,
        actor: Actor,
        impression_id: int,
        text: str,
        scope: str | None = None,
        episodes: int | None = None,
        score_changes: dict[str, int] | None = None,
        spoiler: bool | None = None,
    ) -> Revision:
        """Apply an edit, or hold it for approval; an edit that changes nothing is refused."""
        await self._check_not_banned(actor)
        current = await self._own(actor, str(impression_id), moderators_too=False)
        series = await self._catalog.get(current.series_id)
        assert series is not None
        new_scope = scope or current.scope
        keep_episodes = scope in (None, current.scope)
        new_episodes = episodes if episodes is not None else (current.episodes_watched if keep_episodes else None)
        new_episodes = self._check_scope(series, new_scope, new_episodes)
        new_scores = replace(current.scores, **(score_changes or {}))
        check_scores(new_scores)
        draft = Draft(
            series_id=current.series_id,
            author_id=current.author_id,
            author_name=current.author_name,
            scope=new_scope,
            episodes_watched=new_episodes,
            text=check_text(text),
            spoiler=current.spoiler if spoiler is None else spoiler,
            scores=new_scores,
        )
        # Moderators' own edits are not held: they would approve them anyway.
        revision = await self._impressions.revise(
            actor.guild_id, impression_id, draft, actor.user_id, hold=not actor.is_moderator
        )
        if revision is None:
            raise NotFound(f"No impression #{impression_id} in this server.")
        if revision.outcome == "unchanged":
            raise InvalidInput(f"Nothing changed: impression #{impression_id} already reads like that.")
        return revision

    async def deletable(self, actor: Actor, ref: str) -> Impression:
        return await self._own(actor, ref, moderators_too=True)

    async def delete(self, actor: Actor, impression_id: int) -> None:
        impression = await self._own(actor, str(impression_id), moderators_too=True)
        reason = None if impression.author_id == actor.user_id else "deleted by a moderator"
        if not await self._impressions.remove(actor.guild_id, impression_id, actor.user_id, reason):
            raise NotFound(f"Impression #{impression_id} was already deleted.")

    async def series_page(
        self, guild_id: int, series_id: int, sort: Sort, reviewer_id: int | None, number: int
    ) -> Page | None:
        series = await self._catalog.get(series_id)
        if series is None:
            raise NotFound(f"There is no series series:{series_id}.")
        impression, total = await self._impressions.page_for_series(
            guild_id, series.id, sort, reviewer_id, max(0, number)
        )
        if impression is None:
            return None
        return Page(impression, series, number, total)

    async def author_page(self, guild_id: int, author_id: int, series_id: int | None, number: int) -> Page | None:
        impression, total = await self._impressions.page_for_author(guild_id, author_id, series_id, max(0, number))
        if impression is None:
            return None
        series = await self._catalog.get(impression.series_id)
        assert series is not None
        return Page(impression, series, number, total)

    async def suggest(self, guild_id: int, author_id: int | None, typed: str) -> list[tuple[int, str, str]]:
        """Impressions to offer while an id is typed: the member's own (edit, delete) or the server's."""
        recent = await self._impressions.recent(guild_id, author_id, 100)
        digits = "".join(c for c in typed if is_number(c))
        typed_text = typed.strip().lower()
        if digits:
            recent = [r for r in recent if str(r[0]).startswith(digits)] or recent
        elif typed_text:
            recent = [r for r in recent if typed_text in r[1].lower() or typed_text in r[2].lower()]
        return recent[:25]

    async def record_post(
        self, guild_id: int, impression_id: int, channel_id: int, message_id: int, kind: str
    ) -> Impression | None:
        return await self._impressions.record_post(guild_id, impression_id, channel_id, message_id, kind)

    async def forget_post(self, message_id: int) -> None:
        await self._impressions.forget_post(message_id)

    async def public_posts(
        self, guild_id: int, impression_id: int
    ) -> tuple[tuple[Impression, Series] | None, list[tuple[int, int, str]]]:
        """The bot's public posts of an impression, and the impression if it may be shown publicly now."""
        posts = await self._impressions.posts(guild_id, impression_id)
        if not posts:
            return None, []
        impression = await self._impressions.get(guild_id, impression_id)
        if impression is None or impression.status != "published":
            return None, posts
        series = await self._catalog.get(impression.series_id)
        return (None if series is None else (impression, series)), posts

    async def pending_edit(self, guild_id: int, edit_id: int) -> tuple[Impression, Series]:
        """An edit waiting for approval, as the impression would read once approved."""
        proposed = await self._impressions.pending_edit(guild_id, edit_id)
        if proposed is None:
            raise NotFound(f"No edit #{edit_id} is waiting in this server.")
        series = await self._catalog.get(proposed.series_id)
        assert series is not None
        return proposed, series
