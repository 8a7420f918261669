"""/series lookup: autocomplete over every name, free-text resolution with a pick list, the series card."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot import answers, models
from bot.client import ReviewBot
from bot.errors import EditConflict, PermissionDenied
from bot.failures import reply_ephemeral
from bot.interactions import GuardedCallback, actor_of, bot_of, form_values, guild_of, series_choices
from bot.pages import send_pages
from bot.parsing import stored_id
from bot.permissions import Level, requires
from bot.render.series import (
    CURATION_FORM_ID,
    curation_form_changes,
    pick_options,
    render_curation_modal,
    render_edit_conflict,
    render_no_match,
    render_pick_prompt,
    render_pick_view,
    render_series_buttons,
    render_series_card,
)
from bot.render.text import md
from bot.services.curation import parse_curation_form
from bot.services.series import parse_series_ref, series_ref
from cogs._charts import send_series_chart


def _today() -> datetime:
    return datetime.now(UTC)


async def _show_card(interaction: discord.Interaction, series_id: int, *, private: bool, replace: bool) -> None:
    bot = bot_of(interaction)

    async def defer() -> None:  # AniList is asked: the card may come after Discord's 3 s
        if replace:
            await answers.defer_update(interaction)  # the list's message is updated later
        else:
            await answers.defer(interaction, private=private)

    card, ratings = await bot.services.series.card(guild_of(interaction), series_id, before_asking=defer)
    embed = render_series_card(card, ratings, _today().date())
    view = render_series_buttons(card.series, await _web_page(interaction, card.series.id))
    if replace:
        await answers.update(interaction, content=None, embed=embed, view=view)
    else:
        await answers.send(interaction, embed=embed, view=view, ephemeral=private)


async def _defer_rebuild(interaction: discord.Interaction) -> None:
    """A curator's change answers after the lookup index is rebuilt (so they find it at once): seconds for
    a large catalog, more than Discord waits for an answer, so the answer is deferred first."""
    await answers.defer(interaction, private=True)


async def _web_page(interaction: discord.Interaction, series_id: int) -> str | None:
    """The series' page on this server's public site, when the site runs and the server is published."""
    bot = bot_of(interaction)
    base = bot.settings.public_base_url
    if not (bot.settings.web_enabled and base and interaction.guild_id):
        return None
    slug = (await bot.services.moderation.settings_for_check(interaction.guild_id)).public_slug
    return f"{base}/{slug}/series/{series_id}" if slug else None


class SeriesPick(
    GuardedCallback, discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"series:pick:(?P<owner>\d{1,20})"
):
    """The pick list shown when typed text matches several series; only the member who asked may pick."""

    level = Level.MEMBER

    def __init__(self, owner_id: int, options: list[discord.SelectOption] | None = None) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"series:pick:{owner_id}",
                placeholder="Pick the series you meant",
                options=options or [discord.SelectOption(label="…", value="0")],
            )
        )
        self.owner_id = owner_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SeriesPick:
        return cls(int(match["owner"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.owner_id:
            raise PermissionDenied("This list belongs to someone else. Run `/series lookup` yourself.")
        values = cast(dict[str, Any], interaction.data or {}).get("values") or []
        series_id = stored_id(str(values[0])) if len(values) == 1 else None
        if series_id is None:
            raise PermissionDenied("That choice is not one this list offered.")
        await _show_card(interaction, series_id, private=False, replace=True)


class Series(commands.Cog):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot
        self.service = bot.services.series

    series = app_commands.Group(name="series", description="Look anime series up.")

    @requires(Level.MEMBER)
    @series.command(name="lookup", description="Show a series' card: synopsis, premiere, ratings and links.")
    @app_commands.describe(
        title="Start typing any of its names (English, Japanese, romaji…) and pick it from the list",
        private="Show the card only to you",
    )
    async def lookup(self, interaction: discord.Interaction, title: str, private: bool = False) -> None:
        series_id = parse_series_ref(title)
        if series_id is not None:
            await _show_card(interaction, series_id, private=private, replace=False)
            return
        resolution, suggestions = await self.service.resolve(title)
        if resolution.best is not None:
            await _show_card(interaction, resolution.best.series_id, private=private, replace=False)
        elif resolution.candidates:
            await answers.send(
                interaction,
                embed=render_pick_prompt(title, len(suggestions)),
                view=render_pick_view(SeriesPick(interaction.user.id, pick_options(suggestions))),
                ephemeral=private,
            )
        else:
            await answers.send(interaction, embed=render_no_match(title, suggestions), ephemeral=True)

    @requires(Level.MEMBER)
    @series.command(name="impressions", description="Browse the impressions of a series, one per page.")
    @app_commands.describe(
        title="Start typing the series' name and pick it",
        sort="Newest first (default), or by overall score",
        reviewer="Only this member's impressions",
    )
    async def impressions(
        self,
        interaction: discord.Interaction,
        title: str,
        sort: Literal["newest", "highest", "lowest"] = "newest",
        reviewer: discord.Member | None = None,
    ) -> None:
        series = await self.service.find_ref(title)
        whose = f" by {md(reviewer.display_name, 100, newlines=False)}" if reviewer else ""
        empty = f"No impressions of {md(series.title, 300, newlines=False)}{whose} here yet."
        args = f"{series.id}.{sort[0]}.{reviewer.id if reviewer else 0}"
        await send_pages(interaction, "s", args, empty, ephemeral=False)

    @requires(Level.MEMBER)
    @series.command(name="charts", description="Charts of a series in this server: categories, scores, the season.")
    @app_commands.describe(title="Start typing the series' name and pick it", private="Show the charts only to you")
    async def charts(self, interaction: discord.Interaction, title: str, private: bool = False) -> None:
        series = await self.service.find_ref(title)
        await send_series_chart(interaction, series.id, private=private)

    # -- curation ---------------------------------------------------------------------------------------

    @requires(Level.CURATOR)
    @series.command(name="add", description="Add a series to the catalog (curators).")
    @app_commands.describe(
        title="Its title", format="TV, Movie, OVA, ONA or Special", episodes="How many episodes",
        premiered="First broadcast, the day in Japan: YYYY-MM-DD",
    )  # fmt: skip
    async def add(
        self,
        interaction: discord.Interaction,
        title: str,
        format: Literal["TV", "Movie", "OVA", "ONA", "Special"] | None = None,
        episodes: int | None = None,
        premiered: str | None = None,
    ) -> None:
        await _defer_rebuild(interaction)
        series = await self.bot.services.curation.add(await actor_of(interaction), title, format, episodes, premiered)
        await answers.send(interaction, f"Added {series_ref(series.id)}.", ephemeral=True)

    @requires(Level.CURATOR)
    @series.command(name="edit", description="Fix a series' data (curators); without options, edit its texts.")
    @app_commands.describe(
        title="The series (start typing its name)", new_title="A corrected title",
        format="TV, Movie, OVA, ONA or Special", episodes="How many episodes",
        premiered="First broadcast, the day in Japan: YYYY-MM-DD",
    )  # fmt: skip
    async def edit(
        self,
        interaction: discord.Interaction,
        title: str,
        new_title: str | None = None,
        format: Literal["TV", "Movie", "OVA", "ONA", "Special"] | None = None,
        episodes: int | None = None,
        premiered: str | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        self.bot.services.curation.require_curator(actor)
        series = await self.service.find_ref(title)
        given = {"title": new_title, "format": format, "episodes": episodes, "premiered": premiered}
        changes = {key: value for key, value in given.items() if value is not None}
        if not changes:
            await answers.open_modal(interaction, render_curation_modal(series))
            return
        await _defer_rebuild(interaction)
        series = await self.bot.services.curation.edit(actor, series.id, changes)
        await answers.send(interaction, f"Updated {series_ref(series.id)}.", ephemeral=True)

    @requires(Level.CURATOR)
    @series.command(name="merge", description="Merge a duplicate into the series it duplicates (curators).")
    @app_commands.describe(source="The duplicate (start typing)", into="The series that stays (start typing)")
    async def merge(self, interaction: discord.Interaction, source: str, into: str) -> None:
        actor = await actor_of(interaction)
        self.bot.services.curation.require_curator(actor)
        old = parse_series_ref(source) or (await self.service.find_ref(source)).id
        new = parse_series_ref(into) or (await self.service.find_ref(into)).id
        await _defer_rebuild(interaction)
        survivor, moved = await self.bot.services.curation.merge(actor, old, new)
        await answers.send(
            interaction,
            f"Merged series:{old} into {series_ref(survivor.id)}; {moved} impressions moved. "
            f"series:{old} now opens {md(survivor.title, 300, newlines=False)}.",
            ephemeral=True,
        )

    @lookup.autocomplete("title")
    @impressions.autocomplete("title")
    @charts.autocomplete("title")
    @edit.autocomplete("title")
    @merge.autocomplete("source")
    @merge.autocomplete("into")
    async def series_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await series_choices(interaction, current)

    async def curation_form(self, interaction: discord.Interaction, match: re.Match[str]) -> None:
        """The curation form's submission, answered from its custom_id: what the curator changed, merged
        with what others changed since the form was shown (its digests); a text both changed is refused."""
        actor = await actor_of(interaction)
        curation = self.bot.services.curation
        curation.require_curator(actor)
        submitted = form_values(interaction)

        def decide(series: models.Series) -> dict[str, Any]:
            found = curation_form_changes(series, submitted, match["shown"])
            if found.conflicts:
                raise EditConflict(found.conflicts)
            return parse_curation_form(found.changes)

        series = await self.service.find(int(match["id"]))
        try:
            if not decide(series):  # nothing changed, a conflict or a bad line: told before any deferral
                await answers.send(interaction, f"Nothing changed in {series_ref(series.id)}.", ephemeral=True)
                return
            await _defer_rebuild(interaction)
            series = await curation.edit_with(actor, series.id, decide)
        except EditConflict as conflict:
            embed, typed = render_edit_conflict(series, conflict.fields, submitted)
            await reply_ephemeral(interaction, embed, typed)
            return
        await answers.send(interaction, f"Updated {series_ref(series.id)}.", ephemeral=True)


async def setup(bot: ReviewBot) -> None:
    bot.add_dynamic_items(SeriesPick)
    cog = Series(bot)
    bot.add_form(CURATION_FORM_ID, Level.CURATOR, cog.curation_form)
    await bot.add_cog(cog)
