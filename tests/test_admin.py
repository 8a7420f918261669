from __future__ import annotations

from bot.client import ReviewBot
from tests.fakediscord import ADMINISTRATOR, MANAGE_GUILD, FakeDiscord, FakeGuild, Member
from tests.harness import join


async def test_an_owner_syncs_the_commands(fake: FakeDiscord, guild: FakeGuild) -> None:
    owner = join(fake, guild, "owner", user=fake.owner_user)
    puts = fake.command_puts

    reply = await owner.slash("admin sync")

    assert reply.ephemeral
    assert reply.content == f"Synced {len(fake.global_commands)} commands (global)."
    assert fake.command_puts == puts + 1


async def test_a_server_admin_who_is_not_an_owner_cannot_sync(fake: FakeDiscord, guild: FakeGuild) -> None:
    admin = join(fake, guild, "admin", MANAGE_GUILD | ADMINISTRATOR)
    puts = fake.command_puts

    reply = await admin.slash("admin sync", scope="global")

    assert reply.ephemeral
    assert "Only the bot's owners" in reply.text
    assert fake.command_puts == puts


async def test_guild_sync_without_a_dev_guild_is_explained(fake: FakeDiscord, guild: FakeGuild) -> None:
    owner = join(fake, guild, "owner", user=fake.owner_user)
    reply = await owner.slash("admin sync", scope="guild")
    assert reply.ephemeral
    assert "DEV_GUILD_ID is not set" in reply.text


async def test_the_text_fallback_syncs_for_owners_only(bot: ReviewBot, fake: FakeDiscord, alice: Member) -> None:
    owner = join(fake, alice.guild, "owner", user=fake.owner_user)
    puts = fake.command_puts
    mention = f"<@{fake.application_id}>"

    refused = await alice.say(f"{mention} sync")
    assert refused["content"] == "Only the bot's owners can do that."
    assert fake.command_puts == puts

    done = await owner.say(f"{mention} sync global")
    assert done["content"].startswith("Synced ")
    assert fake.command_puts == puts + 1
