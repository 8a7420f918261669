"""Unit tests of the lookup index: normalisation, ranking, resolution, and catching up with imports."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.models import CatalogEntry, IndexedName, SeriesLabel
from bot.services.packed import Strings
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


def test_resolution_is_unambiguous_only_when_one_series_fits() -> None:
    index = _index()
    assert resolve(index.search("monster"), "monster").best == Match(
        3, index.search("monster")[0].score, "Monster", "title"
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
