"""The public site's rules: only servers their moderators published, only published impressions, and a
member who asked not to be named shown as "A member". Read-only, apart from that choice."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from bot.errors import NotFound
from bot.models import Impression, Ratings, Series
from bot.parsing import SLUG
from bot.services.impressions import Actor
from bot.store.state import StateStore
from bot.store.web import WEB_PAGE, ReviewedSeries, WebStore

UNNAMED = "A member"
BEST_RATED_FROM = 3  # reviewers who gave an Overall score, before a series can be "best rated"
FEED_ENTRIES = 30
SITEMAP_URLS = 50_000  # the most one sitemap (or sitemap index) may list, by the sitemaps protocol
REVIEWER_PAGE = 50
SECRET_KEY = "web:reviewer-secret"
TABLE_REVIEWERS = 25


@dataclass(frozen=True, slots=True)
class WebImpression:
    impression: Impression
    author: str  # the name shown on the web
    series_title: str = ""
    reviewer: str | None = None  # the address of the author's page; None for one who opted out


@dataclass(frozen=True, slots=True)
class WebReviewer:
    token: str  # the reviewer's address on the site: never their user id
    name: str
    impressions: int


@dataclass(frozen=True, slots=True)
class WebIndex:
    slug: str
    reviewed: list[ReviewedSeries]
    best_rated: list[ReviewedSeries]  # among series at least BEST_RATED_FROM reviewers rated
    reviewers: list[WebReviewer]


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
    def __init__(self, web: WebStore, state: StateStore) -> None:
        self._web = web
        self._state = state
        self._secret: bytes | None = None

    async def _token(self, guild_id: int, author_id: int) -> str:
        """A reviewer's address: an HMAC of the server and member under this installation's own secret,
        so a page names no user id and the id cannot be worked back from the address."""
        if self._secret is None:
            kept = await self._state.get(SECRET_KEY) or await self._state.set_once(SECRET_KEY, secrets.token_hex(32))
            self._secret = bytes.fromhex(kept)
        return hmac.new(self._secret, f"{guild_id}:{author_id}".encode(), hashlib.sha256).hexdigest()[:16]

    async def reviewers(self, slug: str) -> list[WebReviewer]:
        """The named reviewers of a server (a member who opted out has no page, and is not listed)."""
        guild_id = await self.guild(slug)
        unnamed = await self._web.unnamed(guild_id)
        return [
            WebReviewer(await self._token(guild_id, author_id), name, count)
            for author_id, name, count in await self._web.reviewers(guild_id)
            if author_id not in unnamed
        ]

    async def reviewer(self, slug: str, token: str) -> tuple[WebReviewer, list[WebImpression]]:
        guild_id = await self.guild(slug)
        unnamed = await self._web.unnamed(guild_id)
        for author_id, name, count in await self._web.reviewers(guild_id):
            if author_id not in unnamed and hmac.compare_digest(await self._token(guild_id, author_id), token):
                written = await self._web.by_author(guild_id, author_id, REVIEWER_PAGE)
                return WebReviewer(token, name, count), [WebImpression(i, name, title) for i, title in written]
        raise NotFound("No such reviewer here.")

    async def guild(self, slug: str) -> int:
        guild_id = await self._web.guild_of_slug(slug) if re.fullmatch(SLUG, slug) else None
        if guild_id is None:
            raise NotFound("No published server here.")
        return guild_id

    async def series_version(self, slug: str, series_id: int) -> str:
        """What a series page shows changes only with this: its impressions' version (moved by every write,
        migration 0009), the catalog's revision, and who asked not to be named. One small read, so an
        unchanged page is answered 304 without being read or rendered."""
        found = await self._web.series_version(slug, series_id) if re.fullmatch(SLUG, slug) else None
        if found is None:
            raise NotFound("No such server or series.")
        resolved, version, unnamed = found
        return f"{resolved}.{version}.{hashlib.sha256(repr(sorted(unnamed)).encode()).hexdigest()[:8]}"

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
            impressions=[
                WebImpression(
                    i,
                    name(i.author_id, i.author_name),
                    data.series.title,
                    None if i.author_id in data.unnamed else await self._token(guild_id, i.author_id),
                )
                for i in data.impressions
            ],
            page=page,
            pages=pages,
        )

    async def index(self, slug: str) -> WebIndex:
        guild_id = await self.guild(slug)
        return WebIndex(
            slug,
            await self._web.reviewed(guild_id, 50),
            await self._web.best_rated(guild_id, BEST_RATED_FROM, 10),
            (await self.reviewers(slug))[:50],
        )

    async def feed(self, slug: str, series_id: int | None) -> list[WebImpression]:
        """The newest published impressions (of the server, or of one series) for its Atom feed."""
        guild_id = await self.guild(slug)
        unnamed = await self._web.unnamed(guild_id)
        return [
            WebImpression(i, UNNAMED if i.author_id in unnamed else i.author_name, title)
            for i, title in await self._web.latest(guild_id, series_id, FEED_ENTRIES)
        ]

    async def published(self) -> list[str]:
        """Every published server's slug (the sitemap index: one sitemap per server)."""
        return [slug for slug, _ in await self._web.published()][:SITEMAP_URLS]

    async def sitemap(self, slug: str) -> list[ReviewedSeries]:
        """The series a server's sitemap lists beside its index page, as many as one sitemap holds."""
        return await self._web.reviewed(await self.guild(slug), SITEMAP_URLS - 1)

    async def set_named(self, actor: Actor, named: bool) -> None:
        await self._web.set_named(actor.guild_id, actor.user_id, named)
