"""Owner tools: publishing the command list."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import answers
from bot.client import ReviewBot
from bot.config import SyncMode
from bot.errors import PermissionDenied
from bot.permissions import Level, requires


class Admin(commands.Cog):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot

    admin = requires(Level.OWNER)(app_commands.Group(name="admin", description="Tools for the bot's owners."))

    @admin.command(name="sync", description="Publish the slash commands to Discord (owners only).")
    @app_commands.describe(scope="global: every server (may take a while); guild: DEV_GUILD_ID at once")
    async def sync(self, interaction: discord.Interaction, scope: Literal["global", "guild"] = "global") -> None:
        # Checked here, not with default_permissions: those only hide the command in the client.
        if not await self.bot.is_owner(interaction.user):
            raise PermissionDenied("Only the bot's owners (OWNER_IDS) can sync commands.")
        await answers.defer(interaction, private=True)
        synced = await self.bot.sync_commands(SyncMode(scope))
        await answers.send(interaction, f"Synced {len(synced)} commands ({scope}).", ephemeral=True)

    @commands.command(name="sync")
    @commands.is_owner()
    async def sync_text(self, context: commands.Context[ReviewBot], scope: str = "global") -> None:
        """`@bot sync [global|guild]` for when the slash commands are not there yet."""
        try:
            mode = SyncMode(scope.lower())
        except ValueError:
            mode = SyncMode.OFF
        if mode is SyncMode.OFF:
            await context.reply("Usage: `@bot sync [global|guild]`.", mention_author=False)
            return
        synced = await self.bot.sync_commands(mode)
        await context.reply(f"Synced {len(synced)} commands ({mode.value}).", mention_author=False)


async def setup(bot: ReviewBot) -> None:
    await bot.add_cog(Admin(bot))
