"""Optional enrichment from AniList's public GraphQL API: synopsis, main studios, episode count, romaji and
English titles, genres and top non-spoiler tags, the cover image and the next airing episode.

A lookup never waits longer than the timeout, and a failure only means the card shows what the
catalog already knows. A 429 answer's Retry-After is obeyed by asking nothing until it has passed.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot.models import SERIES_EPISODES_MAX, Series
from bot.parsing import EARLIEST, LATEST, link_url, read_json, shown_text
from bot.services.airing import MAX_EPISODES
from bot.store.catalog import Enrichment

log = logging.getLogger(__name__)

ANILIST_URL = "https://graphql.anilist.co"
CREDIT = "AniList"
MAX_SYNOPSIS = 1800
QUERY = """
query ($id: Int, $search: String) {
  Media(id: $id, search: $search, type: ANIME) {
    id
    title { romaji english }
    description(asHtml: false)
    episodes
    genres
    tags { name rank isGeneralSpoiler isMediaSpoiler isAdult }
    coverImage { large }
    studios(isMain: true) { nodes { name } }
    nextAiringEpisode { episode airingAt }
  }
}
"""
MAX_KEYWORDS = 12
MIN_TAG_RANK = 60  # AniList ranks how well a tag fits, 0-100: below this it is a passing mention
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


class AniListUnavailable(Exception):
    """AniList did not answer usefully this time (timeout, rate limit, error): try again later."""


def clean_description(raw: str | None) -> str | None:
    if not raw:
        return None
    text = html.unescape(_TAG.sub("", _BREAK.sub("\n", raw)))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) > MAX_SYNOPSIS:
        text = text[: MAX_SYNOPSIS - 1].rsplit(" ", 1)[0] + "…"
    return shown_text(text)


class AniListClient:
    def __init__(self, url: str = ANILIST_URL, timeout_s: float = 1.5) -> None:
        self._url = url
        self._timeout = timeout_s
        self._session: aiohttp.ClientSession | None = None
        self._blocked_until = 0.0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"Accept": "application/json"})
        return self._session

    async def fetch(self, series: Series) -> Enrichment | None:
        """What AniList knows of the series, None if it has no such anime; raises AniListUnavailable."""
        now = time.monotonic()
        if now < self._blocked_until:
            raise AniListUnavailable(f"rate limited for {self._blocked_until - now:.0f} more s")
        variables: dict[str, Any] = (
            {"id": series.anilist_id} if series.anilist_id else {"search": series.title_japanese or series.title}
        )
        try:
            async with asyncio.timeout(self._timeout):
                async with self._client().post(self._url, json={"query": QUERY, "variables": variables}) as response:
                    if response.status == 429:
                        retry_after = float(response.headers.get("Retry-After", "60") or 60)
                        self._blocked_until = time.monotonic() + retry_after
                        raise AniListUnavailable(f"rate limited, retry after {retry_after:.0f} s")
                    if response.status == 404:
                        return None  # AniList answers 404 when the id or search finds nothing
                    if response.status != 200:
                        raise AniListUnavailable(f"HTTP {response.status}")
                    body = await response.json(content_type=None, loads=read_json)
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:
            raise AniListUnavailable(f"{error.__class__.__name__}: {error}") from None
        media = (body.get("data") or {}).get("Media") if isinstance(body, dict) else None
        return enrichment_of(media) if isinstance(media, dict) and media else None


def _text(value: object, limit: int) -> str | None:
    text = shown_text(value)
    return text[:limit] if text else None


def _object(media: dict[str, Any], key: str) -> dict[str, Any]:
    value = media.get(key)
    return value if isinstance(value, dict) else {}


def _keywords(media: dict[str, Any]) -> tuple[str, ...]:
    """Genres, then the best-fitting tags that give nothing away (no spoiler, no adult tag)."""
    genres = [name for name in media.get("genres") or [] if _text(name, 60)]
    tags = sorted(
        (tag for tag in media.get("tags") or [] if isinstance(tag, dict) and _text(tag.get("name"), 60)),
        key=lambda tag: -(tag.get("rank") or 0),
    )
    fitting = [
        tag["name"] for tag in tags
        if (tag.get("rank") or 0) >= MIN_TAG_RANK
        and not (tag.get("isGeneralSpoiler") or tag.get("isMediaSpoiler") or tag.get("isAdult"))
    ]  # fmt: skip
    return tuple(dict.fromkeys(str(name).strip()[:60] for name in [*genres, *fitting]))[:MAX_KEYWORDS]


def enrichment_of(media: dict[str, Any]) -> Enrichment:
    """What the card takes from AniList's answer; anything of the wrong shape is left out, never trusted."""
    nodes = (media.get("studios") or {}).get("nodes") or []
    studios = tuple(name for node in nodes if isinstance(node, dict) and (name := _text(node.get("name"), 80)))
    episodes = media.get("episodes")
    titles, cover_image, upcoming = (_object(media, key) for key in ("title", "coverImage", "nextAiringEpisode"))
    cover = _text(cover_image.get("large"), 500)
    next_episode, airing_at = upcoming.get("episode"), upcoming.get("airingAt")
    next_known = (
        isinstance(next_episode, int) and 0 < next_episode <= MAX_EPISODES
        and isinstance(airing_at, int) and EARLIEST.timestamp() < airing_at < LATEST.timestamp()
    )  # fmt: skip
    return Enrichment(
        synopsis=clean_description(media.get("description")),
        synopsis_credit=CREDIT,
        studios=studios,
        episodes=episodes if isinstance(episodes, int) and 0 < episodes <= SERIES_EPISODES_MAX else None,
        romaji=_text(titles.get("romaji"), 200),
        english=_text(titles.get("english"), 200),
        keywords=_keywords(media),
        cover=link_url(cover, https_only=True),
        next_episode=next_episode if next_known else None,
        next_episode_at=datetime.fromtimestamp(airing_at, UTC).isoformat() if next_known and airing_at else None,
    )
