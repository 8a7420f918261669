"""The one pager's look: First / Prev / page / Next / Last, with the pager's state in each button's id.

A pager button's custom_id is `pg:<source>:<owner>:<page>:<args>:<role>`: which list, who asked, the
page the button leads to, the list's arguments, and which button (so two buttons leading to the same
page keep distinct ids). Nothing is kept in memory, so the buttons work after a restart.
"""

from __future__ import annotations

import discord

from bot.render import persistent_view

PAGER_TEMPLATE = (
    r"pg:(?P<source>[smlqra]):(?P<owner>\d{1,20}):(?P<page>\d{1,6}):(?P<args>[\w.-]{0,50}):(?P<role>[fpcnl])"
)


def pager_id(source: str, owner_id: int, page: int, args: str, role: str) -> str:
    return f"pg:{source}:{owner_id}:{page}:{args}:{role}"


def render_pager(
    source: str,
    owner_id: int,
    args: str,
    page: int,
    total: int,
    actions: list[discord.ui.Item[discord.ui.View]] | None = None,
) -> discord.ui.View:
    """The pager row, after the page's own action buttons (with one page: all disabled, "1 / 1")."""
    buttons = list(actions or [])
    last = total - 1
    row = 1 if actions else 0
    for label, role, target, disabled, style in (
        ("First", "f", 0, page <= 0, discord.ButtonStyle.secondary),
        ("Prev", "p", max(0, page - 1), page <= 0, discord.ButtonStyle.primary),
        (f"{page + 1} / {total}", "c", page, True, discord.ButtonStyle.secondary),
        ("Next", "n", min(last, page + 1), page >= last, discord.ButtonStyle.primary),
        ("Last", "l", last, page >= last, discord.ButtonStyle.secondary),
    ):
        custom_id = pager_id(source, owner_id, target, args, role)
        buttons.append(discord.ui.Button(label=label, custom_id=custom_id, style=style, disabled=disabled, row=row))
    return persistent_view(*buttons)
