"""Enrichment from a fake AniList on 127.0.0.1: success, caching, slowness, rate limits, errors."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.client import ReviewBot
from bot.services.watches import schedule_of
from tests.fakediscord import FakeDiscord, Member, driver
from tests.harness import running_bot, served_locally
from tests.markdown_model import problems

ROUGE_DESCRIPTION = (
    "In a world where humans and androids coexist, Rouge is an android girl, who is on a mission on Mars "
    "with her partner Naomi.<br><br>(Source: Crunchyroll)"
)


CHAINED_SOLDIER_COVER = "https://s4.anilist.co/file/anilistcdn/media/anime/cover/large/bx141821-fake.jpg"
CHAINED_SOLDIER_EPISODE_5 = int(datetime(2024, 2, 8, 14, 0, tzinfo=UTC).timestamp())  # a week late
HOSTILE = "[Free Nitro](http://evil) @everyone <@&1> ||x|| ``` # head"
MEDIA: dict[int, dict[str, Any]] = {
    162985: {  # Metallic Rouge
        "id": 162985,
        "description": ROUGE_DESCRIPTION,
        "episodes": 13,
        "studios": {"nodes": [{"name": "Bones"}]},
    },
    141821: {  # 魔都精兵のスレイブ: the starter catalog knows it by its Japanese title only
        "id": 141821,
        "title": {"romaji": "Mato Seihei no Slave", "english": "Chained Soldier"},
        "description": "Yuuki Wakura is pulled into Mato.",
        "episodes": 12,
        "genres": ["Action", "Ecchi", "Fantasy"],
        "tags": [
            {"name": "Twist", "rank": 95, "isGeneralSpoiler": False, "isMediaSpoiler": True, "isAdult": False},
            {"name": "Super Power", "rank": 84, "isGeneralSpoiler": False, "isMediaSpoiler": False, "isAdult": False},
            {"name": "Female Harem", "rank": 70, "isGeneralSpoiler": False, "isMediaSpoiler": False, "isAdult": False},
            {"name": "Nudity", "rank": 80, "isGeneralSpoiler": False, "isMediaSpoiler": False, "isAdult": True},
            {"name": "Primarily Female Cast", "rank": 40, "isGeneralSpoiler": False, "isMediaSpoiler": False},
        ],
        "coverImage": {"large": CHAINED_SOLDIER_COVER},
        "studios": {"nodes": [{"name": "Seven Arcs"}]},
        "nextAiringEpisode": {"episode": 5, "airingAt": CHAINED_SOLDIER_EPISODE_5},
    },
    162002: {  # 休日のわるものさん, as a hostile AniList might answer
        "id": 162002,
        "title": {"romaji": HOSTILE, "english": 12},
        "description": HOSTILE + " Half\x00 \ud800 a pair.",  # NUL, and half a UTF-16 pair: no database stores them
        "genres": [HOSTILE, None, 7],
        "tags": [{"name": HOSTILE, "rank": 99}, "not a tag"],
        "coverImage": {"large": "javascript:alert(1)"},
        "studios": {"nodes": [{"name": HOSTILE}, "x"]},
        "nextAiringEpisode": {"episode": "5", "airingAt": -1},
    },
}


@dataclass
class FakeAniList:
    mode: str = "ok"  # ok | slow | rate-limited | error | deep
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
        if self.mode == "deep":  # deeper than a JSON parser goes: it raises RecursionError
            return web.Response(body=b"[" * 200_000 + b"]" * 200_000, content_type="application/json")
        media = MEDIA.get(body["variables"].get("id"))
        if media is None:
            return web.json_response({"data": {"Media": None}, "errors": [{"message": "Not Found."}]}, status=404)
        return web.json_response({"data": {"Media": media}})


@pytest.fixture(scope="module")
async def anilist() -> AsyncIterator[FakeAniList]:
    fake_anilist = FakeAniList()
    app = web.Application()
    app.router.add_post("/", fake_anilist.handle)
    async with served_locally(app) as url:
        fake_anilist.url = f"{url}/"
        yield fake_anilist


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


async def test_a_lookup_that_asks_anilist_answers_within_discords_3_s_however_long_saving_takes(
    bot: ReviewBot, anilist: FakeAniList, alice: Member
) -> None:
    """Asking AniList, then saving its answer (which waits for a catalog write in progress: an import in
    another process) can outlast the 3 s Discord waits for an interaction's first answer, after which
    the answer is refused and the member sees "the application did not respond". A lookup that asks
    AniList defers first; the card follows."""
    with sqlite3.connect(bot.settings.database) as conn:
        (series_id,) = conn.execute("SELECT id FROM series WHERE enriched_at IS NULL ORDER BY id DESC").fetchone()
    importer = sqlite3.connect(bot.settings.database, isolation_level=None)
    importer.execute("BEGIN IMMEDIATE")  # another writer holds the database for 3.5 s
    released = asyncio.Event()

    def release() -> None:
        importer.execute("COMMIT")
        released.set()

    asyncio.get_running_loop().call_later(3.5, release)
    try:
        reply = await alice.slash("series lookup", title=f"series:{series_id}")
    finally:
        await released.wait()
        importer.close()

    assert anilist.requests, "AniList was asked"
    assert reply.callback_type == 5, "the lookup deferred before asking AniList"
    assert reply.embed["footer"]["text"].startswith(f"series:{series_id}")
    assert not reply.ephemeral
    with sqlite3.connect(bot.settings.database) as conn:
        assert conn.execute("SELECT enriched_at FROM series WHERE id = ?", (series_id,)).fetchone()[0] is not None


async def test_a_lookup_whose_anilist_answer_cannot_be_saved_shows_the_card_as_the_catalog_has_it(
    bot: ReviewBot, anilist: FakeAniList, alice: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer holds the database past the 5 s a write waits, so AniList's answer cannot be saved:
    AniList only adds to the card, so the card comes as the catalog has it (not an error), publicly, after
    the public "thinking…"; nothing is saved, and AniList is not asked again at once."""
    monkeypatch.setattr(driver, "REPLY_TIMEOUT_S", 20.0)  # the write gives up after 5 s
    with sqlite3.connect(bot.settings.database) as conn:
        (series_id,) = conn.execute("SELECT id FROM series WHERE enriched_at IS NULL ORDER BY id").fetchone()
    importer = sqlite3.connect(bot.settings.database, isolation_level=None)
    importer.execute("BEGIN IMMEDIATE")
    try:
        card = await alice.slash("series lookup", title=f"series:{series_id}")
    finally:
        importer.execute("COMMIT")
        importer.close()

    assert card.callback_type == 5 and anilist.requests
    assert not card.ephemeral and card.embed["footer"]["text"].startswith(f"series:{series_id}")
    with sqlite3.connect(bot.settings.database) as conn:
        assert conn.execute("SELECT enriched_at FROM series WHERE id = ?", (series_id,)).fetchone() == (None,)
    asked = len(anilist.requests)
    await alice.slash("series lookup", title=f"series:{series_id}")
    assert len(anilist.requests) == asked


async def test_a_series_picked_from_the_list_while_anilist_is_asked_replaces_the_list(
    anilist: FakeAniList, alice: Member
) -> None:
    """The pick list's answer defers too (an update of the list's message), then the card replaces it."""
    listed = await alice.slash("series lookup", title="hunter x hunter")
    [select] = [c for c in listed.components if c["type"] == 3]
    choice = select["options"][0]["value"]

    picked = await alice.choose(listed, select["custom_id"], choice)

    assert anilist.requests, "AniList was asked"
    assert picked.callback_type == 6, "the pick deferred (an update of the list) before asking AniList"
    card = alice.fake.messages[listed.sent.original_id]
    assert card["embeds"][0]["footer"]["text"].startswith(f"series:{choice}")
    assert not [c for row in card["components"] for c in row.get("components", []) if c["type"] == 3]


@pytest.mark.parametrize("mode", ["error", "deep"])
async def test_a_failed_series_is_not_asked_again_at_once(anilist: FakeAniList, alice: Member, mode: str) -> None:
    """An AniList that fails (or answers JSON nested deeper than a parser goes, which raised RecursionError
    out of the lookup) leaves the card as the catalog has it, and is not asked again at once."""
    anilist.mode = mode
    title = "k-on!!" if mode == "error" else "delicious in dungeon"
    first = await alice.slash("series lookup", title=title)
    assert not first.ephemeral, first.text
    if mode == "deep":
        assert first.embed["title"] == "Delicious in Dungeon"
    asked = len(anilist.requests)
    await alice.slash("series lookup", title=title)
    assert len(anilist.requests) == asked


async def test_anilist_fills_the_card_like_the_reference_and_teaches_the_lookup_new_names(
    bot: ReviewBot, alice: Member
) -> None:
    [choice, *_] = await alice.autocomplete("series lookup", "title", "魔都精兵のスレイブ")
    card = (await alice.slash("series lookup", title=str(choice["value"]))).embed

    fields = {field["name"]: field["value"] for field in card["fields"]}
    # Genres, then the best-fitting tags, without the spoiler, the adult one or the passing mention.
    assert fields["Keywords"] == "Action, Ecchi, Fantasy, Super Power, Female Harem"
    assert fields["Notables"] == "Animation - SEVEN ARCS"
    assert "Animated by Seven Arcs." in card["description"]
    assert card["thumbnail"]["url"] == CHAINED_SOLDIER_COVER

    series = await bot.services.series.find(int(str(choice["value"]).removeprefix("series:")))
    assert series.title_english == "Chained Soldier" and "Mato Seihei no Slave" in series.synonyms
    schedule = schedule_of(series)  # AniList's next airing moves episode 5 a week later, and those after it
    assert schedule is not None and schedule.airs_at(5).timestamp() == CHAINED_SOLDIER_EPISODE_5
    assert schedule.airs_at(6).timestamp() == CHAINED_SOLDIER_EPISODE_5 + 7 * 86400

    await bot.services.search.refresh()  # what the next rebuild (at most a minute later) does
    for typed in ("chained soldier", "mato seihei no slave"):
        [first, *_] = await alice.autocomplete("series lookup", "title", typed)
        assert first["value"] == choice["value"], typed


async def test_a_hostile_anilist_answer_reaches_the_card_as_inert_text(bot: ReviewBot, alice: Member) -> None:
    [choice, *_] = await alice.autocomplete("series lookup", "title", "休日のわるものさん")
    card = (await alice.slash("series lookup", title=str(choice["value"]))).embed

    assert "thumbnail" not in card, "only https images become the thumbnail"
    assert "Half \ufffd a pair." in card["description"]  # read as a decoder reads bytes that are not UTF-8
    texts = [card["description"], *(field["value"] for field in card["fields"] if field["name"] != "Ratings")]
    for text in texts:
        assert problems(text) == [], text
    series = await bot.services.series.find(int(str(choice["value"]).removeprefix("series:")))
    assert series.title_english is None and series.next_episode is None  # wrong shapes are left out


# Last: after a 429 the client asks nothing for Retry-After (60 s), longer than the tests above take.
async def test_a_rate_limit_is_obeyed(anilist: FakeAniList, alice: Member) -> None:
    anilist.mode = "rate-limited"
    await alice.slash("series lookup", title="frieren")
    assert len(anilist.requests) == 1
    anilist.mode = "ok"

    card = (await alice.slash("series lookup", title="spy x family code white")).embed

    assert len(anilist.requests) == 1, "nothing is asked until Retry-After has passed"
    assert card["title"]
