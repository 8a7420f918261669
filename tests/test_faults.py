"""Discord misbehaves: rate limits, server errors, dropped gateways. The bot recovers and loses nothing."""

from __future__ import annotations

import asyncio

from bot.client import ReviewBot
from tests.fakediscord import FakeDiscord, Member
from tests.harness import peek


async def test_a_rate_limited_and_a_failing_announcement_still_arrives(
    bot: ReviewBot, fake: FakeDiscord, alice: Member
) -> None:
    channel = fake.add_channel(alice.guild, "announcements")
    await fake.dispatch("CHANNEL_CREATE", {**channel, "guild_id": str(alice.guild.id)})
    with peek(bot.settings.database) as conn:
        conn.execute(
            "INSERT INTO guild_settings (guild_id, announce_channel_id, updated_at) VALUES (?, ?, 'now')",
            (alice.guild.id, int(channel["id"])),
        )
    while not fake.channel_posts.empty():
        fake.channel_posts.get_nowait()
    path = f"channels/{channel['id']}/messages"
    fake.rest_faults += [("POST", path, 429), ("POST", path, 502)]

    form = await alice.slash("impression post", series="series:1", scope="completed")
    card = await alice.submit(form, text="Through the storm.")

    announced = await asyncio.wait_for(fake.channel_posts.get(), 15)
    assert announced["embeds"][0]["footer"]["text"] == card.embed["footer"]["text"]
    assert fake.faults_served == [f"429 POST {path}", f"502 POST {path}"]


async def test_the_bot_resumes_after_a_dropped_gateway(bot: ReviewBot, fake: FakeDiscord, alice: Member) -> None:
    resumes = fake.resumes
    await fake.drop_gateway(4000)  # "unknown error": discord.py resumes the session
    await asyncio.sleep(0.5)
    await fake.wait_connected()
    for _ in range(100):
        if fake.resumes > resumes:
            break
        await asyncio.sleep(0.1)
    assert fake.resumes == resumes + 1
    assert not (await alice.slash("about")).ephemeral


async def test_the_bot_identifies_afresh_when_its_session_is_gone(
    bot: ReviewBot, fake: FakeDiscord, alice: Member
) -> None:
    identifies = fake.identifies
    fake.refuse_next_resume = True  # "session timed out": the resume is refused, so a new IDENTIFY, a new READY
    await fake.drop_gateway(4009)
    await asyncio.sleep(0.5)
    await fake.wait_connected()
    for _ in range(100):
        if fake.identifies > identifies:
            break
        await asyncio.sleep(0.1)
    assert fake.identifies == identifies + 1
    for _ in range(100):  # READY, then the guilds again
        if bot.is_ready() and bot.get_guild(alice.guild.id):
            break
        await asyncio.sleep(0.1)
    assert not (await alice.slash("about")).ephemeral
