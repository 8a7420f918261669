"""Records passed between layers. Frozen: a record is a snapshot, never a live handle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Series:
    id: int
    title: str
    title_english: str | None = None
    title_japanese: str | None = None
    synonyms: tuple[str, ...] = ()
    format: str | None = None
    episodes: int | None = None
    status: str | None = None
    premiered: date | None = None
    season: str | None = None
    year: int | None = None
    studios: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    notables: tuple[str, ...] = ()
    synopsis: str | None = None
    synopsis_credit: str | None = None
    links: tuple[Link, ...] = ()
    official_site: str | None = None
    picture: str | None = None
    anilist_id: int | None = None
    mal_id: int | None = None
    sources: tuple[str, ...] = ()
    curated_fields: frozenset[str] = frozenset()
    merged_into: int | None = None
    enriched_at: str | None = None
    broadcast: str | None = None  # ISO 8601 repeating interval of its airings (bot/services/airing.py)
    broadcast_end: str | None = None
    next_episode: int | None = None  # AniList's next airing episode, when enrichment is on
    next_episode_at: str | None = None


@dataclass(slots=True)
class CatalogEntry:
    """One series as a dataset describes it, before it is merged into the catalog."""

    title: str
    sources: list[str]
    title_english: str | None = None
    title_japanese: str | None = None
    synonyms: list[str] = field(default_factory=list)
    format: str | None = None
    episodes: int | None = None
    status: str | None = None
    premiered: str | None = None
    season: str | None = None
    year: int | None = None
    studios: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    official_site: str | None = None
    picture: str | None = None
    broadcast: str | None = None  # ISO 8601 repeating interval of its airings
    broadcast_end: str | None = None  # the last broadcast (an instant), when known


@dataclass(frozen=True, slots=True)
class IndexedName:
    """One name of one series, as the lookup index needs it."""

    series_id: int
    name: str
    kind: str


class SeriesLabel(NamedTuple):
    """What a member needs to tell remakes apart in a list: "Hunter x Hunter (2011, TV)".

    A tuple, not a dataclass: the lookup index holds one per series, and tuples of plain values
    are not traversed by the garbage collector.
    """

    series_id: int
    title: str
    year: int | None
    format: str | None


CATEGORIES: tuple[tuple[str, str, str], ...] = (
    # (field, full name, table header ≤ 4 columns)
    ("overall", "Overall", "Ovr"),
    ("art", "Art", "Art"),
    ("animation", "Animation", "Anim"),
    ("character_design", "Character Design", "Char"),
    ("music", "Music", "Mus"),
    ("series_story", "Series Story", "SerS"),
    ("episode_story", "Episode Story", "EpS"),
)
CATEGORY_FIELDS = tuple(field for field, _, _ in CATEGORIES)
SERIES_EPISODES_MAX = 5000  # the most episodes a series is taken to have (a dataset saying more is wrong)
IMPRESSION_TEXT_MAX = 4000  # an impression's text at most: what Discord's form input holds, so it can be edited


@dataclass(frozen=True, slots=True)
class Scores:
    """Seven optional 1-10 scores; None means Unevaluated."""

    overall: int | None = None
    art: int | None = None
    animation: int | None = None
    character_design: int | None = None
    music: int | None = None
    series_story: int | None = None
    episode_story: int | None = None

    def values(self) -> tuple[int | None, ...]:
        return tuple(getattr(self, field) for field in CATEGORY_FIELDS)


@dataclass(frozen=True, slots=True)
class Impression:
    id: int
    guild_id: int
    series_id: int
    author_id: int
    author_name: str
    scope: str  # episodes | completed | dropped
    episodes_watched: int | None
    text: str
    spoiler: bool
    scores: Scores
    status: str
    featured: bool
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class Average:
    value: float | None
    count: int


class SeriesFacts(NamedTuple):
    """The little a post needs to know of its series, read in one query."""

    id: int
    title: str
    episodes: int | None
    merged_into: int | None


@dataclass(frozen=True, slots=True)
class ReviewerRow:
    """One row of a series' ratings table: a reviewer's latest published impression."""

    id: int
    author_name: str
    featured: bool
    scores: Scores
    author_id: int = 0  # the web names no one who asked not to be named


@dataclass(frozen=True, slots=True)
class Ratings:
    """A series' ratings in one server: the reviewers shown, per-category averages, how many reviewed."""

    rows: tuple[ReviewerRow, ...]  # tuples: a card's ratings may be remembered and shared (bot/store/database.py)
    averages: tuple[Average, ...]
    reviewers: int
