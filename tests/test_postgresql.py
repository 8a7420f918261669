"""PostgreSQL, on a real server (tests/postgres.py): its schema keeps step with SQLite's, and
`python -m bot migrate-to` copies a database there and proves the copy, or keeps nothing."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import bot.store.postgresql as postgresql
from bot.bench.__main__ import fill_impressions
from bot.models import CatalogEntry, Scores
from bot.store import SchemaTooNewError, Store
from bot.store.catalog import CatalogWriter
from bot.store.postgresql import apply_postgresql_migrations, migrate_to, schema_version
from bot.store.posting import SCORE_COLUMNS, Draft, PostPolicy
from bot.store.watches import OwnSchedule
from tests.cli import cli_environment, query, run_python, run_tool
from tests.harness import peek
from tests.postgres import postgres_database
from tests.ratings_model import mismatches


def _sqlite_schema(path: Path) -> dict[str, set[str]]:
    with sqlite3.connect(path) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {
            table: {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            for table in tables
            if not table.startswith("sqlite_")
        }


def _postgresql_schema(url: str) -> dict[str, set[str]]:
    with psycopg.connect(url) as conn:
        found: dict[str, set[str]] = {}
        for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
        ):
            found.setdefault(table, set()).add(column)
    found.pop("schema_version")
    return found


async def test_both_backends_have_the_same_tables_and_columns(tmp_path: Path, postgres_url: str) -> None:
    await (await Store.open(tmp_path / "fresh.sqlite3")).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        first = apply_postgresql_migrations(conn)
        assert apply_postgresql_migrations(conn) == first  # forward only: a second run changes nothing
        conn.execute("INSERT INTO schema_version (version) VALUES (999)")  # as a newer release leaves it
        with pytest.raises(SchemaTooNewError, match="PostgreSQL database is at schema version 999"):
            apply_postgresql_migrations(conn)
        conn.execute("DELETE FROM schema_version WHERE version = 999")
    assert _postgresql_schema(postgres_url) == _sqlite_schema(tmp_path / "fresh.sqlite3")
    with sqlite3.connect(tmp_path / "fresh.sqlite3") as conn:
        assert first == conn.execute("PRAGMA user_version").fetchone()[0]  # the same schema version


async def _lived_in_database(path: Path) -> None:
    """A database with something in every table: the starter catalog, impressions over three servers,
    an edit applied and one waiting, a hidden impression and its notice, a public card, a report, a ban,
    settings, a watch with a prompt, a schedule, a privacy choice, and a series merged into one with a
    larger id."""
    fill_impressions(path, 60, 400, 3, {1: 40}, 1)
    store = await Store.open(path)
    try:
        policy = PostPolicy(exempt=True, default_limit=5)
        draft = Draft(2, 7, "Stretch 𝓢", "episodes", 1, "Rouge <b>bold</b> 「翻訳」", True, Scores(overall=8))
        added = await store.impressions.add(1, draft, "submission-1", policy)
        assert isinstance(added, tuple)
        impression = added[0]
        edited = Draft(2, 7, "Stretch 𝓢", "completed", None, "Edited.", False, Scores(overall=9, music=7))
        await store.impressions.revise(1, impression.id, edited, 7, hold=False)
        await store.moderation.set_state(
            1, impression.id, 99, "hide", {"status": "hidden"}, "Spoilers.", notice=(7, "Your impression was hidden.")
        )
        second = await store.impressions.add(1, replace(draft, author_id=8, author_name="Ann"), "submission-2", policy)
        assert isinstance(second, tuple)
        await store.moderation.update_settings(1, 99, {"public_slug": "club-1", "approval_required": 1})
        await store.impressions.revise(1, second[0].id, replace(edited, author_id=8), 8, hold=True)  # waits
        await store.impressions.record_post(1, second[0].id, 555, 10**18, "card")
        await store.reports.add(1, 1, 8, "Off topic.")
        await store.moderation.ban(1, 9, 99, "Spam.", None)
        await store.watches.add(1, 3, 555, 99)
        await store.watches.claim(1, 3, 1, 555, "2024-01-10T15:00:00+00:00")
        await store.watches.set_schedule(1, 4, OwnSchedule("R/2024-01-10T15:00:00Z/P1W", 12, 1), 99)
        await store.web.set_named(1, 7, False)
        await store.state.set("web:reviewer-secret", "00" * 16)
        await store.curation.merge(2, 900, 99, 1)
    finally:
        await store.close()


async def test_migrate_to_copies_every_table_and_verifies_it(
    tmp_path: Path, seeded_database: Path, postgres_url: str
) -> None:
    database = tmp_path / "reviews.sqlite3"
    shutil.copyfile(seeded_database, database)
    await _lived_in_database(database)

    copies = await asyncio.to_thread(migrate_to, database, postgres_url)

    tables = _sqlite_schema(database)
    assert {copy.table for copy in copies} == set(tables)
    for copy in copies:
        assert copy.rows == query(database, f"SELECT count(*) FROM {copy.table}")[0][0], copy.table
    assert all(copy.rows for copy in copies), [copy.table for copy in copies if not copy.rows]
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT merged_into FROM series WHERE id = 2").fetchone() == (900,)
        assert ("Metallic Rouge",) in conn.execute("SELECT name FROM series_names").fetchall()
        # New rows continue after the copied ids, and the triggers keep the card's sums.
        before = conn.execute("SELECT reviewers, n_overall FROM series_ratings WHERE guild_id = 1 AND series_id = 1")
        reviewers, rated = before.fetchone()
        largest = conn.execute("SELECT max(id) FROM impressions").fetchone()[0]
        added = conn.execute(
            "INSERT INTO impressions (guild_id, series_id, author_id, author_name, scope, text, score_overall, "
            "created_at, updated_at) VALUES (1, 1, 424242, 'New', 'completed', 'Fine.', 6, 'now', 'now') RETURNING id"
        ).fetchone()[0]
        assert added == largest + 1
        after = conn.execute("SELECT reviewers, n_overall FROM series_ratings WHERE guild_id = 1 AND series_id = 1")
        assert after.fetchone() == (reviewers + 1, rated + 1)


async def test_migrate_to_from_the_command_line(tmp_path: Path, seeded_database: Path, postgres_url: str) -> None:
    database = tmp_path / "reviews.sqlite3"
    shutil.copyfile(seeded_database, database)

    status, output = await run_tool(database, "migrate-to", postgres_url)
    assert status == 0, output
    assert "Copied " in output and "equal the SQLite file's" in output

    again = await run_tool(database, "migrate-to", postgres_url)
    assert again[0] == 2 and "not empty" in again[1] and len(again[1].strip().splitlines()) == 1, again
    # A wrong address, or a server that is not there: one sentence, and the password never repeated.
    wrong = await run_tool(database, "migrate-to", "mysql://reviews:s3cret@localhost/reviews")
    assert wrong[0] == 2 and "postgresql://" in wrong[1] and len(wrong[1].strip().splitlines()) == 1, wrong
    nobody = await run_tool(database, "migrate-to", "postgresql://postgres:s3cret@127.0.0.1:1/reviews")
    assert nobody[0] == 1 and len(nobody[1].strip().splitlines()) == 1, nobody
    assert all("Traceback" not in output and "s3cret" not in output for _, output in (wrong, nobody))


async def test_a_copy_that_does_not_verify_is_not_kept(
    tmp_path: Path, seeded_database: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "reviews.sqlite3"
    shutil.copyfile(seeded_database, database)
    read_back = postgresql._postgresql_rows

    def one_row_short(conn: psycopg.Connection[object], table: str, columns: list[str]):  # type: ignore[no-untyped-def]
        rows = read_back(conn, table, columns)
        if table == "series_names":
            next(rows)
        return rows

    monkeypatch.setattr(postgresql, "_postgresql_rows", one_row_short)
    with pytest.raises(RuntimeError, match="series_names differs after the copy"):
        await asyncio.to_thread(migrate_to, database, postgres_url)
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM series").fetchone() == (0,)


STATUSES = ("published", "pending", "hidden", "removed")
_SCORE = st.one_of(st.none(), st.integers(min_value=1, max_value=10))
_WHICH = st.integers(min_value=0, max_value=40)  # the n-th impression written so far (modulo)
_OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"),
            st.integers(1, 2),  # server
            st.integers(1, 2),  # series
            st.integers(1, 3),  # author
            st.sampled_from(STATUSES),
            st.integers(0, 1),  # featured
            st.lists(_SCORE, min_size=7, max_size=7),
        ),
        st.tuples(st.just("status"), _WHICH, st.sampled_from(STATUSES)),
        st.tuples(st.just("score_overall"), _WHICH, _SCORE),
        st.tuples(st.just("score_music"), _WHICH, _SCORE),
        st.tuples(st.just("featured"), _WHICH, st.integers(0, 1)),
        st.tuples(st.just("series_id"), _WHICH, st.integers(1, 2)),  # a merge moves impressions
        st.tuples(st.just("delete"), _WHICH),
    ),
    max_size=30,
)
_KEPT = {
    "series_reviewers": "SELECT * FROM series_reviewers ORDER BY guild_id, series_id, author_id",
    "series_ratings": "SELECT * FROM series_ratings ORDER BY guild_id, series_id",
    "chart_versions": "SELECT * FROM chart_versions ORDER BY guild_id, series_id",
}


def _apply(
    execute: Callable[[str, tuple[object, ...]], list[tuple[object, ...]]], operations: list[tuple[Any, ...]]
) -> list[int]:
    """The same writes on either backend: `execute` takes SQL with {} where each parameter goes. The ids
    of the impressions left, in the order written (SQLite gives a deleted largest id again, PostgreSQL
    never does: the same operation must pick the same impression on both)."""
    written: list[int] = []
    for operation in operations:
        kind, *values = operation
        if kind == "add":
            guild, series, author, status, featured, scores = values
            columns = "guild_id, series_id, author_id, author_name, scope, text, status, featured, " + ", ".join(
                SCORE_COLUMNS
            )
            marks = ", ".join(["{}"] * 15)
            found = execute(
                f"INSERT INTO impressions ({columns}, created_at, updated_at) "
                f"VALUES ({marks}, 'now', 'now') RETURNING id",
                (guild, series, author, f"m{author}", "completed", "Text.", status, featured, *scores),
            )
            written.append(int(found[0][0]))  # type: ignore[call-overload]
        elif written:
            target = written[values[0] % len(written)]
            if kind == "delete":
                execute("DELETE FROM impressions WHERE id = {}", (target,))
                written.remove(target)  # later operations pick among the impressions that exist
            else:
                execute(f"UPDATE impressions SET {kind} = {{}} WHERE id = {{}}", (values[1], target))
    return written


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=_OPERATIONS)
@example(operations=[("add", 1, 1, 1, "published", 0, [5] * 7), ("status", 0, "hidden")])  # unpublished
@example(operations=[("add", 1, 1, 1, "published", 0, [5] * 7), ("series_id", 0, 2), ("delete", 0)])  # merged
def test_the_ratings_kept_by_triggers_are_the_same_on_both_backends(
    operations: list[tuple[Any, ...]], tmp_path_factory: pytest.TempPathFactory, postgres_url: str
) -> None:
    """The card's aggregates (series_reviewers, series_ratings) and the charts' versions, kept by SQLite's
    triggers and by PostgreSQL's PL/pgSQL, after any writes to impressions: equal, and SQLite's equal to
    a recomputation from the impressions alone."""
    lite_path = tmp_path_factory.mktemp("parity") / "reviews.sqlite3"
    asyncio.run(_empty_database(lite_path))
    lite = sqlite3.connect(lite_path, isolation_level=None)
    with psycopg.connect(postgres_url, autocommit=True) as pg:
        if not schema_version(pg):
            apply_postgresql_migrations(pg)
            pg.execute("INSERT INTO series (id, title, created_at, updated_at) VALUES (1, 'A', 'now', 'now'), "
                       "(2, 'B', 'now', 'now')")  # fmt: skip
        pg.execute("TRUNCATE impressions, series_reviewers, series_ratings, chart_versions RESTART IDENTITY CASCADE")
        lite_ids = _apply(lambda text, params: lite.execute(text.replace("{}", "?"), params).fetchall(), operations)

        def on_postgresql(text: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
            cursor = pg.execute(text.replace("{}", "%s"), params)
            return cursor.fetchall() if cursor.description else []

        pg_ids = _apply(on_postgresql, operations)
        for table, select in _KEPT.items():
            assert _by_order(pg.execute(select).fetchall(), pg_ids, table) == _by_order(
                lite.execute(select).fetchall(), lite_ids, table
            ), table
    assert mismatches(lite) == []
    lite.close()


def _by_order(rows: list[tuple[Any, ...]], ids: list[int], table: str) -> list[tuple[Any, ...]]:
    """series_reviewers' impression ids as the n-th impression left."""
    if table != "series_reviewers":
        return rows
    order = {impression: n for n, impression in enumerate(ids)}
    return [(*row[:3], order[row[3]], *row[4:]) for row in rows]


async def _empty_database(path: Path) -> None:
    await (await Store.open(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO series (id, title, created_at, updated_at) VALUES (1, 'A', 'now', 'now'), "
                     "(2, 'B', 'now', 'now')")  # fmt: skip


async def test_a_value_postgresql_cannot_store_is_named_and_nothing_is_kept(
    tmp_path: Path, seeded_database: Path, postgres_url: str
) -> None:
    database = tmp_path / "reviews.sqlite3"
    shutil.copyfile(seeded_database, database)
    with sqlite3.connect(database) as conn:  # SQLite keeps a NUL character in text; PostgreSQL cannot
        conn.execute("UPDATE series SET synopsis = 'Before' || char(0) || 'after' WHERE id = 1")

    status, output = await run_tool(database, "migrate-to", postgres_url)

    assert status == 1 and len(output.strip().splitlines()) == 1, output
    assert "Table series holds a value PostgreSQL cannot store" in output and "nothing was kept" in output
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM series").fetchone() == (0,)


async def test_an_export_reads_the_same_from_sqlite_and_from_its_postgresql_copy(
    tmp_path: Path, seeded_database: Path, postgres: str, postgres_url: str
) -> None:
    database = tmp_path / "reviews.sqlite3"
    shutil.copyfile(seeded_database, database)
    await _lived_in_database(database)
    assert (await run_tool(database, "migrate-to", postgres_url))[0] == 0

    def exported(name: str) -> list[Any]:
        return [json.loads((tmp_path / f"{name}-{guild}.json").read_text(encoding="utf-8")) for guild in (1, 2)]

    for guild in (1, 2):
        status, output = await run_python(
            ["-m", "bot", "export", "--guild", str(guild), "--out", str(tmp_path / f"sqlite-{guild}.json")],
            cli_environment(database),
        )
        assert status == 0, output
        status, output = await run_python(
            ["-m", "bot", "export", "--guild", str(guild), "--out", str(tmp_path / f"pg-{guild}.json")],
            cli_environment(database, DATABASE_URL=postgres_url),
        )
        assert status == 0, output
    from_sqlite, from_postgresql = exported("sqlite"), exported("pg")
    for document in (*from_sqlite, *from_postgresql):
        document.pop("exported_at")
    assert from_postgresql == from_sqlite
    assert from_sqlite[0]["impressions"] and from_sqlite[0]["audit_log"] and from_sqlite[0]["reports"]

    # And back: a server's export restores into a fresh PostgreSQL database as into a fresh SQLite one.
    fresh = tmp_path / "fresh.sqlite3"
    with postgres_database(postgres) as other:
        again = {}
        for name, env in (("sqlite", cli_environment(fresh)), ("pg", cli_environment(fresh, DATABASE_URL=other))):
            status, output = await run_python(["-m", "bot", "import-export", str(tmp_path / "sqlite-1.json")], env)
            assert status == 0, output
            target = tmp_path / f"again-{name}.json"
            status, output = await run_python(["-m", "bot", "export", "--guild", "1", "--out", str(target)], env)
            assert status == 0, output
            again[name] = json.loads(target.read_text(encoding="utf-8"))
            again[name].pop("exported_at")
        assert again["pg"] == again["sqlite"]
        assert len(again["pg"]["impressions"]) == len(from_sqlite[0]["impressions"])
        with peek(other) as conn:
            assert mismatches(conn) == []
            # New rows continue after the restored ids.
            largest = conn.execute("SELECT max(id) FROM impressions").fetchone()[0]
            added = conn.execute(
                "INSERT INTO impressions (guild_id, series_id, author_id, author_name, scope, text, status, "
                "created_at, updated_at) VALUES (1, 1, 4242, 'New', 'completed', 'Fine.', 'published', 'now', 'now')"
            ).lastrowid
            assert added == largest + 1

        # A row PostgreSQL's constraints refuse (no author) is one sentence there too, and nothing is written.
        crafted = exported("sqlite")[1]
        crafted["impressions"][0]["author_id"] = None
        (tmp_path / "crafted-2.json").write_text(json.dumps(crafted), encoding="utf-8")
        with peek(other) as conn:
            before = conn.execute("SELECT count(*) FROM impressions").fetchone()[0]
        status, output = await run_python(
            ["-m", "bot", "import-export", str(tmp_path / "crafted-2.json")], cli_environment(fresh, DATABASE_URL=other)
        )
        assert status == 1 and "breaks a rule of this bot's data" in output and "Traceback" not in output, output
        with peek(other) as conn:
            assert conn.execute("SELECT count(*) FROM impressions").fetchone()[0] == before


async def test_backup_on_postgresql_says_what_to_use_instead(tmp_path: Path, postgres_url: str) -> None:
    status, output = await run_python(
        ["-m", "bot", "backup", str(tmp_path / "copy.sqlite3")],
        cli_environment(tmp_path / "none.sqlite3", DATABASE_URL=postgres_url),
    )
    assert status == 2 and "pg_dump" in output and len(output.strip().splitlines()) == 1, output
    assert not (tmp_path / "copy.sqlite3").exists()


async def test_a_datasets_nul_characters_are_taken_out_on_the_way_in(tmp_path: Path, postgres_url: str) -> None:
    await (await Store.open(tmp_path / "unused.sqlite3", postgres_url)).close()
    entry = CatalogEntry(title="Nul\x00 Show", sources=["https://example.org/anime/nul"], synonyms=["Cut\x00 Here"])
    with CatalogWriter(postgres_url) as writer:  # PostgreSQL would refuse the NUL: the whole import with it
        assert writer.upsert([entry]).inserted == 1
    with peek(postgres_url) as conn:
        row = conn.execute("SELECT title, synonyms FROM series WHERE title LIKE 'Nul%'").fetchone()
    assert row == ("Nul Show", '["Cut Here"]')


async def test_the_catalog_import_reads_the_same_into_postgresql(
    tmp_path: Path, seeded_database: Path, postgres_url: str
) -> None:
    fixture = Path(__file__).parent / "fixtures" / "anime-offline-database-minified.json"
    database = tmp_path / "reviews.sqlite3"
    shutil.copyfile(seeded_database, database)
    outputs = {}
    for name, env in (
        ("sqlite", cli_environment(database)),
        ("pg", cli_environment(database, DATABASE_URL=postgres_url)),
    ):
        status, output = await run_python(["-m", "bot", "catalog", "import", str(fixture), "--no-progress"], env)
        assert status == 0, output
        [outputs[name]] = [line for line in output.splitlines() if line.startswith("Read 7 entries")]
    # The same merge on both (the PostgreSQL database got the starter catalog first, as SQLite's has it).
    assert (
        outputs["pg"].split(": ", 1)[1]
        == outputs["sqlite"].split(": ", 1)[1]
        == ("2 new, 2 updated, 0 unchanged, 3 skipped.")
    )
    with peek(postgres_url) as conn:
        rouge = conn.execute("SELECT title, episodes, studios, status, premiered FROM series WHERE mal_id = 54794")
        assert rouge.fetchone() == ("Metallic Rouge", 13, '["bones"]', "Finished", "2024-01-11")


async def test_a_bot_on_sqlite_never_loads_postgresqls_driver() -> None:
    # psycopg costs the bot about 8 MB of memory (Step 10's budget is 120 MB): only DATABASE_URL loads it.
    modules = ["bot.__main__", "bot.client", "bot.store", "bot.services", "bot.web.app", "bot.store.export"]
    modules += [f"cogs.{path.stem}" for path in (Path(__file__).parent.parent / "cogs").glob("*.py")]
    status, output = await run_python(
        ["-c", f"import sys, importlib; [importlib.import_module(m) for m in {modules!r}]; print(sorted(sys.modules))"],
        cli_environment(Path("unused.sqlite3")),
    )
    assert status == 0, output
    assert "psycopg" not in output, "a module of the bot imports psycopg at the top"


async def test_an_edit_never_overwrites_a_text_another_process_changed_after_it_was_read(
    tmp_path: Path, postgres_url: str
) -> None:
    """On PostgreSQL another process may commit between an edit's read and its write (SQLite's writer
    runs alone): the edit then reads again and decides anew, and the other process's text stays."""
    from bot.models import Series

    store = await Store.open(tmp_path / "unused.sqlite3", postgres_url)
    try:
        number = await store.curation.add(CatalogEntry(title="Fixture Race", sources=[]), 1, None)
        await store.curation.edit(number, {"synopsis": "Original."}, 1, None)
        seen: list[str | None] = []

        def add_mine(series: Series) -> dict[str, Any]:
            seen.append(series.synopsis)
            if len(seen) == 1:  # another process commits after this read, before this write
                with peek(postgres_url) as other:
                    other.execute("UPDATE series SET synopsis = 'Theirs.' WHERE id = ?", (number,))
            return {"synopsis": f"{series.synopsis} Mine."}

        assert await store.curation.edit_with(number, add_mine, 1, None)
        assert seen == ["Original.", "Theirs."]
        with peek(postgres_url) as conn:
            assert conn.execute("SELECT synopsis FROM series WHERE id = ?", (number,)).fetchone() == ("Theirs. Mine.",)
    finally:
        await store.close()


async def test_anilists_texts_wait_for_a_catalog_write_and_never_undo_a_curators(
    tmp_path: Path, postgres_url: str
) -> None:
    """Writers that read the catalog to decide what they write wait for one in progress (an import, a
    curator's edit in another process), as SQLite's one writer does: AniList's synopsis, decided while a
    curator's edit was being committed, would have replaced it."""
    from bot.store.catalog import Enrichment
    from bot.store.connection import CATALOG_WRITES

    store = await Store.open(tmp_path / "unused.sqlite3", postgres_url)
    try:
        number = await store.curation.add(CatalogEntry(title="Fixture Wait", sources=[]), 1, None)
        with psycopg.connect(postgres_url) as other:  # another process, in the middle of a catalog write
            other.execute("SELECT pg_advisory_xact_lock(%s)", (CATALOG_WRITES,))
            found = Enrichment(synopsis="From AniList.", synopsis_credit="AniList", studios=(), episodes=None)
            saving = asyncio.create_task(store.catalog.save_enrichment(number, found, "anilist"))
            await asyncio.sleep(0.5)
            assert not saving.done(), "AniList's texts were saved in the middle of another catalog write"
            other.execute(
                "UPDATE series SET synopsis = 'Curated.', curated_fields = '[\"synopsis\"]' WHERE id = %s", (number,)
            )
            other.commit()
        await saving
        with peek(postgres_url) as conn:
            assert conn.execute("SELECT synopsis FROM series WHERE id = ?", (number,)).fetchone() == ("Curated.",)
    finally:
        await store.close()


async def test_two_settings_changed_at_once_are_both_kept(tmp_path: Path, postgres_url: str) -> None:
    """PostgreSQL runs writes side by side: each change writes only its own settings, so one read before
    the other's commit does not put the other's setting back."""
    store = await Store.open(tmp_path / "unused.sqlite3", postgres_url)
    try:
        settings = store.moderation
        await settings.update_settings(7, 1, {"approval_required": 0})  # the server's row exists
        for round_number in range(1, 41):
            flag = round_number % 2
            await asyncio.gather(
                settings.update_settings(7, 1, {"approval_required": flag}),
                settings.update_settings(7, 2, {"post_limit_per_hour": round_number}),
                settings.update_settings(7, 3, {"mod_role_id": 1000 + round_number}),
            )
            with peek(postgres_url) as conn:
                row = conn.execute(
                    "SELECT approval_required, post_limit_per_hour, mod_role_id FROM guild_settings WHERE guild_id = 7"
                ).fetchone()
            assert row == (flag, round_number, 1000 + round_number), f"round {round_number}"
    finally:
        await store.close()


async def test_an_approval_waits_for_a_delete_in_progress_and_never_publishes_it(
    tmp_path: Path, postgres_url: str
) -> None:
    """A write that decides from an impression's status locks it first: an approval read "pending" while
    the author's delete was being committed, then published the deleted impression."""
    store = await Store.open(tmp_path / "unused.sqlite3", postgres_url)
    try:
        await store.moderation.update_settings(1, 99, {"approval_required": 1})
        series_id = await store.curation.add(CatalogEntry(title="Fixture Pending", sources=[]), 1, None)
        draft = Draft(series_id, 7, "Ann", "completed", None, "Waiting for a moderator.", False, Scores(overall=8))
        added = await store.impressions.add(1, draft, "submission-1", PostPolicy(exempt=True, default_limit=5))
        assert isinstance(added, tuple) and added[0].status == "pending"
        number = added[0].id
        with psycopg.connect(postgres_url) as author:  # the author's delete, not committed yet
            author.execute("UPDATE impressions SET status = 'removed' WHERE id = %s", (number,))
            approving = asyncio.create_task(store.queue.decide(1, number, 99, True, None))
            await asyncio.sleep(0.5)
            assert not approving.done(), "the approval went ahead of the delete it had to wait for"
            author.commit()
        assert await approving is None  # not in the queue any more
        with peek(postgres_url) as conn:
            assert conn.execute("SELECT status FROM impressions WHERE id = ?", (number,)).fetchone() == ("removed",)
    finally:
        await store.close()


async def test_the_same_post_sent_twice_at_once_is_stored_once(tmp_path: Path, postgres_url: str) -> None:
    """PostgreSQL runs a member's two posts side by side: the second waits for the first, so it finds it.
    Both found nothing before: the same form sent twice failed on the unique submission key ("Something
    went wrong"), and the same impression from two forms was kept twice."""
    store = await Store.open(tmp_path / "unused.sqlite3", postgres_url)
    try:
        series_id = await store.curation.add(CatalogEntry(title="Fixture Twice", sources=[]), 1, None)
        policy = PostPolicy(exempt=False, default_limit=5)
        for round_number in range(10):
            draft = Draft(series_id, 100 + round_number, "Ann", "completed", None, "Twice.", False, Scores(overall=8))
            results = await asyncio.gather(
                store.impressions.add(1, draft, f"form-{round_number}", policy),
                store.impressions.add(1, draft, f"form-{round_number}", policy),  # the same form, again
                store.impressions.add(1, draft, f"other-{round_number}", policy),  # the same, from another form
            )
            stored = [result for result in results if isinstance(result, tuple)]
            assert len({impression.id for impression, _ in stored}) == 1, results
            assert [new for _, new in stored].count(True) == 1, results
            with peek(postgres_url) as conn:
                count = conn.execute("SELECT count(*) FROM impressions WHERE author_id = ?", (100 + round_number,))
                assert count.fetchone() == (1,)
    finally:
        await store.close()


async def test_a_public_post_recorded_during_a_hide_reads_the_hide(tmp_path: Path, postgres_url: str) -> None:
    """The bot records a public post just after sending it. A hide committing at that moment read the
    posts without it (so never withdrew it), while the record read the impression as still published."""
    store = await Store.open(tmp_path / "unused.sqlite3", postgres_url)
    try:
        series_id = await store.curation.add(CatalogEntry(title="Fixture Posted", sources=[]), 1, None)
        draft = Draft(series_id, 7, "Ann", "completed", None, "Shown in a channel.", False, Scores(overall=8))
        added = await store.impressions.add(1, draft, "submission-1", PostPolicy(exempt=True, default_limit=5))
        assert isinstance(added, tuple) and added[0].status == "published"
        number = added[0].id
        with psycopg.connect(postgres_url) as moderator:  # the hide, not committed yet
            moderator.execute("UPDATE impressions SET status = 'hidden' WHERE id = %s", (number,))
            recording = asyncio.create_task(store.impressions.record_post(1, number, 55, 66, "card"))
            await asyncio.sleep(0.5)
            assert not recording.done(), "the record went ahead of the hide it had to wait for"
            moderator.commit()
        now = await recording
        assert now is not None and now.status == "hidden"
    finally:
        await store.close()


async def test_two_moderators_banning_one_member_at_once_ban_once(tmp_path: Path, postgres_url: str) -> None:
    """Each ban read "no ban in force" while the other was committing: both answered "banned", both were
    audited, and the second's reason and end silently replaced the first's."""
    store = await Store.open(tmp_path / "unused.sqlite3", postgres_url)
    try:
        for member in range(100, 120):
            results = await asyncio.gather(
                store.moderation.ban(1, member, 98, "Spam, says one.", None),
                store.moderation.ban(1, member, 99, "Spam, says the other.", "2099-01-01T00:00:00+00:00"),
            )
            assert [done for done, _ in results].count(True) == 1, (member, results)
        with peek(postgres_url) as conn:
            bans = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'member.ban'").fetchone()
        assert bans == (20,)
    finally:
        await store.close()


async def test_a_reports_hide_waits_for_a_delete_in_progress_and_tells_the_author_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    """Resolving a report locks its impression first: a hide that read "published" while the author's
    delete was committing audited a hide and told the author their deleted impression was hidden."""
    store = await Store.open(tmp_path / "unused.sqlite3", postgres_url)
    try:
        series_id = await store.curation.add(CatalogEntry(title="Fixture Reported", sources=[]), 1, None)
        draft = Draft(series_id, 7, "Ann", "completed", None, "Reported, then deleted.", False, Scores(overall=3))
        added = await store.impressions.add(1, draft, "submission-1", PostPolicy(exempt=True, default_limit=5))
        assert isinstance(added, tuple)
        number = added[0].id
        report_id = await store.reports.add(1, number, 8, "Spoilers.")
        assert report_id is not None
        with psycopg.connect(postgres_url) as author:  # the author's delete, not committed yet
            author.execute("UPDATE impressions SET status = 'removed' WHERE id = %s", (number,))
            hiding = asyncio.create_task(store.reports.resolve(1, report_id, 99, True, "Hidden after a report."))
            await asyncio.sleep(0.5)
            assert not hiding.done(), "the report's hide went ahead of the delete it had to wait for"
            author.commit()
        resolved = await hiding
        with peek(postgres_url) as conn:
            assert conn.execute("SELECT count(*) FROM member_notices WHERE user_id = 7").fetchone() == (0,)
            hides = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'impression.hide'").fetchone()
            assert hides == (0,)
        assert resolved is not None and resolved[1] == "removed" and resolved[0].status == "actioned"
    finally:
        await store.close()
