"""Persistent buttons: a queue message posted before a restart is still answered after it.

Its own module: it runs its own bot twice, so no shared module bot may be connected meanwhile.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from tests.approval_helpers import post_pending, status_of
from tests.fakediscord import FakeDiscord
from tests.harness import join, moderator, new_guild, running_bot


async def test_approve_buttons_keep_working_after_a_restart(
    fake: FakeDiscord, tmp_path: Path, seeded_database: Path
) -> None:
    database = tmp_path / "reviews.sqlite3"
    shutil.copyfile(seeded_database, database)
    async with running_bot(fake, database) as first:
        guild = await new_guild(fake, first, "Restart Club")
        alice = join(fake, guild, "alice")
        mira = await moderator(fake, guild, "mira")
        channel = fake.add_channel(guild, "mod-queue")
        await fake.dispatch("CHANNEL_CREATE", {**channel, "guild_id": str(guild.id)})
        await mira.slash("mod settings", approval=True, queue_channel=channel)
        while not fake.channel_posts.empty():
            fake.channel_posts.get_nowait()
        number = await post_pending(alice)
        queued = await asyncio.wait_for(fake.channel_posts.get(), 5)

    async with running_bot(fake, database):
        approved = await mira.click(queued, "Approve")

    assert approved.message["content"].startswith(f"Impression #{number} was approved by")
    assert status_of(database, number) == "published"


async def test_pages_keep_turning_after_a_restart_and_only_for_who_asked(
    fake: FakeDiscord, tmp_path: Path, seeded_database: Path
) -> None:
    database = tmp_path / "reviews.sqlite3"
    shutil.copyfile(seeded_database, database)
    async with running_bot(fake, database) as first:
        guild = await new_guild(fake, first, "Pager Club")
        alice = join(fake, guild, "alice")
        bob = join(fake, guild, "bob")
        numbers = []
        for episodes in (1, 2, 3):
            form = await alice.slash("impression post", series="series:1", scope="episodes", episodes=episodes)
            numbers.append((await alice.submit(form, text=f"Episode {episodes}.")).impression_id)
        pages = await alice.slash("impression mine")
        assert pages.impression_id == numbers[-1] and pages.component("1 / 3")

    async with running_bot(fake, database):  # a new process: nothing of the pager is in memory
        refused = await bob.click(pages, "Next")
        assert refused.ephemeral and "run the command yourself" in refused.text
        second = await alice.click(pages, "Next")
        assert second.impression_id == numbers[1] and second.component("2 / 3")
        last = await alice.click(second, "Last")
        assert last.impression_id == numbers[0] and last.component("Next")["disabled"]
        back = await alice.click(last, "First")
        assert back.impression_id == numbers[-1]
