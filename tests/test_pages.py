"""One pager for every list: the approval queue, the open reports and the audit log page like impressions."""

from __future__ import annotations

import copy

import pytest

from bot.client import ReviewBot
from tests.approval_helpers import post_pending
from tests.fakediscord import FakeDiscord, Member
from tests.harness import join

pytestmark = pytest.mark.both_backends


async def test_the_queue_pages_through_everything_waiting_and_decides_from_any_page(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    await mira.slash("mod settings", approval=True)
    first = await post_pending(alice, "First in line.")
    bob = join(fake, alice.guild, "bob")
    second = await post_pending(bob, "Second in line.")

    queue = await mira.slash("mod queue")
    assert queue.ephemeral and queue.content.startswith("2 waiting") and queue.impression_id == first
    later = await mira.click(queue, "Next")
    assert later.impression_id == second and later.component("2 / 2")
    approved = await mira.click(later, "Approve")
    assert approved.message["content"].startswith(f"Impression #{second} was approved by")
    assert (await mira.slash("mod queue")).content.startswith("1 waiting")


async def test_reports_and_the_audit_log_page_too(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    cards = []
    for episodes in (1, 2):
        form = await alice.slash("impression post", series="series:1", scope="episodes", episodes=episodes)
        cards.append(await alice.submit(form, text=f"Episode {episodes}."))
    bob = join(fake, alice.guild, "bob")
    for card in cards:
        await bob.submit(await bob.context_menu("Report impression", card.message), text="Please look.")

    reports = await mira.slash("mod reports")
    assert reports.component("1 / 2")
    nxt = await mira.click(reports, "Next")
    assert f"impression #{cards[1].impression_id}" in nxt.embeds[0]["title"] and nxt.component("Hide impression")

    for n in range(11):
        await mira.slash("mod feature" if n % 2 == 0 else "mod unfeature", id=str(cards[0].impression_id))
    log = await mira.slash("mod log")
    assert log.component("1 / 2") and log.embed["footer"]["text"].startswith("Page 1 of 2")
    first_page = copy.deepcopy(log.last)
    older = await mira.click(log, "Next")
    assert older.embed["footer"]["text"].startswith("Page 2 of 2")
    assert (await alice.click(first_page, "Next")).ephemeral  # not alice's pages


async def test_a_forged_pager_button_is_answered_and_shows_nothing(alice: Member) -> None:
    message = copy.deepcopy((await alice.slash("about")).message)
    for custom_id in (f"pg:s:{alice.id}:0:abc:n", f"pg:l:{alice.id}:3:x.1:n", f"pg:m:{alice.id}:0:1.2:n"):
        button = {"type": 2, "style": 1, "label": "Next", "custom_id": custom_id}
        reply = await alice.press({**message, "components": [{"type": 1, "components": [button]}]},
                                  {"custom_id": custom_id, "component_type": 2})  # fmt: skip
        assert reply.ephemeral and "This button is not valid" in reply.text, custom_id
