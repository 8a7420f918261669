"""The only layer that builds embeds, views and modals."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any, ParamSpec

import discord

P = ParamSpec("P")

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


def kept_views(maxsize: int) -> Callable[[Callable[P, discord.ui.View]], Callable[P, discord.ui.View]]:
    """Like functools.lru_cache, for functions building a stopped view (shared by every message that
    shows it), except that a view pushed out is taken apart at once. A view and its items point at
    each other: one that lived through hundreds of lookups and was then dropped would wait in the
    collector's oldest generation, and 10,000 lookups of different series left about 43,000 such
    objects for each full collection (pauses of 25 ms, `python -m bot.bench e2e`). Taken apart,
    reference counting frees it on the spot."""

    def decorate(build: Callable[P, discord.ui.View]) -> Callable[P, discord.ui.View]:
        kept: OrderedDict[Hashable, discord.ui.View] = OrderedDict()

        @wraps(build)
        def cached(*args: P.args, **kwargs: P.kwargs) -> discord.ui.View:
            key = (args, tuple(sorted(kwargs.items())))
            view = kept.get(key)
            if view is not None:
                kept.move_to_end(key)
                return view
            view = kept[key] = build(*args, **kwargs)
            if len(kept) > maxsize:
                # Safe: a message's components are read from its view before its send is awaited.
                kept.popitem(last=False)[1].clear_items()
            return view

        return cached

    return decorate
