"""Who may run what, declared once on every command, button and form, and checked before it runs.

The levels, from anyone to the bot's owners (in the spirit of Red's PrivilegeLevel):

- MEMBER: anyone in the server;
- AUTHOR: anyone may start it, the service then checks they wrote the impression;
- MODERATOR: guild-level Manage Messages, Manage Server or Administrator, or the server's mod role;
- CURATOR: an owner, or a moderator of a server in CURATOR_GUILD_IDS;
- OWNER: a user in OWNER_IDS (or the application's owner).

The declaration is the first line of defence; every service still checks again (the second line).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from re import Match, Pattern
from typing import Any, TypeVar

import discord
from discord import app_commands

LEVEL_KEY = "level"
T = TypeVar("T")


class Level(StrEnum):
    MEMBER = "member"
    AUTHOR = "author"
    MODERATOR = "moderator"
    CURATOR = "curator"
    OWNER = "owner"


PRIVILEGED = frozenset({Level.MODERATOR, Level.CURATOR, Level.OWNER})

REFUSALS = {
    Level.MODERATOR: "Only moderators (Manage Messages or Manage Server in this server, or its mod role) can do that.",
    Level.CURATOR: "Only curators can change the catalog (the bot's owners, or moderators of a curator server).",
    Level.OWNER: "Only the bot's owners (OWNER_IDS) can do that.",
}


class LevelRefused(app_commands.CheckFailure):
    """Raised before a command runs; its message is the refusal the member sees."""


def requires(level: Level) -> Callable[[T], T]:
    """Declare the level of a command or context menu (above or below its @command decorator)."""

    def declare(target: T) -> T:
        if isinstance(target, app_commands.Command | app_commands.ContextMenu | app_commands.Group):
            target.extras[LEVEL_KEY] = level
        else:
            target.__review_level__ = level  # type: ignore[attr-defined]  # read back by level_of
        return target

    return declare


def level_of(command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu | None) -> Level | None:
    """The declared level: on the command, on its callback, or on the group that holds it."""
    while command is not None:
        if LEVEL_KEY in command.extras:
            return Level(command.extras[LEVEL_KEY])
        declared = getattr(getattr(command, "callback", None), "__review_level__", None)
        if declared is not None:
            return Level(declared)
        command = getattr(command, "parent", None)
    return None


FormHandler = Callable[[discord.Interaction, Match[str]], Any]


@dataclass(frozen=True, slots=True)
class FormRoute:
    """A modal submission the bot answers from its custom_id alone: pattern → level → handler."""

    pattern: Pattern[str]
    level: Level
    handler: FormHandler
