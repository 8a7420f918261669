"""Operations: an online backup while the bot runs; secrets never reach logs or replies."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.client import ReviewBot
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
    number = int(card.embed["footer"]["text"].split("#")[1])

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
