"""/season: the series of a season with this server's averages and counts, paginated, and what airs today
in Japan."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

import pytest

from bot.client import ReviewBot
from bot.services.airing import JST, in_jst
from bot.services.season import airing_on, season_of, season_span
from bot.store.season import SeasonEntry
from tests.fakediscord import FakeDiscord, FakeGuild, Member
from tests.harness import PLAIN_PERMISSIONS, join, moderator, peek

pytestmark = pytest.mark.both_backends


def season_count(bot: ReviewBot, first: str, after: str) -> int:
    with peek(bot.settings.database) as conn:
        [(count,)] = conn.execute(
            "SELECT count(*) FROM series WHERE merged_into IS NULL AND premiered >= ? AND premiered < ?", (first, after)
        )
    return int(count)


async def post(member: Member, overall: int) -> int:
    [choice, *_] = await member.autocomplete("impression post", "series", "metallic rouge")
    form = await member.slash("impression post", series=choice["value"], scope="completed", overall=overall)
    return (await member.submit(form, text=f"All of it: {overall} out of ten.")).impression_id


async def test_a_past_season_lists_its_series_with_this_servers_numbers_most_discussed_first(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, alice: Member
) -> None:
    empty = await alice.slash("season", year=2024, season="Winter")
    expected = season_count(bot, "2024-01-01", "2024-04-01")
    assert empty.ephemeral and empty.embed["title"] == "Winter 2024"
    assert empty.embed["description"].startswith(f"{expected} series · none reviewed here yet")
    assert not empty.embed.get("fields"), "today's airings belong to the current season only"

    bob = join(fake, guild, "bob", PLAIN_PERMISSIONS)
    await post(alice, 8)
    await post(bob, 6)
    page = await alice.slash("season", year=2024, season="Winter", public=True)
    lines = page.embed["description"].split("\n")
    assert not page.ephemeral
    assert lines[0] == f"{expected} series · 1 with impressions in this server"
    assert lines[2] == "**Metallic Rouge** (TV) — Overall 7.0 (2) · 2 impressions"
    assert lines[3].endswith("— no impressions here yet")

    other = fake.add_guild("Elsewhere")
    await fake.dispatch("GUILD_CREATE", other.payload())
    stranger = await moderator(fake, other, "stranger")
    theirs = await stranger.slash("season", year=2024, season="Winter")
    assert "none reviewed here yet" in theirs.embed["description"]


async def test_the_pages_turn_for_the_member_who_asked(alice: Member, fake: FakeDiscord, guild: FakeGuild) -> None:
    first = await alice.slash("season", year=2024, season="Spring")
    pages = int(first.component("Last")["custom_id"].split(":")[3]) + 1
    assert pages > 1 and first.component(f"1 / {pages}")
    kept = copy.deepcopy(first.last)
    second = await alice.click(first, "Next")
    assert second.component(f"2 / {pages}") and second.embed["description"] != kept["embeds"][0]["description"]
    bob = join(fake, guild, "bob", PLAIN_PERMISSIONS)
    assert "someone else" in (await bob.click(kept, "Next")).text


async def test_the_current_season_shows_what_airs_today_in_japan(bot: ReviewBot, alice: Member) -> None:
    today = datetime.now(UTC).astimezone(JST).date()
    year, season = season_of(today)
    reply = await alice.slash("season")
    assert reply.embed["title"] == f"{season} {year}"
    first, after = season_span(year, season)
    known = season_count(bot, first.isoformat(), after.isoformat())
    if known:
        assert reply.embed["description"].startswith(f"{known} series · ")
    else:  # the starter catalog is older than this season
        assert reply.embed["description"] == f"The catalog knows no series of {season} {year} yet."
    [airing] = reply.embed["fields"]
    assert airing["name"] == f"Airing today in Japan ({today:%A %-d %B})"
    with peek(bot.settings.database) as conn:
        rules = dict(conn.execute("SELECT title, broadcast FROM series WHERE broadcast IS NOT NULL").fetchall())
    for line in airing["value"].split("\n"):
        if line.startswith(("No episode", "and ")):
            continue
        title = line.split("**")[1]
        start = datetime.fromisoformat(rules[title].split("/")[1].replace("Z", "+00:00"))
        # a weekly rule airs on its first episode's weekday and time, in Japan
        assert line.startswith(f"{start.astimezone(JST):%H:%M} JST"), line
        assert start.astimezone(JST).weekday() == today.weekday(), line


async def test_a_series_whose_dataset_dates_are_out_of_range_does_not_break_the_season(
    bot: ReviewBot, alice: Member
) -> None:
    """A bad rule or airing time of one series (a dataset's, AniList's) is left out, and the season still
    shows: before, datetime's OverflowError came out of the airing arithmetic for everyone's /season."""
    with peek(bot.settings.database) as conn:
        conn.execute(
            "UPDATE series SET broadcast = ?, broadcast_end = NULL, episodes = 12 WHERE title = 'Metallic Rouge'",
            ("R/2026-11-01T00:00:00Z/P99999999999W",),
        )
        conn.execute(
            "UPDATE series SET next_episode = 3, next_episode_at = ? WHERE title = 'Sousou no Frieren'",
            ("9999-12-31T23:00:00-10:00",),
        )
    reply = await alice.slash("season")
    assert reply.embed["title"].endswith(str(season_of(datetime.now(UTC).astimezone(JST).date())[0]))
    [airing] = reply.embed["fields"]
    assert airing["name"].startswith("Airing today in Japan")
    assert "Metallic Rouge" not in airing["value"] and "Frieren" not in airing["value"]


def entry(title: str, rule: str | None, episodes: int | None = None, end: str | None = None) -> SeasonEntry:
    return SeasonEntry(1, title, "TV", "2024-01-11", episodes, rule, end, None, None, 0, 0, 0, 0)


def test_airing_today_is_the_episodes_that_air_on_that_day_in_japan_in_order() -> None:
    rouge = entry("Metallic Rouge", "R/2024-01-10T16:25:00.000Z/P7D", 13)  # Thursdays 01:25 in Japan
    late = entry("Late", "R/2024-01-11T14:30:00Z/P7D")  # Thursdays 23:30 in Japan
    daily = entry("Daily", "R/2024-01-01T00:00:00Z/P1D", 30)  # 09:00 in Japan, 30 days
    over = entry("Over", "R/2023-01-05T15:00:00Z/P7D", 12)  # Fridays 00:00, ended in 2023
    found = airing_on([late, rouge, daily, over], date(2024, 1, 18))
    assert [(a.title, a.episode, in_jst(a.at)) for a in found] == [
        ("Metallic Rouge", 2, "Thursday 01:25 JST"),
        ("Daily", 18, "Thursday 09:00 JST"),
        ("Late", 2, "Thursday 23:30 JST"),
    ]
    assert airing_on([rouge], date(2024, 1, 17)) == []  # a Wednesday
    assert airing_on([rouge], date(2024, 4, 11)) == []  # after its 13 episodes


async def test_a_season_the_catalog_has_nothing_for_says_so(alice: Member) -> None:
    for year, season in ((2031, "Spring"), (1961, "Winter")):
        reply = await alice.slash("season", year=year, season=season)
        assert reply.ephemeral and reply.text == f"The catalog has no series for {season} {year}."


async def test_a_forged_season_pager_is_refused(alice: Member) -> None:
    message = copy.deepcopy((await alice.slash("season", year=2024, season="Winter")).message)
    for custom_id in (f"pg:a:{alice.id}:0:2024.x:n", f"pg:a:{alice.id}:0:24.w:n", f"pg:a:{alice.id}:0:2024:n"):
        button = {"type": 2, "style": 1, "label": "Next", "custom_id": custom_id}
        reply = await alice.press({**message, "components": [{"type": 1, "components": [button]}]},
                                  {"custom_id": custom_id, "component_type": 2})  # fmt: skip
        assert reply.ephemeral and "This button is not valid" in reply.text, custom_id
