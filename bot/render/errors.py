from __future__ import annotations

import discord

from bot.errors import UserFacingError
from bot.render import COLOUR_ERROR
from bot.render.text import md

ECHO_MAX = 120  # how much of a member's own input an error repeats


def user_error_text(error: str | UserFacingError) -> str:
    """The sentence of an error, with whatever a member or dataset wrote in it escaped."""
    if isinstance(error, UserFacingError):
        return error.render(lambda value: md(value, ECHO_MAX, newlines=False))
    return error


def render_user_error(error: str | UserFacingError) -> discord.Embed:
    return discord.Embed(description=user_error_text(error), colour=COLOUR_ERROR)


def render_internal_error(error_id: str) -> discord.Embed:
    return discord.Embed(
        title="Something went wrong on our side",
        description=(
            "The bot hit an unexpected error while handling that. "
            f"If it keeps happening, tell the bot's operator this error id: `{error_id}`."
        ),
        colour=COLOUR_ERROR,
    )
