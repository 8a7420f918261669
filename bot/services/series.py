"""Series lookup: autocomplete, free-text resolution, and the data behind the series card."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.errors import InvalidInput, NotFound, NotReadyYet
from bot.models import Ratings, Series, SeriesLabel
from bot.parsing import is_number
from bot.services.anilist import AniListClient, AniListUnavailable
from bot.services.search import Match, Resolution, SeriesSearch, normalize, resolve
from bot.store.cards import CardStore
from bot.store.catalog import CatalogStore
from bot.store.connection import is_busy

log = logging.getLogger(__name__)

MAX_QUERY = 100
MATCH_THRESHOLD = 75  # below this a candidate is a "did you mean", not a match
SERIES_REF_PREFIX = "series:"
ENRICH_RETRY_S = 600.0  # after AniList failed for a series, do not ask again for this long
INDEX_WAIT_S = 2.0  # the most a keystroke or a typed name waits for the lookup index's first build (Discord: 3 s)
CREDITS_TTL_S = 30.0  # as often as the lookup index looks for a new catalog revision
TABLE_REVIEWERS = 8  # rows of a card's ratings table


@dataclass(frozen=True, slots=True)
class Suggestion:
    label: SeriesLabel
    matched_name: str | None  # shown when the member matched another name than the title


@dataclass(frozen=True, slots=True)
class SeriesCard:
    series: Series
    credits: list[str]


def series_ref(series_id: int) -> str:
    """The value autocomplete hands back for a series, and what members see in card footers."""
    return f"{SERIES_REF_PREFIX}{series_id}"


def parse_series_ref(text: str) -> int | None:
    text = text.strip()
    if text.startswith(SERIES_REF_PREFIX):
        number = text[len(SERIES_REF_PREFIX) :].split("#", 1)[0]
        if is_number(number) and len(number) <= 18:
            return int(number)
    return None


def _due_for_enrichment(series: Series, now: datetime) -> bool:
    """Never asked yet, or the airing AniList announced has passed (so its next one is asked for, once an
    episode at most: a card's schedule stays right while the series airs)."""
    if series.enriched_at is None:
        return True
    return series.next_episode_at is not None and series.next_episode_at < now.isoformat()


class SeriesService:
    def __init__(
        self, catalog: CatalogStore, cards: CardStore, search: SeriesSearch, anilist: AniListClient | None
    ) -> None:
        self._catalog = catalog
        self._cards = cards
        self._search = search
        self._anilist = anilist
        self._enrich_failed_at: dict[int, float] = {}
        self._credits: tuple[float, dict[str, str]] | None = None

    async def suggest(self, typed: str, today: date, limit: int = 25) -> list[Suggestion] | None:
        """Autocomplete: the best matches for what has been typed, or recent series for nothing; None
        while the lookup index is still being built, just after start."""
        if len(typed) > MAX_QUERY * 2:
            return []
        if not await self._search.wait_ready(INDEX_WAIT_S):
            return None
        if not normalize(typed):
            return [Suggestion(label, None) for label in await self._search.recent(today, limit)]
        return await self._suggestions(await self._search.search(typed, limit))

    async def resolve(self, typed: str) -> tuple[Resolution, list[Suggestion]]:
        """What a member meant by text they sent without picking a suggestion.

        Returns the resolution and suggestions: its candidates, or near misses when nothing matched.
        """
        if len(typed) > MAX_QUERY:
            raise InvalidInput(f"That is too long for a series name ({len(typed)} characters; at most {MAX_QUERY}).")
        if not normalize(typed):
            raise InvalidInput("Type part of a series name, then pick it from the list.")
        if not await self._search.wait_ready(INDEX_WAIT_S):  # every command naming a series by text
            raise NotReadyYet("The series list is still loading after a restart: send that again in a few seconds.")
        matches = await self._search.search(typed, 10)
        good = [m for m in matches if m.score >= MATCH_THRESHOLD]
        resolution = resolve(good, typed)
        # With no good match, the weak ones still make "did you mean" suggestions.
        return resolution, await self._suggestions(resolution.candidates or matches[:5])

    async def _suggestions(self, matches: list[Match]) -> list[Suggestion]:
        found = []
        labels = await self._search.labels(match.series_id for match in matches)
        for match, label in zip(matches, labels, strict=True):
            if label is not None:
                found.append(Suggestion(label, None if match.is_title else match.name))
        return found

    async def find(self, series_id: int) -> Series:
        series = await self._catalog.get(series_id)
        if series is None:
            raise NotFound(f"There is no series {series_ref(series_id)} (it may have been removed).")
        return series

    async def find_ref(self, typed: str) -> Series:
        """A series named by an autocomplete value (series:123) or by text that fits exactly one."""
        series_id = parse_series_ref(typed)
        if series_id is None:
            resolution, _ = await self.resolve(typed)
            if resolution.best is None:
                raise InvalidInput("“{}” does not name one series: pick it from the list as you type.", typed[:60])
            series_id = resolution.best.series_id
        return await self.find(series_id)

    async def card(
        self, guild_id: int, series_id: int, *, before_asking: Callable[[], Awaitable[None]] | None = None
    ) -> tuple[SeriesCard, Ratings]:
        """A series card and this server's ratings, in one trip to the database (credits ride along
        when their copy here is stale; AniList enrichment, when on, adds its own the first time).
        `before_asking` is awaited before AniList is: what comes then (its answer, up to ANILIST_TIMEOUT,
        then saving it, which waits for a catalog write in progress) can outlast the 3 s Discord waits for
        an interaction's first answer, so a command defers its answer there."""
        now = time.monotonic()
        stale = self._credits is None or now - self._credits[0] > CREDITS_TTL_S
        data = await self._cards.read(guild_id, series_id, TABLE_REVIEWERS, credits=stale)
        if data.series is None:
            raise NotFound(f"There is no series {series_ref(series_id)} (it may have been removed).")
        if data.credits is not None:
            self._credits = (now, {key.removeprefix("credit:"): value for key, value in data.credits.items()})
        series = data.series
        if self._anilist is not None and _due_for_enrichment(series, datetime.now(UTC)):
            series = await self._enrich(series, before_asking)
        return SeriesCard(series=series, credits=list(await self.credits())), data.ratings

    async def _enrich(self, series: Series, before_asking: Callable[[], Awaitable[None]] | None) -> Series:
        assert self._anilist is not None
        failed_at = self._enrich_failed_at.get(series.id)
        if failed_at is not None and time.monotonic() - failed_at < ENRICH_RETRY_S:
            return series
        if before_asking is not None:
            await before_asking()
        try:
            enrichment = await self._anilist.fetch(series)
        except AniListUnavailable as error:
            self._enrich_failed_at[series.id] = time.monotonic()
            log.info("AniList enrichment of series %s skipped: %s", series.id, error)
            return series
        self._enrich_failed_at.pop(series.id, None)
        try:
            saved = await self._catalog.save_enrichment(series.id, enrichment, "anilist")
        except Exception as error:
            if not is_busy(error):
                raise
            # Another process holds the database (an import, a restore): the card as the catalog has it
            # now, and AniList asked again later, rather than no card.
            self._enrich_failed_at[series.id] = time.monotonic()
            log.info("AniList enrichment of series %s not saved: the database is busy", series.id)
            return series
        if saved:
            self._search.names_added()
        return await self.find(series.id)

    async def credits(self) -> dict[str, str]:
        """Dataset credits for card footers; they change only with an import, so they are kept a while."""
        now = time.monotonic()
        if self._credits is None or now - self._credits[0] > CREDITS_TTL_S:
            found = {key.removeprefix("credit:"): value for key, value in (await self._catalog.meta("credit:")).items()}
            self._credits = (now, found)
        return self._credits[1]
