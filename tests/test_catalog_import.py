"""`python -m bot catalog import` run as an operator runs it, on files and on a local URL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.client import ReviewBot
from bot.models import SERIES_EPISODES_MAX
from bot.services.catalog_import import ImportError_, download, entry_from_offline, import_offline_database
from tests.cli import query, run_tool
from tests.fakediscord import Member
from tests.harness import served_locally

FIXTURE = Path(__file__).parent / "fixtures" / "anime-offline-database-minified.json"
REPO = Path(__file__).resolve().parent.parent


async def import_catalog(database: Path, source: str, *, progress: bool = False) -> tuple[int, str]:
    return await run_tool(database, "catalog", "import", source, *(() if progress else ("--no-progress",)))


async def test_import_merges_with_the_starter_catalog_and_reports_bad_entries(database: Path) -> None:
    before = query(database, "SELECT count(*) FROM series")[0][0]

    status, output = await import_catalog(database, str(FIXTURE))

    assert status == 0, output
    assert "Read 7 entries" in output
    assert "2 new, 2 updated, 0 unchanged, 3 skipped." in output
    assert "skipped entry 3: no title" in output
    assert "skipped entry 4: expected a list of strings" in output
    assert "skipped entry 5: episodes is -3" in output
    assert "anime-offline-database" in output and "ODbL-1.0" in output
    assert query(database, "SELECT count(*) FROM series")[0][0] == before + 2
    [rouge] = query(database, "SELECT title, episodes, studios, status, premiered FROM series WHERE mal_id = 54794")
    # Merged through the shared MyAnimeList/AniList ids: the starter's title and Tokyo premiere date stay.
    assert rouge == ("Metallic Rouge", 13, '["bones"]', "Finished", "2024-01-11")


async def test_reimporting_changes_nothing(database: Path) -> None:
    await import_catalog(database, str(FIXTURE))
    count = query(database, "SELECT count(*) FROM series")[0][0]
    names = query(database, "SELECT count(*) FROM series_names")[0][0]

    status, output = await import_catalog(database, str(FIXTURE))

    assert status == 0
    assert "0 new, 0 updated, 4 unchanged" in output
    assert query(database, "SELECT count(*) FROM series")[0][0] == count
    assert query(database, "SELECT count(*) FROM series_names")[0][0] == names


async def test_curated_fields_survive_a_reimport(database: Path, tmp_path: Path) -> None:
    await import_catalog(database, str(FIXTURE))
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE series SET episodes = 12, curated_fields = '[\"episodes\"]' WHERE mal_id = 54794")
    newer = json.loads(FIXTURE.read_text())
    newer["data"][0]["episodes"] = 14
    newer["data"][0]["studios"] = ["Bones", "Studio Extra"]
    changed = tmp_path / "newer.json"
    changed.write_text(json.dumps(newer))

    status, output = await import_catalog(database, str(changed))

    assert status == 0, output
    assert query(database, "SELECT episodes, studios FROM series WHERE mal_id = 54794") == [
        (12, '["Bones", "Studio Extra"]')
    ]


async def test_the_jsonl_release_form_imports_the_same(database: Path, tmp_path: Path) -> None:
    document = json.loads(FIXTURE.read_text())
    header = {k: v for k, v in document.items() if k != "data"}
    lines = [json.dumps(header)] + [json.dumps(entry) for entry in document["data"]]
    jsonl = tmp_path / "anime-offline-database.jsonl"
    jsonl.write_text("\n".join(lines) + "\n")

    status, output = await import_catalog(database, str(jsonl))

    assert status == 0, output
    assert "2 new, 2 updated, 0 unchanged, 3 skipped." in output


@pytest.fixture
async def file_server() -> AsyncIterator[str]:
    async def serve(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(FIXTURE)

    app = web.Application()
    app.router.add_get("/anime-offline-database-minified.json", serve)
    async with served_locally(app) as url:
        yield url


async def test_import_from_a_url(database: Path, file_server: str) -> None:
    status, output = await import_catalog(database, f"{file_server}/anime-offline-database-minified.json")
    assert status == 0, output
    assert "2 new, 2 updated" in output


async def test_progress_shows_totals_for_the_download_and_the_import(database: Path, file_server: str) -> None:
    status, output = await import_catalog(
        database, f"{file_server}/anime-offline-database-minified.json", progress=True
    )
    assert status == 0, output
    frames = output.replace("\r", "\n").splitlines()
    # Bytes of a known total, then entries of a known total: so each bar can show an ETA.
    assert any(f.startswith("Downloading: 100%") and "1.97k/1.97k" in f for f in frames), output
    assert any(f.startswith("Importing: 100%") and " 7/7 " in f for f in frames), output


async def test_a_missing_url_is_a_clear_error(database: Path, file_server: str) -> None:
    status, output = await import_catalog(database, f"{file_server}/nothing-here.json")
    assert status == 1
    assert "the server answered HTTP 404" in output
    assert "Traceback" not in output


async def test_an_unreachable_url_is_a_clear_error(database: Path) -> None:
    status, output = await import_catalog(database, "http://127.0.0.1:9/anime.json")
    assert status == 1
    assert "Could not download" in output and "download the file yourself" in output
    assert "Traceback" not in output


async def test_a_download_over_the_cap_is_refused(file_server: str, tmp_path: Path) -> None:
    with pytest.raises(ImportError_, match="limit"):
        await download(f"{file_server}/anime-offline-database-minified.json", tmp_path, cap_bytes=100)


async def test_a_file_that_is_not_the_dataset_is_refused(database: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text("[1, 2, 3]")
    status, output = await import_catalog(database, str(wrong))
    assert status == 1
    assert "not an anime-offline-database file" in output

    # Nested deeper than the parser goes: json raises RecursionError for it, which was a traceback.
    wrong.write_text('{"data": ' + "[" * 200_000 + "]" * 200_000 + "}")
    status, output = await import_catalog(database, str(wrong))
    assert status == 1 and "neither JSON nor JSON Lines" in output and "Traceback" not in output


async def test_members_find_imported_names_and_see_the_credit(bot: ReviewBot, alice: Member) -> None:
    status, output = await import_catalog(bot.settings.database_path, str(FIXTURE))  # while the bot runs
    assert status == 0, output
    await bot.services.search.refresh()

    choices = await alice.autocomplete("series lookup", "title", "sousou no frier")
    assert choices[0]["name"].startswith("Frieren")

    card = (await alice.slash("series lookup", title=choices[0]["value"])).embed
    assert "Animated by MADHOUSE." in card["description"]
    fields = {field["name"]: field["value"] for field in card["fields"]}
    assert fields["Format"] == "TV · 28 episodes · Finished"
    assert fields["Notables"] == "Animation - MADHOUSE"
    assert "anime-offline-database (ODbL)" in card["footer"]["text"]

    about = await alice.slash("about")
    assert "Contains information from anime-offline-database" in about.text


# What a dataset's entry may hold: every kind of JSON value where numbers and texts are expected, numbers of
# any size (SQLite's columns hold 64 bits), ids in sources longer than any column.
ANY_NUMBER = st.one_of(
    st.sampled_from([0, 12, 5000, 5001, 2**63, 10**30, -3]),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.text(max_size=5),
)
SOURCES = st.lists(
    st.one_of(
        st.integers(0, 10**30).map(lambda n: f"https://myanimelist.net/anime/{n}"),
        st.integers(0, 10**30).map(lambda n: f"https://anilist.co/anime/{n}"),
        st.sampled_from(["https://anidb.net/anime/77", "https://[::1", "javascript:x", ""]),
    ),
    min_size=1,
    max_size=3,
)
# Any character, NUL and half a UTF-16 pair ("\ud800", which JSON spells and no database can encode) often.
# (Joined from characters: st.text leaves surrogates out, whatever its alphabet.)
_ANY_CHARACTER = st.characters(exclude_categories=()) | st.sampled_from(["\x00", "\ud800", "\udc00"])


def any_text(min_size: int = 0, max_size: int | None = None) -> st.SearchStrategy[str]:
    return st.lists(_ANY_CHARACTER, min_size=min_size, max_size=max_size).map("".join)


ENTRIES = st.fixed_dictionaries(
    {"sources": SOURCES,
     "title": st.one_of(any_text(min_size=1, max_size=20), st.just("Fixture Entry"), st.none())},
    optional={
        "episodes": ANY_NUMBER,
        "animeSeason": st.fixed_dictionaries({"year": ANY_NUMBER, "season": any_text(max_size=8)}),
        "picture": any_text(max_size=30), "synonyms": st.lists(any_text(max_size=10), max_size=3),
        "type": st.sampled_from(["TV", "MOVIE", "?"]), "tags": st.lists(any_text(max_size=10), max_size=3),
    },
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ENTRIES, min_size=1, max_size=6))
@example([{"sources": ["https://anilist.co/anime/424242"], "title": "Half \ud800 a pair", "synonyms": ["\udfff"]}])
def test_no_entry_a_dataset_holds_stops_the_import(database: Path, entries: list[dict[str, object]]) -> None:
    """Each entry is imported or skipped with its reason; none raises (an episode count of 10**30 used to
    stop the whole import with a traceback: SQLite's INTEGER holds 64 bits; so did a title holding half
    a UTF-16 pair, which no database can encode)."""
    source = database.with_name("release.json")
    source.write_text(json.dumps({"data": entries}))
    report = import_offline_database(source, database, progress=False)
    assert report.read == len(entries)
    most = "SELECT coalesce(max(episodes), 0), max(max(coalesce(mal_id, 0), coalesce(anilist_id, 0))) FROM series"
    [(episodes, ids)] = query(database, most)
    assert episodes <= SERIES_EPISODES_MAX and ids < 2**63
    for (title,) in query(database, "SELECT title FROM series"):
        assert "\x00" not in title and title.encode("utf-8")


def test_a_dataset_title_or_name_that_shows_nothing_is_no_title_or_name() -> None:
    with pytest.raises(ValueError, match="no title"):
        entry_from_offline({"sources": ["https://anidb.net/anime/1"], "title": "\u200b\u3164 "})
    entry = entry_from_offline(
        {"sources": ["https://anidb.net/anime/1"], "title": "Real", "synonyms": ["\u2800", "Alias"]}
    )
    assert entry.synonyms == ["Alias"]
