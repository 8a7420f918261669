"""The only layer that builds embeds, views and modals."""

from __future__ import annotations

from typing import Any

import discord

# One palette for every card, so the bot looks like one product.
COLOUR_CARD = discord.Colour(0x2E6DB4)
COLOUR_ERROR = discord.Colour(0xC0392B)
COLOUR_OK = discord.Colour(0x2E8B57)
TEXT_INPUT_ID = "text"  # the custom_id of the one text input of impression and reason forms


def shorten(text: str, limit: int) -> str:
    """Cut to `limit` characters with an ellipsis, for Discord's field and label limits."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def persistent_view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A message's buttons, answered by the bot's registered persistent items (from their custom_id),
    never by this object: it is stopped at once, so discord.py keeps no copy of it per message sent
    (a store that would otherwise grow with every card for as long as the bot runs)."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()
    return view
