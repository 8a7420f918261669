"""/impression post|edit|delete|show|mine, the impression modals, and the series card's buttons."""

from __future__ import annotations

import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot import answers
from bot.client import ReviewBot
from bot.errors import InvalidInput
from bot.interactions import (
    actor_of,
    announce_impression,
    bot_of,
    form_text,
    form_values,
    guild_of,
    post_card,
    record_public_card,
    refresh_public_posts,
    series_choices,
)
from bot.models import CATEGORY_FIELDS, Scores
from bot.pages import send_pages
from bot.parsing import is_number
from bot.permissions import Level, requires
from bot.render.errors import render_user_error
from bot.render.impressions import (
    QUICK_EPISODES,
    QUICK_OVERALL,
    ConfirmView,
    render_delete_prompt,
    render_impression_card,
    render_impression_modal,
    render_offer_button,
    render_privacy,
    render_queue_buttons,
    render_unsaved_text,
)
from bot.render.text import plain
from bot.services.impression_ids import (
    EDIT_FORM,
    PLAN_FORM,
    EditPlan,
    Plan,
    decode_edit,
    decode_plan,
    encode_edit,
    encode_offer,
    encode_plan,
)
from bot.services.impressions import DuplicateImpression, ImpressionService
from bot.services.series import series_ref
from cogs._impression_buttons import (
    QUICK_FORM,
    EditInsteadButton,
    SeriesImpressionsButton,
    SeriesPostButton,
)
from cogs._options import Episodes, Scope, score_options

log = logging.getLogger(__name__)


async def impression_choices(
    interaction: discord.Interaction, current: str, *, own: bool
) -> list[app_commands.Choice[str]]:
    bot = bot_of(interaction)
    author = interaction.user.id if own else None
    found = await bot.services.impressions.suggest(guild_of(interaction), author, current)
    return [app_commands.Choice(name=plain(f"#{i} {title} — {name}", 100), value=str(i)) for i, title, name in found]


class Impressions(commands.Cog):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot
        self.service: ImpressionService = bot.services.impressions

    impression = app_commands.Group(
        name="impression",
        description="Post and manage impressions of the episodes you watched.",
        guild_only=True,
    )

    # -- post -----------------------------------------------------------------------------------------

    @requires(Level.MEMBER)
    @impression.command(name="post", description="Write what you thought of the episodes you watched, and rate them.")
    @app_commands.describe(
        series="Start typing the series' name and pick it",
        scope="How far you got: some episodes, all of them, or dropped",
        episodes="Episodes watched (or after how many you dropped it)",
        spoiler="Hide the text behind a spoiler tag",
    )
    @score_options("{name} score, 1-10 (leave out: unevaluated)")
    async def post(
        self,
        interaction: discord.Interaction,
        series: str,
        scope: Scope,
        episodes: Episodes | None = None,
        *,
        spoiler: bool = False,
        **given_scores: int | None,
    ) -> None:
        scores = Scores(**given_scores)
        actor = await actor_of(interaction)
        try:
            plan, found = await self.service.plan(actor, series, scope, episodes, scores, spoiler)
        except DuplicateImpression as duplicate:
            # Offer the edit with the scores given here, so nothing the member chose is lost.
            given = {f: v for f, v in zip(CATEGORY_FIELDS, scores.values(), strict=True) if v is not None}
            offer = encode_offer(encode_edit(duplicate.impression_id, scope, episodes, given, spoiler or None))
            await answers.send(
                interaction,
                embed=render_user_error(duplicate),
                view=render_offer_button(offer, duplicate.impression_id),
                ephemeral=True,
            )
            return
        await answers.open_modal(interaction, render_impression_modal(encode_plan(plan), f"Impression: {found.title}"))

    @post.autocomplete("series")
    async def post_series(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await series_choices(interaction, current)

    async def publish(self, interaction: discord.Interaction, plan: Plan, text: str) -> None:
        try:
            impression, created = await self.service.post(await actor_of(interaction), plan, text)
        except DuplicateImpression as duplicate:
            offer = encode_offer(encode_edit(duplicate.impression_id, plan.scope, plan.episodes_watched, {}, None))
            await answers.send(
                interaction,
                embeds=[render_user_error(duplicate), render_unsaved_text(text)],
                view=render_offer_button(offer, duplicate.impression_id),
                ephemeral=True,
            )
            return
        series = await self.bot.services.series.find(impression.series_id)
        if not created:
            await answers.send(
                interaction, f"This form was already sent: it is impression #{impression.id}.", ephemeral=True
            )
            return
        card = render_impression_card(impression, series)
        if impression.status == "pending":
            await answers.send(
                interaction,
                "Thanks! Moderators review impressions here before they are shown; you will see it once approved.",
                embed=card,
                ephemeral=True,
            )
            settings = await self.bot.services.moderation.settings_for_check(impression.guild_id)
            await post_card(
                interaction.guild,
                settings.queue_channel_id,
                impression,
                series,
                content="Waiting for approval",
                view=render_queue_buttons(impression.id),
            )
            return
        message_id = await answers.send(interaction, embed=card)
        await record_public_card(interaction, message_id, impression)
        await announce_impression(interaction, impression, series)

    # -- forms, answered from their custom_id alone (routes registered in setup) -----------------------

    async def post_form(self, interaction: discord.Interaction, match: re.Match[str]) -> None:
        plan = decode_plan(match.string)
        assert plan is not None  # the route's pattern is the plan's
        await self.publish(interaction, plan, form_text(interaction))

    async def quick_form(self, interaction: discord.Interaction, match: re.Match[str]) -> None:
        plan = await self.quick_plan(interaction, int(match["series"]), match["nonce"])
        await self.publish(interaction, plan, form_text(interaction))

    async def edit_form(self, interaction: discord.Interaction, match: re.Match[str]) -> None:
        edit = decode_edit(match.string)
        assert edit is not None
        await self.edited(interaction, edit, form_text(interaction))

    async def edited(self, interaction: discord.Interaction, edit: EditPlan, text: str) -> None:
        revision = await self.service.edit(
            await actor_of(interaction),
            edit.impression_id,
            text,
            scope=edit.scope,
            episodes=edit.episodes_watched,
            score_changes=edit.score_changes,
            spoiler=edit.spoiler,
        )
        series = await self.bot.services.series.find(revision.impression.series_id)
        if revision.outcome == "held":
            assert revision.edit_id is not None
            proposed = revision.impression
            await answers.send(
                interaction,
                f"Thanks! Moderators review edits here: until they approve this one, impression "
                f"#{proposed.id} stays as it was.",
                embed=render_impression_card(proposed, series),
                ephemeral=True,
            )
            settings = await self.bot.services.moderation.settings_for_check(proposed.guild_id)
            await post_card(
                interaction.guild, settings.queue_channel_id, proposed, series,
                content=f"Edit of impression #{proposed.id} waiting for approval",
                view=render_queue_buttons(revision.edit_id, edit=True),
            )  # fmt: skip
            return
        updated = revision.impression
        await answers.send(
            interaction,
            f"Impression #{updated.id} is updated.",
            embed=render_impression_card(updated, series),
            ephemeral=True,
        )
        await refresh_public_posts(self.bot, updated.guild_id, updated.id)

    async def quick_plan(self, interaction: discord.Interaction, series_id: int, nonce: str) -> Plan:
        """The card's "Post impression" form: scope and overall score typed as text."""
        fields = form_values(interaction)
        scope, episodes = _parse_scope(fields.get(QUICK_EPISODES, ""))
        overall_raw = fields.get(QUICK_OVERALL, "").strip()
        if overall_raw and not is_number(overall_raw):
            raise InvalidInput("Overall is a whole number from 1 to 10, or empty for Unevaluated.")
        overall = int(overall_raw) if overall_raw else None
        plan, _ = await self.service.plan(
            await actor_of(interaction),
            series_ref(series_id),
            scope,
            episodes,
            Scores(overall=overall),
            False,
            scope_known=False,  # a duplicate is told when it is stored, with the text shown back
        )
        return Plan(plan.series_id, plan.scope, plan.episodes_watched, plan.scores, plan.spoiler, nonce)

    # -- edit, delete, show, mine ---------------------------------------------------------------------

    @requires(Level.AUTHOR)
    @impression.command(name="edit", description="Change the text, scope or scores of one of your impressions.")
    @app_commands.describe(
        id="Your impression (its number, or series:4772#628)",
        scope="A new scope",
        episodes="A new episode count",
        spoiler="Hide the text behind a spoiler tag",
    )
    @score_options("New {lower} score, 1-10 (leave out: unchanged)")
    async def edit(
        self,
        interaction: discord.Interaction,
        id: str,
        scope: Scope | None = None,
        episodes: Episodes | None = None,
        *,
        spoiler: bool | None = None,
        **given: int | None,
    ) -> None:
        current = await self.service.editable(await actor_of(interaction), id)
        changes = {field: value for field, value in given.items() if value is not None}
        for field, value in changes.items():
            if not 1 <= value <= 10:
                raise InvalidInput(f"Scores go from 1 to 10; {field.replace('_', ' ')} was {value}.")
        if episodes is not None and episodes < 1:
            raise InvalidInput("Episodes watched starts at 1.")
        custom_id = encode_edit(current.id, scope, episodes, changes, spoiler)
        await answers.open_modal(
            interaction, render_impression_modal(custom_id, f"Edit impression #{current.id}", current.text)
        )

    @edit.autocomplete("id")
    async def edit_id(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await impression_choices(interaction, current, own=True)

    @requires(Level.AUTHOR)
    @impression.command(name="delete", description="Delete one of your impressions (moderators: any).")
    @app_commands.describe(id="The impression (its number, or series:4772#628)")
    async def delete(self, interaction: discord.Interaction, id: str) -> None:
        actor = await actor_of(interaction)
        target = await self.service.deletable(actor, id)
        series = await self.bot.services.series.find(target.series_id)

        async def confirmed(click: discord.Interaction) -> None:
            await self.service.delete(actor, target.id)
            await answers.update(click, content=f"Impression #{target.id} was deleted.", embed=None, view=None)
            await refresh_public_posts(self.bot, actor.guild_id, target.id)

        await answers.send(
            interaction,
            embed=render_delete_prompt(target, series),
            view=ConfirmView(interaction.user.id, confirmed),
            ephemeral=True,
        )

    @delete.autocomplete("id")
    async def delete_id(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await impression_choices(interaction, current, own=not (await actor_of(interaction)).is_moderator)

    @requires(Level.MEMBER)
    @impression.command(name="show", description="Show one impression: 628 or series:4772#628.")
    @app_commands.describe(id="The impression's number, or series:4772#628", private="Show it only to you")
    async def show(self, interaction: discord.Interaction, id: str, private: bool = False) -> None:
        actor = await actor_of(interaction)
        impression, series = await self.service.find(actor.guild_id, id, actor)
        # What is not published is only ever shown to its author or a moderator, never to the channel.
        public = not private and impression.status == "published"
        message_id = await answers.send(
            interaction, embed=render_impression_card(impression, series), ephemeral=not public
        )
        if public:
            await record_public_card(interaction, message_id, impression)

    @show.autocomplete("id")
    async def show_id(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await impression_choices(interaction, current, own=False)

    @requires(Level.MEMBER)
    @impression.command(name="privacy", description="Whether this server's public web pages may show your name.")
    @app_commands.describe(named='Show your name on the web (off: your impressions read "A member")')
    async def privacy(self, interaction: discord.Interaction, named: bool) -> None:
        await self.bot.services.web.set_named(await actor_of(interaction), named)
        await answers.send(interaction, render_privacy(named), ephemeral=True)

    @requires(Level.MEMBER)
    @impression.command(name="mine", description="Browse your impressions, newest first.")
    @app_commands.describe(series="Only this series (start typing its name)")
    async def mine(self, interaction: discord.Interaction, series: str | None = None) -> None:
        series_id = (await self.bot.services.series.find_ref(series)).id if series else 0
        await send_pages(interaction, "m", str(series_id), "You have not posted any impressions here yet.")

    @mine.autocomplete("series")
    async def mine_series(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await series_choices(interaction, current)


def _parse_scope(raw: str) -> tuple[str, int | None]:
    """ "3" → 3 episodes; "all" or "completed" → completed; "dropped 4" → dropped after 4."""
    text = raw.strip().lower()
    if text in ("all", "completed", "complete", "done", "finished"):
        return "completed", None
    match = re.fullmatch(r"(?:dropped|drop)\s*(?:after\s*)?(\d{1,6})?", text)
    if match:
        return "dropped", int(match[1]) if match[1] else None
    if is_number(text) and len(text) <= 6:
        return "episodes", int(text)
    raise InvalidInput("Episodes watched: a number like 3, or “completed”, or “dropped 4”.")


async def setup(bot: ReviewBot) -> None:
    bot.add_dynamic_items(SeriesImpressionsButton, SeriesPostButton, EditInsteadButton)
    cog = Impressions(bot)
    bot.add_form(PLAN_FORM, Level.MEMBER, cog.post_form)
    bot.add_form(QUICK_FORM, Level.MEMBER, cog.quick_form)
    bot.add_form(EDIT_FORM, Level.AUTHOR, cog.edit_form)
    await bot.add_cog(cog)
