from __future__ import annotations

import discord

from bot.render import COLOUR_ERROR


def render_user_error(message: str) -> discord.Embed:
    return discord.Embed(description=message, colour=COLOUR_ERROR)


def render_internal_error(error_id: str) -> discord.Embed:
    return discord.Embed(
        title="Something went wrong on our side",
        description=(
            "The bot hit an unexpected error while handling that. "
            f"If it keeps happening, tell the bot's operator this error id: `{error_id}`."
        ),
        colour=COLOUR_ERROR,
    )
