"""Compact containers for the lookup index: many strings in one buffer, a sorted view over them, and
series labels in flat arrays (see bot/services/title_index.py)."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from bot.models import SeriesLabel


class Strings(Sequence[str]):
    """Many strings in one UTF-8 buffer, and where each one starts; reading one decodes a slice. (UTF-8,
    not one str: a single katakana name would make Python store the whole text at two bytes a letter.)"""

    __slots__ = ("_at", "_data")

    def __init__(self, items: Iterable[str]) -> None:
        at = array("i", [0])
        parts = []
        for item in items:
            encoded = item.encode()
            parts.append(encoded)
            at.append(at[-1] + len(encoded))
        self._data = b"".join(parts)
        self._at = at

    def __len__(self) -> int:
        return len(self._at) - 1

    def __getitem__(self, index: int) -> str:  # type: ignore[override]  # (slices are never asked for)
        return self._data[self._at[index] : self._at[index + 1]].decode()

    def pick(self, indexes: Iterable[int]) -> list[str]:
        """Several strings in one call (a call per string costs more than its decoding)."""
        data, at = self._data, self._at
        return [data[at[index] : at[index + 1]].decode() for index in indexes]


SAMPLE_EVERY = 64  # a sorted container keeps every 64th item as a plain str, to bisect among first


def sampled(items: Sequence[str]) -> list[str]:
    return [items[position] for position in range(0, len(items), SAMPLE_EVERY)]


class Bisected(Sequence[str]):
    """A sorted sequence of packed strings that keeps every SAMPLE_EVERY-th as a plain str (`_samples`,
    set by the subclass once its items are in place), so `bisect_left` decodes few of them."""

    __slots__ = ()
    _samples: list[str]

    def bisect_left(self, x: str, lo: int = 0, hi: int | None = None) -> int:
        """`bisect.bisect_left(self, x, lo, hi)`, most of it among the samples (compared in C): a packed
        item is decoded at each step, a bisection of 180,000 names 17 of them, and now at most 7."""
        samples = self._samples
        k = bisect_left(samples, x)  # samples[k - 1] < x <= samples[k]: the answer lies between them
        first = (k - 1) * SAMPLE_EVERY + 1 if k else 0
        found = bisect_left(self, x, first, k * SAMPLE_EVERY if k < len(samples) else len(self))
        return min(max(found, lo), len(self) if hi is None else hi)  # within lo..hi, as bisect_left's


class SortedStrings(Strings, Bisected):
    """Strings in sorted order."""

    __slots__ = ("_samples",)

    def __init__(self, items: Iterable[str]) -> None:
        super().__init__(items)
        self._samples = sampled(self)


class SortedNames(Bisected):
    """Names in sorted order, read through `order`, for bisection; `compact`: without their spaces.
    (No list of sorted keys: those would be a second copy of every name.)"""

    __slots__ = ("_compact", "_names", "_samples", "order")

    def __init__(self, names: Strings, order: array[int], *, compact: bool) -> None:
        self._names, self.order, self._compact = names, order, compact
        self._samples = sampled(self)

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, position: int) -> str:  # type: ignore[override]  # (as above: no slices)
        name = self._names[self.order[position]]
        return name.replace(" ", "") if self._compact else name


class WordEnds(Bisected):
    """The ends of words, each from its second letter on (three letters at least), in sorted order:
    bisecting it for typed text finds every word that holds the text inside it ("rouge" in
    "metallicrouge"). Each end is one int, its word's number and where it starts (`number << 5 |
    start`), read through `words` when compared: no text of its own."""

    __slots__ = ("_samples", "_words", "ends")

    MAX_START = 31  # starts beyond this are not kept (no word that long is typed from its middle)

    def __init__(self, words: Strings) -> None:
        self._words = words
        texts = [words[number] for number in range(len(words))]
        ends = [
            number << 5 | start
            for number, word in enumerate(texts)
            for start in range(1, min(len(word) - 2, self.MAX_START + 1))
        ]
        ends.sort(key=lambda end: texts[end >> 5][end & 31 :])
        self.ends = array("i", ends)
        self._samples = sampled(self)

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, position: int) -> str:  # type: ignore[override]  # (as above: no slices)
        end = self.ends[position]
        return self._words[end >> 5][end & 31 :]


class Labels:
    """Each series' label (title, year, format) in flat arrays by series id, made on request: 40,000
    label tuples would take four times the memory."""

    __slots__ = ("_format_of", "_formats", "_ids", "_titles", "_year_of")

    def __init__(self, labels: Iterable[SeriesLabel]) -> None:
        ordered = sorted(labels)
        self._ids = array("q", (label.series_id for label in ordered))
        self._titles = Strings(label.title for label in ordered)
        self._year_of = array("h", (label.year or 0 for label in ordered))
        self._formats = sorted({label.format for label in ordered if label.format})
        number = {name: n for n, name in enumerate(self._formats)}
        self._format_of = array("b", (number[label.format] if label.format else -1 for label in ordered))

    def _position(self, series_id: int) -> int | None:
        position = bisect_left(self._ids, series_id)
        return position if position < len(self._ids) and self._ids[position] == series_id else None

    def __contains__(self, series_id: object) -> bool:
        return isinstance(series_id, int) and self._position(series_id) is not None

    def __len__(self) -> int:
        return len(self._ids)

    def get(self, series_id: int) -> SeriesLabel | None:
        position = self._position(series_id)
        if position is None:
            return None
        kind = self._format_of[position]
        year = self._year_of[position] or None
        return SeriesLabel(series_id, self._titles[position], year, self._formats[kind] if kind >= 0 else None)

    def year(self, series_id: int) -> int:
        position = self._position(series_id)
        return 0 if position is None else self._year_of[position]
