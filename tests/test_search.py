"""Unit tests of the lookup index: normalisation, ranking, resolution, and catching up with imports."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.models import CatalogEntry, IndexedName, SeriesLabel
from bot.services.packed import SAMPLE_EVERY, SortedStrings, Strings
from bot.services.search import Match, SeriesSearch, TitleIndex, build_apart, normalize, resolve
from bot.store import Store
from bot.store.catalog import CatalogWriter


def test_normalize_folds_case_width_punctuation_and_invisible_marks() -> None:
    assert normalize("  Re:ZERO -Starting Life-  ") == "re zero starting life"
    assert normalize("ＨＵＮＴＥＲ×ＨＵＮＴＥＲ") == "hunter x hunter"
    assert normalize("JoJo's") == "jojos"
    assert normalize("me\u200btal\u202elic") == "metallic"
    assert normalize("🙂!!") == ""


def _index() -> TitleIndex:
    labels = [
        SeriesLabel(1, "Hunter x Hunter", 1999, "TV"),
        SeriesLabel(2, "Hunter x Hunter", 2011, "TV"),
        SeriesLabel(3, "Monster", 2004, "TV"),
        SeriesLabel(4, "Frieren", 2023, "TV"),
    ]
    names = [
        IndexedName(1, "Hunter x Hunter", "title"),
        IndexedName(2, "Hunter x Hunter", "title"),
        IndexedName(2, "HUNTER×HUNTER (2011)", "synonym"),
        IndexedName(3, "Monster", "title"),
        IndexedName(4, "Frieren", "title"),
        IndexedName(4, "Sousou no Frieren", "synonym"),
        IndexedName(4, "葬送のフリーレン", "japanese"),
    ]
    return TitleIndex(names, labels)


def test_exact_and_prefix_matches_rank_first() -> None:
    index = _index()
    assert index.search("monster")[0].series_id == 3
    assert index.search("mon")[0].series_id == 3
    assert index.search("frieren sousou")[0].series_id == 4
    assert index.search("フリーレン")[0].series_id == 4
    assert index.search("monstre")[0].series_id == 3  # a typo


@given(
    st.sampled_from(["hunter", "hunter x hunter", "HUNTER×HUNTER", "frieren", "sousou", "フリーレン", "monstre", "x"])
)
def test_a_match_says_whether_its_name_reads_as_the_series_title(query: str) -> None:
    """Autocomplete shows a matched name beside the title only when it reads otherwise: each match
    knows, from the index's build, what normalizing both would say."""
    index = _index()
    matches = index.search(query, 10)
    assert matches
    for match in matches:
        label = index.labels.get(match.series_id)
        assert label is not None
        assert match.is_title == (normalize(match.name) == normalize(label.title)), match


def test_resolution_is_unambiguous_only_when_one_series_fits() -> None:
    index = _index()
    assert resolve(index.search("monster"), "monster").best == Match(
        3, index.search("monster")[0].score, "Monster", "title", is_title=True
    )
    remakes = resolve(index.search("hunter x hunter"), "hunter x hunter")
    assert remakes.best is None
    assert {m.series_id for m in remakes.candidates[:2]} == {1, 2}
    assert resolve([], "anything").best is None


async def test_the_index_catches_up_with_an_import(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        search = SeriesSearch(store.catalog, revision_check_s=0)
        assert await search.search("Fixture Omega") == []
        with CatalogWriter(store.db.path) as writer:
            writer.upsert([CatalogEntry(title="Fixture Omega", sources=["https://anidb.net/anime/1"])])
        for _ in range(100):
            if await search.search("Fixture Omega"):
                break
            await asyncio.sleep(0.02)
        assert [m.name for m in await search.search("fixture omega")] == ["Fixture Omega"]
    finally:
        await store.close()


async def test_an_index_built_in_a_process_of_its_own_answers_like_one_built_here(database: Path) -> None:
    # Large catalogs are indexed apart (bot.services.search.BUILD_APART_FROM); the starter catalog
    # here is small, so both ways are built explicitly and asked the same things.
    store = await Store.open(database)
    try:
        names, labels = await store.catalog.index_rows()
    finally:
        await store.close()
    here, apart = TitleIndex(names, labels), await build_apart(database)
    assert len(here) == len(apart) > 0
    for typed in ("metallic rouge", "フリーレン", "frieren", "spy x", "rezero", "shingeki", "monstre"):
        assert here.search(typed) == apart.search(typed), typed
    some = labels[len(labels) // 2]
    assert apart.labels.get(some.series_id) == here.labels.get(some.series_id) == some


def test_names_in_one_buffer_read_back_exactly() -> None:
    texts = ["", "Frieren", "葬送のフリーレン", "Ｒｅ：ＺＥＲＯ", "a\u200bb", "Pokémon"]
    assert list(Strings(texts)) == texts


# A catalog where a few words are on hundreds of names, as "no", "the" and "season" are in the real one.
_COMMON = ["no", "the", "season", "kimi", "of"]
_RARE = [
    *("frieren", "rouge", "metallic", "hunter", "monster", "sousou", "kaiju", "mato", "seihei", "slave"),
    *("mushoku", "tensei", "shingeki", "kyojin", "yakusoku", "neverland", "spy", "family", "oshi", "ko"),
    *("dandadan", "chainsaw", "man", "bocchi", "rock", "kusuriya", "hitorigoto", "dungeon", "meshi", "solo"),
]


def _index_with_common_words() -> TitleIndex:
    import random

    import bot.services.title_index as title_index

    chooser = random.Random(3)
    labels, names = [], []
    for series_id in range(1, 1501):
        labels.append(SeriesLabel(series_id, f"S{series_id}", 2000 + series_id % 25, "TV"))
        for _ in range(2):
            words = chooser.sample(_COMMON, chooser.randint(0, 4)) + chooser.sample(_RARE, chooser.randint(1, 2))
            chooser.shuffle(words)
            names.append(IndexedName(series_id, " ".join(words), "synonym"))
    saved, title_index.COMMON_WORD_NAMES = title_index.COMMON_WORD_NAMES, 400
    try:
        return TitleIndex(names, labels)
    finally:
        title_index.COMMON_WORD_NAMES = saved


_BIG = _index_with_common_words()


@given(
    st.lists(st.sampled_from(_COMMON + _RARE), min_size=1, max_size=4),
    st.integers(min_value=1, max_value=6),
)
@example(["no", "the", "season"], 1)  # two common words, then a partial word on many names
@example(["no", "the"], 6)  # common words only: as many as are ranked
def test_names_with_every_typed_word_are_found_whichever_words_are_common(words: list[str], cut: int) -> None:
    from bot.services.title_index import CANDIDATES_CAP

    assert set(_BIG._common) == set(_COMMON)  # the bitmaps' words; the others are found through their postings
    tokens = [*words[:-1], words[-1][:cut]]  # the last word as typed so far
    plans = [_BIG._plan(token, is_last=n == len(tokens) - 1) for n, token in enumerate(tokens)]
    expected = set.intersection(
        *(plan.extra.union(*(_BIG._names_with(number) for number in plan.words.values())) for plan in plans)
    )
    found = _BIG._all_of(plans)
    # All of them, or (from the bitmaps alone) as many as are ranked.
    assert found == expected or (len(found) == CANDIDATES_CAP and found < expected)


@given(
    st.sampled_from(_RARE + _COMMON), st.integers(min_value=0, max_value=8), st.sampled_from(["swap", "drop", "add"])
)
@example("metallic", 3, "swap")
def test_a_typed_words_close_spellings_are_the_best_eight_of_its_neighbours(word: str, at: int, typo: str) -> None:
    """Its neighbours: index words one letter longer or shorter or as long, sharing its first or its
    last letters; the eight with the best fuzz.ratio (at least FUZZY_WORD_CUTOFF), ties in the order
    the neighbours are listed."""
    from rapidfuzz import fuzz

    from bot.services.title_index import FUZZY_WORD_CUTOFF, _spelling_keys

    at %= len(word)
    token = {"swap": _swapped(word, at), "drop": word[:at] + word[at + 1 :], "add": word[:at] + "e" + word[at:]}[typo]
    neighbours: dict[str, int] = {}
    for length in (len(token) - 1, len(token), len(token) + 1):
        for key in _spelling_keys(token, length):
            for number in range(len(_BIG._words)):
                word_there = _BIG._words[number]
                if len(word_there) >= 3 and key in _spelling_keys(word_there, len(word_there)):
                    neighbours.setdefault(word_there, number)
    scored = [(word_there, fuzz.ratio(token, word_there)) for word_there in neighbours]
    best = sorted((item for item in scored if item[1] >= FUZZY_WORD_CUTOFF), key=lambda item: -item[1])[:8]
    assert _BIG._close_spellings(token) == {word_there: neighbours[word_there] for word_there, _ in best}


def _swapped(word: str, at: int) -> str:
    """The word with two neighbouring letters swapped: a typo."""
    at %= max(1, len(word) - 1)
    return word[:at] + word[at + 1 : at + 2] + word[at : at + 1] + word[at + 2 :]


@given(
    st.lists(st.sampled_from(_COMMON + _RARE), min_size=2, max_size=4),
    st.integers(min_value=0, max_value=3),
    st.integers(min_value=0, max_value=8),
)
@example(["princess", "hunter", "star"], 1, 3)
def test_a_query_retried_without_a_word_keeps_every_name_that_has_all_its_words(
    words: list[str], typo: int, at: int
) -> None:
    """When few names hold every typed word, the words are retried one left out (a typo, an extra word);
    the names holding every word are never the ones cut to keep CANDIDATES_CAP."""
    from bot.services.title_index import CANDIDATES_CAP, PREFIX_NAMES_CAP, SKIP_WORD_BELOW

    tokens = list(words)
    tokens[typo % len(tokens)] = _swapped(tokens[typo % len(tokens)], at)
    plans = [_BIG._plan(token, is_last=n == len(tokens) - 1) for n, token in enumerate(tokens)]
    every_word = _BIG._all_of(plans)
    found = _BIG._candidates(" ".join(tokens), tokens)
    assert every_word <= found
    if len(every_word) < SKIP_WORD_BELOW:  # retried: names with all but one of the words came too
        retried = set.union(*(_BIG._all_of(plans[:n] + plans[n + 1 :]) for n in range(len(plans))))
        typed = " ".join(tokens)
        prefixed = _BIG._name_prefix(typed, PREFIX_NAMES_CAP) + _BIG._name_prefix(
            "".join(tokens), PREFIX_NAMES_CAP, compact=True
        )
        assert found - every_word <= retried | set(prefixed)
    assert len(found) <= CANDIDATES_CAP + 2 * PREFIX_NAMES_CAP


@given(st.sampled_from(_COMMON + _RARE), st.integers(min_value=1, max_value=6), st.integers(min_value=1, max_value=900))
@example("no", 2, 300)  # a common word: hundreds of names of its own, more of the words it begins
def test_one_typed_words_first_names_are_its_own_then_those_of_the_words_it_begins(
    word: str, cut: int, cap: int
) -> None:
    token = word[:cut]
    plan = _BIG._plan(token, is_last=True)
    everything = plan.extra.union(*(_BIG._names_with(number) for number in plan.words.values()))
    found = _BIG._first_names(plan, cap)
    assert found <= everything and len(found) == min(cap, len(everything))
    if token in plan.words:  # the word itself, typed whole: all of its names, or only its names
        own = set(_BIG._names_with(plan.words[token]))
        assert own <= found or found <= own


@given(st.text(min_size=1, max_size=6), st.text(max_size=6))
@example("ab", "ab\U0010ffffc")  # the last character there is
@example("a\U0010ffff", "a\U0010ffff\U0010ffff")
def test_the_text_after_a_prefix_sorts_after_every_text_it_begins_and_before_every_other(
    prefix: str, other: str
) -> None:
    from bot.services.title_index import _after_prefix

    beyond = _after_prefix(prefix)
    begun = prefix + other
    assert beyond is None or begun < beyond
    if not other.startswith(prefix) and other > prefix and beyond is not None:
        assert other >= beyond  # anything after the prefix that does not start with it is past the bound


@given(st.sets(st.integers(min_value=0, max_value=5_000), max_size=400), st.integers(min_value=0, max_value=40))
@example(set(range(0, 3_000, 7)), 300)  # a few of many
@example(set(range(0, 3_000, 7)), 1_000)  # all of them
@example({0, 7, 8, 255, 256, 4_999}, 6)  # each edge of a byte
@example({63, 64, 127, 128, 4_095}, 5)  # each edge of a 64-bit word
@example({8 * n for n in range(64)}, 100)  # as many marked bytes as are read one by one
@example({8 * n for n in range(65)}, 100)  # one more: read as 64-bit words
def test_a_bitmaps_members_are_read_back_lowest_first_up_to_the_cap(members: set[int], cap: int) -> None:
    from bot.services.title_index import _bitmap, _bitmap_members

    assert _bitmap_members(_bitmap(members), cap) == sorted(members)[:cap]


@given(
    st.lists(st.text(alphabet="abcdeフ ", max_size=4), max_size=3 * SAMPLE_EVERY),
    st.text(alphabet="abcdeフ ", max_size=4),
    st.integers(min_value=0, max_value=3 * SAMPLE_EVERY),
    st.integers(min_value=0, max_value=3 * SAMPLE_EVERY),
)
def test_a_sorted_buffer_bisects_as_bisect_left_does(items: list[str], x: str, lo: int, hi: int) -> None:
    """The index's sorted words and names bisect among every 64th first (decoding fewer): the same
    answer as the standard bisection, whatever the bounds."""
    from bisect import bisect_left

    items.sort()
    hi = min(hi, len(items))
    lo = min(lo, hi)
    packed = SortedStrings(items)
    assert packed.bisect_left(x) == bisect_left(items, x)
    assert packed.bisect_left(x, lo, hi) == bisect_left(items, x, lo, hi)


@given(st.sampled_from(_COMMON + _RARE), st.integers(min_value=1, max_value=8), st.integers(min_value=3, max_value=9))
@example("metallic", 3, 5)  # "allic"
@example("season", 1, 5)  # "eason": a common word's end
def test_a_word_typed_from_inside_longer_ones_finds_every_name_with_one(word: str, start: int, size: int) -> None:
    """What an FTS5 trigram query used to find (text inside a word, "rouge" in "metallicrouge"), from
    the words' ends in memory: every name with a word holding the text after its first letter."""
    token = word[start : start + size]
    if len(token) < 3:
        return
    expected = {
        index
        for index in range(len(_BIG))
        if any(token in name_word[1:] for name_word in _BIG._normalized[index].split())
    }
    assert _BIG._inside_words(token, len(_BIG)) == expected


@given(st.lists(st.text(alphabet="abcフ", min_size=1, max_size=9), max_size=3 * SAMPLE_EVERY, unique=True))
def test_the_words_ends_are_every_end_of_three_letters_or_more_in_order(words: list[str]) -> None:
    from bot.services.packed import WordEnds

    words.sort()
    ends = WordEnds(SortedStrings(words))
    assert list(ends) == sorted(word[start:] for word in words for start in range(1, len(word) - 2))
    for typed in ("ab", "bc", "フa", "c"):
        assert ends.bisect_left(typed) == sum(1 for end in ends if end < typed)


async def test_a_keystroke_or_a_typed_name_just_after_start_is_told_the_list_is_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index's first build takes seconds at 40,000 series, longer than Discord waits for a
    keystroke's answer (3 s): a keystroke waits a while (INDEX_WAIT_S), then hears it is loading."""
    import bot.services.series as series_module
    from bot.errors import NotReadyYet
    from bot.render.series import render_loading_choice
    from bot.services.series import SeriesService

    store = await Store.open(tmp_path / "db.sqlite3")
    built = asyncio.Event()
    real_build = SeriesSearch._build

    async def slow_build(self: SeriesSearch, revision: int) -> TitleIndex:
        await built.wait()
        return await real_build(self, revision)

    monkeypatch.setattr(SeriesSearch, "_build", slow_build)
    monkeypatch.setattr(series_module, "INDEX_WAIT_S", 0.2)
    try:
        with CatalogWriter(store.db.path) as writer:
            writer.upsert([CatalogEntry(title="Fixture Omega", sources=["https://anidb.net/anime/1"])])
        search = SeriesSearch(store.catalog)
        service = SeriesService(store.catalog, store.cards, search, None)
        today = date(2026, 11, 26)
        assert await asyncio.wait_for(service.suggest("fixture om", today), 1) is None  # answered, loading
        # Text sent without picking a suggestion (every command naming a series) is told so too.
        for name_by_text in (service.resolve("fixture omega"), service.find_ref("fixture omega")):
            with pytest.raises(NotReadyYet, match="still loading"):
                await asyncio.wait_for(name_by_text, 1)
        assert (await service.find_ref("series:1")).title == "Fixture Omega"  # a picked one needs no index
        built.set()
        found = await asyncio.wait_for(service.suggest("fixture om", today), 5)
        assert found is not None and [s.label.title for s in found] == ["Fixture Omega"]
        assert (await service.find_ref("fixture omega")).title == "Fixture Omega"
    finally:
        await store.close()

    loading = render_loading_choice("  " + "x" * 150)
    assert len(loading.name) <= 100 and loading.value == "x" * 100  # Discord's limits for a choice
    assert render_loading_choice("   ").value == "?"
