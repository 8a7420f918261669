from __future__ import annotations

from pathlib import Path

from bot.client import ReviewBot
from tests.fakediscord import FakeDiscord


async def test_bot_reaches_ready_and_publishes_a_valid_command_list(bot: ReviewBot, fake: FakeDiscord) -> None:
    assert bot.is_ready()
    assert bot.user is not None and bot.user.id == fake.application_id
    names = {command["name"] for command in fake.global_commands}
    # The fake refuses (and records) a command list that breaks Discord's naming or size rules.
    assert {"about", "admin"} <= names
    assert all(command["description"] for command in fake.global_commands if command["type"] == 1)


def cog_files() -> list[str]:
    folder = Path(__file__).resolve().parent.parent / "cogs"
    return sorted(f"cogs.{path.stem}" for path in folder.glob("*.py") if not path.stem.startswith("_"))


async def test_every_cog_module_is_loaded(bot: ReviewBot) -> None:
    # Compared with the files themselves, not with the list the client builds, so a module the
    # discovery skips (or a typo in it) fails here.
    expected = cog_files()
    assert expected == sorted(bot.extensions)
    assert {"cogs.meta", "cogs.moderation", "cogs.impressions"} <= set(expected)
