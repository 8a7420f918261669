"""With approval on, impressions wait for a moderator; Approve / Reject work from the queue, after a restart too."""

from __future__ import annotations

import asyncio
import copy

import pytest

from bot.client import ReviewBot
from tests.approval_helpers import post_pending, status_of
from tests.fakediscord import FakeDiscord, FakeGuild, Member
from tests.harness import answers_withheld, join, moderator, new_guild

pytestmark = pytest.mark.both_backends


@pytest.fixture
async def queue_channel(fake: FakeDiscord, guild: FakeGuild, mira: Member) -> dict[str, str]:
    channel = fake.add_channel(guild, "mod-queue")
    await fake.dispatch("CHANNEL_CREATE", {**channel, "guild_id": str(guild.id)})
    await mira.slash("mod settings", approval=True, queue_channel=channel)
    while not fake.channel_posts.empty():
        fake.channel_posts.get_nowait()
    return channel


async def test_a_pending_impression_is_seen_only_by_its_author_and_moderators(
    fake: FakeDiscord, alice: Member, mira: Member, queue_channel: dict[str, str]
) -> None:
    number = await post_pending(alice)
    bob = join(fake, alice.guild, "bob")

    queued = await asyncio.wait_for(fake.channel_posts.get(), 5)
    assert queued["channel_id"] == queue_channel["id"]
    assert [c["label"] for c in queued["components"][0]["components"]] == ["Approve", "Reject"]

    assert (await bob.slash("impression show", id=str(number))).ephemeral
    assert not (await alice.slash("impression show", id=str(number), private=True)).text.startswith("No impression")
    card = await bob.slash("series lookup", title="metallic rouge")
    ratings = next(f["value"] for f in card.embed["fields"] if f["name"].startswith("Ratings"))
    assert f"#{number}" not in ratings

    stale = copy.deepcopy(queued)  # what another moderator's client still shows after the decision
    for label in ("Approve", "Reject"):
        refused = await bob.click(queued, label)
        assert refused.ephemeral and "Only moderators" in refused.text, label

    approved = await mira.click(queued, "Approve")
    assert approved.message["content"].startswith(f"Impression #{number} was approved by")
    assert not (await bob.slash("impression show", id=str(number))).ephemeral

    otto = await moderator(fake, alice.guild, "otto")
    again = await otto.click(stale, "Approve")
    assert again.ephemeral
    assert f"Impression #{number} was already decided: published by <@{mira.id}>" in again.content


async def test_rejecting_asks_for_a_reason_and_tells_the_author(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member, queue_channel: dict[str, str]
) -> None:
    number = await post_pending(alice)

    queue = await mira.slash("mod queue")
    assert queue.ephemeral and "waiting for approval" in queue.content
    form = await mira.click(queue, "Reject")
    assert form.modal["title"] == f"Reject impression #{number}"
    empty = await mira.submit(form, text="   ")
    assert empty.ephemeral and "Give a reason" in empty.text
    assert status_of(bot.settings.database, number) == "pending"

    rejected = await mira.submit(form, text="Please mark spoilers.")
    assert rejected.callback_type == 7
    assert rejected.message["content"].startswith(f"Impression #{number} was rejected by")
    assert status_of(bot.settings.database, number) == "rejected"

    nudge = await alice.slash("about")
    for _ in range(100):
        if nudge.followups:
            break
        await asyncio.sleep(0.02)
    assert "Please mark spoilers." in nudge.followups[0]["embeds"][0]["description"]


async def test_a_forged_approve_for_another_servers_impression_is_refused(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member, queue_channel: dict[str, str]
) -> None:
    number = await post_pending(alice)
    other = await new_guild(fake, bot, "Elsewhere")
    their_mod = await moderator(fake, other, "max")
    # A modified client shows a message of its own server with another server's id in the button.
    forged = copy.deepcopy((await their_mod.slash("about")).message)
    button = {"type": 2, "style": 3, "label": "Approve", "custom_id": f"mod:approve:{number}"}
    forged["components"] = [{"type": 1, "components": [button]}]
    reply = await their_mod.click(forged, "Approve")
    assert reply.ephemeral and f"No impression #{number} in this server." in reply.text
    assert status_of(bot.settings.database, number) == "pending"


async def approved(fake: FakeDiscord, author: Member, moderator: Member, text: str) -> int:
    number = await post_pending(author, text=text)
    await moderator.click(await asyncio.wait_for(fake.channel_posts.get(), 5), "Approve")
    return number


async def test_an_edit_waits_for_approval_while_the_approved_version_stays_visible(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member, queue_channel: dict[str, str]
) -> None:
    number = await approved(fake, alice, mira, "v1, approved")
    bob = join(fake, alice.guild, "bob")

    edited = await alice.submit(await alice.slash("impression edit", id=str(number)), text="v2, with a slur")

    assert edited.ephemeral and "stays as it was" in edited.content and "v2, with a slur" in edited.embed["description"]
    assert status_of(bot.settings.database, number) == "published"
    shown = await bob.slash("impression show", id=str(number))
    assert not shown.ephemeral and "v1, approved" in shown.embed["description"]
    card = await bob.slash("series lookup", title="metallic rouge")
    assert f"#{number}" in next(f["value"] for f in card.embed["fields"] if f["name"].startswith("Ratings"))

    queued = await asyncio.wait_for(fake.channel_posts.get(), 5)
    assert queued["channel_id"] == queue_channel["id"]
    assert queued["content"] == f"Edit of impression #{number} waiting for approval"
    assert "v2, with a slur" in queued["embeds"][0]["description"]
    await mira.click(queued, "Approve")

    assert "v2, with a slur" in (await bob.slash("impression show", id=str(number))).embed["description"]
    assert status_of(bot.settings.database, number) == "published"


async def test_a_rejected_edit_leaves_the_approved_version_and_tells_the_author(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member, queue_channel: dict[str, str]
) -> None:
    number = await approved(fake, alice, mira, "v1, approved")
    await alice.submit(await alice.slash("impression edit", id=str(number)), text="v2, rude")
    queued = await asyncio.wait_for(fake.channel_posts.get(), 5)

    form = await mira.click(queued, "Reject")
    rejected = await mira.submit(form, text="Keep it civil")

    assert rejected.message["content"].startswith(f"The edit of impression #{number} was rejected by")
    shown = await alice.slash("impression show", id=str(number))
    assert "v1, approved" in shown.message["embeds"][0]["description"]
    for _ in range(100):  # the notice follows the answer to the member's next command
        if shown.followups:
            break
        await asyncio.sleep(0.02)
    notice = shown.followups[0]["embeds"][0]["description"]
    assert f"rejected your edit of impression #{number}: Keep it civil" in notice


async def test_a_forged_non_numeric_button_is_answered_and_changes_nothing(
    bot: ReviewBot, alice: Member, mira: Member, queue_channel: dict[str, str]
) -> None:
    number = await post_pending(alice)
    forged = copy.deepcopy((await mira.slash("about")).message)
    button = {"type": 2, "style": 3, "label": "Approve", "custom_id": "mod:approve:abc"}
    forged["components"] = [{"type": 1, "components": [button]}]
    reply = await mira.click(forged, "Approve")
    assert reply.ephemeral and "This button is not valid" in reply.text
    assert status_of(bot.settings.database, number) == "pending"


async def test_an_impression_hidden_just_after_its_approval_is_not_announced_and_the_approver_sees_no_error(
    fake: FakeDiscord, alice: Member, mira: Member, queue_channel: dict[str, str]
) -> None:
    """The approval announces after it answers; after a hide in between (another moderator) it read the
    impression as nobody may see it, and told the approving moderator "No impression #N in this server"."""
    announce = fake.add_channel(alice.guild, "announcements")
    await fake.dispatch("CHANNEL_CREATE", {**announce, "guild_id": str(alice.guild.id)})
    await mira.slash("mod settings", announce_channel=announce)
    number = await post_pending(alice, "Approved, then hidden at once.")
    queued = await asyncio.wait_for(fake.channel_posts.get(), 5)
    otto = await moderator(fake, alice.guild, "otto")
    async with answers_withheld(fake, mira) as held:  # the approval is written; its answer not yet heard
        approving = asyncio.create_task(mira.click(queued, "Approve"))
        await asyncio.wait_for(held.wait(), 5)
        await otto.slash("mod hide", id=str(number), reason="Spoilers after all")
    await approving
    await asyncio.sleep(0.5)  # the approval's announcement, if it were made

    def shown_in_announcements() -> list[str]:
        return [
            str(message.get("embeds"))
            for message in fake.messages.values()
            if message["channel_id"] == announce["id"] and message.get("embeds")
        ]

    assert not any("Approved, then hidden at once." in shown for shown in shown_in_announcements())
    # Nor is the moderator told, after "approved", that the impression does not exist.
    assert not any(f"No impression #{number}" in str(message.get("embeds")) for message in fake.messages.values())
