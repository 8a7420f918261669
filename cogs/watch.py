"""/watch add|remove|list, and the episode prompts: posted when an episode of a watched series airs."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Literal, Self

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import answers
from bot.client import ReviewBot
from bot.errors import InvalidInput
from bot.interactions import PersistentButton, actor_of, bot_of, series_choices
from bot.models import Scores
from bot.permissions import Level, requires
from bot.render.impressions import render_impression_modal
from bot.render.watch import (
    EPISODE_POST_TEMPLATE,
    render_episode_button,
    render_episode_prompt,
    render_episode_thread_name,
    render_prompt_counts,
    render_schedule_set,
    render_watch_added,
    render_watch_list,
    render_watch_removed,
)
from bot.services.airing import JST, MAX_EPISODES
from bot.services.impression_ids import encode_plan
from bot.services.series import series_ref
from bot.services.watches import Due, WatchService, parse_airing

log = logging.getLogger(__name__)
CHECK_EVERY_S = 60.0
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080  # a week: until the next episode's thread takes over


class EpisodePostButton(PersistentButton, template=EPISODE_POST_TEMPLATE):
    """ "Post impression (episode 5)" under a prompt: the impression form, its scope set to 5 episodes."""

    level = Level.MEMBER

    def __init__(self, series_id: int, episode: int) -> None:
        super().__init__(render_episode_button(series_id, episode))
        self.series_id, self.episode = series_id, episode

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        return cls(int(match["series"]), int(match["episode"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        if interaction.guild_id is None:
            raise InvalidInput("Impressions are posted inside a server.")
        plan, series = await bot_of(interaction).services.impressions.plan(
            await actor_of(interaction), series_ref(self.series_id), "episodes", self.episode, Scores(), False
        )
        title = f"Episode {self.episode}: {series.title}"
        await answers.open_modal(interaction, render_impression_modal(encode_plan(plan), title))


class Watch(commands.Cog):
    def __init__(self, bot: ReviewBot) -> None:
        self.bot = bot
        self.service: WatchService = bot.services.watches

    watch = app_commands.Group(
        name="watch",
        description="Episode prompts: the bot invites impressions when an episode of a watched series airs.",
        default_permissions=discord.Permissions(manage_messages=True),
        guild_only=True,
    )

    @requires(Level.MODERATOR)
    @watch.command(name="add", description="Post a prompt in a channel whenever an episode of this series airs.")
    @app_commands.describe(series="The series (start typing its name)", channel="Where (default: this channel)")
    async def add(
        self, interaction: discord.Interaction, series: str, channel: discord.TextChannel | None = None
    ) -> None:
        target = channel.id if channel is not None else interaction.channel_id
        if target is None:
            raise InvalidInput("Name the channel the prompts go to.")
        found, schedule = await self.service.add(await actor_of(interaction), series, target)
        text = render_watch_added(found.title, target, schedule, datetime.now(UTC))
        await answers.send(interaction, text, ephemeral=True)

    @requires(Level.MODERATOR)
    @watch.command(name="schedule", description="Set this server's own airing schedule of a series, or reset it.")
    @app_commands.describe(
        series="The series (start typing its name)",
        date="The day an episode airs in Japan, YYYY-MM-DD",
        time="The time it airs in Japan, HH:MM (late night may be written 25:30)",
        episode="Which episode airs then (default 1); one a week from there",
        episodes="How many episodes it has, when the catalog does not know",
        reset="Drop this server's schedule and use the catalog's again",
    )
    async def schedule(
        self,
        interaction: discord.Interaction,
        series: str,
        date: app_commands.Range[str, 1, 20] | None = None,
        time: app_commands.Range[str, 1, 10] | None = None,
        episode: app_commands.Range[int, 1, MAX_EPISODES] = 1,
        episodes: app_commands.Range[int, 1, MAX_EPISODES] | None = None,
        reset: bool = False,
    ) -> None:
        now = datetime.now(UTC)
        if reset:
            aired = None
        elif date is None or time is None:
            raise InvalidInput("Give the date and the time an episode airs in Japan, or reset:true.")
        else:
            aired = parse_airing(date, time, now.astimezone(JST).date())
        found, schedule = await self.service.set_schedule(await actor_of(interaction), series, aired, episode, episodes)
        text = render_schedule_set(found.title, schedule, now, reset)
        await answers.send(interaction, text, ephemeral=True)

    @requires(Level.MODERATOR)
    @watch.command(name="remove", description="Stop the episode prompts of a series.")
    @app_commands.describe(series="The series (start typing its name)")
    async def remove(self, interaction: discord.Interaction, series: str) -> None:
        found = await self.service.remove(await actor_of(interaction), series)
        await answers.send(interaction, render_watch_removed(found.title), ephemeral=True)

    @requires(Level.MODERATOR)
    @watch.command(name="list", description="The series this server watches, and when their next episode airs.")
    async def listing(self, interaction: discord.Interaction) -> None:
        watched = await self.service.watched(await actor_of(interaction))
        await answers.send(interaction, embed=render_watch_list(watched, datetime.now(UTC)), ephemeral=True)

    @add.autocomplete("series")
    @remove.autocomplete("series")
    @schedule.autocomplete("series")
    async def series_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await series_choices(interaction, current)

    async def announce_due(self, now: datetime) -> int:
        """Post every prompt due at `now` (the clock is the caller's: tests pass theirs); how many."""
        posted = 0
        for due in await self.service.due(now):
            guild = self.bot.get_guild(due.watch.guild_id)
            if guild is None or guild.unavailable:
                continue  # not connected to that server (yet): the next check tries again
            channel = guild.get_channel_or_thread(due.watch.channel_id)
            if not isinstance(channel, discord.TextChannel | discord.Thread):
                await self.service.disable(due.watch, "its channel is gone.")
                continue
            if not await self.service.claim(due):
                continue  # posted already, by this run or an earlier one
            watch = due.watch
            content, view = render_episode_prompt(watch.series_id, watch.title, due.episode, due.aired_at)
            try:
                message = await channel.send(content, view=view, allowed_mentions=discord.AllowedMentions.none())
            except (discord.Forbidden, discord.NotFound):
                await self.service.disable(watch, "the bot may not post in its channel.")
                continue
            await self.service.posted(due, message.id, await self._open_thread(message, due))
            posted += 1
        return posted

    async def _open_thread(self, message: discord.Message, due: Due) -> int | None:
        """A discussion thread under the prompt, when the server wants them; a prompt without one is still a
        prompt, so a refusal is one log line."""
        settings = await self.bot.services.moderation.settings_for_check(due.watch.guild_id)
        if not settings.episode_threads or not isinstance(message.channel, discord.TextChannel):
            return None
        try:
            name = render_episode_thread_name(due.watch.title, due.episode)
            thread = await message.create_thread(name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except discord.HTTPException as error:
            log.info("No thread for episode %s of series %s: %s", due.episode, due.watch.series_id, error)
            return None
        return thread.id

    async def refresh_counts(self, now: datetime) -> int:
        """Bring each recent prompt's line "12 impressions after episode 5 · average Overall 7.4" up to date;
        how many messages were edited. Run once a minute, so a prompt is edited at most once a minute, and
        only when its line changed."""
        edited = 0
        for prompt in await self.service.live(now):
            if self.bot.get_guild(prompt.key.guild_id) is None:
                continue  # a server of a shard another process holds: that process keeps its prompts
            line = render_prompt_counts(prompt)
            if line is None or line == prompt.shown:
                continue
            aired_at = datetime.fromisoformat(prompt.aired_at)
            content, _ = render_episode_prompt(prompt.key.series_id, prompt.title, prompt.key.episode, aired_at, line)
            channel = self.bot.get_partial_messageable(prompt.channel_id, guild_id=prompt.key.guild_id)
            try:
                await channel.get_partial_message(prompt.message_id).edit(content=content)
                edited += 1
            except discord.HTTPException as error:  # deleted, or no access any more: stop trying
                log.info("Prompt %s was not updated: %s", prompt.message_id, error)
            await self.service.shown(prompt, line)
        return edited

    @tasks.loop(seconds=CHECK_EVERY_S)
    async def airing_check(self) -> None:
        try:
            now = datetime.now(UTC)
            await self.announce_due(now)
            await self.refresh_counts(now)
        except Exception:  # one line, and the next minute tries again
            log.exception("Episode prompts could not be posted this time")

    @airing_check.before_loop
    async def wait_for_the_servers(self) -> None:
        await self.bot.wait_until_ready()  # before that, no channel is known and every watch looks broken

    async def cog_load(self) -> None:
        self.airing_check.start()

    async def cog_unload(self) -> None:
        self.airing_check.cancel()


async def setup(bot: ReviewBot) -> None:
    bot.add_dynamic_items(EpisodePostButton)
    await bot.add_cog(Watch(bot))
