"""/about."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.ext import commands

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
        await interaction.response.send_message(embed=render_about(info))


class InteractionLog(commands.Cog):
    """One INFO line per command: which, where, how long, and how it ended (errors are logged by id)."""

    def __init__(self) -> None:
        self.log = logging.getLogger("bot.interactions")

    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: discord.Interaction, command: object) -> None:
        elapsed_ms = (discord.utils.utcnow() - interaction.created_at).total_seconds() * 1000
        name = getattr(command, "qualified_name", "?")
        self.log.info("/%s guild=%s user=%s ok %.0f ms", name, interaction.guild_id, interaction.user.id, elapsed_ms)


async def setup(bot: ReviewBot) -> None:
    await bot.add_cog(InteractionLog())
    await bot.add_cog(Meta(bot, AboutService(bot.store, bot.started_at)))
