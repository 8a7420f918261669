"""Catalog curation: curators are OWNER_IDS, or moderators of a server listed in CURATOR_GUILD_IDS."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from bot.errors import ONLY_CURATORS, InvalidInput, NotFound, PermissionDenied
from bot.models import SERIES_EPISODES_MAX, CatalogEntry, Series
from bot.parsing import EARLIEST, LATEST, is_blank, link_url, shown_text
from bot.services.impressions import Actor
from bot.services.search import SeriesSearch
from bot.store.catalog import CatalogStore
from bot.store.curation import CurationStore

FORMATS = ("TV", "Movie", "OVA", "ONA", "Special")
_LINK = re.compile(r"^\s*(.{1,80}?)\s*\|\s*(https?://\S{1,500})\s*$")


def parse_links(text: str) -> list[dict[str, str]]:
    """One link per line: `Label | https://…`."""
    links = []
    for number, line in enumerate(text.splitlines(), 1):
        if is_blank(line):
            continue
        match = _LINK.match(line)
        if match is None:
            raise InvalidInput(f"Link line {number} should read `Label | https://…`.")
        if link_url(match[2]) is None:  # Discord refuses a card whose link it cannot read
            raise InvalidInput(f"The address on link line {number} is not a web address a browser can open.")
        links.append({"label": match[1], "url": match[2]})
    if len(links) > 10:
        raise InvalidInput("At most 10 links fit on the card.")
    return links


def parse_premiered(text: str | None) -> str | None:
    if not text:
        return None
    try:
        premiered = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("Write the premiere date as YYYY-MM-DD, the day in Japan (e.g. 2024-01-11).") from None
    if not EARLIEST.year <= premiered.year < LATEST.year:
        raise InvalidInput(f"A premiere date is between {EARLIEST.year} and {LATEST.year - 1}.")
    return premiered.isoformat()


class CurationService:
    def __init__(
        self,
        catalog: CatalogStore,
        curation: CurationStore,
        search: SeriesSearch,
        owner_ids: frozenset[int],
        curator_guild_ids: frozenset[int],
    ) -> None:
        self._catalog = catalog
        self._curation = curation
        self._search = search
        self._owner_ids = owner_ids
        self._curator_guild_ids = curator_guild_ids

    def is_curator(self, actor: Actor) -> bool:
        return actor.user_id in self._owner_ids or (actor.guild_id in self._curator_guild_ids and actor.is_moderator)

    def require_curator(self, actor: Actor) -> None:
        if self.is_curator(actor):
            return
        raise PermissionDenied(ONLY_CURATORS)

    @staticmethod
    def _check_facts(title: str | None, kind: str | None, episodes: int | None) -> None:
        if title is not None and (is_blank(title) or len(title.strip()) > 200):
            raise InvalidInput("A title has 1 to 200 characters, and something in it that shows.")
        if kind is not None and kind not in FORMATS:
            raise InvalidInput(f"The format is one of {', '.join(FORMATS)}.")
        if episodes is not None and not 1 <= episodes <= SERIES_EPISODES_MAX:
            raise InvalidInput(f"Episodes go from 1 to {SERIES_EPISODES_MAX}.")

    async def add(
        self,
        actor: Actor,
        title: str,
        kind: str | None,
        episodes: int | None,
        premiered: str | None,
    ) -> Series:
        self.require_curator(actor)
        self._check_facts(title, kind, episodes)
        day = parse_premiered(premiered)
        entry = CatalogEntry(
            title=title.strip(), sources=[], format=kind, episodes=episodes, premiered=day,
            year=int(day[:4]) if day else None,
        )  # fmt: skip
        series_id = await self._curation.add(entry, actor.user_id, actor.guild_id or None)
        await self._search.refresh()
        series = await self._catalog.get(series_id)
        assert series is not None
        return series

    async def edit(self, actor: Actor, series_id: int, changes: dict[str, Any]) -> Series:
        """Set the given values, whatever the series holds now (`/series edit`'s options)."""
        self.require_curator(actor)
        checked = self._checked(changes)  # refused before anything is read
        return await self.edit_with(actor, series_id, lambda _: checked)

    async def edit_with(self, actor: Actor, series_id: int, decide: Callable[[Series], dict[str, Any]]) -> Series:
        """Set the values `decide` makes of the series as it is when they are written (the curation
        form's texts, merged with edits made since the form was shown); `decide` may raise."""
        self.require_curator(actor)
        written = await self._curation.edit_with(
            series_id, lambda series: self._checked(decide(series)), actor.user_id, actor.guild_id or None
        )
        if not written:
            raise NotFound(f"There is no series series:{series_id} to edit (it may have been merged).")
        await self._search.refresh()
        series = await self._catalog.get(series_id)
        assert series is not None
        return series

    def _checked(self, changes: dict[str, Any]) -> dict[str, Any]:
        self._check_facts(changes.get("title"), changes.get("format"), changes.get("episodes"))
        checked = dict(changes)
        if "premiered" in checked:
            checked["premiered"] = parse_premiered(checked["premiered"])
        for key, limit in (("synopsis", 3000), ("synopsis_credit", 100)):
            if key in checked and checked[key] is not None and len(checked[key]) > limit:
                raise InvalidInput(f"The {key.replace('_', ' ')} has at most {limit} characters.")
        return checked

    async def merge(self, actor: Actor, source: int, target: int) -> tuple[Series, int]:
        self.require_curator(actor)
        if source == target:
            raise InvalidInput("A series cannot be merged into itself.")
        for series_id in (source, target):
            facts = await self._catalog.facts(series_id)
            if facts is None:
                raise NotFound(f"There is no series series:{series_id}.")
            if facts.merged_into is not None:
                raise InvalidInput(f"series:{series_id} was already merged into series:{facts.merged_into}.")
        moved = await self._curation.merge(source, target, actor.user_id, actor.guild_id or None)
        await self._search.refresh()
        survivor = await self._catalog.get(target)
        assert survivor is not None
        return survivor, moved


def parse_curation_form(raw: dict[str, str]) -> dict[str, Any]:
    """The curation form's texts (those it was given: the changed ones), as the fields the catalog stores."""
    readers: dict[str, Callable[[str], Any]] = {
        "synopsis": shown_text,
        "synopsis_credit": shown_text,
        "keywords": lambda text: [k for k in map(shown_text, text.split(",")) if k][:20],
        "notables": lambda text: [n for n in map(shown_text, text.splitlines()) if n][:10],
        "links": parse_links,
    }
    return {key: read(raw[key]) for key, read in readers.items() if key in raw}
