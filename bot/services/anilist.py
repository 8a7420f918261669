"""Optional enrichment from AniList's public GraphQL API: synopsis, main studios, episode count.

A lookup never waits longer than the timeout, and a failure only means the card shows what the
catalog already knows. A 429 answer's Retry-After is obeyed by asking nothing until it has passed.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from typing import Any

import aiohttp

from bot.models import Series
from bot.store.catalog import Enrichment

log = logging.getLogger(__name__)

ANILIST_URL = "https://graphql.anilist.co"
CREDIT = "AniList"
MAX_SYNOPSIS = 1800
QUERY = """
query ($id: Int, $search: String) {
  Media(id: $id, search: $search, type: ANIME) {
    id
    description(asHtml: false)
    episodes
    studios(isMain: true) { nodes { name } }
  }
}
"""
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
    return text or None


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
                    body = await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:
            raise AniListUnavailable(f"{error.__class__.__name__}: {error}") from None
        media = (body.get("data") or {}).get("Media") if isinstance(body, dict) else None
        if not media:
            return None
        studios = tuple(node["name"] for node in (media.get("studios") or {}).get("nodes") or [] if node.get("name"))
        episodes = media.get("episodes")
        return Enrichment(
            synopsis=clean_description(media.get("description")),
            synopsis_credit=CREDIT,
            studios=studios,
            episodes=episodes if isinstance(episodes, int) and episodes > 0 else None,
        )
