from __future__ import annotations

from bot.client import ReviewBot
from tests.fakediscord import FakeDiscord


async def test_bot_reaches_ready_and_publishes_a_valid_command_list(bot: ReviewBot, fake: FakeDiscord) -> None:
    assert bot.is_ready()
    assert bot.user is not None and bot.user.id == fake.application_id
    names = {command["name"] for command in fake.global_commands}
    # The fake refuses (and records) a command list that breaks Discord's naming or size rules.
    assert {"about", "admin"} <= names
    assert all(command["description"] for command in fake.global_commands if command["type"] == 1)


async def test_every_cog_module_is_loaded(bot: ReviewBot) -> None:
    from bot.client import discover_cogs

    assert discover_cogs() == sorted(bot.extensions)
    assert "cogs.meta" in bot.extensions
