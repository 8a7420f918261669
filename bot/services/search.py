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
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from itertools import islice

from rapidfuzz import fuzz, process

from bot.models import IndexedName, SeriesLabel
from bot.store.catalog import CatalogStore

PREFIX_WORDS_CAP = 300  # words sharing a typed prefix that we follow
PREFIX_NAMES_CAP = 100  # whole names starting with what was typed
CANDIDATES_CAP = 600  # names scored with rapidfuzz per keystroke
FUZZY_WORD_CUTOFF = 72
REVISION_CHECK_S = 30.0
KIND_RANK = {"title": 0, "english": 1, "japanese": 2, "synonym": 3}
KIND_NAMES = {rank: kind for kind, rank in KIND_RANK.items()}
MAX_TOKENS_TO_SKIP = 6  # longer queries are not retried word by word
SKIP_WORD_BELOW = 25  # retry without one word when fewer names than this contain them all
COMMON_WORD_NAMES = 1000  # words on this many names get a prebuilt set
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


def _spelling_keys(word: str, length: int) -> tuple[tuple[str, int, str], tuple[str, int, str]]:
    """The buckets a word of `length` letters sharing `word`'s ends would be in."""
    ends = 2 if length >= 6 else 1
    return (word[:ends], length, "first"), (word[-ends:], length, "last")


@dataclass(slots=True)
class _TokenPlan:
    """How one typed word selects names: the index words it stands for, and names found otherwise."""

    words: set[str]
    extra: set[int]
    size: int  # how many names it selects at most (the sum of its posting lists)


class TitleIndex:
    # Postings are arrays, not lists, and names are kept in parallel flat lists: the garbage
    # collector does not traverse arrays or strings, so a 200,000-name index adds no GC pauses.
    def __init__(self, names: Iterable[IndexedName], labels: Iterable[SeriesLabel]) -> None:
        self.labels: dict[int, SeriesLabel] = {label.series_id: label for label in labels}
        self._series_of = array("q")
        self._kind_of = array("b")
        self._display: list[str] = []
        self._normalized: list[str] = []
        self._by_name_id: dict[int, int] = {}
        postings: dict[str, list[int]] = defaultdict(list)
        bigrams: dict[str, list[int]] = defaultdict(list)
        for entry in names:
            if entry.series_id not in self.labels:
                continue
            normalized = normalize(entry.name)
            if not normalized:
                continue
            index = len(self._display)
            self._series_of.append(entry.series_id)
            self._kind_of.append(KIND_RANK[entry.kind])
            self._display.append(entry.name)
            self._normalized.append(normalized)
            self._by_name_id[entry.name_id] = index
            for word in set(normalized.split()):
                postings[word].append(index)
            if any(_is_unspaced_script(c) for c in normalized):
                for pair in _bigrams(normalized.replace(" ", "")):
                    bigrams[pair].append(index)
        self._postings = {word: array("i", found) for word, found in postings.items()}
        # Sets for the most common words ("no", "the", "season"), built once: most queries contain
        # one, and intersecting prebuilt sets costs microseconds where building them costs milliseconds.
        self._common = {word: frozenset(found) for word, found in postings.items() if len(found) >= COMMON_WORD_NAMES}
        self._bigrams = {pair: array("i", found) for pair, found in bigrams.items()}
        del postings, bigrams
        self._words = sorted(self._postings)
        # Whole names in order, for "the member is typing the start of a title"; and the same
        # without spaces, so "rezero" finds "Re:ZERO" and "spyxfamily" finds "SPY×FAMILY".
        self._sorted_keys, self._sorted_names = self._sorted_view(self._normalized)
        compact = [n.replace(" ", "") for n in self._normalized]
        self._sorted_compact_keys, self._sorted_compact_names = self._sorted_view(compact)
        # Words by their first and by their last letters (two letters for longer words), and length:
        # a typo rarely changes both ends, so close spellings are looked for among a few hundred
        # words, not the whole vocabulary.
        buckets: dict[tuple[str, int, str], list[str]] = defaultdict(list)
        for word in self._words:
            if len(word) >= 3:
                for key in _spelling_keys(word, len(word)):
                    buckets[key].append(word)
        self._spelling_buckets = dict(buckets)

    @staticmethod
    def _sorted_view(keys: list[str]) -> tuple[list[str], array[int]]:
        order = sorted(range(len(keys)), key=keys.__getitem__)
        return [keys[i] for i in order], array("i", order)

    def __len__(self) -> int:
        return len(self._display)

    def _close_spellings(self, token: str) -> list[str]:
        nearby: list[str] = []
        for length in (len(token) - 1, len(token), len(token) + 1):
            for key in _spelling_keys(token, length):
                nearby += self._spelling_buckets.get(key, ())
        found = process.extract(token, nearby, scorer=fuzz.ratio, limit=8, score_cutoff=FUZZY_WORD_CUTOFF)
        return [word for word, _, _ in found]

    def _plan(self, token: str, *, is_last: bool) -> _TokenPlan:
        """The word itself, words it begins (partial words), close spellings, or text inside names."""
        words: set[str] = set()
        exact = token in self._postings
        if exact:
            words.add(token)
        if is_last or not exact:
            # Partial words: the last one usually is, since the member is still typing.
            cap = PREFIX_WORDS_CAP if len(token) > 2 else PREFIX_WORDS_CAP // 10
            start = bisect_left(self._words, token)
            for word in self._words[start : start + cap]:
                if not word.startswith(token):
                    break
                words.add(word)
        unspaced = any(_is_unspaced_script(c) for c in token)
        if not exact and len(token) >= 4 and not unspaced:
            words.update(self._close_spellings(token))
        extra = self._bigram_candidates(token) if unspaced else set()
        size = sum(len(self._postings[word]) for word in words) + len(extra)
        return _TokenPlan(words, extra, size)

    def _select(self, plan: _TokenPlan) -> frozenset[int] | set[int]:
        if len(plan.words) == 1 and not plan.extra:
            [word] = plan.words
            return self._common.get(word) or set(self._postings[word])
        selected: set[int] = set().union(*(self._common.get(w) or self._postings[w] for w in plan.words))
        return selected | plan.extra

    def _keeps(self, plan: _TokenPlan, index: int) -> bool:
        return index in plan.extra or any(word in plan.words for word in self._normalized[index].split())

    def _all_of(self, plans: list[_TokenPlan]) -> set[int]:
        """Names selected by every plan; a large plan filters the few candidates instead of being built."""
        ordered = sorted(plans, key=lambda plan: plan.size)
        candidates = set(self._select(ordered[0]))
        for plan in ordered[1:]:
            if not candidates:
                break
            if len(candidates) < 200 and plan.size > 20 * len(candidates):
                candidates = {index for index in candidates if self._keeps(plan, index)}
            else:
                candidates &= self._select(plan)
        return candidates

    def _bigram_candidates(self, token: str) -> set[int]:
        pairs = _bigrams(token)
        if not pairs:  # one character: only names that start with it (cheap, and what typing needs)
            return set(self._name_prefix(token, PREFIX_NAMES_CAP))
        lists = sorted((self._bigrams.get(pair, ()) for pair in pairs), key=len)
        result = set(lists[0])
        for other in lists[1:]:
            result.intersection_update(other)
            if not result:
                break
        return {i for i in result if token in self._normalized[i]}

    def _name_prefix(self, typed: str, cap: int, *, compact: bool = False) -> list[int]:
        keys, order = (
            (self._sorted_compact_keys, self._sorted_compact_names)
            if compact
            else (self._sorted_keys, self._sorted_names)
        )
        start = bisect_left(keys, typed)
        found = []
        for position in range(start, min(start + cap, len(keys))):
            if not keys[position].startswith(typed):
                break
            found.append(order[position])
        return found

    def _candidates(self, typed: str, tokens: list[str]) -> set[int]:
        plans = [self._plan(token, is_last=n == len(tokens) - 1) for n, token in enumerate(tokens)]
        candidates = self._all_of(plans)
        if len(candidates) < SKIP_WORD_BELOW and 1 < len(plans) <= MAX_TOKENS_TO_SKIP:
            # Allow one word that matched nothing useful (a bad typo, an extra word).
            for skipped in range(len(plans)):
                candidates |= self._all_of(plans[:skipped] + plans[skipped + 1 :])
                if len(candidates) >= CANDIDATES_CAP:
                    break
        if len(candidates) > CANDIDATES_CAP:
            candidates = set(islice(candidates, CANDIDATES_CAP))
        candidates.update(self._name_prefix(typed, PREFIX_NAMES_CAP))
        if len(candidates) < CANDIDATES_CAP // 4:
            candidates.update(self._name_prefix(typed.replace(" ", ""), PREFIX_NAMES_CAP, compact=True))
        return candidates

    def search(self, query: str, limit: int = 25, extra_name_ids: Iterable[int] = ()) -> list[Match]:
        typed = normalize(query)
        if not typed:
            return []
        candidates = self._candidates(typed, typed.split())
        candidates.update(i for i in map(self._by_name_id.get, extra_name_ids) if i is not None)

        best: dict[int, tuple[float, int, int]] = {}  # series -> (score, kind rank, name index)
        for index in candidates:
            normalized = self._normalized[index]
            score = fuzz.WRatio(typed, normalized)
            if normalized == typed:
                score += 60
            elif normalized.startswith(typed):
                score += 30
            series_id, kind = self._series_of[index], self._kind_of[index]
            current = best.get(series_id)
            if current is None or (score, -kind) > (current[0], -current[1]):
                best[series_id] = (score, kind, index)

        def order(item: tuple[int, tuple[float, int, int]]) -> tuple[float, int, int]:
            series_id, (score, kind, _) = item
            return (-score, kind, -(self.labels[series_id].year or 0))

        return [
            Match(series_id, score, self._display[index], KIND_NAMES[kind])
            for series_id, (score, kind, index) in sorted(best.items(), key=order)[:limit]
        ]


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

    def __init__(self, catalog: CatalogStore, revision_check_s: float = REVISION_CHECK_S) -> None:
        self._catalog = catalog
        self._revision_check_s = revision_check_s
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
        if self._index is not None and now - self._checked_at < self._revision_check_s:
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
        if len(matches) < limit and " " not in typed and 3 <= len(typed) <= 30:
            # Text inside a word ("rouge" in "metallicrouge"): the FTS5 trigram index finds it.
            # Several words are matched word by word above, and would only cost the scan here.
            name_ids = await self._catalog.substring_matches(query.strip(), limit * 4)
            if name_ids:
                matches = index.search(query, limit, extra_name_ids=name_ids)
        return matches

    async def recent(self, today: date, limit: int = 25) -> list[SeriesLabel]:
        index = await self.index()
        return [index.labels[s] for s in await self._catalog.recent(today, limit) if s in index.labels]

    async def label(self, series_id: int) -> SeriesLabel | None:
        return (await self.index()).labels.get(series_id)
