"""Episode prompts: the series a server watches, and which episode to announce when (bot/services/airing.py
decides; this applies it to the watches)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.errors import InvalidInput, NotFound
from bot.models import Series
from bot.services.airing import Schedule, episode_to_announce, parse_broadcast
from bot.services.impressions import Actor
from bot.services.moderation import ModerationService
from bot.services.series import SeriesService
from bot.store.watches import Watch, WatchStore

MAX_WATCHES = 100  # per server: a prompt each per episode is plenty


@dataclass(frozen=True, slots=True)
class Due:
    watch: Watch
    episode: int
    aired_at: datetime


def schedule_of(item: Series | Watch) -> Schedule | None:
    """The airing schedule of a series, or of the series a watch is on (both carry its rule)."""
    return parse_broadcast(item.broadcast, item.broadcast_end, item.episodes)


class WatchService:
    def __init__(self, watches: WatchStore, series: SeriesService) -> None:
        self._watches = watches
        self._series = series

    async def add(self, actor: Actor, typed: str, channel_id: int) -> tuple[Series, Schedule]:
        ModerationService.require_moderator(actor)
        series = await self._series.find_ref(typed)
        schedule = schedule_of(series)
        if schedule is None:
            raise InvalidInput(
                "The catalog has no airing schedule for {}, so the bot cannot tell when its episodes air; "
                "nothing was changed.",
                series.title,
            )
        watched = await self._watches.of_guild(actor.guild_id)
        if len(watched) >= MAX_WATCHES and all(w.series_id != series.id for w in watched):
            raise InvalidInput(f"A server watches at most {MAX_WATCHES} series; remove one first.")
        await self._watches.add(actor.guild_id, series.id, channel_id, actor.user_id)
        return series, schedule

    async def remove(self, actor: Actor, typed: str) -> Series:
        ModerationService.require_moderator(actor)
        series = await self._series.find_ref(typed)
        if not await self._watches.remove(actor.guild_id, series.id, actor.user_id):
            raise NotFound("This server does not watch {}.", series.title)
        return series

    async def watched(self, actor: Actor) -> list[tuple[Watch, Schedule | None]]:
        ModerationService.require_moderator(actor)
        watches = await self._watches.of_guild(actor.guild_id)
        return [(watch, schedule_of(watch)) for watch in watches]

    async def due(self, now: datetime) -> list[Due]:
        """The prompts to post at `now`, one per watch at most."""
        found = []
        for watch in await self._watches.active():
            schedule = schedule_of(watch)
            episode = None if schedule is None else episode_to_announce(schedule, now, watch.announced)
            if schedule is not None and episode is not None:
                found.append(Due(watch, episode, schedule.airs_at(episode)))
        return found

    async def claim(self, due: Due) -> bool:
        watch = due.watch
        return await self._watches.claim(watch.guild_id, watch.series_id, due.episode, watch.channel_id)

    async def posted(self, due: Due, message_id: int) -> None:
        await self._watches.posted(due.watch.guild_id, due.watch.series_id, due.episode, message_id)

    async def disable(self, watch: Watch, reason: str) -> None:
        await self._watches.disable(watch, reason)
