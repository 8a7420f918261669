"""The one error path for every command, button, select and modal."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

import discord
from discord import app_commands

from bot.failures import handle_interaction_error, release_response
from bot.models import Impression, Series
from bot.parsing import is_blank
from bot.permissions import PRIVILEGED, REFUSALS, Level, LevelRefused
from bot.render import TEXT_INPUT_ID
from bot.render.impressions import render_impression_card, render_withdrawn
from bot.render.series import render_choice_name, render_loading_choice
from bot.render.text import md
from bot.services.impressions import Actor
from bot.services.series import series_ref

if TYPE_CHECKING:
    from bot.client import ReviewBot
    from bot.services import Services

log = logging.getLogger("bot.client")


class GuardedCallback:
    """Mix into a DynamicItem: it declares the button's `level`, checked before `handle` runs; and
    discord.py only logs what a dynamic item's callback raises, so the member would see "interaction
    failed": this routes it to the one error handler instead."""

    level: ClassVar[Level]

    async def handle(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await require_level(interaction, self.level)
            await self.handle(interaction)
        except Exception as error:
            await handle_interaction_error(interaction, error)
        finally:
            release_response(interaction)  # the last use of it: freed now, not by a full collection


def has_moderator_permissions(user: discord.abc.User) -> bool:
    """Manage Messages, Manage Server or Administrator from the member's roles in the whole server.

    Never `interaction.permissions`: those are the permissions in one channel, where an overwrite can
    grant Manage Messages to anyone, and a channel is not the server.
    """
    if not isinstance(user, discord.Member):
        return False
    granted = user.guild_permissions
    return granted.manage_messages or granted.manage_guild or granted.administrator


def bot_of(interaction: discord.Interaction) -> ReviewBot:
    """The bot behind an interaction: always ours, which discord.py's types cannot know."""
    return cast("ReviewBot", interaction.client)


def services_of(interaction: discord.Interaction) -> Services:
    return bot_of(interaction).services


class PersistentButton(GuardedCallback, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """A button that keeps working after a restart: a subclass gives its `template` (the custom_id it
    owns), its `level`, `from_match` (the id back to an item) and `handle`; the rest lives here."""

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls.from_match(match)


def guild_of(interaction: discord.Interaction) -> int:
    """The server an interaction happens in, for reads that need no actor; 0 in a direct message,
    where nothing is stored."""
    return interaction.guild_id or 0


async def moderates(services: Services, user: discord.abc.User, guild_id: int) -> bool:
    """The one moderator rule: guild-level permissions, or the server's mod role (from the settings the
    store keeps, so usually no read)."""
    if not guild_id or not isinstance(user, discord.Member):
        return False
    if has_moderator_permissions(user):
        return True
    role = (await services.moderation.settings_for_check(guild_id)).mod_role_id
    return role is not None and any(held.id == role for held in user.roles)


async def actor_of(interaction: discord.Interaction) -> Actor:
    """Who is acting, where, and whether they moderate this server (guild-level permissions or its mod
    role): the context every service call that acts takes.

    Resolved once per interaction (the mod role may take a database read) and kept on it.
    """
    cached = interaction.extras.get("actor")
    if isinstance(cached, Actor):
        return cached
    guild_id = guild_of(interaction)
    is_moderator = await moderates(services_of(interaction), interaction.user, guild_id)
    # A name of fillers or zero-width spaces shows as nothing on a card: the username then (never blank).
    name = interaction.user.display_name
    actor = Actor(interaction.user.id, interaction.user.name if is_blank(name) else name, is_moderator, guild_id)
    interaction.extras["actor"] = actor
    return actor


async def require_level(interaction: discord.Interaction, level: Level) -> None:
    """Refuse the interaction unless its member has `level` here (the declared, first-line check)."""
    if level not in PRIVILEGED:
        return
    if level is Level.OWNER:
        allowed = await bot_of(interaction).is_owner(interaction.user)
    else:
        actor = await actor_of(interaction)
        if level is Level.MODERATOR:
            allowed = actor.is_moderator
        else:
            allowed = services_of(interaction).curation.is_curator(actor)
    if not allowed:
        raise LevelRefused(REFUSALS[level])


async def post_card(
    guild: discord.Guild | None,
    channel_id: int | None,
    impression: Impression,
    series: Series,
    *,
    content: str,
    view: discord.ui.View | None = None,
) -> discord.Message | None:
    """Post an impression card to a configured channel of this very server (a stale or foreign id is ignored)."""
    channel = guild.get_channel(channel_id) if guild is not None and channel_id else None
    if not isinstance(channel, discord.TextChannel):
        return None
    try:
        return await channel.send(
            content=content,
            embed=render_impression_card(impression, series),
            view=view or discord.utils.MISSING,
            allowed_mentions=discord.AllowedMentions.none(),
        )
    except discord.HTTPException:
        log.warning("Could not post impression %s in channel %s", impression.id, channel.id, exc_info=True)
        return None


async def series_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete of a series option: up to 25 titles for what the member typed, valued series:<id>."""
    suggestions = await services_of(interaction).series.suggest(current, discord.utils.utcnow().date())
    if suggestions is None:
        return [render_loading_choice(current)]
    return [app_commands.Choice(name=render_choice_name(s), value=series_ref(s.label.series_id)) for s in suggestions]


def form_values(interaction: discord.Interaction) -> dict[str, str]:
    """custom_id → value of every text input of a submitted form (in action rows or in labels)."""
    data = cast(dict[str, Any], interaction.data or {})
    values: dict[str, str] = {}
    for row in data.get("components") or []:
        children = row.get("components") or ([row["component"]] if "component" in row else [])
        for child in children:
            values[str(child.get("custom_id"))] = str(child.get("value") or "")
    return values


def form_text(interaction: discord.Interaction) -> str:
    """The one text input of a submitted impression or reason form."""
    return form_values(interaction).get(TEXT_INPUT_ID, "")


async def announce_impression(interaction: discord.Interaction, impression: Impression, series: Series) -> None:
    """A newly published impression, in the server's announcement channel when one is set."""
    if impression.status != "published":  # never a card of what the channel may not read
        return
    services = services_of(interaction)
    channel_id = (await services.moderation.settings_for_check(impression.guild_id)).announce_channel_id
    message = await post_card(interaction.guild, channel_id, impression, series, content=announcement(series))
    if message is not None:
        await record_public_post(interaction.client, impression, message.channel.id, message.id, "announcement")


def announcement(series: Series) -> str:
    return f"New impression of **{md(series.title, 300, newlines=False)}**"


async def record_public_card(interaction: discord.Interaction, message_id: int | None, impression: Impression) -> None:
    """Remember a public card the bot answered with, so hiding or deleting the impression can edit it."""
    if message_id is None or interaction.channel_id is None or impression.status != "published":
        return
    await record_public_post(interaction.client, impression, interaction.channel_id, message_id, "card")


async def record_public_post(
    client: discord.Client, impression: Impression, channel_id: int, message_id: int, kind: str
) -> None:
    """Remember a public post of `impression` as sent; if the impression changed between the post and its
    record (hidden, deleted, edited), that change's refresh may have read the posts without this one, so
    bring them in line now. One write in the usual case: the record reads the impression back itself."""
    services = cast("ReviewBot", client).services
    now = await services.impressions.record_post(impression.guild_id, impression.id, channel_id, message_id, kind)
    if now != impression:
        await refresh_public_posts(client, impression.guild_id, impression.id)


async def refresh_public_posts(client: discord.Client, guild_id: int, impression_id: int) -> None:
    """Bring the bot's earlier public posts of an impression in line with it: its card while it is
    published, one short line once it is hidden, deleted or rejected (so it stops being readable). A
    public page of a list keeps its pager."""
    services = cast("ReviewBot", client).services
    shown, posts = await services.impressions.public_posts(guild_id, impression_id)
    for channel_id, message_id, kind in posts:
        channel = client.get_channel(channel_id)
        # Threads and voice-channel chats hold cards too; a channel of another server never.
        if not isinstance(channel, discord.TextChannel | discord.Thread | discord.VoiceChannel):
            continue
        if channel.guild.id != guild_id:
            continue
        message = channel.get_partial_message(message_id)
        try:
            if kind == "page":  # a public page of a list: its pager stays, to turn to the others
                if shown is None:
                    await message.edit(content=render_withdrawn(impression_id), embeds=[])
                else:
                    await message.edit(content=None, embed=render_impression_card(*shown))
            elif shown is None:
                await message.edit(content=render_withdrawn(impression_id), embeds=[], view=None)
            else:
                content = announcement(shown[1]) if kind == "announcement" else None
                await message.edit(content=content, embed=render_impression_card(*shown), view=None)
        except discord.NotFound:
            await services.impressions.forget_post(message_id)  # deleted by someone: nothing left to edit
        except discord.HTTPException:
            log.warning("Could not update post %s of impression %s", message_id, impression_id, exc_info=True)
