"""Finding a series by any of its names while a member types.

An in-memory index over every name (title, English, Japanese, synonyms): words in a sorted list
(prefix by bisection), close spellings of each typed word by rapidfuzz over words of similar length,
character bigrams for scripts written without spaces; the few hundred candidate names are then
ranked with rapidfuzz against the whole query. A full rapidfuzz scan of 200,000 names costs
15-200 ms; this costs about a millisecond (see `python -m bot.bench lookup`).
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz, process

from bot.models import IndexedName, SeriesLabel
from bot.store.catalog import CatalogStore

PREFIX_WORDS_CAP = 300  # words sharing a typed prefix that we follow
COMMON_WORD_POSTINGS = 4000  # a word on more names than this ("no", "the") does not pick candidates alone
CANDIDATES_CAP = 600
FUZZY_WORD_CUTOFF = 72
REVISION_CHECK_S = 30.0
KIND_RANK = {"title": 0, "english": 1, "japanese": 2, "synonym": 3}
_DROPPED = {"'", "’", "`", "\u02bc"}


def normalize(text: str) -> str:
    """Case, width, accents of compatibility forms, punctuation and invisible characters folded away."""
    # "HUNTER×HUNTER" and "SPY×FAMILY" are typed with the letter x.
    text = unicodedata.normalize("NFKC", text).casefold().replace("×", " x ")
    kept = []
    for char in text:
        if char in _DROPPED or unicodedata.category(char) in ("Cf", "Cc", "Mn"):
            continue  # apostrophes join ("jojo's" → "jojos"); zero-width and bidi marks vanish
        kept.append(char if char.isalnum() else " ")
    return " ".join("".join(kept).split())


def _is_unspaced_script(char: str) -> bool:
    """Scripts written without spaces between words: CJK ideographs, kana, Hangul, Thai."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul
        or 0x0E00 <= code <= 0x0E7F  # Thai
        or 0xF900 <= code <= 0xFAFF
    )


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


@dataclass(frozen=True, slots=True)
class Match:
    series_id: int
    score: float
    name: str  # the name that matched best, as the catalog writes it
    kind: str


class TitleIndex:
    def __init__(self, names: Iterable[IndexedName], labels: Iterable[SeriesLabel]) -> None:
        self.labels: dict[int, SeriesLabel] = {label.series_id: label for label in labels}
        self._names: list[IndexedName] = []
        self._normalized: list[str] = []
        self._exact: dict[str, list[int]] = defaultdict(list)
        postings: dict[str, list[int]] = defaultdict(list)
        bigrams: dict[str, list[int]] = defaultdict(list)
        for entry in names:
            if entry.series_id not in self.labels:
                continue
            normalized = normalize(entry.name)
            if not normalized:
                continue
            index = len(self._names)
            self._names.append(entry)
            self._normalized.append(normalized)
            self._exact[normalized].append(index)
            for word in set(normalized.split()):
                postings[word].append(index)
            if any(_is_unspaced_script(c) for c in normalized):
                for pair in _bigrams(normalized.replace(" ", "")):
                    bigrams[pair].append(index)
        self._postings = dict(postings)
        self._bigrams = dict(bigrams)
        self._words = sorted(self._postings)
        by_length: dict[int, list[str]] = defaultdict(list)
        for word in self._words:
            by_length[len(word)].append(word)
        self._words_by_length = dict(by_length)

    def __len__(self) -> int:
        return len(self._names)

    def _word_candidates(self, token: str, *, is_last: bool) -> dict[int, float]:
        """Names that contain this typed word, weighted by how well it matched."""
        weights: dict[str, float] = {}
        if token in self._postings:
            weights[token] = 1.0
        # Any word may be a prefix (partial words); the last one usually is, since the member is typing.
        start = bisect_left(self._words, token)
        for word in self._words[start : start + PREFIX_WORDS_CAP]:
            if not word.startswith(token):
                break
            weights.setdefault(word, 0.9 if is_last else 0.8)
        if len(token) >= 4 and not any(_is_unspaced_script(c) for c in token):
            nearby = [
                w for n in range(len(token) - 2, len(token) + 3) for w in self._words_by_length.get(n, ())
            ]
            for word, score, _ in process.extract(
                token, nearby, scorer=fuzz.ratio, limit=12, score_cutoff=FUZZY_WORD_CUTOFF
            ):
                weights.setdefault(word, 0.7 * score / 100)
        found: dict[int, float] = {}
        for word, weight in weights.items():
            names = self._postings[word]
            if len(names) > COMMON_WORD_POSTINGS:
                names = names[:COMMON_WORD_POSTINGS]
            for index in names:
                if found.get(index, 0.0) < weight:
                    found[index] = weight
        if any(_is_unspaced_script(c) for c in token):
            for index in self._bigram_candidates(token):
                found[index] = max(found.get(index, 0.0), 0.9)
        return found

    def _bigram_candidates(self, token: str) -> set[int]:
        pairs = _bigrams(token) or {token}
        lists = sorted((self._bigrams.get(pair, []) for pair in pairs), key=len)
        if not lists or not lists[0]:
            # A single character: names containing it anywhere.
            if len(token) == 1:
                return (
                    {i for i, n in enumerate(self._normalized) if token in n}
                    if len(self._normalized) < 50_000
                    else set()
                )
            return set()
        result = set(lists[0])
        for other in lists[1:]:
            result.intersection_update(other)
            if not result:
                break
        return {i for i in result if token in self._normalized[i]}

    def search(self, query: str, limit: int = 25, extra_series: Iterable[int] = ()) -> list[Match]:
        typed = normalize(query)
        if not typed:
            return []
        tokens = typed.split()
        coverage: dict[int, float] = defaultdict(float)
        for position, token in enumerate(tokens):
            for index, weight in self._word_candidates(token, is_last=position == len(tokens) - 1).items():
                coverage[index] += weight
        for index in self._exact.get(typed, ()):
            coverage[index] += len(tokens)
        ranked_names = sorted(coverage, key=coverage.__getitem__, reverse=True)[:CANDIDATES_CAP]
        extra = set(extra_series)
        if extra:
            ranked_names += [i for i, name in enumerate(self._names) if name.series_id in extra][
                :CANDIDATES_CAP
            ]

        best: dict[int, Match] = {}
        for index in ranked_names:
            entry, normalized = self._names[index], self._normalized[index]
            score = fuzz.WRatio(typed, normalized) + 10 * coverage.get(index, 0.0) / len(tokens)
            if normalized == typed:
                score += 60
            elif normalized.startswith(typed):
                score += 30
            current = best.get(entry.series_id)
            if (
                current is None
                or score > current.score
                or (score == current.score and KIND_RANK[entry.kind] < KIND_RANK[current.kind])
            ):
                best[entry.series_id] = Match(entry.series_id, score, entry.name, entry.kind)

        def order(match: Match) -> tuple[float, int, int]:
            label = self.labels[match.series_id]
            return (-match.score, KIND_RANK[match.kind], -(label.year or 0))

        return sorted(best.values(), key=order)[:limit]


@dataclass(frozen=True, slots=True)
class Resolution:
    """What free text typed without picking a suggestion resolves to."""

    best: Match | None
    candidates: list[Match]


def resolve(matches: list[Match], typed: str) -> Resolution:
    """The best match when it is unambiguous, otherwise the candidates to pick from."""
    if not matches:
        return Resolution(None, [])
    target = normalize(typed)
    exact = [m for m in matches if normalize(m.name) == target]
    if len({m.series_id for m in exact}) == 1:
        return Resolution(exact[0], matches)
    if exact:  # several series share the exact name (remakes): the member must choose
        return Resolution(None, matches)
    top = matches[0]
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    if top.score >= 100 and top.score - runner_up >= 15:
        return Resolution(top, matches)
    return Resolution(None, matches)


class SeriesSearch:
    """Owns the index: built on start, rebuilt in the background when the catalog's revision moves."""

    def __init__(self, catalog: CatalogStore) -> None:
        self._catalog = catalog
        self._index: TitleIndex | None = None
        self._revision = -1
        self._checked_at = float("-inf")
        self._rebuild: asyncio.Task[TitleIndex] | None = None

    async def _build(self, revision: int) -> TitleIndex:
        names, labels = await self._catalog.index_rows()
        index = await asyncio.to_thread(TitleIndex, names, labels)
        self._index, self._revision = index, revision
        return index

    async def index(self) -> TitleIndex:
        now = time.monotonic()
        if self._index is not None and now - self._checked_at < REVISION_CHECK_S:
            return self._index
        self._checked_at = now
        revision = await self._catalog.revision()
        if revision != self._revision and (self._rebuild is None or self._rebuild.done()):
            self._rebuild = asyncio.create_task(self._build(revision))
        if self._index is None:
            assert self._rebuild is not None
            return await self._rebuild
        return self._index  # searches keep using the previous index while the new one builds

    async def refresh(self) -> None:
        """Rebuild now (after an edit made by this process, so the editor sees it at once)."""
        self._checked_at = time.monotonic()
        await self._build(await self._catalog.revision())

    async def search(self, query: str, limit: int = 25) -> list[Match]:
        index = await self.index()
        matches = index.search(query, limit)
        typed = normalize(query)
        if len(matches) < limit and len(typed) >= 3:
            # Text inside a word ("rouge" in "metallicrouge"): the FTS5 trigram index finds it.
            substring = await self._catalog.substring_matches(query.strip(), limit * 4)
            known = {m.series_id for m in matches}
            missing = [s for s in substring if s not in known and s in index.labels]
            if missing:
                matches = index.search(query, limit, extra_series=missing)
        return matches

    async def recent(self, today: date, limit: int = 25) -> list[SeriesLabel]:
        index = await self.index()
        return [index.labels[s] for s in await self._catalog.recent(today, limit) if s in index.labels]

    async def label(self, series_id: int) -> SeriesLabel | None:
        return (await self.index()).labels.get(series_id)
