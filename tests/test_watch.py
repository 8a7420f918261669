"""A server watches a series: when an episode airs, the bot invites impressions of it (the scheduler is
driven with the test's own clock: nothing sleeps)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from bot.client import ReviewBot
from bot.render.watch import (
    render_episode_prompt,
    render_episode_thread_name,
    render_watch_added,
    render_watch_list,
    render_watch_removed,
)
from bot.services.airing import parse_broadcast
from bot.services.catalog_import import backfill_starter_catalog, load_starter_bundle, starter_entries
from bot.store import Store
from bot.store.catalog import CatalogWriter
from bot.store.watches import Watch
from tests.fakediscord import FakeDiscord, FakeGuild, Member
from tests.harness import PLAIN_PERMISSIONS, fingerprint, join, moderator, new_guild, peek, running_bot
from tests.markdown_model import problems

pytestmark = pytest.mark.both_backends


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def announce(bot: ReviewBot, now: str) -> int:
    return int(await cast(Any, bot.get_cog("Watch")).announce_due(at(now)))


def drain(fake: FakeDiscord) -> list[dict[str, Any]]:
    posts = []
    while not fake.channel_posts.empty():
        posts.append(fake.channel_posts.get_nowait())
    return posts


async def rouge(member: Member) -> str:
    [choice, *_] = await member.autocomplete("watch add", "series", "metallic rouge")
    return str(choice["value"])


async def test_a_watched_series_prompts_once_per_episode_and_the_button_opens_the_form(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, alice: Member, mira: Member
) -> None:
    drain(fake)
    added = await mira.slash("watch add", series=await rouge(mira))
    assert added.ephemeral and "Watching **Metallic Rouge**" in added.text and "every Thursday 01:25 JST" in added.text

    assert await announce(bot, "2024-01-17T16:20:00") == 0  # episode 1 aired a week ago: too old to invite
    assert await announce(bot, "2024-01-17T16:30:00") == 1  # episode 2, five minutes after it aired
    assert await announce(bot, "2024-01-17T16:31:00") == 0  # the next check: nothing twice
    await asyncio.sleep(0.1)
    posts = drain(fake)
    assert [p["content"].split(" has aired")[0] for p in posts] == ["Episode 2 of **Metallic Rouge**"]
    assert all(int(p["channel_id"]) == guild.text_channel_id for p in posts)

    # Down for three weeks, then back: one catch-up prompt, for the latest episode only.
    assert await announce(bot, "2024-02-07T20:00:00") == 1
    [caught_up] = drain(fake)
    assert caught_up["content"].startswith("Episode 5 of **Metallic Rouge** has aired")

    form = await alice.click(caught_up, "Post impression (episode 5)")
    assert form.modal["title"] == "Episode 5: Metallic Rouge"
    card = await alice.submit(form, text="The fifth one finally explains the Neans.")
    with peek(bot.settings.database) as conn:
        row = conn.execute("SELECT scope, episodes_watched FROM impressions WHERE id = ?", (card.impression_id,))
        assert row.fetchone() == ("episodes", 5)


async def test_a_series_without_a_schedule_is_explained_and_nothing_is_watched(bot: ReviewBot, mira: Member) -> None:
    [choice, *_] = await mira.autocomplete("watch add", "series", "cowboy bebop")
    reply = await mira.slash("watch add", series=str(choice["value"]))
    assert reply.ephemeral and "no airing schedule" in reply.text and "nothing was changed" in reply.text
    listing = await mira.slash("watch list")
    assert "No series is watched here yet." in listing.embed["description"]


async def bebop(member: Member) -> str:
    [choice, *_] = await member.autocomplete("watch schedule", "series", "cowboy bebop")
    return str(choice["value"])


async def test_moderators_give_a_series_without_a_schedule_their_own_for_their_server_only(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, mira: Member
) -> None:
    drain(fake)
    # Wednesday 25:25 is how Japanese TV says Thursday 01:25.
    reply = await mira.slash("watch schedule", series=await bebop(mira), date="2024-01-10", time="25:25", episodes=3)
    assert reply.ephemeral and reply.text.startswith("**COWBOY BEBOP** airs here every Thursday 01:25 JST")
    added = await mira.slash("watch add", series=await bebop(mira))
    assert "Watching **COWBOY BEBOP**" in added.text

    await announce(bot, "2024-01-17T16:30:00")  # episode 2: Thursday 18 January, 01:25 in Japan
    await announce(bot, "2024-02-07T16:30:00")  # episode 5 by the rule, but it has three episodes
    [prompt] = posted_in(fake, guild)
    assert prompt["content"].startswith("Episode 2 of **COWBOY BEBOP** has aired")

    other = fake.add_guild("Elsewhere")
    await fake.dispatch("GUILD_CREATE", other.payload())
    await asyncio.sleep(0.05)
    their_mod = await moderator(fake, other, "theirs")
    theirs = await their_mod.slash("watch add", series=await bebop(their_mod))
    assert "no airing schedule" in theirs.text and "/watch schedule" in theirs.text

    reset = await mira.slash("watch schedule", series=await bebop(mira), reset=True)
    assert reset.text == "This server's schedule of **COWBOY BEBOP** is gone, and the catalog has none."
    again = await mira.slash("watch schedule", series=await bebop(mira), reset=True)
    assert again.ephemeral and "has no schedule of its own" in again.text


def posted_in(fake: FakeDiscord, guild: FakeGuild) -> list[dict[str, Any]]:
    """The prompts posted in this test's server (other tests' servers watch series in the same database)."""
    return [post for post in drain(fake) if int(post["channel_id"]) == guild.text_channel_id]


async def test_a_delayed_episode_is_corrected_from_that_episode_on(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, mira: Member
) -> None:
    drain(fake)
    await mira.slash("watch add", series=await rouge(mira))
    # Episode 5 aired a week late, on 15 February; episodes 1-4 are left as they were announced.
    fixed = await mira.slash("watch schedule", series=await rouge(mira), date="2024-02-15", time="01:25", episode=5)
    assert "every Thursday 01:25 JST" in fixed.text

    await announce(bot, "2024-02-07T16:30:00")  # the catalog's date for episode 5: not here, not yet
    assert posted_in(fake, guild) == []
    await announce(bot, "2024-02-14T16:30:00")
    [prompt] = posted_in(fake, guild)
    assert prompt["content"].startswith("Episode 5 of **Metallic Rouge** has aired")


async def test_a_schedule_is_set_by_moderators_only_and_bad_dates_change_nothing(
    bot: ReviewBot, alice: Member, mira: Member
) -> None:
    refused = await alice.slash("watch schedule", series=await bebop(alice), date="2024-01-10", time="01:25")
    assert refused.ephemeral and "moderators" in refused.text.lower()
    for options, says in (
        ({"date": "next friday", "time": "01:25"}, "YYYY-MM-DD"),
        ({"date": "2024-01-10", "time": "30:00"}, "HH:MM"),
        ({"date": "2024-01-10", "time": "1:5"}, "HH:MM"),
        ({"date": "1950-01-10", "time": "01:25"}, "between 1960 and"),
        ({"date": "2024-01-10"}, "Give the date and the time"),
        ({"date": "2024-01-10", "time": "01:25", "episode": 9, "episodes": 4}, "past the last one"),
    ):
        reply = await mira.slash("watch schedule", series=await bebop(mira), **options)
        assert reply.ephemeral and says in reply.text, (options, reply.text)
    with peek(bot.settings.database) as conn:
        rows = conn.execute("SELECT count(*) FROM guild_schedules WHERE guild_id = ?", (mira.guild.id,))
        assert rows.fetchone() == (0,)


async def refresh(bot: ReviewBot, now: str) -> int:
    return int(await cast(Any, bot.get_cog("Watch")).refresh_counts(at(now)))


async def test_a_prompt_opens_a_thread_when_the_server_wants_one(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, mira: Member
) -> None:
    drain(fake)
    settings = await mira.slash("mod settings", episode_threads=True)
    assert {"name": "Episode threads", "value": "on", "inline": True} in settings.embed["fields"]
    await mira.slash("watch add", series=await rouge(mira))
    await announce(bot, "2024-01-17T16:30:00")
    [prompt] = posted_in(fake, guild)
    thread = fake.messages[int(prompt["id"])]["thread"]
    assert thread["name"] == "Episode 2 · Metallic Rouge" and thread["parent_id"] == str(guild.text_channel_id)
    with peek(bot.settings.database) as conn:
        rows = conn.execute("SELECT thread_id FROM episode_prompts WHERE guild_id = ? AND episode = 2", (guild.id,))
        assert rows.fetchone() == (int(thread["id"]),)

    await mira.slash("mod settings", episode_threads=False)
    await announce(bot, "2024-01-24T16:30:00")
    [plain_prompt] = posted_in(fake, guild)
    assert "thread" not in fake.messages[int(plain_prompt["id"])]


async def test_the_prompt_counts_the_impressions_of_its_episode_as_they_come(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, alice: Member, mira: Member
) -> None:
    drain(fake)
    await mira.slash("watch add", series=await rouge(mira))
    await announce(bot, "2024-01-17T16:30:00")
    [prompt] = posted_in(fake, guild)
    message = fake.messages[int(prompt["id"])]
    assert await refresh(bot, "2024-01-17T16:31:00") == 0  # nothing to count yet: the message is left alone

    bob = join(fake, guild, "bob", PLAIN_PERMISSIONS)
    cards = []
    for member, overall in ((alice, 8), (bob, 6)):
        form = await member.slash("impression post", series=await rouge(member), scope="episodes", episodes=2,
                                  overall=overall)  # fmt: skip
        cards.append(await member.submit(form, text=f"Episode two, {overall} out of ten."))
    other = await alice.slash("impression post", series=await rouge(alice), scope="episodes", episodes=1, overall=2)
    await alice.submit(other, text="The first one, later.")  # another episode: not counted here

    assert await refresh(bot, "2024-01-17T16:32:00") == 1
    assert message["content"].endswith("\n**2 impressions after episode 2 · average Overall 7.0**")
    assert message["content"].startswith("Episode 2 of **Metallic Rouge** has aired")
    assert message["components"], "the Post impression button stays"
    assert await refresh(bot, "2024-01-17T16:33:00") == 0, "an unchanged line is not edited again"

    await mira.slash("mod hide", id=str(cards[1].impression_id), reason="spoilers")
    assert await refresh(bot, "2024-01-17T16:34:00") == 1
    assert message["content"].endswith("\n**1 impression after episode 2 · average Overall 8.0**")
    assert await refresh(bot, "2024-01-25T16:35:00") == 0  # a week after it aired, the prompt is left as it is


async def test_two_servers_watching_one_series_keep_their_own_prompts_counts_and_watches(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, alice: Member, mira: Member
) -> None:
    """Each prompt is its own server's message and counts its own server's impressions, and a server that
    loses its channel stops its own watch alone. (Those writes name a prompt by server, series and
    episode: without the server, one server's post, count or stop went into the other's row too.)"""
    channel = fake.add_channel(guild, "episodes")
    await fake.dispatch("CHANNEL_CREATE", {**channel, "guild_id": str(guild.id)})
    await mira.slash("watch add", series=await rouge(mira), channel=channel)
    elsewhere = await new_guild(fake, bot, "Elsewhere")
    theirs = await moderator(fake, elsewhere, "theirs")
    await theirs.slash("watch add", series=await rouge(theirs))
    drain(fake)
    await announce(bot, "2024-01-17T16:30:00")
    posts = drain(fake)  # (other tests' servers were prompted for this episode before)
    [ours] = [post for post in posts if post["channel_id"] == channel["id"]]
    [their_prompt] = [post for post in posts if int(post["channel_id"]) == elsewhere.text_channel_id]
    with peek(bot.settings.database) as conn:
        recorded = conn.execute(
            "SELECT guild_id, channel_id, message_id FROM episode_prompts WHERE guild_id IN (?, ?)",
            (guild.id, elsewhere.id),
        ).fetchall()
    assert sorted((int(g), str(c), str(m)) for g, c, m in recorded) == sorted(
        [(guild.id, channel["id"], ours["id"]), (elsewhere.id, their_prompt["channel_id"], their_prompt["id"])]
    )

    their_rows = fingerprint(bot.settings.database, elsewhere.id)
    form = await alice.slash("impression post", series=await rouge(alice), scope="episodes", episodes=2, overall=8)
    await alice.submit(form, text="Episode two here.")
    await refresh(bot, "2024-01-17T16:32:00")
    assert fake.messages[int(ours["id"])]["content"].endswith("**1 impression after episode 2 · average Overall 8.0**")
    assert "impression" not in fake.messages[int(their_prompt["id"])]["content"].split("\n")[-1]
    assert fingerprint(bot.settings.database, elsewhere.id) == their_rows

    await fake.dispatch("CHANNEL_DELETE", {**channel, "guild_id": str(guild.id)})
    await asyncio.sleep(0.05)
    await announce(bot, "2024-01-24T16:30:00")
    watching = (int(channel["id"]), elsewhere.text_channel_id)  # (other tests' servers watch it too)
    assert [int(post["channel_id"]) for post in drain(fake) if int(post["channel_id"]) in watching] == [
        elsewhere.text_channel_id
    ]
    assert "stopped" in (await mira.slash("watch list")).embed["description"]
    assert "stopped" not in (await theirs.slash("watch list")).embed["description"]


async def test_a_lost_channel_stops_its_watch_and_tells_the_moderator_once(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, mira: Member
) -> None:
    channel = fake.add_channel(guild, "episodes")
    await fake.dispatch("CHANNEL_CREATE", {**channel, "guild_id": str(guild.id)})
    await mira.slash("watch add", series=await rouge(mira), channel=channel)
    await fake.dispatch("CHANNEL_DELETE", {**channel, "guild_id": str(guild.id)})
    await asyncio.sleep(0.05)

    drain(fake)
    await announce(bot, "2024-01-17T16:30:00")
    await announce(bot, "2024-01-24T16:30:00")  # stopped: no retry loop
    assert all(post["channel_id"] != channel["id"] for post in drain(fake))
    nudge = await mira.slash("watch list")
    assert "stopped: its channel is gone." in nudge.embed["description"]
    for _ in range(100):
        if nudge.followups:
            break
        await asyncio.sleep(0.02)
    assert "Episode prompts for Metallic Rouge stopped" in str(nudge.followups)

    await mira.slash("watch remove", series=await rouge(mira))
    assert "No series is watched here yet." in (await mira.slash("watch list")).embed["description"]


async def test_watching_is_for_moderators_and_another_server_sees_none_of_it(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, alice: Member, mira: Member
) -> None:
    refused = await alice.slash("watch add", series=await rouge(alice))
    assert refused.ephemeral and "moderators" in refused.text.lower()
    await mira.slash("watch add", series=await rouge(mira))
    other = fake.add_guild("Elsewhere")
    await fake.dispatch("GUILD_CREATE", other.payload())
    await asyncio.sleep(0.05)
    their_mod = await moderator(fake, other, "theirs")
    assert "No series is watched here yet." in (await their_mod.slash("watch list")).embed["description"]


async def test_a_catalog_loaded_before_schedules_gets_them_once_curated_names_kept(tmp_path: Path) -> None:
    # The starter catalog as an earlier release loaded it: without broadcast rules and romaji.
    path = tmp_path / "old.sqlite3"
    await (await Store.open(path)).close()
    bundle = load_starter_bundle()
    bundle["items"] = [item[:8] for item in bundle["items"]]
    with CatalogWriter(path) as writer:
        writer.upsert(starter_entries(bundle))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE series SET curated_fields = ? WHERE title_japanese = '進撃の巨人'", ('["synonyms"]',))
        assert conn.execute("SELECT count(*) FROM series WHERE broadcast IS NOT NULL").fetchone() == (0,)

    changed = backfill_starter_catalog(path)
    assert changed is not None and changed > 5000
    assert backfill_starter_catalog(path) is None  # once per database
    with sqlite3.connect(path) as conn:
        [(rule, synonyms)] = conn.execute(
            "SELECT broadcast, synonyms FROM series WHERE title_japanese = 'メタリックルージュ'"
        ).fetchall()
        assert rule == "R/2024-01-10T16:25:00.000Z/P7D" and "Metarikku ruuju" in synonyms
        [(curated,)] = conn.execute("SELECT synonyms FROM series WHERE title_japanese = '進撃の巨人'").fetchall()
        assert "Shingeki no kyojin" not in curated  # a curator's names stay as they were


def test_a_hostile_title_stays_inert_in_every_watch_message() -> None:
    hostile = "[Free Nitro](http://evil) @everyone <@&1> ||x|| ``` # head"
    watch = Watch(1, 2, hostile, 3, 4, None, "R/2024-01-10T16:25:00Z/P7D", None, None, None, False, None, None, 1)
    schedule = parse_broadcast(watch.broadcast)
    assert schedule is not None
    now = at("2024-01-17T16:30:00")
    texts = [
        render_episode_prompt(watch.series_id, hostile, 2, schedule.airs_at(2), "3 impressions")[0],
        render_watch_added(hostile, 3, schedule, now),
        render_watch_removed(hostile),
        str(render_watch_list([(watch, schedule)], now).description),
    ]
    for text in texts:
        # The bot's own channel mention (<#3>) and bold are its own; nothing of the title may render.
        assert problems(text.replace("<#3>", ""), own_mentions=frozenset()) == [], text
    # A thread's name is shown literally (never as markdown, never a ping): one line, within Discord's 100.
    name = render_episode_thread_name(hostile + "\n" + "長" * 200, 2)
    assert len(name) <= 100 and "\n" not in name and name.startswith("Episode 2 · [Free Nitro]")


async def test_a_forged_episode_button_is_refused_with_a_sentence(alice: Member) -> None:
    ref = await rouge(alice)
    series_id = int(ref.removeprefix("series:"))
    ids = (f"ep:post:{series_id}:0", f"ep:post:{series_id}:99999", "ep:post:999999999:3", "ep:post:x")
    forged = (await alice.slash("series lookup", title=ref)).message
    forged["components"] = [{"type": 1, "components": [
        {"type": 2, "style": 3, "label": f"forged {n}", "custom_id": custom_id} for n, custom_id in enumerate(ids)
    ]}]  # fmt: skip
    for n, custom_id in enumerate(ids):
        reply = await alice.click(forged, f"forged {n}")
        assert reply.callback_type == 4 and reply.ephemeral, custom_id
        assert not reply.text.startswith("Something went wrong"), (custom_id, reply.text)


WINTER_2024 = (
    "メタリックルージュ",
    "魔都精兵のスレイブ",
    "弱キャラ友崎くん 2nd STAGE",
    "SHAMAN KING FLOWERS",
    "青の祓魔師 島根啓明結社篇",
)


async def test_a_simulated_season_prompts_every_episode_once_within_the_hour_it_airs(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, mira: Member
) -> None:
    with peek(bot.settings.database) as conn:
        rules = {
            title: (series_id, parse_broadcast(rule, end, episodes))
            for series_id, title, rule, end, episodes in conn.execute(
                "SELECT id, title_japanese, broadcast, broadcast_end, episodes FROM series "
                f"WHERE title_japanese IN ({', '.join('?' * len(WINTER_2024))})",
                WINTER_2024,
            )
        }
    assert len(rules) == len(WINTER_2024) and all(schedule for _, schedule in rules.values())
    for series_id, _ in rules.values():
        await mira.slash("watch add", series=f"series:{series_id}")
    drain(fake)

    clock, end, posted = at("2024-01-01T00:00:00"), at("2024-04-15T00:00:00"), []
    while clock < end:  # the bot's minute loop, an hour at a time: 15 weeks of a season
        await announce(bot, clock.isoformat()[:19])
        posted += [(post, clock) for post in posted_in(fake, guild)]
        clock += timedelta(hours=1)

    expected = {
        (series_id, episode)
        for series_id, schedule in rules.values()
        for episode in range(1, schedule.final_episode() + 1)  # type: ignore[union-attr]
        if at("2024-01-01T00:00:00") <= schedule.airs_at(episode) < end  # type: ignore[union-attr]
    }
    got = [(int(post["components"][0]["components"][0]["custom_id"].split(":")[2]),
            int(post["content"].split()[1])) for post, _ in posted]  # fmt: skip
    assert len(got) == len(set(got)), "an episode was prompted twice"
    assert set(got) == expected
    schedules = dict(rules.values())
    for (series_id, episode), (_, seen_at) in zip(got, posted, strict=True):
        aired = schedules[series_id].airs_at(episode)  # type: ignore[union-attr]
        assert timedelta(0) <= seen_at - aired < timedelta(hours=1), (series_id, episode)
    print(f"simulated Winter 2024: {len(got)} prompts for {len(rules)} series, none twice, each within the hour")


async def test_a_restart_mid_week_never_repeats_a_prompt(own_fake: FakeDiscord, database: Path) -> None:
    fake = own_fake  # this module's bot is still connected to the shared one
    async with running_bot(fake, database) as first:
        guild = await new_guild(fake, first, "Restarted Club")
        mira = await moderator(fake, guild, "mira")
        await mira.slash("watch add", series=await rouge(mira))
        drain(fake)
        await announce(first, "2024-01-17T16:30:00")  # episode 2, Thursday
        assert len(posted_in(fake, guild)) == 1
    async with running_bot(fake, database) as second:  # back on Saturday, same database
        await announce(second, "2024-01-19T12:00:00")
        await announce(second, "2024-01-17T16:31:00")  # even a clock that went back
        assert posted_in(fake, guild) == []
        await announce(second, "2024-01-24T16:30:00")  # the next Thursday
        [prompt] = posted_in(fake, guild)
        assert prompt["content"].startswith("Episode 3 of **Metallic Rouge**")
