"""When episodes air, and which one a watch announces: pure functions of the clock they are given."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.airing import JST, episode_to_announce, in_jst, parse_broadcast, weekly_rule, with_next_airing
from bot.services.season import airing_on
from bot.store.season import SeasonEntry

ROUGE = "R/2024-01-10T16:25:00.000Z/P7D"  # Metallic Rouge: Thursdays 01:25 in Japan
LAST = "2024-04-04T14:59:59+00:00"  # the end of April 4 in Japan, its last broadcast day


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_episode_n_airs_a_period_after_the_one_before() -> None:
    schedule = parse_broadcast(ROUGE, LAST)
    assert schedule is not None
    assert schedule.airs_at(1) == at("2024-01-10T16:25:00")
    assert schedule.airs_at(5) == at("2024-02-07T16:25:00")
    assert schedule.final_episode() == 13  # capped by the last broadcast
    assert parse_broadcast(ROUGE, None, episodes=12).final_episode() == 12  # type: ignore[union-attr]
    assert schedule.latest_aired(at("2024-01-10T16:24:59")) is None
    assert schedule.latest_aired(at("2024-01-10T16:25:00")) == 1
    assert schedule.latest_aired(at("2024-12-31T00:00:00")) == 13
    assert schedule.next_airing(at("2024-01-11T00:00:00")) == (2, at("2024-01-17T16:25:00"))
    assert schedule.next_airing(at("2024-12-31T00:00:00")) is None


@pytest.mark.parametrize(
    "rule",
    [None, "", "R/2024-01-10T16:25:00.000Z/P0D", "R/2024-01-10T16:25:00.000Z/P1M", "R/yesterday/P7D", "P7D",
     "R/2024-01-10T16:25:00.000Z/P7D/extra", "R/2024-13-40T99:00:00Z/P7D"],
)  # fmt: skip
def test_a_rule_that_is_not_a_plain_repetition_is_skipped_not_guessed(rule: str | None) -> None:
    assert parse_broadcast(rule) is None


def test_other_periods_are_understood() -> None:
    daily = parse_broadcast("R/2024-01-01T00:00:00Z/P1D")
    hourly = parse_broadcast("R/2024-01-01T00:00:00Z/PT12H")
    fortnightly = parse_broadcast("R/2024-01-01T00:00:00Z/P2W")
    assert daily and hourly and fortnightly
    assert (daily.period, hourly.period, fortnightly.period) == (timedelta(1), timedelta(hours=12), timedelta(14))


def test_a_week_of_airings_a_restart_and_downtime_each_announce_the_right_episode() -> None:
    schedule = parse_broadcast(ROUGE, LAST)
    assert schedule is not None
    # Checked every minute through a week: episode 2 is announced once, the minute it airs.
    announced: int | None = 1
    said = []
    moment = at("2024-01-11T00:00:00")
    while moment < at("2024-01-18T00:00:00"):
        episode = episode_to_announce(schedule, moment, announced)
        if episode is not None:
            said.append((episode, moment))
            announced = episode
        moment += timedelta(minutes=1)
    assert said == [(2, at("2024-01-17T16:25:00"))]
    # A restart asks again: what was announced is never announced twice.
    assert episode_to_announce(schedule, at("2024-01-17T17:00:00"), 2) is None
    # Three weeks down: only the latest episode, and only while it is less than a day old.
    assert episode_to_announce(schedule, at("2024-02-07T20:00:00"), 2) == 5
    assert episode_to_announce(schedule, at("2024-02-09T20:00:00"), 2) is None
    # After the final episode, nothing more.
    assert episode_to_announce(schedule, at("2024-04-11T16:30:00"), 13) is None


def test_times_are_said_in_japan_which_keeps_no_daylight_saving_time() -> None:
    assert in_jst(at("2024-01-10T16:25:00")) == "Thursday 01:25 JST"
    assert in_jst(at("2024-07-10T16:25:00")) == "Thursday 01:25 JST"  # same offset in summer


def test_anilists_next_airing_episode_wins_for_that_episode() -> None:
    rule = parse_broadcast(ROUGE, LAST)
    delayed = with_next_airing(rule, 5, "2024-02-14T16:25:00Z")  # a week late
    assert delayed is not None
    assert delayed.airs_at(5) == at("2024-02-14T16:25:00") and delayed.airs_at(4) == rule.airs_at(4)  # type: ignore[union-attr]
    assert delayed.latest_aired(at("2024-02-08T00:00:00")) == 4
    assert episode_to_announce(delayed, at("2024-02-07T16:30:00"), 4) is None
    assert episode_to_announce(delayed, at("2024-02-14T16:30:00"), 4) == 5
    assert delayed.airs_at(6) == at("2024-02-21T16:25:00")  # the episodes after it move with it
    assert episode_to_announce(delayed, at("2024-02-21T16:30:00"), 5) == 6
    early = with_next_airing(rule, 5, "2024-02-06T16:25:00Z")  # a day early
    assert early is not None and early.latest_aired(at("2024-02-06T17:00:00")) == 5


def test_a_series_only_anilist_knows_airs_weekly_through_its_next_episode() -> None:
    schedule = with_next_airing(None, 3, "2024-01-24T16:25:00Z")
    assert schedule is not None and schedule.airs_at(1) == at("2024-01-10T16:25:00")
    assert with_next_airing(None, None, None) is None and with_next_airing(None, 3, "soon") is None


def test_a_corrected_schedule_never_announces_the_episodes_before_it() -> None:
    rule = weekly_rule(at("2024-02-14T16:25:00"), 5)
    assert rule == "R/2024-01-17T16:25:00Z/P7D"
    schedule = replace(parse_broadcast(rule), first=5)  # type: ignore[arg-type]
    assert schedule.latest_aired(at("2024-02-07T16:30:00")) is None  # "episode 4" by the rule: not ours to say
    assert schedule.next_airing(at("2024-02-07T16:30:00")) == (5, at("2024-02-14T16:25:00"))
    assert episode_to_announce(schedule, at("2024-02-14T16:30:00"), None) == 5


# Dates and numbers a dataset (bangumi-data, AniList, a restore file) may hold, near and beyond datetime's
# range: year 1, year 9999 with an offset that moves it past the end, periods of a billion weeks.
INSTANTS = st.one_of(
    st.sampled_from(["0001-01-01T00:00:00+09:00", "9999-12-31T23:00:00-10:00", "9999-12-31T23:59:59Z",
                     "2024-01-10T16:25:00.000Z", "1899-12-31T23:59:59Z", "2200-01-01T00:00:00Z", "garbage"]),
    st.datetimes(timezones=st.sampled_from([UTC, JST, timezone(timedelta(hours=-12)), timezone(timedelta(hours=14))]))
    .map(lambda moment: moment.isoformat()),
)  # fmt: skip
AMOUNTS = st.one_of(st.integers(0, 400), st.integers(0, 10**12)).map(str)
RULES = st.builds(
    lambda start, amount, unit: f"R/{start}/P{'T' if unit == 'H' else ''}{amount}{unit}",
    INSTANTS,
    AMOUNTS,
    st.sampled_from(["W", "D", "H"]),
)


@settings(max_examples=500, deadline=None)
@given(
    RULES, st.none() | INSTANTS, st.none() | st.integers(-5, 10**12), st.none() | st.integers(-5, 10**12),
    st.none() | INSTANTS, st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
)  # fmt: skip
def test_no_rule_date_or_count_a_dataset_holds_breaks_the_schedule(
    rule: str, last: str | None, episodes: int | None, next_episode: int | None, next_at: str | None, now: datetime
) -> None:
    """A schedule is made (or refused, None) and answers every question without leaving datetime's range:
    one series' bad rule used to raise OverflowError out of /season, the watch loop and the import."""
    moment = now.replace(tzinfo=UTC)
    schedule = with_next_airing(parse_broadcast(rule, last, episodes), next_episode, next_at)
    if schedule is None:
        return
    latest = schedule.latest_aired(moment)
    if latest is not None:
        schedule.airs_at(latest)
    schedule.next_airing(moment)
    episode_to_announce(schedule, moment, None)
    entry = SeasonEntry(1, "Fixture", None, None, episodes, rule, last, next_episode, next_at, 0, 0, 0, 0)
    airing_on([entry], moment.date())
    in_jst(schedule.airs_at(schedule.final_episode()))


@settings(max_examples=300, deadline=None)
@given(st.one_of(INSTANTS, st.text(max_size=30)), st.integers(-(10**20), 10**20), st.integers(-(10**6), 10**12))
def test_anilists_and_bangumis_dates_are_read_or_left_out_never_raised(
    begin: str, airing_at: int, episode: int
) -> None:
    from bot.services.anilist import enrichment_of
    from bot.services.bangumi import tokyo_date

    day = tokyo_date(begin)
    assert day is None or 1900 <= int(day[:4]) < 2200
    found = enrichment_of({"nextAiringEpisode": {"episode": episode, "airingAt": airing_at}})
    assert (found.next_episode is None) == (found.next_episode_at is None)
