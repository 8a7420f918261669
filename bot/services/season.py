"""/season: the series of an anime season with this server's numbers, and what airs today in Japan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.errors import NotFound
from bot.services.airing import JST, parse_broadcast, with_next_airing
from bot.store.season import SeasonEntry, SeasonStore

SEASONS = ("Winter", "Spring", "Summer", "Fall")  # the Japanese broadcast seasons, from January
SEASON_PAGE = 15
OPEN_RULES_FOR = timedelta(days=730)  # a rule with no end and no episode count airs at most this long


@dataclass(frozen=True, slots=True)
class Airing:
    series_id: int
    title: str
    episode: int
    at: datetime


@dataclass(frozen=True, slots=True)
class SeasonPage:
    year: int
    season: str
    entries: list[SeasonEntry]  # this page's, the most discussed here first
    page: int
    pages: int
    count: int  # series in the season
    reviewed: int  # of them, how many this server has impressions of
    airing_today: list[Airing] | None  # None: not the current season (today's airings belong to it)
    today: date  # in Japan


def season_of(day: date) -> tuple[int, str]:
    return day.year, SEASONS[(day.month - 1) // 3]


def season_span(year: int, season: str) -> tuple[date, date]:
    """The first day of the season and the first day after it."""
    first_month = 1 + 3 * SEASONS.index(season)
    after = date(year + 1, 1, 1) if season == "Fall" else date(year, first_month + 3, 1)
    return date(year, first_month, 1), after


def _discussed_first(entry: SeasonEntry) -> tuple[int, int, str, str]:
    return -entry.impressions, -entry.reviewers, entry.premiered or "9999", entry.title.casefold()


def airing_on(entries: list[SeasonEntry], day: date) -> list[Airing]:
    """The episodes that air on `day` in Japan, in the order they air."""
    start = datetime.combine(day, time(), JST)
    end = start + timedelta(days=1)
    found = []
    for entry in entries:
        rule = parse_broadcast(entry.broadcast, entry.broadcast_end, entry.episodes)
        schedule = with_next_airing(rule, entry.next_episode, entry.next_episode_at)
        episode = None if schedule is None else schedule.latest_aired(end - timedelta(microseconds=1))
        if schedule is not None and episode is not None and schedule.airs_at(episode) >= start:
            found.append(Airing(entry.series_id, entry.title, episode, schedule.airs_at(episode)))
    return sorted(found, key=lambda airing: (airing.at, airing.title.casefold()))


class SeasonService:
    def __init__(self, season: SeasonStore) -> None:
        self._season = season

    async def page(self, guild_id: int, year: int | None, season: str | None, page: int, now: datetime) -> SeasonPage:
        """A page of a season (default: the current one in Japan) with this server's averages and counts."""
        today = now.astimezone(JST).date()
        current = season_of(today)
        chosen = (year or current[0], season or current[1])
        if chosen[1] not in SEASONS:
            raise NotFound("The seasons are Winter, Spring, Summer and Fall.")
        span = season_span(*chosen)
        rows = await self._season.season(guild_id, chosen[1], chosen[0], span, today, today - OPEN_RULES_FOR)
        if not rows.series and chosen != current:  # the current season still has today's airings to show
            raise NotFound(f"The catalog has no series for {chosen[1]} {chosen[0]}.")
        ordered = sorted(rows.series, key=_discussed_first)
        pages = max(1, -(-len(ordered) // SEASON_PAGE))
        page = min(max(0, page), pages - 1)
        return SeasonPage(
            year=chosen[0],
            season=chosen[1],
            entries=ordered[page * SEASON_PAGE : (page + 1) * SEASON_PAGE],
            page=page,
            pages=pages,
            count=len(ordered),
            reviewed=sum(1 for entry in ordered if entry.impressions),
            airing_today=airing_on(rows.airing, today) if chosen == current else None,
            today=today,
        )
