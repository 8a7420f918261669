"""/season: a season's series with this server's numbers, and what airs today in Japan."""

from __future__ import annotations

import discord

from bot.render import COLOUR_CARD
from bot.render.text import md
from bot.services.airing import JST
from bot.services.season import SeasonPage
from bot.store.season import SeasonEntry

AIRING_SHOWN = 10


def _numbers(entry: SeasonEntry) -> str:
    if not entry.impressions:
        return "no impressions here yet"
    counted = f"{entry.impressions} impression{'s' if entry.impressions != 1 else ''}"
    if not entry.rated_overall:
        return f"{entry.reviewers} reviewer{'s' if entry.reviewers != 1 else ''} · {counted}"
    return f"Overall {entry.sum_overall / entry.rated_overall:.1f} ({entry.rated_overall}) · {counted}"


def _line(entry: SeasonEntry) -> str:
    kind = f" ({md(entry.format, 20, newlines=False)})" if entry.format else ""
    return f"**{md(entry.title, 90, newlines=False)}**{kind} — {_numbers(entry)}"


def render_season_page(page: SeasonPage) -> discord.Embed:
    reviewed = f"{page.reviewed} with impressions in this server" if page.reviewed else "none reviewed here yet"
    lines = [f"{page.count} series · {reviewed}", "", *(_line(entry) for entry in page.entries)]
    if not page.count:
        lines = [f"The catalog knows no series of {page.season} {page.year} yet."]
    embed = discord.Embed(title=f"{page.season} {page.year}", description="\n".join(lines), colour=COLOUR_CARD)
    if page.airing_today is not None:
        airing = [
            f"{airing.at.astimezone(JST):%H:%M} JST ({discord.utils.format_dt(airing.at, 't')}) · "
            f"**{md(airing.title, 60, newlines=False)}** episode {airing.episode}"
            for airing in page.airing_today[:AIRING_SHOWN]
        ]
        if len(page.airing_today) > AIRING_SHOWN:
            airing.append(f"and {len(page.airing_today) - AIRING_SHOWN} more")
        embed.add_field(
            name=f"Airing today in Japan ({page.today:%A %-d %B})",
            value="\n".join(airing) or "No episode the catalog knows of airs today.",
            inline=False,
        )
    embed.set_footer(text="Most discussed here first. Another season: /season year season")
    return embed
