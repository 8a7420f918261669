"""/mod settings, queue, hide, restore, feature, unfeature, ban, unban, log; Approve / Reject; notices."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Self

import discord
from discord import app_commands
from discord.ext import commands

from bot import answers
from bot.client import ReviewBot
from bot.errors import InvalidInput, NotFound
from bot.interactions import (
    PersistentButton,
    actor_of,
    announce_impression,
    bot_of,
    form_text,
    moderates,
    refresh_public_posts,
)
from bot.pages import send_pages
from bot.parsing import public_slug
from bot.permissions import Level, requires
from bot.render.impressions import (
    APPROVE_TEMPLATE,
    REJECT_TEMPLATE,
    render_approve_button,
    render_reason_modal,
    render_reject_button,
)
from bot.render.moderation import (
    render_notices,
    render_settings,
)
from bot.services.moderation import MAX_POST_LIMIT, BanTarget, ModerationService
from bot.store.queue import QueueKind

MAX_ATTACHMENT = 8 * 1024 * 1024  # what any server may receive


class Moderation(commands.Cog):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot
        self.service: ModerationService = bot.services.moderation

    # Hidden from members in the client; every command still checks on the server side.
    mod = requires(Level.MODERATOR)(
        app_commands.Group(
            name="mod",
            description="Moderator tools: settings, hiding, featuring, bans and the audit log.",
            guild_only=True,
            default_permissions=discord.Permissions(manage_messages=True),
        )
    )

    @mod.command(name="settings", description="Show or change this server's review settings.")
    @app_commands.describe(
        approval="Hold new impressions for a moderator's approval",
        announce_channel="Where new impressions are announced",
        queue_channel="Where impressions waiting for approval are posted",
        mod_role="A role whose members moderate, besides Manage Messages",
        post_limit="Impressions a member may post per hour (0: no limit; moderators are exempt)",
        episode_threads="Open a discussion thread under each episode prompt (/watch)",
        public_site="Publish this server's impressions as read-only web pages (members may opt out of being named)",
    )
    async def settings(
        self,
        interaction: discord.Interaction,
        approval: bool | None = None,
        announce_channel: discord.TextChannel | None = None,
        queue_channel: discord.TextChannel | None = None,
        mod_role: discord.Role | None = None,
        post_limit: app_commands.Range[int, 0, MAX_POST_LIMIT] | None = None,
        episode_threads: bool | None = None,
        public_site: bool | None = None,
    ) -> None:
        changes: dict[str, object] = {}
        if approval is not None:
            changes["approval_required"] = int(approval)
        if announce_channel is not None:
            changes["announce_channel_id"] = announce_channel.id
        if queue_channel is not None:
            changes["queue_channel_id"] = queue_channel.id
        if mod_role is not None:
            changes["mod_role_id"] = mod_role.id
        if post_limit is not None:
            changes["post_limit_per_hour"] = post_limit
        if episode_threads is not None:
            changes["episode_threads"] = int(episode_threads)
        if public_site is not None and interaction.guild is not None:
            changes["public_slug"] = public_slug(interaction.guild.name, interaction.guild.id) if public_site else None
        settings = await self.service.update_settings(await actor_of(interaction), changes)
        site = self.bot.settings.public_base_url
        await answers.send(interaction, embed=render_settings(settings, site), ephemeral=True)

    @mod.command(name="hide", description="Hide an impression; its author is told the reason.")
    @app_commands.describe(id="The impression (628 or series:4772#628)", reason="Why (the author sees this)")
    async def hide(self, interaction: discord.Interaction, id: str, reason: str) -> None:
        actor = await actor_of(interaction)
        number = await self.service.hide(actor, id, reason)
        await answers.send(interaction, f"Impression #{number} is hidden.", ephemeral=True)
        await refresh_public_posts(self.bot, actor.guild_id, number)

    @mod.command(name="restore", description="Show a hidden impression again.")
    @app_commands.describe(id="The impression (628 or series:4772#628)")
    async def restore(self, interaction: discord.Interaction, id: str) -> None:
        actor = await actor_of(interaction)
        number = await self.service.restore(actor, id)
        await answers.send(interaction, f"Impression #{number} is visible again.", ephemeral=True)
        await refresh_public_posts(self.bot, actor.guild_id, number)

    @mod.command(name="feature", description="Feature an impression: it is shown first on the series card.")
    @app_commands.describe(id="The impression (628 or series:4772#628)")
    async def feature(self, interaction: discord.Interaction, id: str) -> None:
        number = await self.service.feature(await actor_of(interaction), id, True)
        await answers.send(interaction, f"Impression #{number} is featured.", ephemeral=True)

    @mod.command(name="unfeature", description="Stop featuring an impression.")
    @app_commands.describe(id="The impression (628 or series:4772#628)")
    async def unfeature(self, interaction: discord.Interaction, id: str) -> None:
        number = await self.service.feature(await actor_of(interaction), id, False)
        await answers.send(interaction, f"Impression #{number} is no longer featured.", ephemeral=True)

    @mod.command(name="ban", description="Stop a member from posting, editing or reporting impressions here.")
    @app_commands.describe(member="Who", reason="Why (kept in the audit log)", duration="How long: 30m, 12h, 7d, 2w")
    async def ban(
        self, interaction: discord.Interaction, member: discord.Member, reason: str, duration: str | None = None
    ) -> None:
        actor = await actor_of(interaction)
        target = BanTarget(member.id, member.bot, await moderates(self.bot.services, member, actor.guild_id))
        result = await self.service.ban(actor, target, reason, duration)
        ending = "" if result.until is None else f" until {discord.utils.format_dt(result.until, 'f')}"
        if not result.banned_now:
            await answers.send(
                interaction,
                f"{member.mention} is already banned from reviewing{ending}; nothing was changed. "
                "Unban them first to change the ban.",
                ephemeral=True,
            )
            return
        await answers.send(interaction, f"{member.mention} is banned from reviewing{ending}.", ephemeral=True)

    @mod.command(name="unban", description="Let a banned member post impressions again.")
    @app_commands.describe(member="Who")
    async def unban(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await self.service.unban(await actor_of(interaction), member.id)
        await answers.send(interaction, f"{member.mention} may review again.", ephemeral=True)

    @mod.command(name="log", description="The audit trail: who did what, when and why.")
    @app_commands.describe(
        member="Only actions on this member", impression="Only actions on this impression", page="Which page"
    )
    async def log(
        self,
        interaction: discord.Interaction,
        member: discord.Member | None = None,
        impression: int | None = None,
        page: int = 1,
    ) -> None:
        target = f"m.{member.id}" if member else f"i.{impression}" if impression else "-"
        await send_pages(interaction, "l", target, "Nothing has been logged yet.", page=page - 1)

    @mod.command(name="queue", description="The oldest impression waiting for approval, with Approve / Reject.")
    async def queue(self, interaction: discord.Interaction) -> None:
        await send_pages(interaction, "q", "", "Nothing is waiting for approval.")

    @mod.command(name="export", description="This server's impressions, revisions and audit log as a JSON file.")
    async def export(self, interaction: discord.Interaction) -> None:
        actor = await actor_of(interaction)
        data = await self.service.export(actor, self.bot.settings.database)
        if len(data) > MAX_ATTACHMENT:
            raise InvalidInput("The export is too large for Discord; ask the operator for `python -m bot export`.")
        await answers.send(
            interaction,
            "This server's data:",
            file=discord.File(io.BytesIO(data), filename=f"export-{actor.guild_id}.json"),
            ephemeral=True,
        )

    @mod.command(name="reports", description="The oldest open report, with Dismiss / Hide impression.")
    async def reports(self, interaction: discord.Interaction) -> None:
        await send_pages(interaction, "r", "", "No open reports.")

    async def reject_form(self, interaction: discord.Interaction, match: re.Match[str]) -> None:
        """The reject form's submission, answered from its custom_id (works after a restart)."""
        reason = form_text(interaction)
        await decide(interaction, _kind(match["edit"]), int(match["id"]), approve=False, reason=reason)

    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: discord.Interaction, command: object) -> None:
        """Notices (an impression hidden, with the reason) reach a member the next time they use the bot."""
        if interaction.guild_id is None or not answers.answered(interaction):
            return
        notices = await self.service.take_notices(interaction.guild_id, interaction.user.id)
        if notices:
            await answers.send(interaction, embed=render_notices(notices), ephemeral=True)


def _kind(edit_flag: str | None) -> QueueKind:
    return "edit" if edit_flag else "impression"


async def decide(
    interaction: discord.Interaction, kind: QueueKind, item_id: int, *, approve: bool, reason: str | None
) -> None:
    bot = bot_of(interaction)
    actor = await actor_of(interaction)
    decision, impression_id = await bot.services.moderation.decide(actor, item_id, approve, reason, kind)
    what = f"The edit of impression #{impression_id}" if kind == "edit" else f"Impression #{impression_id}"
    if not decision.done:
        when = (
            ""
            if decision.decided_at is None
            else f" {discord.utils.format_dt(datetime.fromisoformat(decision.decided_at), 'R')}"
        )
        who = "" if decision.actor_id is None else f" by <@{decision.actor_id}>"
        await answers.send(interaction, f"{what} was already decided: {decision.status}{who}{when}.", ephemeral=True)
        return
    verdict = "approved" if approve else "rejected"
    await answers.update(interaction, content=f"{what} was {verdict} by {interaction.user.mention}.", view=None)
    if approve and kind == "impression":
        try:  # as everyone sees it: hidden or deleted since the approval, there is nothing to announce
            impression, series = await bot.services.impressions.find(actor.guild_id, str(impression_id))
        except NotFound:
            return
        await announce_impression(interaction, impression, series)
    else:
        await refresh_public_posts(bot, actor.guild_id, impression_id)


class ApproveButton(PersistentButton, template=APPROVE_TEMPLATE):
    level = Level.MODERATOR

    def __init__(self, kind: QueueKind, item_id: int) -> None:
        super().__init__(render_approve_button(item_id, edit=kind == "edit"))
        self.kind, self.item_id = kind, item_id

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        return cls(_kind(match["edit"]), int(match["id"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        await decide(interaction, self.kind, self.item_id, approve=True, reason=None)


class RejectButton(PersistentButton, template=REJECT_TEMPLATE):
    level = Level.MODERATOR

    def __init__(self, kind: QueueKind, item_id: int) -> None:
        super().__init__(render_reject_button(item_id, edit=kind == "edit"))
        self.kind, self.item_id = kind, item_id

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        return cls(_kind(match["edit"]), int(match["id"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        bot = bot_of(interaction)
        # Checked before the form opens (a moderator, and something of this server still waiting),
        # so nobody writes a reason for nothing and a forged id never gets a form.
        await bot.services.moderation.require_pending(await actor_of(interaction), self.kind, self.item_id)
        flag = "e" if self.kind == "edit" else ""
        title = f"Reject the edit #{self.item_id}" if self.kind == "edit" else f"Reject impression #{self.item_id}"
        await answers.open_modal(interaction, render_reason_modal(f"mod:rejectform:{flag}{self.item_id}", title))


REJECT_FORM = r"mod:rejectform:(?P<edit>e?)(?P<id>\d{1,18})"


async def setup(bot: ReviewBot) -> None:
    bot.add_dynamic_items(ApproveButton, RejectButton)
    cog = Moderation(bot)
    bot.add_form(REJECT_FORM, Level.MODERATOR, cog.reject_form)
    await bot.add_cog(cog)
