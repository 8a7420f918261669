"""Settings, audit log and notice embeds for moderation."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.render import COLOUR_CARD, persistent_view
from bot.render.text import md
from bot.services.impressions import DEFAULT_POST_LIMIT
from bot.store.moderation import AuditEntry, GuildSettings
from bot.store.reports import Report


def _channel(channel_id: int | None) -> str:
    return "not set" if channel_id is None else f"<#{channel_id}>"


def render_settings(settings: GuildSettings, site: str = "") -> discord.Embed:
    embed = discord.Embed(title="Server settings", colour=COLOUR_CARD)
    embed.add_field(name="Approval required", value="on" if settings.approval_required else "off")
    embed.add_field(name="Announcement channel", value=_channel(settings.announce_channel_id))
    embed.add_field(name="Queue channel", value=_channel(settings.queue_channel_id))
    embed.add_field(name="Mod role", value="not set" if settings.mod_role_id is None else f"<@&{settings.mod_role_id}>")
    limit = settings.post_limit_per_hour
    embed.add_field(
        name="Posting limit",
        value=f"{DEFAULT_POST_LIMIT} per hour (default)" if limit is None else f"{limit} per hour" if limit else "none",
    )
    embed.add_field(name="Episode threads", value="on" if settings.episode_threads else "off")
    page = f"{site}/{settings.public_slug}/" if settings.public_slug else None
    embed.add_field(name="Public site", value=f"on: {page}" if page else "off")
    embed.set_footer(text="Change with /mod settings and its options.")
    return embed


def _describe(entry: AuditEntry) -> str:
    when = discord.utils.format_dt(datetime.fromisoformat(entry.created_at), "R")
    target = f"#{entry.target_id}" if entry.target_type == "impression" else f"<@{entry.target_id}>"
    if entry.target_type == "guild":
        target = "the settings"
    # The action is the bot's own word, unless a restore file wrote it: escaped like any stored text.
    line = f"{when} <@{entry.actor_id}> **{md(entry.action, 60, newlines=False)}** {target}"
    if entry.reason:
        line += f": {md(entry.reason, 200, newlines=False)}"
    if entry.before is not None and entry.after is not None:
        changed = [f"{k} {entry.before.get(k)} → {v}" for k, v in entry.after.items() if entry.before.get(k) != v]
        if changed:
            line += f" ({md(', '.join(changed), 200, newlines=False)})"
    return line


def render_audit_page(entries: list[AuditEntry], number: int, total: int, per_page: int) -> discord.Embed:
    pages = max(1, -(-total // per_page))
    embed = discord.Embed(
        title="Audit log",
        description="\n".join(_describe(e) for e in entries) or "Nothing has been logged yet.",
        colour=COLOUR_CARD,
    )
    embed.set_footer(text=f"Page {number + 1} of {pages} · {total} entries")
    return embed


def render_notices(notices: list[str]) -> discord.Embed:
    lines: list[str] = []
    for number, notice in enumerate(notices):
        line = f"• {md(notice, 600, newlines=False)}"
        if sum(len(kept) + 1 for kept in lines) + len(line) > 3900:
            lines.append(f"…and {len(notices) - number} more.")
            break
        lines.append(line)
    return discord.Embed(title="While you were away", description="\n".join(lines), colour=COLOUR_CARD)


def render_report(report: Report, open_count: int) -> discord.Embed:
    embed = discord.Embed(
        title=f"Report #{report.id} on impression #{report.impression_id}",
        description=f"<@{report.reporter_id}> wrote:\n> {md(report.reason, 1000, newlines=False)}",
        colour=discord.Colour.orange(),
    )
    embed.set_footer(text=f"{open_count} open report{'s' if open_count != 1 else ''}; the oldest first.")
    return embed


def dismiss_report_id(report_id: int) -> str:
    return f"rep:dismiss:{report_id}"


def hide_report_id(report_id: int) -> str:
    return f"rep:hide:{report_id}"


# What the reports cog's persistent buttons accept: the inverse of dismiss_report_id and hide_report_id.
DISMISS_TEMPLATE = r"rep:dismiss:(?P<id>\d{1,18})"
HIDE_TEMPLATE = r"rep:hide:(?P<id>\d{1,18})"


def render_dismiss_button(report_id: int) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(
        label="Dismiss", style=discord.ButtonStyle.secondary, custom_id=dismiss_report_id(report_id)
    )


def render_hide_button(report_id: int) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(
        label="Hide impression", style=discord.ButtonStyle.danger, custom_id=hide_report_id(report_id)
    )


NO_LONGER_SHOWN = {"removed": "deleted by its author", "hidden": "hidden", "rejected": "rejected"}


def render_report_decision(report: Report, found: str, moderator: discord.abc.User) -> str:
    """What a report's card says once a moderator decided it; `found` is the impression's status as the
    decision found it (hiding one no longer shown only closes its reports)."""
    if report.status == "dismissed":
        return f"Report #{report.id}: dismissed by {moderator.mention}."
    if found == "published":
        return f"Report #{report.id}: the impression is hidden by {moderator.mention}."
    gone = NO_LONGER_SHOWN.get(found, "withdrawn")
    return f"Report #{report.id}: impression #{report.impression_id} was already {gone}; closed by {moderator.mention}."


def render_report_buttons(report_id: int) -> discord.ui.View:
    """Dismiss / Hide impression, persistent: answered from the custom_id after a restart."""
    return persistent_view(render_dismiss_button(report_id), render_hide_button(report_id))
