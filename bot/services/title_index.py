"""The lookup index over every name of every series, laid out compactly.

Words in a sorted list (prefix by bisection), close spellings of each typed word by rapidfuzz over
words of similar length, character bigrams for scripts written without spaces; the few hundred
candidate names are then ranked with rapidfuzz against the whole query, in one call. When that finds
few series, a typed word is also looked for inside longer words, among the words' sorted ends.

Layout: a handful of flat arrays and three strings, not a few hundred thousand small objects. Names,
normalized names and index words each live in one string with an offsets array; each word's names
are a slice of one postings array; the words' ends are one array of ints. At 40,000
series (180,000 names) this is about a third of the memory of a dict of arrays, and the garbage
collector has almost nothing to walk.
"""

from __future__ import annotations

import heapq
import sys
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, reduce
from itertools import compress, islice
from operator import and_

from rapidfuzz import fuzz, process

from bot.models import IndexedName, SeriesLabel
from bot.services.packed import Labels, SortedNames, SortedStrings, Strings, WordEnds

PREFIX_WORDS_CAP = 300  # words sharing a typed prefix that we follow
PREFIX_NAMES_CAP = 100  # whole names starting with what was typed
CANDIDATES_CAP = 300  # names scored with rapidfuzz per keystroke
FUZZY_WORD_CUTOFF = 72
KIND_RANK = {"title": 0, "english": 1, "japanese": 2, "synonym": 3}
KIND_NAMES = {rank: kind for kind, rank in KIND_RANK.items()}
INSIDE_WORDS_CAP = 100  # words holding a typed word inside them that we follow
INSIDE_LENGTHS = range(3, 31)  # a typed word looked for inside other words: 3 to 30 letters
MAX_TOKENS_TO_SKIP = 6  # longer queries are not retried word by word
SKIP_WORD_BELOW = 25  # retry without one word when fewer names than this contain them all
COMMON_WORD_NAMES = 1000  # words on this many names get a prebuilt set
_DROPPED = {"'", "’", "`", "\u02bc"}
_MARKED = bytes([0] + [1] * 255)  # translate: a byte with any bit set → 1
SPARSE_BYTES = 64  # a bitmap with at most this many bytes set is read byte by byte


@lru_cache(maxsize=4096)  # a keystroke's text is folded several times on its way through a search
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


def is_unspaced_script(char: str) -> bool:
    """Scripts written without spaces between words: CJK ideographs, kana, Hangul, Thai."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul
        or 0x0E00 <= code <= 0x0E7F  # Thai
        or 0xF900 <= code <= 0xFAFF
    )


def _after_prefix(prefix: str) -> str | None:
    """The least text that sorts after every text starting with `prefix` (None: no text does)."""
    kept = prefix.rstrip(chr(sys.maxunicode))
    return kept[:-1] + chr(ord(kept[-1]) + 1) if kept else None


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _spelling_keys(word: str, length: int) -> tuple[str, str]:
    """The buckets a word of `length` letters sharing `word`'s ends would be in."""
    ends = 2 if length >= 6 else 1
    return f"<{length}:{word[:ends]}", f">{length}:{word[-ends:]}"


def _spelling_buckets(words: list[str]) -> tuple[SortedStrings, array[int], array[int], Strings]:
    """Words by their first and by their last letters (two for longer words), and length: a typo
    rarely changes both ends, so close spellings are looked for among a few hundred words, not all.
    Bucket n (of the sorted keys) holds word numbers words[at[n]:at[n + 1]], and the words themselves
    as one text, a line each (read in one call, where a word at a time costs a Python call each)."""
    buckets: dict[str, array[int]] = defaultdict(lambda: array("i"))
    for number, word in enumerate(words):
        if len(word) >= 3:
            for key in _spelling_keys(word, len(word)):
                buckets[key].append(number)
    keys = sorted(buckets)
    at, found = array("i", [0]), array("i")
    for key in keys:
        found.extend(buckets[key])
        at.append(len(found))
    texts = Strings("\n".join(words[number] for number in buckets[key]) for key in keys)
    return SortedStrings(keys), at, found, texts


@dataclass(frozen=True, slots=True)
class Match:
    series_id: int
    score: float
    name: str  # the name that matched best, as the catalog writes it
    kind: str
    is_title: bool = False  # that name reads as the series' title (normalized): not worth showing beside it


@dataclass(slots=True)
class _TokenPlan:
    """How one typed word selects names: the index words it stands for (word → its number), names
    found otherwise, and how many names it selects at most (the sum of its postings)."""

    words: dict[str, int]
    extra: set[int]
    size: int
    bits: int | None = None  # its names as a bitmap, when each of its words is a common word
    selected: set[int] | None = None  # otherwise its names, once built (a query may ask again)


def _bitmap_members(bits: int, cap: int) -> list[int]:
    """Up to `cap` of the name numbers set in `bits`, lowest first. Its bytes with a bit set are marked
    (translate) and counted in C: a few are found by `find`, one call each; many are read as 64-bit
    words, those with a bit set picked in C (compress), so the Python loop runs per member, not per
    byte of the 180,000 names. A few members of two common words' intersection took 80-100 µs read
    word by word (every one of the 2,800 words passes through compress); 50 found byte by byte."""
    data = bits.to_bytes((bits.bit_length() + 7) >> 3, "little")
    marks = data.translate(_MARKED)
    found: list[int] = []
    if marks.count(1) <= SPARSE_BYTES:
        at = marks.find(1)
        while at >= 0:
            _add_bits(found, data[at], at << 3)
            if len(found) >= cap:
                return found[:cap]
            at = marks.find(1, at + 1)
        return found
    words = array("Q", data + bytes(-len(data) % 8))
    if sys.byteorder == "big":
        words.byteswap()
    for at in compress(range(len(words)), words):
        _add_bits(found, words[at], at << 6)
        if len(found) >= cap:
            return found[:cap]
    return found


def _add_bits(found: list[int], word: int, base: int) -> None:
    """The positions of `word`'s set bits, lowest first, plus `base`."""
    while word:
        low = word & -word
        found.append(base + low.bit_length() - 1)
        word ^= low


def _bitmap(members: Iterable[int]) -> int:
    """Name numbers as the bits of one integer: bit n is name n."""
    data = bytearray()
    for member in members:
        byte = member >> 3
        if byte >= len(data):
            data.extend(bytes(byte + 1 - len(data)))
        data[byte] |= 1 << (member & 7)
    return int.from_bytes(data, "little")


class TitleIndex:
    def __init__(self, names: Iterable[IndexedName], labels: Iterable[SeriesLabel]) -> None:
        self.labels = Labels(labels)
        self._series_of = array("q")
        self._kind_of = array("b")
        self._year_of = array("h")  # each name's series' year: the last tie-breaker, read per candidate
        # Each name: does it read as its series' title? Known here, so a suggestion need not normalize
        # its name and title again (50 calls were a fifth of an autocomplete keystroke's time).
        self._is_title = bytearray()
        titles: dict[int, str] = {}  # each series' title, normalized (for the build only)
        display: list[str] = []
        normalized: list[str] = []
        postings: dict[str, array[int]] = defaultdict(lambda: array("i"))
        bigrams: dict[str, array[int]] = defaultdict(lambda: array("i"))
        for entry in names:
            if entry.series_id not in self.labels:
                continue
            folded = normalize(entry.name)
            if not folded:
                continue
            index = len(display)
            title = titles.get(entry.series_id)
            if title is None:
                label = self.labels.get(entry.series_id)
                title = titles[entry.series_id] = normalize(label.title) if label is not None else ""
            self._is_title.append(folded == title)
            self._series_of.append(entry.series_id)
            self._kind_of.append(KIND_RANK[entry.kind])
            self._year_of.append(self.labels.year(entry.series_id))
            display.append(entry.name)
            normalized.append(folded)
            for word in set(folded.split()):
                postings[word].append(index)
            if any(is_unspaced_script(c) for c in folded):
                for pair in _bigrams(folded.replace(" ", "")):
                    bigrams[pair].append(index)
        self._display = Strings(display)
        self._normalized = Strings(normalized)
        del display
        # One postings array: word number n's names are _postings[_posting_at[n]:_posting_at[n + 1]].
        words = sorted(postings)
        self._words = SortedStrings(words)
        self._word_ends = WordEnds(self._words)
        self._posting_at = array("i", [0])
        self._postings = array("i")
        for word in words:
            self._postings.extend(postings[word])
            self._posting_at.append(len(self._postings))
        # Bitmaps for the most common words ("no", "the", "season"), built once: most queries contain
        # one, and intersecting prebuilt bitmaps costs microseconds where building sets costs
        # milliseconds. (Prebuilt frozensets did as well, for 18 MB of int objects and hash tables at
        # 40,000 series; the bitmaps take 1.4 MB.)
        self._common = {word: _bitmap(found) for word, found in postings.items() if len(found) >= COMMON_WORD_NAMES}
        del postings
        self._bigrams = dict(bigrams)
        # Whole names in order, for "the member is typing the start of a title"; and the same
        # without spaces, so "rezero" finds "Re:ZERO" and "spyxfamily" finds "SPY×FAMILY".
        self._by_name = SortedNames(self._normalized, self._sorted(normalized, lambda n: n), compact=False)
        self._by_compact_name = SortedNames(
            self._normalized, self._sorted(normalized, lambda n: n.replace(" ", "")), compact=True
        )
        del normalized
        self._bucket_keys, self._bucket_at, self._bucket_words, self._bucket_texts = _spelling_buckets(words)

    @staticmethod
    def _sorted(keys: list[str], key: Callable[[str], str]) -> array[int]:
        return array("i", sorted(range(len(keys)), key=lambda i: key(keys[i])))

    def __len__(self) -> int:
        return len(self._display)

    def _names_with(self, number: int) -> array[int]:
        return self._postings[self._posting_at[number] : self._posting_at[number + 1]]

    def _close_spellings(self, token: str) -> dict[str, int]:
        """The 8 index words closest to `token` (fuzz.ratio ≥ FUZZY_WORD_CUTOFF), best first, ties in the
        order the buckets list them. Each bucket is scored as its own list: gathering the buckets' words
        into one dict first cost twice the scoring (0.2-0.3 ms for a 5-letter word's 2,000 neighbours)."""
        scored: dict[str, tuple[float, int, int]] = {}  # word → (-score, where it was first listed, number)
        listed = 0
        for length in (len(token) - 1, len(token), len(token) + 1):
            for key in _spelling_keys(token, length):
                bucket = self._bucket_keys.bisect_left(key)
                if bucket == len(self._bucket_keys) or self._bucket_keys[bucket] != key:
                    continue
                words = self._bucket_texts[bucket].split("\n")
                first = self._bucket_at[bucket]
                close = process.extract(token, words, scorer=fuzz.ratio, limit=None, score_cutoff=FUZZY_WORD_CUTOFF)
                for word, score, position in close:
                    if word not in scored:  # a word is in two buckets (by its first and by its last letters)
                        scored[word] = (-score, listed + position, self._bucket_words[first + position])
                listed += len(words)
        best = heapq.nsmallest(8, scored.items(), key=lambda item: item[1])
        return {word: number for word, (_, _, number) in best}

    def _plan(self, token: str, *, is_last: bool) -> _TokenPlan:
        """The word itself, words it begins (partial words), close spellings, or text inside names."""
        words: dict[str, int] = {}
        start = self._words.bisect_left(token)  # the word itself, or where the words it begins start
        exact = start if start < len(self._words) and self._words[start] == token else None
        if exact is not None:
            words[token] = exact
        if is_last or exact is None:
            # Partial words: the last one usually is, since the member is still typing.
            # Where they end is found by a second bisection, and they are read in one call: a word at a
            # time cost a Python call and a comparison each (up to 300 for a short last word).
            end = min(start + (PREFIX_WORDS_CAP if len(token) > 2 else PREFIX_WORDS_CAP // 10), len(self._words))
            beyond = _after_prefix(token)
            if beyond is not None:
                end = self._words.bisect_left(beyond, start, end)
            words.update(zip(self._words.pick(range(start, end)), range(start, end), strict=True))
        unspaced = any(is_unspaced_script(c) for c in token)
        if exact is None and len(token) >= 4 and not unspaced:
            words.update(self._close_spellings(token))
        extra = self._bigram_candidates(token) if unspaced else set()
        at = self._posting_at
        size = sum(at[number + 1] - at[number] for number in words.values()) + len(extra)
        plan = _TokenPlan(words, extra, size)
        if words and not extra and all(word in self._common for word in words):
            plan.bits = 0
            for word in words:
                plan.bits |= self._common[word]
        return plan

    def _select(self, plan: _TokenPlan) -> set[int]:
        if plan.selected is None:
            plan.selected = plan.extra.union(*(self._names_with(number) for number in plan.words.values()))
        return plan.selected

    def _keeps(self, plan: _TokenPlan, index: int) -> bool:
        return index in plan.extra or any(word in plan.words for word in self._normalized[index].split())

    def _all_of(self, plans: list[_TokenPlan]) -> set[int]:
        """Names selected by every plan, or CANDIDATES_CAP of them when only common words were typed
        (no more are ranked). The common words' bitmaps are intersected in C; the smaller side starts
        the candidates; a large plan filters the few candidates instead of being built."""
        common = [plan for plan in plans if plan.bits is not None]
        ordered = sorted((plan for plan in plans if plan.bits is None), key=lambda plan: plan.size)
        bits = None
        if common:
            bits = reduce(and_, [plan.bits for plan in common if plan.bits is not None])
            size = common[0].size if len(common) == 1 else bits.bit_count()
            if not ordered or size < ordered[0].size:
                if len(common) == 1:
                    candidates = set(self._select(common[0]))  # its postings read in C: faster than bits
                else:
                    candidates = set(_bitmap_members(bits, CANDIDATES_CAP if not ordered else len(self)))
                bits = None
            else:
                candidates = set(self._select(ordered.pop(0)))
        else:
            candidates = set(self._select(ordered.pop(0)))
        for plan in ordered:
            if not candidates:
                break
            if len(candidates) < 200 and plan.size > 20 * len(candidates):
                candidates = {index for index in candidates if self._keeps(plan, index)}
            else:
                candidates &= self._select(plan)
        if bits is not None and candidates:
            data = bits.to_bytes(len(self) // 8 + 1, "little")
            candidates = {index for index in candidates if data[index >> 3] >> (index & 7) & 1}
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
        view = self._by_compact_name if compact else self._by_name
        start = view.bisect_left(typed)
        # Where names starting with `typed` end, found by a second bisection: reading each of up to
        # `cap` names to compare was a tenth of a short query's time.
        end = min(start + cap, len(view))
        beyond = _after_prefix(typed)
        if beyond is not None:
            end = view.bisect_left(beyond, start, end)
        return view.order[start:end].tolist()

    def _first_names(self, plan: _TokenPlan, cap: int) -> set[int]:
        """`cap` of a plan's names: those of its words in order (the typed word itself first, then the
        words it begins, then close spellings), without building the set of all of them."""
        found = set(islice(plan.extra, cap))
        for number in plan.words.values():
            at, end = self._posting_at[number], self._posting_at[number + 1]
            while len(found) < cap and at < end:  # names on several of the words come again
                wanted = cap - len(found)
                found.update(self._postings[at : min(at + wanted, end)])
                at += wanted
            if len(found) >= cap:
                break
        return found

    def _candidates(self, typed: str, tokens: list[str]) -> set[int]:
        plans = [self._plan(token, is_last=n == len(tokens) - 1) for n, token in enumerate(tokens)]
        if len(plans) == 1 and plans[0].size > CANDIDATES_CAP:
            # One word that thousands of names contain ("no", a first letter): only CANDIDATES_CAP are
            # ranked, so only those are read (the union of all of them was most of such a keystroke).
            candidates = self._first_names(plans[0], CANDIDATES_CAP)
        else:
            candidates = self._all_of(plans)
        if len(candidates) < SKIP_WORD_BELOW and 1 < len(plans) <= MAX_TOKENS_TO_SKIP:
            # Allow one word that matched nothing useful (a bad typo, an extra word). A word that is
            # no word of any name (matched by its close spellings) is left out first: the likeliest
            # typo, and the other words' names then often fill the candidates with one intersection.
            every_word = candidates
            candidates = set(candidates)
            for skipped in sorted(range(len(plans)), key=lambda n: tokens[n] in plans[n].words):
                rest = plans[:skipped] + plans[skipped + 1 :]
                # One word left: as many of its names as are ranked, the typed word's own first, without
                # building the set of all of them (thousands for a short last word: "ni", "g").
                candidates |= self._first_names(rest[0], CANDIDATES_CAP) if len(rest) == 1 else self._all_of(rest)
                if len(candidates) >= CANDIDATES_CAP:
                    break
            if len(candidates) > CANDIDATES_CAP:  # the names with every word are always kept
                candidates = every_word | set(islice(candidates - every_word, CANDIDATES_CAP - len(every_word)))
        if len(candidates) > CANDIDATES_CAP:
            candidates = set(islice(candidates, CANDIDATES_CAP))
        candidates.update(self._name_prefix(typed, PREFIX_NAMES_CAP))
        if len(candidates) < CANDIDATES_CAP // 4:
            candidates.update(self._name_prefix(typed.replace(" ", ""), PREFIX_NAMES_CAP, compact=True))
        return candidates

    def _inside_words(self, token: str, cap: int) -> set[int]:
        """Up to `cap` names with a word that holds `token` after its first letter ("rouge" in
        "metallicrouge"): the words' ends that start with it, found by bisection."""
        view = self._word_ends
        start = view.bisect_left(token)
        end = min(start + INSIDE_WORDS_CAP, len(view))
        beyond = _after_prefix(token)
        if beyond is not None:
            end = view.bisect_left(beyond, start, end)
        found: set[int] = set()
        for number in dict.fromkeys(at >> 5 for at in view.ends[start:end]):  # each word once, in order
            found.update(self._names_with(number)[: cap - len(found)])
            if len(found) >= cap:
                break
        return found

    def search(self, query: str, limit: int = 25) -> list[Match]:
        """The best `limit` series for `query`."""
        typed = normalize(query)
        if not typed:
            return []
        candidates = self._candidates(typed, typed.split())
        best: dict[int, tuple[float, int, int]] = {}
        self._score(typed, candidates, best)
        if (
            len(best) < limit
            and " " not in typed
            and len(typed) in INSIDE_LENGTHS
            and not any(is_unspaced_script(c) for c in typed)  # (their bigrams found text inside names)
        ):
            # Few series: the word may be typed from inside a longer one. Looked for in memory, where
            # an FTS5 query took 0.2 ms at the median and 2.5 ms at the 99th percentile, plus a thread.
            self._score(typed, self._inside_words(typed, limit * 4) - candidates, best)

        # Best score, then the title before other names, then the newest series; then the catalog's
        # order (the order the candidates were found in is a set's, which any change to the sets moves).
        # Plain tuples compared in C: a key function per series cost more than the ranking itself.
        year_of = self._year_of
        ranked = heapq.nsmallest(
            limit,
            [(-score, kind, -year_of[index], index, series_id) for series_id, (score, kind, index) in best.items()],
        )
        return [
            Match(series_id, -score, self._display[index], KIND_NAMES[kind], bool(self._is_title[index]))
            for score, kind, _, index, series_id in ranked
        ]

    def _score(self, typed: str, candidates: set[int], best: dict[int, tuple[float, int, int]]) -> None:
        """Rank `candidates` into `best` (series → score, kind rank, name index), keeping the better."""
        chosen = list(candidates)
        texts = self._normalized.pick(chosen)
        series_of, kind_of = self._series_of, self._kind_of
        # One rapidfuzz call scores every candidate (a Python loop of calls costs twice as much).
        for text, score, position in process.extract(typed, texts, scorer=fuzz.WRatio, limit=None):
            index = chosen[position]
            if text == typed:
                score += 60
            elif text.startswith(typed):
                score += 30
            series_id, kind = series_of[index], kind_of[index]
            current = best.get(series_id)
            if current is None or score > current[0] or (score == current[0] and kind < current[1]):
                best[series_id] = (score, kind, index)
