"""Members report impressions from their cards; moderators dismiss them or hide the impression."""

from __future__ import annotations

import copy

import pytest

from bot.client import ReviewBot
from tests.fakediscord import FakeDiscord, Member, Reply
from tests.harness import audit_count, join, peek

pytestmark = pytest.mark.both_backends


async def card_of(member: Member, text: str = "Spoilers everywhere, no tags.") -> Reply:
    [choice, *_] = await member.autocomplete("impression post", "series", "metallic rouge")
    form = await member.slash("impression post", series=choice["value"], scope="completed")
    return await member.submit(form, text=text)


def reports(bot: ReviewBot) -> list[tuple[str, str]]:
    with peek(bot.settings.database) as conn:
        return conn.execute("SELECT reason, status FROM reports ORDER BY id").fetchall()


async def test_a_member_reports_once_and_a_moderator_hides_the_impression(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    card = await card_of(alice)
    number = card.impression_id
    bob = join(fake, alice.guild, "bob")
    before = len(reports(bot))

    form = await bob.context_menu("Report impression", card.message)
    assert form.modal["title"] == f"Report impression #{number}"
    thanks = await bob.submit(form, text="Unmarked spoilers for the finale.")
    assert thanks.ephemeral and "is with the moderators" in thanks.content

    again = await bob.submit(await bob.context_menu("Report impression", card.message), text="Again!")
    assert again.ephemeral and "already reported" in again.text
    assert len(reports(bot)) == before + 1

    queue = await mira.slash("mod reports")
    assert queue.ephemeral
    assert "Unmarked spoilers for the finale." in queue.embeds[0]["description"]
    stale = copy.deepcopy(queue.last)
    hidden = await mira.click(queue, "Hide impression")
    assert hidden.message["content"].startswith("Report #")
    assert (await bob.slash("impression show", id=str(number))).ephemeral  # hidden now
    assert reports(bot)[-1] == ("Unmarked spoilers for the finale.", "actioned")

    late = await mira.click(stale, "Dismiss")
    assert late.ephemeral and "was already actioned by" in late.content


@pytest.mark.parametrize("gone", ["deleted by its author", "hidden"])
async def test_hiding_a_reported_impression_no_longer_shown_only_closes_its_report(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member, gone: str
) -> None:
    card = await card_of(alice)
    number = card.impression_id
    bob = join(fake, alice.guild, "bob")
    await bob.submit(await bob.context_menu("Report impression", card.message), text="Spoilers in it.")
    queue = await mira.slash("mod reports")
    if gone == "hidden":
        await mira.slash("mod hide", id=str(number), reason="Spoilers, as reported")
    else:
        await alice.click(await alice.slash("impression delete", id=str(number)), "Delete")

    def told_alice() -> list[str]:
        with peek(bot.settings.database) as conn:
            found = conn.execute("SELECT text FROM member_notices WHERE user_id = ?", (alice.id,))
            return [row[0] for row in found]

    def hides() -> int:
        return audit_count(bot.settings.database, "impression.hide", number)

    notices, hidden = told_alice(), hides()
    closed = await mira.click(queue, "Hide impression")
    # Nothing happened to the impression: no hide recorded, and its author is not told of one.
    assert (told_alice(), hides()) == (notices, hidden)
    assert f"#{number} was already {gone}; closed by" in closed.message["content"]
    assert reports(bot)[-1] == ("Spoilers in it.", "actioned")
    with peek(bot.settings.database) as conn:
        status = conn.execute("SELECT status FROM impressions WHERE id = ?", (number,)).fetchone()[0]
    assert status == ("removed" if gone != "hidden" else "hidden")


async def test_a_report_can_be_dismissed(bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member) -> None:
    card = await card_of(alice, "Perfectly fine words.")
    bob = join(fake, alice.guild, "bob")
    await bob.submit(await bob.context_menu("Report impression", card.message), text="I disagree with it.")

    queue = await mira.slash("mod reports")
    dismissed = await mira.click(queue, "Dismiss")
    assert "dismissed by" in dismissed.message["content"]
    assert not (await bob.slash("impression show", id=str(card.impression_id))).ephemeral


async def test_reporting_something_that_is_not_an_impression_card_is_explained(alice: Member) -> None:
    about = await alice.slash("about")
    reply = await alice.context_menu("Report impression", about.message)
    assert reply.ephemeral and "not an impression card" in reply.text


async def test_plain_members_cannot_resolve_reports(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    card = await card_of(alice)
    bob = join(fake, alice.guild, "bob")
    await bob.submit(await bob.context_menu("Report impression", card.message), text="Please check.")
    queue = await mira.slash("mod reports")

    for label in ("Dismiss", "Hide impression"):
        refused = await bob.click(queue, label)
        assert refused.ephemeral and "Only moderators" in refused.text
    assert reports(bot)[-1][1] == "open"
    listing = await bob.slash("mod reports")
    assert listing.ephemeral and "Only moderators" in listing.text
