from __future__ import annotations

from datetime import timedelta

import discord

from bot.render import COLOUR_CARD
from bot.render.text import md
from bot.services.about import AboutInfo


def format_duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    parts.append(f"{minutes}m")
    if not days:
        parts.append(f"{seconds}s")
    return " ".join(parts)


def render_about(info: AboutInfo) -> discord.Embed:
    embed = discord.Embed(
        title="Community Anime Reviews",
        description=(
            "Look a series up, post impressions of the episodes you watched, and rate it in seven "
            "categories. Start with `/series lookup`."
        ),
        colour=COLOUR_CARD,
    )
    embed.add_field(name="Version", value=info.version)
    embed.add_field(name="Uptime", value=format_duration(info.uptime))
    latency = "measuring…" if info.latency_ms is None else f"{info.latency_ms:.0f} ms"
    embed.add_field(name="Gateway latency", value=latency)
    embed.add_field(name="Catalog", value=f"{info.series_count:,} series")
    if info.impressions_in_guild is None:
        impressions = f"{info.impressions_total:,}"
    else:
        impressions = f"{info.impressions_in_guild:,} here · {info.impressions_total:,} in all"
    embed.add_field(name="Impressions", value=impressions)
    if info.credits:
        embed.add_field(name="Data", value=md("\n".join(info.credits), 1024), inline=False)
    return embed
