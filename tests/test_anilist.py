"""Enrichment from a fake AniList on 127.0.0.1: success, caching, slowness, rate limits, errors."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.client import ReviewBot
from tests.fakediscord import FakeDiscord, Member
from tests.harness import running_bot

ROUGE_DESCRIPTION = (
    "In a world where humans and androids coexist, Rouge is an android girl, who is on a mission on Mars "
    "with her partner Naomi.<br><br>(Source: Crunchyroll)"
)


@dataclass
class FakeAniList:
    mode: str = "ok"  # ok | slow | rate-limited | error
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body["variables"])
        if self.mode == "slow":
            await asyncio.sleep(2)
        if self.mode == "rate-limited":
            return web.json_response(
                {"errors": [{"message": "Too Many Requests."}]}, status=429, headers={"Retry-After": "60"}
            )
        if self.mode == "error":
            return web.json_response({"errors": [{"message": "Internal"}]}, status=500)
        if body["variables"].get("id") != 162985:
            return web.json_response({"data": {"Media": None}, "errors": [{"message": "Not Found."}]}, status=404)
        media = {
            "id": 162985,
            "description": ROUGE_DESCRIPTION,
            "episodes": 13,
            "studios": {"nodes": [{"name": "Bones"}]},
        }
        return web.json_response({"data": {"Media": media}})


@pytest.fixture(scope="module")
async def anilist() -> AsyncIterator[FakeAniList]:
    fake_anilist = FakeAniList()
    app = web.Application()
    app.router.add_post("/", fake_anilist.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake_anilist.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/"  # type: ignore[union-attr]
    yield fake_anilist
    await runner.cleanup()


@pytest.fixture(scope="module")
async def bot(
    fake: FakeDiscord, anilist: FakeAniList, tmp_path_factory: pytest.TempPathFactory, seeded_database: Path
) -> AsyncIterator[ReviewBot]:
    database = tmp_path_factory.mktemp("anilist") / "reviews.sqlite3"
    shutil.copyfile(seeded_database, database)
    env = {"ANILIST_ENABLED": "true", "ANILIST_URL": anilist.url, "ANILIST_TIMEOUT": "0.5"}
    async with running_bot(fake, database, **env) as running:
        yield running


@pytest.fixture(autouse=True)
def reset(anilist: FakeAniList) -> None:
    anilist.mode = "ok"
    anilist.requests.clear()


async def test_the_card_gains_the_anilist_synopsis_and_studio_once(anilist: FakeAniList, alice: Member) -> None:
    card = (await alice.slash("series lookup", title="metallic rouge")).embed

    assert card["description"].startswith("In a world where humans and androids coexist")
    assert "*(Summary courtesy of AniList)*" in card["description"]
    assert "<br>" not in card["description"]
    assert "Animated by Bones." in card["description"]
    fields = {field["name"]: field["value"] for field in card["fields"]}
    assert fields["Notables"] == "Animation - BONES"
    assert fields["Format"] == "TV · 13 episodes"
    assert anilist.requests == [{"id": 162985}]

    await alice.slash("series lookup", title="metallic rouge")
    assert anilist.requests == [{"id": 162985}], "the answer is cached in the store"


async def test_a_slow_anilist_delays_a_lookup_only_up_to_its_timeout(anilist: FakeAniList, alice: Member) -> None:
    anilist.mode = "slow"
    started = time.monotonic()
    card = (await alice.slash("series lookup", title="bocchi the rock")).embed
    elapsed = time.monotonic() - started

    assert card["title"] == "BOCCHI THE ROCK!"
    assert "Summary courtesy" not in (card.get("description") or "")
    assert elapsed < 1.5, f"the lookup took {elapsed:.2f} s with a 0.5 s AniList timeout"


async def test_a_failed_series_is_not_asked_again_at_once(anilist: FakeAniList, alice: Member) -> None:
    anilist.mode = "error"
    first = await alice.slash("series lookup", title="k-on!!")
    assert not first.ephemeral
    asked = len(anilist.requests)
    await alice.slash("series lookup", title="k-on!!")
    assert len(anilist.requests) == asked


async def test_a_rate_limit_is_obeyed(anilist: FakeAniList, alice: Member) -> None:
    anilist.mode = "rate-limited"
    await alice.slash("series lookup", title="frieren")
    assert len(anilist.requests) == 1
    anilist.mode = "ok"

    card = (await alice.slash("series lookup", title="spy x family code white")).embed

    assert len(anilist.requests) == 1, "nothing is asked until Retry-After has passed"
    assert card["title"]
