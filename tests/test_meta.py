"""Meta-tests over the command tree, as python-discord does."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.client import ReviewBot


def _walk(
    commands: list[app_commands.Command | app_commands.Group],
) -> list[app_commands.Command | app_commands.Group]:
    found: list[app_commands.Command | app_commands.Group] = []
    for command in commands:
        found.append(command)
        if isinstance(command, app_commands.Group):
            found += _walk(list(command.commands))
    return found


async def test_every_command_is_described_and_names_never_clash(bot: ReviewBot) -> None:
    top_level = bot.tree.get_commands(type=discord.AppCommandType.chat_input)
    names = [command.name for command in top_level]
    assert len(names) == len(set(names))
    for command in _walk(top_level):  # type: ignore[arg-type]
        assert command.description and command.description != "…", command.qualified_name
        if isinstance(command, app_commands.Command):
            for parameter in command.parameters:
                assert parameter.description and parameter.description != "…", (
                    f"/{command.qualified_name} {parameter.name} has no description"
                )
