"""`python -m bot catalog refresh [URL]` and the daily refresh while the bot runs, against a release served
on 127.0.0.1: a change merged like an import, 304 Not Modified, a cut-off body, the wrong document, an
error, and a failure in the background that is one log line."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from tests.cli import query, run_tool
from tests.fakediscord import FakeDiscord
from tests.harness import PLAIN_PERMISSIONS, join, new_guild, running_bot, served_locally

SITE_META = {
    "aniList": {"title": "AniList", "urlTemplate": "https://anilist.co/anime/{{id}}", "type": "info"},
    "mal": {"title": "MyAnimeList", "urlTemplate": "https://myanimelist.net/anime/{{id}}", "type": "info"},
    "anidb": {"title": "AniDB", "urlTemplate": "https://anidb.net/anime/{{id}}", "type": "info"},
    "bangumi": {"title": "Bangumi", "urlTemplate": "https://bangumi.tv/subject/{{id}}", "type": "info"},
}
# A release as bangumi-data publishes it: Metallic Rouge with a corrected broadcast time and one more
# name, a series the starter catalog does not have yet (made up for the test), one whose rule is not a
# repetition, and an item without a title.
RELEASE = {
    "siteMeta": SITE_META,
    "items": [
        {"title": "メタリックルージュ", "titleTranslate": {"en": ["Metallic Rouge"], "zh-Hans": ["金属之红"]},
         "type": "tv", "lang": "ja", "officialSite": "https://metallicrouge.jp/", "begin": "2024-01-10T16:30:00.000Z",
         "broadcast": "R/2024-01-10T16:30:00.000Z/P7D", "end": "2024-04-03T16:30:00.000Z",
         "sites": [{"site": "aniList", "id": "162985"}]},
        {"title": "リフレッシュのテスト", "titleTranslate": {"en": ["Refresh Test Chronicle"]}, "type": "tv",
         "lang": "ja", "begin": "2026-10-04T15:00:00.000Z", "broadcast": "R/2026-10-04T15:00:00.000Z/P7D",
         "end": "", "sites": [{"site": "aniList", "id": "990001"}]},
        {"title": "月に一度のテスト", "type": "tv", "lang": "ja", "begin": "2026-10-05T15:00:00.000Z",
         "broadcast": "R/2026-10-05T15:00:00.000Z/P1M", "sites": [{"site": "aniList", "id": "990002"}]},
        {"titleTranslate": {"en": ["No title"]}, "sites": [{"site": "aniList", "id": "990003"}]},
    ],
}  # fmt: skip


COUNT_AND_REVISION = "SELECT count(*), (SELECT value FROM catalog_meta WHERE key = 'revision') FROM series"


@dataclass
class Release:
    mode: str = "ok"  # ok | cut | short | shape | error
    url: str = ""
    asked_with: list[str | None] = field(default_factory=list)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        self.asked_with.append(request.headers.get("If-None-Match"))
        body = json.dumps(RELEASE).encode()
        if self.mode == "error":
            return web.Response(status=500, text="upstream trouble")
        if self.mode == "shape":
            return web.json_response({"hello": "this is not bangumi-data"})
        if self.mode == "deep":  # JSON nested deeper than a parser goes (json raises RecursionError)
            return web.Response(body=b"[" * 200_000 + b"]" * 200_000, content_type="application/json")
        if self.mode == "cut":  # a proxy that stored half the file
            return web.Response(body=body[: len(body) // 2], content_type="application/json")
        if self.mode == "short":  # the connection drops halfway through what was announced
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.content_length = len(body)
            await response.prepare(request)
            await response.write(body[: len(body) // 2])
            assert request.transport is not None
            request.transport.close()
            return response
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(body=body, content_type="application/json", headers={"ETag": '"v1"'})


@pytest.fixture
async def release() -> AsyncIterator[Release]:
    served = Release()
    app = web.Application()
    app.router.add_get("/dist/data.json", served.serve)
    async with served_locally(app) as url:
        served.url = f"{url}/dist/data.json"
        yield served


def rouge(database: Path) -> tuple[object, ...]:
    [row] = query(database, "SELECT broadcast, synonyms, title FROM series WHERE anilist_id = 162985")
    return row


async def test_a_refresh_merges_the_release_and_asks_again_only_for_a_change(database: Path, release: Release) -> None:
    query(database, "UPDATE series SET title = 'Metallic Rouge (curated)', curated_fields = '[\"title\"]' "
                    "WHERE anilist_id = 162985")  # fmt: skip
    status, output = await run_tool(database, "catalog", "refresh", release.url, "--no-progress")

    assert status == 0, output
    assert "Read 3 series" in output and "2 new, 1 updated, 0 unchanged, 1 unusable." in output
    broadcast, synonyms, title = rouge(database)
    assert broadcast == "R/2024-01-10T16:30:00.000Z/P7D" and "金属之红" in str(synonyms)
    assert title == "Metallic Rouge (curated)", "a curator's field is never overwritten"
    [(new_rule,)] = query(database, "SELECT broadcast FROM series WHERE title = 'Refresh Test Chronicle'")
    assert new_rule == "R/2026-10-04T15:00:00.000Z/P7D"
    [(monthly,)] = query(database, "SELECT broadcast FROM series WHERE title_japanese = '月に一度のテスト'")
    assert monthly is None, "a rule that is not a plain repetition is skipped"

    status, output = await run_tool(database, "catalog", "refresh", release.url, "--no-progress")
    assert status == 0 and "The catalog is up to date" in output, output
    assert release.asked_with == [None, '"v1"'], "the second request is conditional"


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("cut", "did not answer with JSON"),
        ("deep", "did not answer with JSON"),
        ("short", "Could not download"),
        ("shape", "is not a bangumi-data release"),
        ("error", "the server answered HTTP 500"),
    ],
)
async def test_a_bad_release_changes_nothing_and_says_why_in_one_sentence(
    database: Path, release: Release, mode: str, says: str
) -> None:
    before = query(database, COUNT_AND_REVISION)
    release.mode = mode
    status, output = await run_tool(database, "catalog", "refresh", release.url, "--no-progress")
    assert status == 1, output
    lines = [line for line in output.splitlines() if line.strip() and not line.startswith("Fetching")]
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in output, output
    assert (
        query(database, "SELECT count(*), (SELECT value FROM catalog_meta WHERE key = 'revision') FROM series")
        == before
    )


async def test_the_running_bot_refreshes_in_the_background_and_members_find_the_new_series(
    fake: FakeDiscord, database: Path, release: Release
) -> None:
    env = {"CATALOG_REFRESH_HOURS": "24", "CATALOG_REFRESH_URL": release.url}
    async with running_bot(fake, database, **env) as bot:
        member = join(fake, await new_guild(fake, bot), "alice", PLAIN_PERMISSIONS)
        deadline = time.monotonic() + 30
        while True:
            choices = await member.autocomplete("series lookup", "title", "refresh test chronicle")
            if choices and choices[0]["name"].startswith("Refresh Test Chronicle"):
                break
            assert time.monotonic() < deadline, "the new series never became findable"
            await asyncio.sleep(0.2)
    assert release.asked_with == [None]


async def test_a_failed_background_refresh_is_one_log_line_and_the_bot_keeps_answering(
    fake: FakeDiscord, database: Path, release: Release, caplog: pytest.LogCaptureFixture
) -> None:
    release.mode = "error"
    env = {"CATALOG_REFRESH_HOURS": "24", "CATALOG_REFRESH_URL": release.url}
    with caplog.at_level(logging.INFO, logger="bot.services.catalog_refresh"):
        async with running_bot(fake, database, **env) as bot:
            member = join(fake, await new_guild(fake, bot), "alice", PLAIN_PERMISSIONS)
            deadline = time.monotonic() + 30
            while not release.asked_with:
                assert time.monotonic() < deadline, "the refresh never ran"
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.2)
            assert (await member.slash("series lookup", title="metallic rouge")).embed["title"] == "Metallic Rouge"
    failures = [r for r in caplog.records if r.name == "bot.services.catalog_refresh"]
    assert [r.levelname for r in failures] == ["WARNING"] and "HTTP 500" in failures[0].getMessage()
    assert failures[0].exc_info is None and "\n" not in failures[0].getMessage()
