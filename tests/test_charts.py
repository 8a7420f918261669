"""Charts, as members get them through the fake Discord: the card's Charts button and /series charts, a
member's own chart under /impression mine; the numbers in the alt text against a recomputation from the
database; pending, hidden and other servers' impressions left out; a cache that every write keeps
honest; and a chart worker that dies or hangs."""

from __future__ import annotations

import asyncio
import base64
import copy
import io
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.client import ReviewBot
from bot.models import CATEGORIES
from tests.approval_helpers import post_pending
from tests.fakediscord import FakeDiscord, FakeGuild, Member, Reply
from tests.harness import PLAIN_PERMISSIONS, join, moderator, new_guild, peek, running_bot_on

pytestmark = pytest.mark.both_backends


@pytest.fixture(scope="module")
async def bot(
    fake: FakeDiscord,
    tmp_path_factory: pytest.TempPathFactory,
    seeded_database: Path,
    backend: str,
    request: pytest.FixtureRequest,
) -> AsyncIterator[ReviewBot]:
    directory = tmp_path_factory.mktemp("charts")
    # CHART_TIMEOUT: a hung worker is given up on in 2 s.
    async with running_bot_on(backend, request, fake, directory, seeded_database, CHART_TIMEOUT="2") as running:
        yield running


async def rouge(member: Member) -> str:
    [choice, *_] = await member.autocomplete("series charts", "title", "metallic rouge")
    return str(choice["value"])


async def post(member: Member, scope: str, episodes: int | None = None, **scores: int) -> int:
    options: dict[str, Any] = {"series": await rouge(member), "scope": scope, **scores}
    if episodes is not None:
        options["episodes"] = episodes
    form = await member.slash("impression post", **options)
    return (await member.submit(form, text=f"{scope} {episodes} {scores}")).impression_id


def picture(reply: Reply) -> tuple[Image.Image, str]:
    [attachment] = reply.last["files"]
    [described] = reply.last["attachments"]
    image = Image.open(io.BytesIO(base64.b64decode(attachment["data"])))
    return image, described["description"]


def recomputed(database: Path | str, guild_id: int, series_id: int) -> dict[str, tuple[int, float | None]]:
    """Each category's (how many rated, average) over each reviewer's latest published impression, from
    the impressions table itself (not the aggregates the charts read)."""
    with peek(database) as conn:
        latest = conn.execute(
            "SELECT * FROM impressions i WHERE guild_id = ? AND series_id = ? AND status = 'published' AND id = "
            "(SELECT max(id) FROM impressions j WHERE j.guild_id = i.guild_id AND j.series_id = i.series_id "
            "AND j.author_id = i.author_id AND j.status = 'published')",
            (guild_id, series_id),
        )
        columns = [d[0] for d in latest.description]
        rows = [dict(zip(columns, row, strict=True)) for row in latest.fetchall()]
    found = {}
    for field, name, _ in CATEGORIES:
        scores = [row[f"score_{field}"] for row in rows if row[f"score_{field}"] is not None]
        found[name] = (len(scores), round(sum(scores) / len(scores), 1) if scores else None)
    return found


async def test_a_series_without_impressions_says_so_in_words(bot: ReviewBot, alice: Member) -> None:
    card = await alice.slash("series lookup", title=await rouge(alice))
    reply = await alice.click(card, "Charts")
    assert reply.callback_type == 5 and reply.ephemeral  # deferred first, then the answer
    assert reply.text == "No impressions of Metallic Rouge in this server yet, so there is no chart."
    assert not reply.last["files"]


async def test_the_charts_show_this_servers_published_impressions_and_say_their_numbers(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, alice: Member, mira: Member
) -> None:
    bob, cleo = join(fake, guild, "bob", PLAIN_PERMISSIONS), join(fake, guild, "cleo", PLAIN_PERMISSIONS)
    await post(alice, "episodes", 1, overall=6, art=8)
    await post(alice, "episodes", 4, overall=8, art=9, music=7)  # alice's latest
    await post(bob, "episodes", 1, overall=7)
    await post(bob, "completed", overall=9, animation=10)
    hidden = await post(cleo, "dropped", 3, overall=2)
    await mira.slash("mod hide", id=str(hidden), reason="off topic")
    elsewhere = await new_guild(fake, bot, "Elsewhere")
    stranger = join(fake, elsewhere, "stranger", PLAIN_PERMISSIONS)
    await post(stranger, "completed", overall=1)
    await moderator(fake, guild, "approver")
    await mira.slash("mod settings", approval=True)
    await post_pending(join(fake, guild, "dana", PLAIN_PERMISSIONS))

    reply = await alice.slash("series charts", title=await rouge(alice), private=False)

    assert reply.callback_type == 5 and not reply.ephemeral
    image, alt = picture(reply)
    assert image.format == "PNG" and image.size == (1200, 700)
    series_id = int((await rouge(alice)).removeprefix("series:"))
    expected = recomputed(bot.settings.database, guild.id, series_id)
    for name, (rated, average) in expected.items():
        if average is None:
            assert name in alt.split("not rated:")[1], name
        else:
            assert f"{name} {average:.1f} ({rated})" in alt, (name, alt)
    assert "2 reviewers" in alt  # cleo's is hidden, dana's pending, the stranger's elsewhere
    assert "Overall scores given: 8: 1, 9: 1." in alt
    assert "after episode 1: 2, average Overall 6.5; after episode 4: 1, average Overall 8.0" in alt
    assert "completed: 1, average Overall 9.0" in alt and "dropped" not in alt
    embed = reply.embed
    assert embed["image"]["url"] == f"attachment://series-{series_id}.png"
    assert "Overall 8.5 on average (2 rated it)" in embed["description"]
    assert "from 6.5 after episode 1 to 8.0 after episode 4" in embed["description"]


async def test_an_unchanged_chart_is_not_drawn_again_and_a_write_draws_it_anew(bot: ReviewBot, alice: Member) -> None:
    await post(alice, "episodes", 2, overall=7)
    charts = bot.services.charts
    await alice.slash("series charts", title=await rouge(alice))
    drawn = charts.drawn
    again = await alice.slash("series charts", title=await rouge(alice))
    assert charts.drawn == drawn and "Overall 7.0" in picture(again)[1]
    await post(alice, "completed", overall=9)  # the same reviewer's newer impression replaces the older one
    changed = await alice.slash("series charts", title=await rouge(alice))
    assert charts.drawn == drawn + 1 and "Overall 9.0 (1)" in picture(changed)[1]


async def test_a_member_charts_their_own_scores_beside_the_servers(
    alice: Member, fake: FakeDiscord, guild: FakeGuild
) -> None:
    await post(alice, "completed", overall=8, music=6)
    await post(join(fake, guild, "bob", PLAIN_PERMISSIONS), "completed", overall=6, music=9)
    mine = await alice.slash("impression mine")
    reply = await alice.click(mine, "My scores chart")
    image, alt = picture(reply)
    assert reply.ephemeral and image.size == (1200, 700)
    assert "over your latest impression of 1 series: Overall 8.0 (1), Music 6.0 (1)" in alt
    assert "This server's averages of the same series: Overall 7.0 (2), Music 7.5 (2)" in alt
    assert "You differ most in Music: -1.5" in reply.embed["description"]


async def test_a_worker_that_dies_or_hangs_is_replaced_and_the_next_chart_works(bot: ReviewBot, alice: Member) -> None:
    charts = bot.services.charts
    for overall, stop in ((5, signal.SIGKILL), (6, signal.SIGSTOP)):
        await post(alice, "episodes", overall, overall=overall)  # a chart not drawn yet
        await alice.slash("series charts", title=await rouge(alice))  # the worker runs
        [pid] = charts.worker_pids()
        await post(alice, "episodes", overall + 2, overall=overall + 2)
        os.kill(pid, stop)
        await asyncio.sleep(0.1)
        failed = await alice.slash("series charts", title=await rouge(alice))
        assert failed.ephemeral and failed.text == "The chart could not be drawn this time; try again in a moment."
        assert failed.message.get("deleted"), "the public 'thinking…' message does not stay behind"
        works = await alice.slash("series charts", title=await rouge(alice))
        assert f"Overall {overall + 2}.0 (1)" in picture(works)[1]
        assert charts.worker_pids() != [pid]


async def test_every_kind_of_write_is_seen_by_the_next_chart(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, alice: Member, mira: Member
) -> None:
    bob = join(fake, guild, "bob", PLAIN_PERMISSIONS)
    await post(alice, "completed", overall=8)
    bobs = await post(bob, "completed", overall=4)

    async def alt() -> str:
        return picture(await alice.slash("series charts", title=await rouge(alice)))[1]

    assert "Overall 6.0 (2)" in await alt()
    await mira.slash("mod hide", id=str(bobs), reason="spoilers")
    assert "Overall 8.0 (1)" in await alt()
    await mira.slash("mod restore", id=str(bobs))
    assert "Overall 6.0 (2)" in await alt()
    form = await bob.slash("impression edit", id=str(bobs), overall=10)
    await bob.submit(form, text="On second thought.")
    assert "Overall 9.0 (2)" in await alt()
    deleted = await bob.slash("impression delete", id=str(bobs))
    await bob.click(deleted, "Delete")
    assert "Overall 8.0 (1)" in await alt()


def test_a_hostile_title_stays_inert_around_the_chart() -> None:
    from bot.render.charts import describe_series_chart, render_series_chart_embed
    from bot.store.charts import CategoryAverage, SeriesChartData
    from tests.markdown_model import problems

    hostile = "[Free Nitro](http://evil) @everyone <@&1> ||x|| ``` # head " + "長" * 300
    averages = tuple(CategoryAverage(field, 1, 7.0) for field, _, _ in CATEGORIES)
    data = SeriesChartData(1, hostile, 12, 1, averages, (0,) * 6 + (1,) + (0,) * 3, ())
    embed = render_series_chart_embed(data, "series-1.png")
    for text in (embed.title or "", embed.description or ""):
        assert problems(text) == [], text
    assert len(embed.title or "") <= 256
    alt = describe_series_chart(data)
    assert len(alt) <= 1024 and "\n" not in alt


async def test_forged_chart_buttons_get_one_private_sentence(alice: Member) -> None:
    forged = copy.deepcopy((await alice.slash("about")).message)
    for custom_id, says in (
        ("chart:s:999999999", "There is no such series"),
        ("chart:s:" + "9" * 19, "This button is not valid"),
        ("chart:m", "You have no published impressions in this server yet"),
    ):
        forged["components"] = [
            {"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": custom_id}]}
        ]
        reply = await alice.click(forged, "Go")
        assert reply.ephemeral and says in reply.text and not reply.last["files"], (custom_id, reply.text)
