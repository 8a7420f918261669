"""/season: the series of a season with this server's averages and counts, and what airs today."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ReviewBot
from bot.pages import send_pages
from bot.permissions import Level, requires
from bot.services.airing import JST
from bot.services.season import season_of

SEASON_LETTERS = {"Winter": "w", "Spring": "p", "Summer": "s", "Fall": "f"}


class Season(commands.Cog):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot

    @requires(Level.MEMBER)
    @app_commands.command(
        name="season", description="A season's series with this server's averages, and what airs today."
    )
    @app_commands.describe(
        year="The year (default: this season's)",
        season="The season (default: the current one in Japan)",
        public="Show the list to the channel (default: only to you)",
    )
    @app_commands.guild_only()
    async def season(
        self,
        interaction: discord.Interaction,
        year: app_commands.Range[int, 1960, 2100] | None = None,
        season: Literal["Winter", "Spring", "Summer", "Fall"] | None = None,
        public: bool = False,
    ) -> None:
        current_year, current_season = season_of(datetime.now(UTC).astimezone(JST).date())
        args = f"{year or current_year}.{SEASON_LETTERS[season or current_season]}"
        await send_pages(interaction, "a", args, "The catalog has no series for that season.", ephemeral=not public)


async def setup(bot: ReviewBot) -> None:
    await bot.add_cog(Season(bot))
