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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from re import Match, Pattern
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.errors import ONLY_CURATORS, ONLY_MODERATORS, ONLY_OWNERS

LEVEL_KEY = "level"
T = TypeVar("T")


class Level(StrEnum):
    MEMBER = "member"
    AUTHOR = "author"
    MODERATOR = "moderator"
    CURATOR = "curator"
    OWNER = "owner"


PRIVILEGED = frozenset({Level.MODERATOR, Level.CURATOR, Level.OWNER})

REFUSALS = {Level.MODERATOR: ONLY_MODERATORS, Level.CURATOR: ONLY_CURATORS, Level.OWNER: ONLY_OWNERS}


class LevelRefused(app_commands.CheckFailure):
    """Raised before a command runs; its message is the refusal the member sees."""


class OptionRefused(app_commands.CheckFailure):
    """An option value outside what the command published (Discord's client keeps to it; a forged or
    replayed interaction need not, and discord.py does not check on receipt)."""


SUBCOMMAND_TYPES = (1, 2)  # a subcommand and a group of them: options that hold the command's own options


def option_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The values an application command's interaction gives its options, by name, read from the
    interaction's data (below its subcommand and group). The level check runs before discord.py builds
    its namespace: a namespace built for the check was built twice (0.7 µs here, 2.7 for a namespace)."""
    options = data.get("options") or []
    while len(options) == 1 and options[0].get("type") in SUBCOMMAND_TYPES:
        options = options[0].get("options") or []
    return {option["name"]: option.get("value") for option in options if "name" in option}


def published_bounds_problem(command: object, values: Mapping[str, Any]) -> str | None:
    """A sentence when an option's value breaks its published choices, range or length; None when all keep."""
    for parameter in getattr(command, "parameters", []):
        value = values.get(parameter.display_name)
        if value is None:
            continue
        name = parameter.display_name
        if parameter.choices and value not in {choice.value for choice in parameter.choices}:
            allowed = ", ".join(str(choice.name) for choice in parameter.choices)
            return f"{name} is one of: {allowed}."
        if parameter.type is discord.AppCommandOptionType.string and isinstance(value, str):
            low, high, size = parameter.min_value, parameter.max_value, len(value)
            if (low is not None and size < low) or (high is not None and size > high):
                return f"{name} has {low or 0} to {high} characters."
        elif isinstance(value, int | float) and parameter.type in (
            discord.AppCommandOptionType.integer, discord.AppCommandOptionType.number,
        ):  # fmt: skip
            low, high = parameter.min_value, parameter.max_value
            if (low is not None and value < low) or (high is not None and value > high):
                return f"{name} goes from {low} to {high}, not {value}."
    return None


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
