"""/about."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot import answers
from bot.client import ReviewBot
from bot.permissions import Level, requires
from bot.render.about import render_about
from bot.services.about import AboutService


class Meta(commands.Cog):
    def __init__(self, bot: ReviewBot, about: AboutService) -> None:
        self.bot = bot
        self.about_service = about

    @requires(Level.MEMBER)
    @app_commands.command(name="about", description="Version, uptime, catalog size and latency of the bot.")
    async def about(self, interaction: discord.Interaction) -> None:
        info = await self.about_service.describe(
            guild_id=interaction.guild_id, now=datetime.now(UTC), latency_s=self.bot.latency
        )
        await answers.send(interaction, embed=render_about(info))


async def setup(bot: ReviewBot) -> None:
    await bot.add_cog(Meta(bot, AboutService(bot.store, bot.started_at)))
