"""Step 7: what an attacker tried, as classes, end to end through the fake Discord."""

from __future__ import annotations

import asyncio
import copy
import itertools
import logging
import re
from typing import Any

import pytest

from bot.client import ReviewBot
from bot.models import CATEGORIES, CATEGORY_FIELDS
from bot.render.text import display_width
from tests.fakediscord import MANAGE_GUILD, MANAGE_MESSAGES, PLAIN_PERMISSIONS, FakeDiscord, FakeGuild, Member, Reply
from tests.harness import (
    UNPUBLISHED,
    answers_withheld,
    fingerprint,
    join,
    moderator,
    new_guild,
    peek,
    post_unpublished,
)
from tests.markdown_model import live_masked_links, problems

pytestmark = pytest.mark.both_backends

PHISHING = "[ok](https://a) then [Free Nitro](http://evil) @everyone <@&1> <@42> <#7> ||x|| ``` # head"


def rows(bot: ReviewBot, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with peek(bot.settings.database) as conn:
        return conn.execute(sql, params).fetchall()


async def rouge(member: Member) -> str:
    [choice, *_] = await member.autocomplete("impression post", "series", "metallic rouge")
    return str(choice["value"])


async def posted(member: Member, text: str = "Worth a look.", **options: object) -> Reply:
    options.setdefault("scope", "episodes")
    if options["scope"] == "episodes":
        options.setdefault("episodes", 1)
    form = await member.slash("impression post", series=await rouge(member), **options)
    assert form.callback_type == 9, form.text
    return await member.submit(form, text=text)


async def channel(fake: FakeDiscord, guild: FakeGuild, name: str) -> dict[str, str]:
    created = fake.add_channel(guild, name)
    await fake.dispatch("CHANNEL_CREATE", {**created, "guild_id": str(guild.id)})
    return created


def drain(fake: FakeDiscord) -> None:
    while not fake.channel_posts.empty():
        fake.channel_posts.get_nowait()


async def eventually(check: Any, within_s: float = 10.0) -> None:
    """Until `check()` holds (the bot edits its public posts after it answers); a slow machine's
    PostgreSQL run once took more than the 3 s this waited before."""
    deadline = asyncio.get_running_loop().time() + within_s
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not within the time allowed"
        await asyncio.sleep(0.02)


def assert_inert(message: dict[str, Any], *members: Member) -> None:
    """No live link, mention, fence or spoiler bar beyond the bot's own, anywhere in a message
    (`members`: whom the bot itself names in it)."""
    ours = frozenset(str(member.id) for member in members)
    assert problems(message.get("content") or "", own_mentions=ours) == [], message.get("content")
    for embed in message.get("embeds") or []:
        assert problems(embed.get("title") or "") == []
        assert problems(embed.get("description") or "", own_mentions=ours) == [], embed.get("description")
        for field in embed.get("fields") or []:
            fences = 2 if field["value"].startswith("```") else 0
            assert problems(field["value"], fences=fences, own_mentions=ours) == [], field


# -- A. untrusted text --------------------------------------------------------------------------------


async def test_hostile_text_stays_inert_on_every_path_it_reaches(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    announce = await channel(fake, alice.guild, "reviews")
    await mira.slash("mod settings", announce_channel=announce)
    drain(fake)
    alice.user["global_name"] = "x```**PWN** @here [n](http://evil)"

    card = await posted(alice, PHISHING)
    assert_inert(card.message)
    assert_inert(await asyncio.wait_for(fake.channel_posts.get(), 5))  # the announcement
    assert_inert((await alice.slash("impression show", id=str(card.impression_id))).message)

    series_card = await alice.slash("series lookup", title=await rouge(alice))
    assert_inert(series_card.message)
    table = next(f["value"] for f in series_card.embed["fields"] if f["name"].startswith("Ratings"))
    assert all(display_width(line) <= 56 for line in table.splitlines())

    bob = join(fake, alice.guild, "bob")
    await bob.submit(await bob.context_menu("Report impression", card.message), text=PHISHING)
    assert_inert((await mira.slash("mod reports")).message, bob)
    await mira.slash("mod hide", id=str(card.impression_id), reason=PHISHING)
    assert_inert((await mira.slash("mod log")).message, mira, alice, bob)
    notice = await alice.slash("about")
    await eventually(lambda: notice.followups)
    assert_inert(notice.followups[0])

    for typed in (PHISHING, "[Free Nitro](http://evil)"):
        assert_inert((await alice.slash("series lookup", title=typed)).message)
        assert_inert((await alice.slash("impression show", id=typed)).message)


async def test_a_member_whose_name_shows_nothing_is_named_by_their_username(
    bot: ReviewBot, fake: FakeDiscord, alice: Member
) -> None:
    """A display name of Hangul fillers and zero-width spaces (a common "invisible name") showed as an
    empty row of the ratings table and "'s impression" on the card."""
    ghost = join(fake, alice.guild, "ghostfox")
    ghost.user["global_name"] = "\u3164\u200b\u3164"
    card = await posted(ghost, "Who wrote this?", overall=6)
    assert card.embed["author"]["name"] == "ghostfox's impression"
    series_card = await alice.slash("series lookup", title=await rouge(alice))
    table = next(f["value"] for f in series_card.embed["fields"] if f["name"].startswith("Ratings"))
    assert any(line.endswith(f"ghostfox #{card.impression_id}") for line in table.splitlines()), table
    assert rows(bot, "SELECT author_name FROM impressions WHERE id = ?", card.impression_id) == [("ghostfox",)]


async def test_curated_texts_are_shown_inert_on_the_card(fake: FakeDiscord, alice: Member) -> None:
    owner = join(fake, alice.guild, "owner", user=fake.owner_user)
    added = await owner.slash("series add", title="Fixture Hostile [x](http://evil) Show")
    number = int(added.content.split("series:")[1].rstrip("."))
    form = await owner.slash("series edit", title=f"series:{number}")
    await owner.submit(form, synopsis=PHISHING, synopsis_credit="[AniList](http://evil)", notables=PHISHING)

    card = await alice.slash("series lookup", title=f"series:{number}")

    assert_inert(card.message)
    assert "Free Nitro" in card.embed["description"] and not live_masked_links(card.embed["description"])


# -- B. what is not published -------------------------------------------------------------------------


async def test_what_is_not_published_is_never_shown_to_the_channel(
    fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    number = (await posted(alice)).impression_id
    await mira.slash("mod hide", id=str(number), reason="spoilers")

    for member in (alice, mira):  # the author and a moderator may look, only privately
        shown = await member.slash("impression show", id=str(number))
        assert shown.ephemeral and shown.embed["footer"]["text"].endswith("Hidden")


UNSEEN = "Zorvath's unseen words."


async def every_page(member: Member, page: Reply) -> list[str]:
    """The text of each page of a paged answer, turned with Next as a member does (ten at most)."""
    texts = []
    for _ in range(10):
        texts.append(page.text)
        if not any(c.get("label") == "Next" and not c.get("disabled") for c in page.components):
            break
        page = await member.click(page, "Next")
    return texts


async def everything_a_member_reads(member: Member, author: Member) -> list[str]:
    """What `member` is shown of Metallic Rouge and of this server on every path that reads impressions:
    the card, every page of its impressions (all, and `author`'s), the suggestions of impressions,
    the season, the bot's numbers, their own impressions."""
    rouge_ref = await rouge(member)
    seen = [(await member.slash("series lookup", title=rouge_ref)).text]
    for options in ({}, {"sort": "lowest"}, {"reviewer": str(author.id)}):
        seen += await every_page(member, await member.slash("series impressions", title=rouge_ref, **options))
    for typed in ("", "Zorvath", "unseen"):
        seen += [f"{c['name']} = {c['value']}" for c in await member.autocomplete("impression show", "id", typed)]
    seen.append((await member.slash("season", year=2024, season="Winter")).text)
    seen.append((await member.slash("about")).text)
    seen.append((await member.slash("impression mine")).text)
    return seen


@pytest.mark.parametrize("how", UNPUBLISHED)
async def test_an_impression_not_published_reaches_no_other_member_on_any_path(
    fake: FakeDiscord, alice: Member, mira: Member, how: str
) -> None:
    await posted(mira, "Mira's published view.", overall=8)
    zorvath = join(fake, alice.guild, "Zorvath")
    number = await post_unpublished(how, mira, zorvath, UNSEEN)
    bob = join(fake, alice.guild, "bob")

    seen = await everything_a_member_reads(bob, zorvath)

    assert any("Mira's published view." in text for text in seen), "the walk reaches the published one"
    leaked = [text for text in seen if "Zorvath" in text or "unseen words" in text or f"#{number}" in text]
    assert leaked == [], f"a {how} impression reached another member"
    assert any("1 impression" in text and "Metallic Rouge" in text for text in seen), "the season counts one"
    assert any("1 here" in text for text in seen), "the bot's numbers count one here"
    refused = await bob.slash("impression show", id=str(number))
    assert refused.ephemeral and refused.text.startswith(f"No impression #{number}")


def recorded_posts(bot: ReviewBot, impression_id: int) -> int:
    with peek(bot.settings.database) as conn:
        found = conn.execute("SELECT count(*) FROM impression_posts WHERE impression_id = ?", (impression_id,))
        return int(found.fetchone()[0])


async def test_hiding_and_deleting_withdraw_the_bots_public_posts_and_restore_brings_them_back(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    announce = await channel(fake, alice.guild, "reviews")
    await mira.slash("mod settings", announce_channel=announce)
    drain(fake)
    card = await posted(alice, "Readable until hidden.")
    number = card.impression_id
    announcement = await asyncio.wait_for(fake.channel_posts.get(), 5)
    shown = (await join(fake, alice.guild, "bob").slash("impression show", id=str(number))).message
    await eventually(lambda: recorded_posts(bot, number) == 3)

    def current(message: dict[str, Any]) -> dict[str, Any]:
        return fake.messages[int(message["id"])]

    await mira.slash("mod hide", id=str(number), reason="spoilers")
    posts = (card.message, announcement, shown)
    await eventually(lambda: all(not current(m).get("embeds") for m in posts))
    for message in posts:
        assert current(message)["content"] == f"*Impression #{number} is no longer available.*"

    await mira.slash("mod restore", id=str(number))
    await eventually(lambda: all(current(m).get("embeds") for m in posts))
    assert "Readable until hidden." in current(card.message)["embeds"][0]["description"]
    assert current(announcement)["content"].startswith("New impression of")

    confirm = await alice.slash("impression delete", id=str(number))
    await alice.click(confirm, "Delete")
    await eventually(lambda: all(not current(m).get("embeds") for m in posts))


async def test_a_hide_while_the_bot_is_still_recording_a_public_card_withdraws_that_card_too(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    number = (await posted(alice, "Readable until hidden.")).impression_id
    bob = join(fake, alice.guild, "bob")
    # Bob's card is in the channel, but the bot has not heard so yet, so it has not recorded it.
    async with answers_withheld(fake, bob) as held:
        showing = asyncio.create_task(bob.slash("impression show", id=str(number)))
        await asyncio.wait_for(held.wait(), 5)
        await mira.slash("mod hide", id=str(number), reason="spoilers")
        await asyncio.sleep(0.3)  # the hide's refresh reads the bot's posts before Bob's card is recorded
    card = (await showing).message
    await eventually(lambda: not fake.messages[int(card["id"])].get("embeds"))
    assert fake.messages[int(card["id"])]["content"] == f"*Impression #{number} is no longer available.*"


async def test_a_public_page_of_impressions_is_withdrawn_with_its_impression_and_keeps_its_pager(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    """`/series impressions` answers in the channel with one impression a page: it stayed readable after
    the impression was hidden, until someone turned the page."""
    first = (await posted(alice, "Shown on a public page.")).impression_id
    bob = join(fake, alice.guild, "bob")
    bobs_card = await posted(bob, "Bob's page.")
    second = bobs_card.impression_id
    pages = await bob.slash("series impressions", title=await rouge(bob))
    assert not pages.ephemeral and pages.impression_id == second  # newest first
    message = fake.messages[int(pages.message["id"])]
    await eventually(lambda: recorded_posts(bot, second) == 2)  # Bob's card, and this page

    await mira.slash("mod hide", id=str(second), reason="spoilers")
    await eventually(lambda: not message.get("embeds"))
    assert message["content"] == f"*Impression #{second} is no longer available.*"
    assert "Next" in str(message.get("components")), "the pager stays, to turn to the others"
    await mira.slash("mod restore", id=str(second))
    await eventually(lambda: bool(message.get("embeds")))
    assert "Bob's page." in message["embeds"][0]["description"] and not message.get("content")

    turned = await bob.click(pages, "Next")  # the page now shows Alice's impression: hiding Bob's leaves it
    assert turned.impression_id == first
    await mira.slash("mod hide", id=str(second), reason="spoilers again")
    await eventually(lambda: not fake.messages[int(bobs_card.message["id"])].get("embeds"))
    await asyncio.sleep(0.3)  # the rest of that hide's edits
    assert "Shown on a public page." in message["embeds"][0]["description"]
    await mira.slash("mod hide", id=str(first), reason="spoilers too")
    await eventually(lambda: not message.get("embeds"))
    assert message["content"] == f"*Impression #{first} is no longer available.*"


# -- C. who is a moderator ----------------------------------------------------------------------------


async def test_manage_messages_in_one_channel_makes_nobody_a_moderator(
    bot: ReviewBot, fake: FakeDiscord, alice: Member
) -> None:
    number = (await posted(alice)).impression_id
    # The interaction carries Manage Messages, as a channel overwrite would give; no role grants it.
    overwritten = join(fake, alice.guild, "otto", PLAIN_PERMISSIONS | MANAGE_MESSAGES)
    before = rows(bot, "SELECT count(*) FROM audit_log")
    for command, options in (
        ("mod export", {}),
        ("mod hide", {"id": str(number), "reason": "spam"}),
        ("mod settings", {"approval": True}),
        ("mod queue", {}),
    ):
        reply = await overwritten.slash(command, **options)
        assert reply.ephemeral and "Only moderators" in reply.text, command
    assert rows(bot, "SELECT count(*) FROM audit_log") == before


async def test_manage_server_from_a_role_makes_a_moderator(fake: FakeDiscord, alice: Member) -> None:
    role = fake.add_role(alice.guild, "Admins", MANAGE_GUILD)
    await fake.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(alice.guild.id), "role": role})
    admin = join(fake, alice.guild, "ada", PLAIN_PERMISSIONS | MANAGE_GUILD)
    admin.role_ids.append(role["id"])
    reply = await admin.slash("mod settings")
    assert reply.ephemeral and reply.embed["title"] == "Server settings"


async def test_a_forged_reject_of_another_servers_impression_opens_no_form(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    other = await new_guild(fake, bot, "Elsewhere")
    their_mod = await moderator(fake, other, "max")
    await their_mod.slash("mod settings", approval=True)
    stranger = join(fake, other, "sam")
    form = await stranger.slash("impression post", series=await rouge(stranger), scope="completed")
    theirs = (await stranger.submit(form, text="Pending elsewhere.")).impression_id

    forged = (await mira.slash("about")).message
    forged["components"] = [{"type": 1, "components": [
        {"type": 2, "style": 4, "label": "Reject", "custom_id": f"mod:reject:{theirs}"},
        {"type": 2, "style": 4, "label": "Reject edit", "custom_id": "mod:reject:e999999"},
    ]}]  # fmt: skip
    for label in ("Reject", "Reject edit"):
        reply = await mira.click(forged, label)
        assert reply.callback_type == 4 and reply.ephemeral and "No " in reply.text, label
    assert rows(bot, "SELECT status FROM impressions WHERE id = ?", theirs) == [("pending",)]


async def test_a_moderator_of_another_server_changes_nothing_here_whatever_they_name(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    """Here: a featured impression, a hidden one, a pending one, an open report, a ban of a member both
    servers share, a watched series with this server's schedule. Another server's moderator names all of it
    (numbers typed, this server's buttons forged) and does the same to their own server's (the same series,
    the same member): every row of this server stays as it was. Each write's own guild filter is what
    keeps it so; removing one passed every test before this one."""
    guild = alice.guild
    rouge_ref = await rouge(alice)
    shown = (await posted(alice, "Featured here.")).impression_id
    await mira.slash("mod feature", id=str(shown))
    hidden = (await posted(join(fake, guild, "bob"), "Hidden here.")).impression_id
    await mira.slash("mod hide", id=str(hidden), reason="spoilers")
    carol = join(fake, guild, "carol")
    await carol.submit(
        await carol.context_menu("Report impression", (await alice.slash("impression show", id=str(shown))).message),
        text="Off topic.",
    )
    reports = copy.deepcopy((await mira.slash("mod reports")).message)
    await mira.slash("watch schedule", series=rouge_ref, date="2024-01-10", time="01:25")
    await mira.slash("watch add", series=rouge_ref)
    shared = fake.make_user("shared")
    await mira.slash("mod ban", member=join(fake, guild, "shared", user=shared), reason="flooding")
    await mira.slash("mod settings", approval=True)
    pending = (await posted(join(fake, guild, "dave"), "Waiting here.")).impression_id
    queue = copy.deepcopy((await mira.slash("mod queue")).message)

    elsewhere = await new_guild(fake, bot, "Elsewhere")
    theirs = await moderator(fake, elsewhere, "theirs")
    their_member = join(fake, elsewhere, "shared", user=shared)
    await theirs.slash("mod ban", member=their_member, reason="theirs to lift")
    await theirs.slash("watch schedule", series=rouge_ref, date="2024-01-11", time="02:00")
    await theirs.slash("watch add", series=rouge_ref)
    before = fingerprint(bot.settings.database, guild.id)

    for number in (shown, hidden, pending):
        for command in ("mod hide", "mod restore", "mod feature", "mod unfeature"):
            options = {"reason": "not yours"} if command == "mod hide" else {}
            refused = await theirs.slash(command, id=str(number), **options)
            assert refused.ephemeral and refused.text.startswith(f"No impression #{number}"), (command, refused.text)
    for message, labels in ((reports, ("Hide impression", "Dismiss")), (queue, ("Approve",))):
        for label in labels:
            assert (await theirs.click(message, label)).ephemeral, label
    await theirs.slash("mod unban", member=their_member)  # their own ban, of the member this server banned too
    await theirs.slash("watch remove", series=rouge_ref)  # their own watch, of the series this server watches
    await theirs.slash("watch schedule", series=rouge_ref, reset=True)  # their own schedule of it

    assert fingerprint(bot.settings.database, guild.id) == before
    for table in ("reviewer_bans", "watches", "guild_schedules"):  # while their own are gone
        assert rows(bot, f"SELECT count(*) FROM {table} WHERE guild_id = ?", elsewhere.id) == [(0,)], table
        assert rows(bot, f"SELECT count(*) FROM {table} WHERE guild_id = ?", guild.id) == [(1,)], table


# -- D. redelivery and repeats ------------------------------------------------------------------------


async def test_an_interaction_delivered_twice_is_processed_once(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member, caplog: pytest.LogCaptureFixture
) -> None:
    number = (await posted(alice, "First words.")).impression_id
    form = await alice.slash("impression edit", id=str(number))
    submission = alice._interaction(5, {"custom_id": form.modal["custom_id"], "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": "text", "value": "Second words."}]}]})  # fmt: skip
    bob = join(fake, alice.guild, "bob")
    ban = mira._interaction(2, mira._command_data("mod ban", {"member": bob, "reason": "spam"}))
    audit_before = rows(bot, "SELECT count(*) FROM audit_log")

    with caplog.at_level(logging.INFO, logger="bot"):
        for payload in (submission, ban):
            await (alice if payload is submission else mira).send(payload)
            await fake.dispatch("INTERACTION_CREATE", payload)  # Discord delivers it again after a resume
        await asyncio.sleep(0.3)

    assert rows(bot, "SELECT count(*) FROM impression_revisions WHERE impression_id = ?", number) == [(1,)]
    assert rows(bot, "SELECT count(*) FROM audit_log")[0][0] == audit_before[0][0] + 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("second delivery" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("kind", [2, 4], ids=["command", "keystroke"])
async def test_an_interaction_discord_py_cannot_read_is_answered_with_an_error_id_and_the_bot_runs_on(
    alice: Member, caplog: pytest.LogCaptureFixture, kind: int
) -> None:
    # A channel the bot never saw, described partially (no position): discord.py raises KeyError while
    # reading the interaction, in the gateway's loop, which used to end the bot's connection.
    data = alice._command_data("series lookup", {"title": "metallic rouge"}, focused="title" if kind == 4 else None)
    payload = alice._interaction(kind, data, channel_id=alice.fake.snowflake())
    with caplog.at_level(logging.ERROR, logger="bot"):
        reply = await alice.send(payload)
    if kind == 4:
        assert reply.choices == []
    else:
        assert reply.ephemeral and "Something went wrong on our side" in reply.text
        [error_id] = re.findall(r"`([0-9a-f]{8})`", reply.text)
        assert any(error_id in r.getMessage() and r.exc_info for r in caplog.records), "no log line with its id"
    card = await alice.slash("series lookup", title="metallic rouge")  # the gateway is still there
    assert card.embed["title"] == "Metallic Rouge"


async def test_an_edit_that_changes_nothing_and_a_second_ban_write_nothing(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    number = (await posted(alice, "Same words.", overall=7)).impression_id
    same = await alice.submit(await alice.slash("impression edit", id=str(number), overall=7), text="Same words.")
    assert same.ephemeral and "Nothing changed" in same.text
    assert rows(bot, "SELECT count(*) FROM impression_revisions WHERE impression_id = ?", number) == [(0,)]

    bob = join(fake, alice.guild, "bob")
    await mira.slash("mod ban", member=bob, reason="spam", duration="7d")
    audit = rows(bot, "SELECT count(*) FROM audit_log")
    again = await mira.slash("mod ban", member=bob, reason="more spam")
    assert again.ephemeral and "already banned" in again.content and "nothing was changed" in again.content
    assert rows(bot, "SELECT count(*) FROM audit_log") == audit
    assert rows(bot, "SELECT reason, expires_at IS NOT NULL FROM reviewer_bans WHERE user_id = ?", bob.id) == [
        ("spam", 1)
    ]


# -- E. abuse -----------------------------------------------------------------------------------------


async def test_the_posting_limit_stops_a_flood_but_not_moderators(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    settings = await mira.slash("mod settings", post_limit=2)
    assert any(f["value"] == "2 per hour" for f in settings.embed["fields"])
    for episodes in (1, 2):
        await posted(alice, f"Episode {episodes}.", episodes=episodes)

    refused = await alice.slash("impression post", series=await rouge(alice), scope="episodes", episodes=3)

    assert refused.ephemeral and "this server's limit; try again in 60 minutes" in refused.text
    assert rows(bot, "SELECT count(*) FROM impressions WHERE author_id = ?", alice.id) == [(2,)]
    for episodes in (1, 2, 3):
        assert not (await posted(mira, f"Moderator {episodes}.", episodes=episodes)).ephemeral


async def test_a_second_impression_of_the_same_episodes_offers_an_edit(
    bot: ReviewBot, fake: FakeDiscord, alice: Member
) -> None:
    number = (await posted(alice, "First take.", episodes=2, overall=6)).impression_id

    offer = await alice.slash("impression post", series=await rouge(alice), scope="episodes", episodes=2, overall=8)

    assert offer.ephemeral and f"You already posted impression #{number}" in offer.text
    assert rows(bot, "SELECT count(*) FROM impressions WHERE author_id = ?", alice.id) == [(1,)]
    assert (await join(fake, alice.guild, "bob").click(offer, f"Edit #{number} instead")).ephemeral  # not theirs
    form = await alice.click(offer, f"Edit #{number} instead")
    assert form.modal["components"][0]["components"][0]["value"] == "First take."
    await alice.submit(form, text="Second take.")
    assert rows(bot, "SELECT text, score_overall FROM impressions WHERE id = ?", number) == [("Second take.", 8)]


async def test_every_category_is_an_optional_bounded_score_option(fake: FakeDiscord, alice: Member) -> None:
    # The seven options are built from CATEGORIES at start: each category once, bounded, described.
    for path, help_word in (("impression post", "unevaluated"), ("impression edit", "unchanged")):
        command, rest = alice._command(path)
        options = next(o for o in command["options"] if o["name"] == rest[0])["options"]
        scores = [o for o in options if o["name"] in CATEGORY_FIELDS]
        assert [o["name"] for o in scores] == list(CATEGORY_FIELDS), path
        for option, (_, name, _) in zip(scores, CATEGORIES, strict=True):
            assert (option["min_value"], option["max_value"], option.get("required", False)) == (1, 10, False)
            assert name.lower() in option["description"].lower() and help_word in option["description"]
        assert options[-1]["name"] == "spoiler", path  # the scores come before the last option, as before


# -- F. settings on a fresh server --------------------------------------------------------------------


async def test_every_subset_of_settings_works_on_a_fresh_server(bot: ReviewBot, fake: FakeDiscord) -> None:
    names = ("approval", "announce_channel", "queue_channel", "mod_role", "post_limit")
    for size in range(len(names) + 1):
        for subset in itertools.combinations(names, size):
            guild = await new_guild(fake, bot, f"Fresh {size}")
            mod = await moderator(fake, guild, "fresh")
            role = fake.add_role(guild, "Curators")
            await fake.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role})
            values = {
                "approval": True,
                "announce_channel": await channel(fake, guild, "a"),
                "queue_channel": await channel(fake, guild, "q"),
                "mod_role": role,
                "post_limit": 0,
            }
            reply = await mod.slash("mod settings", **{name: values[name] for name in subset})
            assert reply.ephemeral and reply.embed["title"] == "Server settings", (subset, reply.text)


async def test_the_cards_short_form_tells_a_duplicate_only_once_the_scope_is_known(
    bot: ReviewBot, alice: Member
) -> None:
    await posted(alice, "All of it.", scope="completed")
    card = await alice.slash("series lookup", title=await rouge(alice))

    episodes = await alice.submit(await alice.click(card, "Post impression"), text="Three in.", episodes="3")
    assert not episodes.ephemeral
    again = await alice.submit(await alice.click(card, "Post impression"), text="All again.", episodes="completed")

    assert again.ephemeral and "You already posted impression" in again.text and "All again." in again.text
    assert again.component("Edit #" + again.text.split("impression #")[1].split(" ")[0] + " instead")
    texts = rows(bot, "SELECT text FROM impressions WHERE author_id = ? ORDER BY id", alice.id)
    assert texts == [("All of it.",), ("Three in.",)]
