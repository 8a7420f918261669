"""Episode prompts: the series a server watches, and which episode to announce when (bot/services/airing.py
decides; this applies it to the watches)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from bot.errors import InvalidInput, NotFound
from bot.models import Series
from bot.services.airing import (
    JST,
    Schedule,
    episode_to_announce,
    parse_broadcast,
    weekly_rule,
    with_next_airing,
)
from bot.services.impressions import Actor
from bot.services.moderation import ModerationService
from bot.services.series import SeriesService
from bot.store.watches import LivePrompt, OwnSchedule, PromptKey, Watch, WatchStore

MAX_WATCHES = 100  # per server: a prompt each per episode is plenty
LIVE_FOR = timedelta(days=7)  # a prompt's counts are kept up to date this long after its episode aired
FIRST_YEAR = 1960  # the first weekly TV anime aired in 1963
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True, slots=True)
class Due:
    watch: Watch
    episode: int
    aired_at: datetime


def schedule_of(item: Series | Watch) -> Schedule | None:
    """The airing schedule of a series, or of the series a watch is on (both carry its rule). AniList's next
    airing episode corrects the catalog's rule, never a rule a server's moderators set themselves."""
    schedule = parse_broadcast(item.broadcast, item.broadcast_end, item.episodes)
    if isinstance(item, Watch) and item.own_schedule:
        return None if schedule is None else replace(schedule, first=item.first_episode)
    return with_next_airing(schedule, item.next_episode, item.next_episode_at)


def own_schedule_of(own: OwnSchedule) -> Schedule | None:
    schedule = parse_broadcast(own.broadcast, None, own.episodes)
    return None if schedule is None else replace(schedule, first=own.first_episode)


def parse_airing(day: str, clock: str, today: date) -> datetime:
    """When an episode airs, from the day and time in Japan a moderator typed. Late-night times may
    be written the Japanese broadcast way, "25:30" for 01:30 the next morning."""
    try:
        aired_on = date.fromisoformat(day.strip())
    except ValueError:
        raise InvalidInput("Write the date as YYYY-MM-DD, the day in Japan (e.g. 2024-01-10).") from None
    if not FIRST_YEAR <= aired_on.year <= today.year + 2:
        raise InvalidInput(f"The date should be between {FIRST_YEAR} and {today.year + 2}.")
    match = _CLOCK.match(clock.strip())
    if match is None or int(match[1]) > 29 or int(match[2]) > 59:
        raise InvalidInput('Write the time as HH:MM in Japan, 00:00 to 29:59 (e.g. "01:25" or "25:25").')
    local = datetime.combine(aired_on, time(), JST) + timedelta(hours=int(match[1]), minutes=int(match[2]))
    return local.astimezone(UTC)


class WatchService:
    def __init__(self, watches: WatchStore, series: SeriesService) -> None:
        self._watches = watches
        self._series = series

    async def add(self, actor: Actor, typed: str, channel_id: int) -> tuple[Series, Schedule]:
        ModerationService.require_moderator(actor)
        series = await self._series.find_ref(typed)
        own = await self._watches.own_schedule(actor.guild_id, series.id)
        schedule = schedule_of(series) if own is None else own_schedule_of(own)
        if schedule is None:
            raise InvalidInput(
                "The catalog has no airing schedule for {}, so the bot cannot tell when its episodes air. "
                "Set one with /watch schedule (the day and time an episode airs in Japan), then add the watch "
                "again; nothing was changed.",
                series.title,
            )
        watched = await self._watches.of_guild(actor.guild_id)
        if len(watched) >= MAX_WATCHES and all(w.series_id != series.id for w in watched):
            raise InvalidInput(f"A server watches at most {MAX_WATCHES} series; remove one first.")
        await self._watches.add(actor.guild_id, series.id, channel_id, actor.user_id)
        return series, schedule

    async def set_schedule(
        self, actor: Actor, typed: str, aired: datetime | None, episode: int, episodes: int | None
    ) -> tuple[Series, Schedule | None]:
        """This server's own schedule of a series: episode `episode` airs at `aired`, then one a week
        (None: drop it, and use the catalog's again). The schedule now in force."""
        ModerationService.require_moderator(actor)
        series = await self._series.find_ref(typed)
        if episodes is not None and episode > episodes:
            raise InvalidInput(f"Episode {episode} is past the last one ({episodes}).")
        own = None if aired is None else OwnSchedule(weekly_rule(aired, episode), episodes, episode)
        before = await self._watches.set_schedule(actor.guild_id, series.id, own, actor.user_id)
        if own is None:
            if before is None:
                raise NotFound("This server has no schedule of its own for {}; nothing was changed.", series.title)
            return series, schedule_of(series)
        return series, own_schedule_of(own)

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
        aired = due.aired_at.isoformat()
        return await self._watches.claim(watch.guild_id, watch.series_id, due.episode, watch.channel_id, aired)

    async def posted(self, due: Due, message_id: int, thread_id: int | None) -> None:
        await self._watches.posted(
            PromptKey(due.watch.guild_id, due.watch.series_id, due.episode), message_id, thread_id
        )

    async def live(self, now: datetime) -> list[LivePrompt]:
        """The prompts whose counts are kept up to date at `now`: those of episodes aired in the last week."""
        return await self._watches.live((now - LIVE_FOR).isoformat(), now.isoformat())

    async def shown(self, prompt: LivePrompt, line: str) -> None:
        await self._watches.shown(prompt.key, line)

    async def disable(self, watch: Watch, reason: str) -> None:
        await self._watches.disable(watch, reason)
