"""Moderators hide, restore, feature, ban and read the audit log; members cannot, whatever they send."""

from __future__ import annotations

import asyncio

import pytest

from bot.client import ReviewBot
from tests.fakediscord import FakeDiscord, Member, Reply
from tests.harness import audit_count, join, moderator, new_guild, peek

pytestmark = pytest.mark.both_backends


async def posted(member: Member, text: str = "Worth a look.", **options: object) -> int:
    [choice, *_] = await member.autocomplete("impression post", "series", "metallic rouge")
    form = await member.slash("impression post", series=choice["value"], scope="completed", **options)
    card = await member.submit(form, text=text)
    return card.impression_id


def audit_rows(bot: ReviewBot) -> int:
    with peek(bot.settings.database) as conn:
        return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def status_of(bot: ReviewBot, number: int) -> tuple[str, int]:
    with peek(bot.settings.database) as conn:
        return conn.execute("SELECT status, featured FROM impressions WHERE id = ?", (number,)).fetchone()


async def followups(reply: Reply, count: int = 1) -> list[dict[str, object]]:
    for _ in range(100):
        if len(reply.followups) >= count:
            break
        await asyncio.sleep(0.02)
    return reply.followups


async def test_a_member_is_refused_every_moderator_command_and_nothing_changes(
    bot: ReviewBot, fake: FakeDiscord, alice: Member
) -> None:
    number = await posted(alice)
    bob = join(fake, alice.guild, "bob")
    before = (audit_rows(bot), status_of(bot, number))
    attempts = [
        ("mod settings", {"approval": True}),
        ("mod hide", {"id": str(number), "reason": "spam"}),
        ("mod restore", {"id": str(number)}),
        ("mod feature", {"id": str(number)}),
        ("mod unfeature", {"id": str(number)}),
        ("mod ban", {"member": bob, "reason": "spam"}),
        ("mod unban", {"member": bob}),
        ("mod log", {}),
    ]
    for command, options in attempts:
        reply = await alice.slash(
            command, **options
        )  # default_permissions would hide these; a client can still send them
        assert reply.ephemeral, command
        assert "Only moderators" in reply.text, command
    assert (audit_rows(bot), status_of(bot, number)) == before


async def test_hiding_tells_the_author_why_and_restoring_brings_it_back(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    number = await posted(alice)
    bob = join(fake, alice.guild, "bob")

    done = await mira.slash("mod hide", id=str(number), reason="Off-topic rant")
    assert done.ephemeral and done.content == f"Impression #{number} is hidden."
    assert status_of(bot, number)[0] == "hidden"
    assert (await bob.slash("impression show", id=str(number))).ephemeral  # "No impression #…"

    nudge = await alice.slash("about")  # the next time alice uses the bot
    [notice] = await followups(nudge)
    assert notice["flags"] & 64
    assert f"A moderator hid your impression #{number}: Off-topic rant" in notice["embeds"][0]["description"]
    again = await alice.slash("about")
    await asyncio.sleep(0.2)
    assert again.followups == [], "a notice is delivered once"

    restored = await mira.slash("mod restore", id=str(number))
    assert restored.content == f"Impression #{number} is visible again."
    assert not (await bob.slash("impression show", id=str(number))).ephemeral

    log = await mira.slash("mod log", impression=number)
    assert "impression.hide" in log.embed["description"] and "Off-topic rant" in log.embed["description"]
    assert "impression.restore" in log.embed["description"]


async def test_a_featured_impression_leads_the_ratings_table(fake: FakeDiscord, alice: Member, mira: Member) -> None:
    first = await posted(alice, overall=6)
    bob = join(fake, alice.guild, "bob")
    await posted(bob, overall=9)

    await mira.slash("mod feature", id=str(first))

    card = await alice.slash("series lookup", title="metallic rouge")
    table = next(f["value"] for f in card.embed["fields"] if f["name"].startswith("Ratings"))
    assert table.strip("`\n").splitlines()[1].endswith(f"Alice #{first}")
    await mira.slash("mod unfeature", id=str(first))
    card = await alice.slash("series lookup", title="metallic rouge")
    table = next(f["value"] for f in card.embed["fields"] if f["name"].startswith("Ratings"))
    assert "Bob #" in table.strip("`\n").splitlines()[1]


async def test_a_banned_member_cannot_post_until_unbanned(bot: ReviewBot, alice: Member, mira: Member) -> None:
    banned = await mira.slash("mod ban", member=alice, reason="Spoiling everything", duration="7d")
    assert banned.ephemeral and "is banned from reviewing until" in banned.content

    refused = await alice.slash("impression post", series="series:1", scope="completed")
    assert refused.ephemeral and "banned from posting" in refused.text

    await mira.slash("mod unban", member=alice)
    assert await posted(alice)


@pytest.mark.parametrize(
    ("options", "answer"),
    [
        ({"reason": "  "}, "Give a reason"),
        ({"reason": "x" * 501}, "under 500 characters"),
        ({"reason": "spam", "duration": "forever"}, "A duration looks like"),
    ],
)
async def test_bad_ban_input_is_refused(
    bot: ReviewBot, alice: Member, mira: Member, options: dict[str, str], answer: str
) -> None:
    before = audit_rows(bot)
    reply = await mira.slash("mod ban", member=alice, **options)
    assert reply.ephemeral and answer in reply.text
    assert audit_rows(bot) == before


async def test_moderators_cannot_be_banned(bot: ReviewBot, fake: FakeDiscord, mira: Member) -> None:
    other = await moderator(fake, mira.guild, "otto")
    other.role_ids.append(mira.role_ids[0])
    before = audit_rows(bot)
    reply = await other.slash("mod ban", member=mira, reason="coup")
    assert reply.ephemeral and "Moderators cannot be banned" in reply.text
    assert audit_rows(bot) == before


async def test_settings_belong_to_one_server(bot: ReviewBot, fake: FakeDiscord, mira: Member) -> None:
    channel = fake.add_channel(mira.guild, "announcements")
    await fake.dispatch("CHANNEL_CREATE", {**channel, "guild_id": str(mira.guild.id)})

    shown = await mira.slash("mod settings", approval=True, announce_channel=channel)

    fields = {f["name"]: f["value"] for f in shown.embed["fields"]}
    assert fields["Approval required"] == "on"
    assert fields["Announcement channel"] == f"<#{channel['id']}>"

    other = await new_guild(fake, bot, "Elsewhere")
    their_mod = await moderator(fake, other, "max")
    theirs = {f["name"]: f["value"] for f in (await their_mod.slash("mod settings")).embed["fields"]}
    assert theirs["Approval required"] == "off"
    assert theirs["Announcement channel"] == "not set"


async def test_another_servers_moderator_cannot_touch_this_servers_impressions(
    bot: ReviewBot, fake: FakeDiscord, alice: Member
) -> None:
    number = await posted(alice)
    other = await new_guild(fake, bot, "Elsewhere")
    their_mod = await moderator(fake, other, "max")
    for command, options in [("mod hide", {"reason": "x"}), ("mod feature", {}), ("mod restore", {})]:
        reply = await their_mod.slash(command, id=str(number), **options)
        assert reply.ephemeral and f"No impression #{number} in this server." in reply.text
    assert status_of(bot, number) == ("published", 0)


async def test_a_banned_member_cannot_edit_or_report(fake: FakeDiscord, alice: Member, mira: Member) -> None:
    bob = join(fake, alice.guild, "bob")
    number = await posted(bob)
    [choice, *_] = await alice.autocomplete("impression post", "series", "metallic rouge")
    card = await alice.submit(await alice.slash("impression post", series=choice["value"], scope="completed"), text="x")
    await mira.slash("mod ban", member=bob, reason="Trolling")

    edit = await bob.slash("impression edit", id=str(number))
    assert edit.ephemeral and "banned from posting" in edit.text
    report = await bob.context_menu("Report impression", card.message)
    assert report.ephemeral and "banned from reviewing" in report.text


async def test_the_bot_itself_cannot_be_banned(bot: ReviewBot, fake: FakeDiscord, mira: Member) -> None:
    itself = join(fake, mira.guild, "impressions", user=fake.bot_user)
    before = audit_rows(bot)
    reply = await mira.slash("mod ban", member=itself, reason="test")
    assert reply.ephemeral and "Bots do not post impressions" in reply.text
    assert audit_rows(bot) == before


async def test_two_moderators_hiding_at_once_hide_once_and_tell_the_author_once(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    max_ = await moderator(fake, alice.guild, "max")
    for round_number in range(5):
        author = join(fake, alice.guild, f"author{round_number}")
        number = await posted(author, f"Round {round_number}.")
        replies = await asyncio.gather(
            mira.slash("mod hide", id=str(number), reason="Spoilers"),
            max_.slash("mod hide", id=str(number), reason="Spoilers too"),
        )
        refused = [reply for reply in replies if "already hidden" in reply.text]
        assert len(refused) == 1 and refused[0].ephemeral, [reply.text for reply in replies]
        hides = audit_count(bot.settings.database, "impression.hide", number)
        with peek(bot.settings.database) as conn:
            notices = conn.execute(
                "SELECT count(*) FROM member_notices WHERE user_id = ? AND text LIKE ?", (author.id, f"%#{number}:%")
            ).fetchone()[0]
        assert (hides, notices) == (1, 1), f"round {round_number}"
