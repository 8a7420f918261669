"""When episodes air: a series' broadcast rule, and which episode of a watched series to announce.

bangumi-data gives a broadcast rule as an ISO 8601 repeating interval, "R/2024-01-10T16:25:00.000Z/P7D":
episode N airs at start + (N − 1) · period, up to the episode count or the last broadcast when known.
Pure functions of the time they are given, so the scheduler is tested with any clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.parsing import parse_instant

JST = ZoneInfo("Asia/Tokyo")
CATCH_UP = timedelta(hours=24)  # after downtime, an episode older than this is not announced any more
MAX_EPISODES = 2000  # a rule without an end still stops somewhere
_RULE = re.compile(r"^R\d*/(?P<start>[0-9T:.+\-Z]+)/P(?:(?P<weeks>\d+)W|(?P<days>\d+)D|T(?P<hours>\d+)H)$")


WEEK = timedelta(days=7)
LONGEST_PERIOD = timedelta(days=366)  # a rule repeating less often than yearly describes no broadcast


@dataclass(frozen=True, slots=True)
class Schedule:
    start: datetime  # episode 1, aware (UTC)
    period: timedelta
    last: datetime | None = None  # the last broadcast, when known
    episodes: int | None = None  # the episode count, when known
    known: tuple[int, datetime] | None = None  # AniList's next airing episode and its time: it and the later ones
    first: int = 1  # episodes before this one aired before the rule began (a corrected schedule): never due

    def airs_at(self, episode: int) -> datetime:
        if self.known is not None and episode >= self.known[0]:  # a delay moves the episodes after it too
            return self.known[1] + (episode - self.known[0]) * self.period
        return self.start + (episode - 1) * self.period

    def final_episode(self) -> int:
        final = MAX_EPISODES if self.episodes is None else min(self.episodes, MAX_EPISODES)
        if self.last is not None and self.last >= self.start:
            final = min(final, 1 + (self.last - self.start) // self.period)
        return max(1, final)

    def latest_aired(self, now: datetime) -> int | None:
        """The newest episode that has aired by `now`, or None before the first."""
        if self.known is not None and now >= self.known[1]:
            latest = self.known[0] + (now - self.known[1]) // self.period
        elif now < self.start:
            latest = 0
        else:
            latest = 1 + (now - self.start) // self.period
            if self.known is not None:  # before the known airing, the episodes from it on have not aired
                latest = min(latest, self.known[0] - 1)
        latest = min(latest, self.final_episode())
        return latest if latest >= self.first else None

    def next_airing(self, now: datetime) -> tuple[int, datetime] | None:
        latest = self.latest_aired(now) or self.first - 1
        if latest >= self.final_episode():
            return None
        return latest + 1, self.airs_at(latest + 1)


def parse_broadcast(rule: str | None, last: str | None = None, episodes: int | None = None) -> Schedule | None:
    """The schedule a broadcast rule describes; None for none, or for one that is not a weekly, daily or
    hourly repetition (a zero period, a month, garbage): those are skipped, never guessed."""
    match = _RULE.match(rule or "")
    if match is None:
        return None
    start = parse_instant(match["start"])
    digits = match["weeks"] or match["days"] or match["hours"]
    unit = "weeks" if match["weeks"] else "days" if match["days"] else "hours"
    period = timedelta(**{unit: int(digits)}) if len(digits) <= 6 else None  # (more digits: too long anyway)
    if start is None or period is None or not timedelta(0) < period <= LONGEST_PERIOD:
        return None
    ended = parse_instant(last) if last else None
    return Schedule(start, period, ended, episodes if episodes and episodes > 0 else None)


def with_next_airing(schedule: Schedule | None, episode: int | None, at: str | None) -> Schedule | None:
    """A schedule corrected by AniList's next airing episode; for a series with no rule of its own, a weekly
    one through that airing (how almost every series airs)."""
    moment = parse_instant(at) if at else None
    if not episode or not 1 <= episode <= MAX_EPISODES or moment is None:
        return schedule
    if schedule is None:
        return Schedule(moment - (episode - 1) * WEEK, WEEK, None, None, (episode, moment))
    return replace(schedule, known=(episode, moment))


def weekly_rule(aired: datetime, episode: int) -> str:
    """The broadcast rule of a weekly series whose episode `episode` airs at `aired`."""
    start = aired - (episode - 1) * WEEK
    return f"R/{start.astimezone(UTC).isoformat(timespec='seconds').replace('+00:00', 'Z')}/P7D"


def episode_to_announce(schedule: Schedule, now: datetime, announced: int | None) -> int | None:
    """The episode a watch should announce at `now`: the newest aired one, if it aired within the last
    day and is newer than the last one announced. One rule for every case: a normal airing, a restart
    (the same episode is never announced twice) and downtime (only the latest, and only while fresh)."""
    latest = schedule.latest_aired(now)
    if latest is None or (announced is not None and latest <= announced):
        return None
    if now - schedule.airs_at(latest) > CATCH_UP:
        return None
    return latest


def in_jst(moment: datetime) -> str:
    """ "Wednesday 01:25 JST": how a broadcast time is said in Japan (no daylight saving time there)."""
    local = moment.astimezone(JST)
    return f"{local:%A %H:%M} JST"
