"""One pager for every list: the impressions of a series, a member's own, the audit log, the approval
queue and the open reports. Each list is a page source: a loader from (who asked, page, arguments) to
what that page shows. The pager's state lives in its buttons' ids (see bot/render/pager.py), checked
against the member who asked, so the pages keep turning after a restart."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Self

import discord

from bot import answers
from bot.errors import InvalidInput, PermissionDenied
from bot.interactions import PersistentButton, actor_of, guild_of, record_public_post, services_of
from bot.models import Impression
from bot.permissions import Level
from bot.render.charts import render_member_chart_button
from bot.render.impressions import render_impression_card, render_queue_buttons
from bot.render.moderation import render_audit_page, render_report, render_report_buttons
from bot.render.pager import PAGER_TEMPLATE, render_pager
from bot.render.season import render_season_page
from bot.services.moderation import LOG_PAGE
from bot.services.season import SEASONS
from bot.store.impressions import Sort

NOT_YOURS = "These pages belong to someone else: run the command yourself to browse."


@dataclass(slots=True)
class Shown:
    """What one page of a list shows."""

    embeds: list[discord.Embed]
    page: int
    total: int  # pages
    actions: list[discord.ui.Item[discord.ui.View]] = field(default_factory=list)
    content: str | None = None
    # The published impression a page shows, recorded when the page is public: hiding it withdraws the page.
    impression: Impression | None = None


Loader = Callable[[discord.Interaction, int, str], Awaitable[Shown | None]]


def _pages(count: int, per_page: int) -> int:
    return max(1, -(-count // per_page))


async def _series_impressions(interaction: discord.Interaction, page: int, args: str) -> Shown | None:
    series_id, sort, reviewer = args.split(".")
    sorting: Sort = "highest" if sort == "h" else "lowest" if sort == "l" else "newest"
    found = await services_of(interaction).impressions.series_page(
        guild_of(interaction),
        int(series_id),
        sorting,
        int(reviewer) or None,
        page,
    )
    if found is None:
        return None
    card = render_impression_card(found.impression, found.series)
    return Shown([card], page, found.total, impression=found.impression)


async def _own_impressions(interaction: discord.Interaction, page: int, args: str) -> Shown | None:
    found = await services_of(interaction).impressions.author_page(
        guild_of(interaction), interaction.user.id, int(args) or None, page
    )
    if found is None:
        return None
    return Shown(
        [render_impression_card(found.impression, found.series)], page, found.total, [render_member_chart_button()]
    )


async def _audit_log(interaction: discord.Interaction, page: int, args: str) -> Shown | None:
    kind, _, number = args.partition(".")
    target = (("member" if kind == "m" else "impression"), int(number)) if kind in ("m", "i") else None
    entries, count = await services_of(interaction).moderation.log_page(await actor_of(interaction), target, page)
    return Shown([render_audit_page(entries, page, count, LOG_PAGE)], page, _pages(count, LOG_PAGE))


async def _queue(interaction: discord.Interaction, page: int, args: str) -> Shown | None:
    services, actor = services_of(interaction), await actor_of(interaction)
    item, waiting = await services.moderation.pending_at(actor, page)
    if item is None:
        return None
    if item.kind == "edit":
        impression, series = await services.impressions.pending_edit(actor.guild_id, item.id)
    else:
        impression, series = await services.impressions.find(actor.guild_id, str(item.id), actor)
    what = f"an edit of impression #{item.impression_id}" if item.kind == "edit" else "a new impression"
    buttons = list(render_queue_buttons(item.id, edit=item.kind == "edit").children)
    content = f"{waiting} waiting for approval; the oldest first. This is {what}."
    return Shown([render_impression_card(impression, series)], page, waiting, buttons, content)


async def _reports(interaction: discord.Interaction, page: int, args: str) -> Shown | None:
    services, actor = services_of(interaction), await actor_of(interaction)
    report, open_count = await services.moderation.report_at(actor, page)
    if report is None:
        return None
    impression, series = await services.impressions.find(actor.guild_id, str(report.impression_id), actor)
    embeds = [render_report(report, open_count), render_impression_card(impression, series)]
    return Shown(embeds, page, open_count, list(render_report_buttons(report.id).children))


async def _season(interaction: discord.Interaction, page: int, args: str) -> Shown | None:
    year, letter = args.split(".")
    season = SEASONS["wpsf".index(letter)]
    found = await services_of(interaction).season.page(
        guild_of(interaction), int(year), season, page, datetime.now(UTC)
    )
    return Shown([render_season_page(found)], found.page, found.pages)


# The arguments each list accepts in a pager id; anything else is a forged or outdated button.
ARGUMENTS = {
    "s": re.compile(r"\d{1,18}\.[nhl]\.\d{1,20}"),
    "m": re.compile(r"\d{1,18}"),
    "l": re.compile(r"-|[mi]\.-?\d{1,20}"),
    "q": re.compile(r""),
    "r": re.compile(r""),
    "a": re.compile(r"\d{4}\.[wpsf]"),
}
SOURCES: dict[str, Loader] = {
    "s": _series_impressions,
    "m": _own_impressions,
    "l": _audit_log,
    "q": _queue,
    "r": _reports,
    "a": _season,
}


def _view(source: str, owner_id: int, args: str, shown: Shown) -> discord.ui.View:
    return render_pager(source, owner_id, args, shown.page, shown.total, shown.actions)


async def send_pages(
    interaction: discord.Interaction, source: str, args: str, empty: str, *, ephemeral: bool = True, page: int = 0
) -> None:
    """Answer with the first page of a list and its pager, or `empty` (privately) when there is none."""
    shown = await SOURCES[source](interaction, max(0, page), args)
    if shown is None:
        await answers.send(interaction, empty, ephemeral=True)
        return
    message_id = await answers.send(
        interaction,
        shown.content,
        embeds=shown.embeds,
        view=_view(source, interaction.user.id, args, shown),
        ephemeral=ephemeral,
    )
    if not ephemeral and shown.impression is not None and message_id and interaction.channel_id:
        await record_public_post(interaction.client, shown.impression, interaction.channel_id, message_id, "page")


class PagerButton(PersistentButton, template=PAGER_TEMPLATE):
    """Every pager button: turns the page of the member who asked (the lists check their own rights)."""

    level = Level.MEMBER

    def __init__(self, source: str, owner_id: int, page: int, args: str, role: str) -> None:
        super().__init__(discord.ui.Button(label="…", custom_id=f"pg:{source}:{owner_id}:{page}:{args}:{role}"))
        self.source, self.owner_id, self.page, self.args = source, owner_id, page, args

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        return cls(match["source"], int(match["owner"]), int(match["page"]), match["args"], match["role"])

    async def handle(self, interaction: discord.Interaction) -> None:
        if not ARGUMENTS[self.source].fullmatch(self.args):
            raise InvalidInput("This button is not valid (any more); nothing was changed.")
        if interaction.user.id != self.owner_id:
            raise PermissionDenied(NOT_YOURS)
        shown = await SOURCES[self.source](interaction, self.page, self.args)
        if shown is None and self.page > 0:  # the list shrank under this page: start again from the first
            shown = await SOURCES[self.source](interaction, 0, self.args)
        public = interaction.message is not None and not interaction.message.flags.ephemeral
        if shown is None:
            await answers.update(interaction, content="There is nothing left to show.", embeds=[], view=None)
            if public and interaction.message is not None:
                await services_of(interaction).impressions.forget_post(interaction.message.id)
            return
        await answers.update(
            interaction,
            content=shown.content,
            embeds=shown.embeds,
            view=_view(self.source, self.owner_id, self.args, shown),
        )
        if public and interaction.message is not None and shown.impression is not None:
            await record_public_post(interaction.client, shown.impression, interaction.message.channel.id,
                                     interaction.message.id, "page")  # fmt: skip
