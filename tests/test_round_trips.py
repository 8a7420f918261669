"""Speed by construction: each answer waits for at most one trip to the database, and nothing after
the answer makes another (counted through the store's counter, not timed)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.client import ReviewBot
from tests.fakediscord import FakeDiscord, FakeGuild, Member, Reply
from tests.harness import interactions_left_for_the_collector, join

pytestmark = pytest.mark.both_backends


async def fewest_trips(bot: ReviewBot, fake: FakeDiscord, action: Callable[[], Awaitable[Reply]]) -> tuple[int, int]:
    """The trips one interaction made before it was answered, and after (the completion listeners);
    the least of three tries, so a background read that happens to land beside one (the lookup
    index's revision check) is not counted."""
    counts = []
    fake.probe_at_answer = lambda: bot.store.db.round_trips
    try:
        for _ in range(3):
            before = bot.store.db.round_trips
            reply = await action()
            if reply.callback_type != 8:  # autocomplete answers with choices, not a message
                assert not reply.text.startswith("Something went wrong"), reply.text
            await asyncio.sleep(0.05)  # the completion listeners run after the answer
            assert isinstance(reply.sent.probed, int)
            counts.append((reply.sent.probed - before, bot.store.db.round_trips - reply.sent.probed))
    finally:
        fake.probe_at_answer = None
    return min(counts)


async def test_lookup_show_and_autocomplete_each_wait_for_one_trip_at_most(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, alice: Member
) -> None:
    [choice, *_] = await alice.autocomplete("impression post", "series", "metallic rouge")
    series = str(choice["value"])
    for n, name in enumerate(("bob", "carol", "dave")):
        member = join(fake, guild, name)
        form = await member.slash("impression post", series=series, scope="episodes", episodes=1, overall=5 + n)
        await member.submit(form, text=f"Impression {n}.")
    form = await alice.slash("impression post", series=series, scope="completed", overall=9)
    number = (await alice.submit(form, text="Mine.")).impression_id

    lookup = await fewest_trips(bot, fake, lambda: alice.slash("series lookup", title=series))
    show = await fewest_trips(bot, fake, lambda: alice.slash("impression show", id=str(number)))
    private = await fewest_trips(bot, fake, lambda: alice.slash("impression show", id=str(number), private=True))
    typed = await fewest_trips(bot, fake, lambda: alice.autocomplete_reply("series lookup", "title", "rouge"))
    mine = await fewest_trips(bot, fake, lambda: alice.autocomplete_reply("impression show", "id", ""))
    assert (lookup, private, mine) == ((1, 0), (1, 0), (1, 0))
    # A keystroke reads the lookup index only, text inside a word included: no trip at all.
    assert typed == (0, 0)
    # A public card is recorded after the answer (so hiding it later edits it): a write, on the writer.
    assert show == (1, 1)
    # A card's ratings come from the kept aggregates: four reviewers, and Alice's 9 among the scores.
    card = await alice.slash("series lookup", title=series)
    ratings = next(f["value"] for f in card.embed["fields"] if f["name"].startswith("Ratings"))
    assert "9" in ratings and card.embed["fields"]


async def test_only_a_member_with_a_notice_waiting_costs_a_read_after_the_answer(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, alice: Member, mira: Member
) -> None:
    [choice, *_] = await alice.autocomplete("impression post", "series", "metallic rouge")
    form = await alice.slash("impression post", series=str(choice["value"]), scope="episodes", episodes=2)
    number = (await alice.submit(form, text="Slow and lovely.")).impression_id
    await mira.slash("mod hide", id=str(number), reason="Spoilers in the text")
    assert (guild.id, alice.id) in bot.store.db.noticed

    before = bot.store.db.round_trips
    nudge = await alice.slash("about")
    for _ in range(100):
        if nudge.followups:
            break
        await asyncio.sleep(0.02)
    assert "Spoilers in the text" in str(nudge.followups), "the author is told why, once"
    assert bot.store.db.round_trips - before >= 2  # the read and the write that delivered it
    assert (guild.id, alice.id) not in bot.store.db.noticed
    # Delivered: no read after the answer any more.
    assert (await fewest_trips(bot, fake, lambda: alice.slash("impression mine")))[1] == 0


async def test_cards_and_lists_leave_no_view_behind_in_memory(bot: ReviewBot, alice: Member) -> None:
    # Their buttons are answered by the registered persistent items; a copy kept per message sent
    # would grow for as long as the bot runs (discord.py's view store, read here as the only way to see it).
    views = bot._connection._view_store
    [choice, *_] = await alice.autocomplete("impression post", "series", "metallic rouge")
    for _ in range(5):
        card = await alice.slash("series lookup", title=str(choice["value"]))
        await alice.slash("impression mine")
    assert (len(views._views), len(views._synced_message_views)) == (0, 0)
    listing = await alice.click(card, "Impressions")  # and the buttons still work
    assert listing.ephemeral and "No impressions of this series here yet" in listing.text


async def test_answered_interactions_are_freed_at_once_not_left_for_the_collector(
    bot: ReviewBot, alice: Member
) -> None:
    # discord.py's Interaction and its response object refer to each other: unless the bot breaks that
    # cycle, every interaction waits for a full collection, which a burst makes long (bench e2e).
    [choice, *_] = await alice.autocomplete("series lookup", "title", "metallic rouge")
    async with interactions_left_for_the_collector() as left:
        card = await alice.slash("series lookup", title=str(choice["value"]))  # answered, completion listeners
        await alice.click(card, "Impressions")  # a button of the card
        form = await alice.click(card, "Post impression")  # a button that opens a form
        await alice.submit(form, text="Seen it.")  # the form
        form = await alice.slash("impression post", series=str(choice["value"]), scope="completed")
        number = str((await alice.submit(form, text="Seen it all.")).impression_id)
        prompt = await alice.slash("impression delete", id=number)  # a plain view's buttons:
        await alice.click(prompt, "Cancel")
        prompt = await alice.slash("impression delete", id=number)
        not_yours = await join(alice.fake, alice.guild, "bob").click(prompt, "Delete")  # refused by its check
        await alice.click(prompt, "Delete")
        await alice.autocomplete_reply("series lookup", "title", "rouge")  # choices
        refused = await alice.slash("mod hide", id="1", reason="Not a moderator")  # the tree's check refuses
        missing = await alice.slash("impression show", id="999999")  # the command's own error
    assert refused.ephemeral and missing.ephemeral and not_yours.ephemeral
    assert left == []
