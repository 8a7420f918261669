"""The "Report impression" context menu, and the Dismiss / Hide impression buttons of /mod reports."""

from __future__ import annotations

import re
from typing import Self

import discord
from discord import app_commands
from discord.ext import commands

from bot import answers
from bot.client import ReviewBot
from bot.errors import InvalidInput
from bot.interactions import (
    PersistentButton,
    actor_of,
    bot_of,
    form_text,
    guild_of,
    post_card,
    refresh_public_posts,
)
from bot.permissions import Level, requires
from bot.render.impressions import render_reason_modal
from bot.render.moderation import (
    DISMISS_TEMPLATE,
    HIDE_TEMPLATE,
    render_dismiss_button,
    render_hide_button,
    render_report_buttons,
    render_report_decision,
)

_CARD_FOOTER = re.compile(r"^series:\d{1,18}#(\d{1,18})")
REPORT_FORM = r"rep:form:(?P<id>\d{1,18})"


def impression_on(message: discord.Message, bot_id: int) -> int:
    """The impression a message of the bot shows, from its card's footer (series:4772#628)."""
    if message.author.id != bot_id or not message.embeds:
        raise InvalidInput("That message is not an impression card; report impressions from their cards.")
    match = _CARD_FOOTER.match(message.embeds[0].footer.text or "")
    if match is None:
        raise InvalidInput("That message is not an impression card; report impressions from their cards.")
    return int(match[1])


class Reports(commands.Cog):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Report impression", callback=self.report_menu)
        self.menu.guild_only = True
        requires(Level.MEMBER)(self.menu)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def report_menu(self, interaction: discord.Interaction, message: discord.Message) -> None:
        assert self.bot.user is not None
        impression_id = impression_on(message, self.bot.user.id)
        # Checked before the form opens (ban, visibility), and again when it is sent.
        await self.bot.services.impressions.find(guild_of(interaction), str(impression_id))
        await self.bot.services.moderation.require_may_report(guild_of(interaction), interaction.user.id)
        await answers.open_modal(
            interaction, render_reason_modal(f"rep:form:{impression_id}", f"Report impression #{impression_id}")
        )

    async def report_form(self, interaction: discord.Interaction, match: re.Match[str]) -> None:
        impression_id = int(match["id"])
        actor = await actor_of(interaction)
        report_id = await self.bot.services.moderation.report(actor, impression_id, form_text(interaction))
        await answers.send(interaction, f"Thank you: report #{report_id} is with the moderators.", ephemeral=True)
        settings = await self.bot.services.moderation.settings_for_check(actor.guild_id)
        impression, series = await self.bot.services.impressions.find(actor.guild_id, str(impression_id))
        await post_card(
            interaction.guild, settings.queue_channel_id, impression, series,
            content=f"Reported (report #{report_id})", view=render_report_buttons(report_id),
        )  # fmt: skip


async def resolve(interaction: discord.Interaction, report_id: int, *, hide: bool) -> None:
    bot = bot_of(interaction)
    actor = await actor_of(interaction)
    report, found = await bot.services.moderation.resolve_report(actor, report_id, hide)
    if found is None:
        when = (
            ""
            if report.resolved_at is None
            else f" {discord.utils.format_dt(discord.utils.parse_time(report.resolved_at), 'R')}"
        )
        await answers.send(
            interaction,
            f"Report #{report_id} was already {report.status} by <@{report.resolved_by}>{when}.",
            ephemeral=True,
        )
        return
    await answers.update(interaction, content=render_report_decision(report, found, interaction.user), view=None)
    if hide and found == "published":
        await refresh_public_posts(bot, actor.guild_id, report.impression_id)


class DismissReport(PersistentButton, template=DISMISS_TEMPLATE):
    level = Level.MODERATOR

    def __init__(self, report_id: int) -> None:
        super().__init__(render_dismiss_button(report_id))
        self.report_id = report_id

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        return cls(int(match["id"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        await resolve(interaction, self.report_id, hide=False)


class HideReported(PersistentButton, template=HIDE_TEMPLATE):
    level = Level.MODERATOR

    def __init__(self, report_id: int) -> None:
        super().__init__(render_hide_button(report_id))
        self.report_id = report_id

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        return cls(int(match["id"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        await resolve(interaction, self.report_id, hide=True)


async def setup(bot: ReviewBot) -> None:
    bot.add_dynamic_items(DismissReport, HideReported)
    cog = Reports(bot)
    bot.add_form(REPORT_FORM, Level.MEMBER, cog.report_form)
    await bot.add_cog(cog)
