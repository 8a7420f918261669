"""The public site's rules: only servers their moderators published, only published impressions, and a
member who asked not to be named shown as "A member". Read-only, apart from that choice."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.errors import NotFound
from bot.models import Impression, Ratings, Series
from bot.services.impressions import Actor
from bot.store.web import WEB_PAGE, ReviewedSeries, WebStore

UNNAMED = "A member"
BEST_RATED_FROM = 3  # reviewers who gave an Overall score, before a series can be "best rated"
FEED_ENTRIES = 30
TABLE_REVIEWERS = 25


def public_slug(guild_name: str, guild_id: int) -> str:
    """ "Anime Club" → "anime-club-1x2y3z…": readable, and unique by the server's id in base 36."""
    ascii_name = unicodedata.normalize("NFKD", guild_name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    digits, number = "", guild_id
    while number:
        number, digit = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
    return f"{words or 'server'}-{digits or '0'}"


@dataclass(frozen=True, slots=True)
class WebImpression:
    impression: Impression
    author: str  # the name shown on the web
    series_title: str = ""


@dataclass(frozen=True, slots=True)
class WebIndex:
    slug: str
    reviewed: list[ReviewedSeries]
    best_rated: list[ReviewedSeries]  # among series at least BEST_RATED_FROM reviewers rated


@dataclass(frozen=True, slots=True)
class WebSeriesPage:
    slug: str
    series: Series
    ratings: Ratings
    reviewer_names: list[str]  # one per ratings row
    impressions: list[WebImpression]
    page: int
    pages: int


class WebService:
    def __init__(self, web: WebStore) -> None:
        self._web = web

    async def guild(self, slug: str) -> int:
        guild_id = await self._web.guild_of_slug(slug) if re.fullmatch(r"[a-z0-9-]{1,60}", slug) else None
        if guild_id is None:
            raise NotFound("No published server here.")
        return guild_id

    async def series_page(self, slug: str, series_id: int, page: int) -> WebSeriesPage:
        guild_id = await self.guild(slug)
        data = await self._web.series_page(guild_id, series_id, max(0, page), TABLE_REVIEWERS)
        if data is None:
            raise NotFound("No such series.")
        pages = max(1, -(-data.total // WEB_PAGE))
        if page >= pages:
            raise NotFound("No such page.")

        def name(author_id: int, shown: str) -> str:
            return UNNAMED if author_id in data.unnamed else shown

        return WebSeriesPage(
            slug=slug,
            series=data.series,
            ratings=data.ratings,
            reviewer_names=[name(row.author_id, row.author_name) for row in data.ratings.rows],
            impressions=[WebImpression(i, name(i.author_id, i.author_name)) for i in data.impressions],
            page=page,
            pages=pages,
        )

    async def index(self, slug: str) -> WebIndex:
        guild_id = await self.guild(slug)
        return WebIndex(
            slug, await self._web.reviewed(guild_id, 50), await self._web.best_rated(guild_id, BEST_RATED_FROM, 10)
        )

    async def feed(self, slug: str, series_id: int | None) -> list[WebImpression]:
        """The newest published impressions (of the server, or of one series) for its Atom feed."""
        guild_id = await self.guild(slug)
        unnamed = await self._web.unnamed(guild_id)
        return [
            WebImpression(i, UNNAMED if i.author_id in unnamed else i.author_name, title)
            for i, title in await self._web.latest(guild_id, series_id, FEED_ENTRIES)
        ]

    async def published(self) -> list[tuple[str, list[ReviewedSeries]]]:
        """Every published server's slug and the series it reviewed (for the sitemap)."""
        return [(slug, await self._web.reviewed(guild_id, 1000)) for slug, guild_id in await self._web.published()]

    async def set_named(self, actor: Actor, named: bool) -> None:
        await self._web.set_named(actor.guild_id, actor.user_id, named)
