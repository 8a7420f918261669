"""Every command-line tool, run as an operator would and fed the mistakes operators make: each
failure is one sentence with the right status, and nothing is lost or overwritten."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest
import zstandard

from bot.services.catalog_import import import_starter_catalog
from bot.store import Store
from tests.cli import query, run_tool

FIXTURE = Path(__file__).parent / "fixtures" / "anime-offline-database-minified.json"


async def cli(database: Path, *args: str) -> tuple[int, str]:
    return await run_tool(database, *args)


def failure(status: int, output: str, expected: int = 1) -> str:
    """The one sentence a failing tool printed."""
    assert status == expected, output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[-1].startswith("error: "), output
    return lines[-1]


# -- catalog import: formats by content ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("release.json.gz", lambda raw: raw),  # named gzip, is plain JSON
        ("release.json", gzip.compress),  # named JSON, is gzip
        ("release.json.zst", lambda raw: zstandard.ZstdCompressor().compress(raw)),
        ("release-bom.json", lambda raw: b"\xef\xbb\xbf" + raw),
    ],
)
async def test_catalog_files_are_read_by_content_not_name(database: Path, tmp_path: Path, name: str, encode) -> None:  # type: ignore[no-untyped-def]
    release = tmp_path / name
    release.write_bytes(encode(FIXTURE.read_bytes()))
    status, output = await cli(database, "catalog", "import", str(release), "--no-progress")
    assert status == 0, output
    assert "new" in output and query(database, "SELECT count(*) FROM series_sources WHERE url LIKE '%anidb%'")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (gzip.compress(FIXTURE.read_bytes())[:200], "damaged or truncated gzip"),
        (zstandard.ZstdCompressor().compress(FIXTURE.read_bytes())[:200], "truncated zstd"),
        (b"[1, 2, 3]", "not an anime-offline-database file"),
        (b'{"data": {"not": "a list"}}', "no `data` list"),
        (b'{"data": [', "neither JSON nor JSON Lines"),
        (b'{"data": [{"title": "Caf\xe9", "sources": ["https://anidb.net/anime/1"]}]}', "is not UTF-8 text"),
    ],
)
async def test_a_broken_catalog_file_is_one_sentence_and_changes_nothing(
    database: Path, tmp_path: Path, content: bytes, words: str
) -> None:
    release = tmp_path / "release.json"
    release.write_bytes(content)
    before = query(database, "SELECT count(*) FROM series")
    status, output = await cli(database, "catalog", "import", str(release), "--no-progress")
    assert words in failure(status, output)
    assert query(database, "SELECT count(*) FROM series") == before


async def test_an_import_into_a_fresh_database_loads_the_starter_catalog_first(
    tmp_path: Path, seeded_database: Path
) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    status, output = await cli(fresh, "catalog", "import", str(FIXTURE), "--no-progress")
    assert status == 0, output
    starter = query(seeded_database, "SELECT count(*) FROM series")[0][0]  # the starter catalog alone
    assert starter > 8000 and query(fresh, "SELECT count(*) FROM series")[0][0] > starter
    assert query(fresh, "SELECT premiered FROM series WHERE title = 'Metallic Rouge'") == [("2024-01-11",)]


async def test_a_missing_catalog_file_and_an_unusable_database(database: Path, tmp_path: Path) -> None:
    status, output = await cli(database, "catalog", "import", str(tmp_path / "nowhere.json"), "--no-progress")
    assert "is not a file" in failure(status, output)
    status, output = await cli(tmp_path, "catalog", "import", str(FIXTURE), "--no-progress")
    assert "is a folder" in failure(status, output, expected=2)


async def test_an_import_while_another_process_holds_the_database_is_one_sentence(database: Path) -> None:
    """Another writer (a restore, say) holds the database past the 5 s a write waits."""
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        status, output = await cli(database, "catalog", "import", str(FIXTURE), "--no-progress")
    finally:
        other.execute("COMMIT")
        other.close()
    assert "Another process held the database's writer for more than 5 s" in failure(status, output)


# -- backup and export never overwrite; every failure one sentence ---------------------------------------


async def test_backup_and_export_refuse_existing_and_unwritable_targets(database: Path, tmp_path: Path) -> None:
    existing = tmp_path / "keep.json"
    existing.write_text("precious")
    guild = await a_guild_with_an_impression(database)
    for tool in (["backup", str(existing)], ["export", "--guild", str(guild), "--out", str(existing)]):
        status, output = await cli(database, *tool)
        assert "exists already" in failure(status, output), tool
        assert existing.read_text() == "precious"
    unwritable = "/proc/reviews/out.json"
    for tool in (["backup", unwritable], ["export", "--guild", str(guild), "--out", unwritable]):
        status, output = await cli(database, *tool)
        failure(status, output)
    status, output = await cli(database, "export", "--guild", "12345", "--out", str(tmp_path / "x.json"))
    assert "holds nothing of server 12345" in failure(status, output)
    assert not (tmp_path / "x.json").exists()
    for not_an_id in (str(10**30), str(2**63), "²", "-5"):  # 10**30 was an OverflowError traceback from SQLite
        status, output = await cli(database, "export", "--guild", not_an_id, "--out", str(tmp_path / "x.json"))
        assert status == 2 and "is not a server's id" in output and "Traceback" not in output, output
    status, output = await cli(tmp_path / "none.sqlite3", "backup", str(tmp_path / "b.sqlite3"))
    assert "no database" in failure(status, output, expected=2)


async def a_guild_with_an_impression(database: Path, guild: int = 77, text: str = "See series:1#1.") -> int:
    """An impression with a revision, a report and a notice, written through the store."""
    from bot.models import Scores
    from bot.store.posting import Draft, PostPolicy

    store = await Store.open(database)
    try:
        draft = Draft(1, 5, "Ann", "completed", None, text, False, Scores(overall=8))
        impression, _ = await store.impressions.add(guild, draft, f"k{guild}", PostPolicy(True, 10))  # type: ignore[misc]
        edited = Draft(1, 5, "Ann", "completed", None, text + " Edited.", False, Scores(overall=9))
        await store.impressions.revise(guild, impression.id, edited, 5, hold=False)
        await store.reports.add(guild, impression.id, 6, f"About impression #{impression.id}.")
        await store.moderation.set_state(
            guild, impression.id, 7, "impression.hide", {"status": "hidden"}, "spam",
            (5, f"A moderator hid your impression #{impression.id}: spam"),
        )  # fmt: skip
    finally:
        await store.close()
    return guild


# -- restores: any readable form, numbered anew where ids are taken ----------------------------------------


async def test_a_restore_renumbers_into_a_database_that_serves_other_servers(
    database: Path, tmp_path: Path, seeded_database: Path
) -> None:
    await a_guild_with_an_impression(database, 77)
    export = tmp_path / "export.json"
    status, output = await cli(database, "export", "--guild", "77", "--out", str(export))
    assert status == 0, output
    [(old_id,)] = query(database, "SELECT id FROM impressions WHERE guild_id = 77")

    busy = tmp_path / "busy.sqlite3"
    shutil.copyfile(seeded_database, busy)
    await a_guild_with_an_impression(busy, 88, "Another server's words.")  # takes the same id
    assert query(busy, "SELECT id FROM impressions WHERE guild_id = 88") == [(old_id,)]
    bommed = tmp_path / "export-bom.json.gz"
    bommed.write_bytes(gzip.compress(b"\xef\xbb\xbf" + export.read_bytes()))

    status, output = await cli(busy, "import-export", str(bommed))

    assert status == 0, output
    [(new_id, text)] = query(busy, "SELECT id, text FROM impressions WHERE guild_id = 77")
    assert new_id != old_id and text == f"See series:1#{new_id}. Edited."
    assert query(busy, "SELECT text FROM impressions WHERE guild_id = 88") == [("Another server's words. Edited.",)]
    assert query(busy, "SELECT count(*) FROM impression_revisions WHERE impression_id = ?", new_id) == [(1,)]
    assert query(busy, "SELECT reason FROM reports WHERE impression_id = ?", new_id) == [
        (f"About impression #{new_id}.",)
    ]
    assert query(busy, "SELECT text FROM member_notices WHERE guild_id = 77") == [
        (f"A moderator hid your impression #{new_id}: spam",)
    ]
    assert query(
        busy, "SELECT DISTINCT target_id FROM audit_log WHERE guild_id = 77 AND target_type = 'impression'"
    ) == [(new_id,)]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"format": "anime-impressions-export", "version": 1, "guild_id": 77', "not a readable JSON export"),
        (b"[1, 2]", "not an export of this bot"),
        (b'{"format": "anime-impressions-export", "version": 1, "guild_id": "77", "series": []}', "no server id"),
        (gzip.compress(b"{}")[:10], "damaged or truncated gzip"),
        (b'{"format": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", "nested too deeply to read)"),
        (b'{"format": "anime-impressions-export", "version": 1, "guild_id": "Caf\xe9"}', "it is not UTF-8 text"),
    ],
)
async def test_a_broken_export_is_one_sentence(database: Path, tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(content)
    status, output = await cli(database, "import-export", str(path))
    assert words in failure(status, output)


def test_the_starter_catalog_is_only_loaded_into_an_empty_catalog(database: Path) -> None:
    assert import_starter_catalog(database).read == 0
