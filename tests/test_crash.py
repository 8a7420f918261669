"""Crash safety: the bot is killed (SIGKILL) in the middle of a burst of posts and started again.

Every post the member saw acknowledged must be in the database, intact, and the file must pass
SQLite's integrity check. Its own module: it runs its own bot processes.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import sys
from pathlib import Path

from tests.fakediscord import FakeDiscord, Reply
from tests.harness import join

REPO = Path(__file__).resolve().parent.parent
POSTS = 120
KILL_AFTER = 15


async def start_bot(fake: FakeDiscord, database: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "DISCORD_TOKEN": fake.token, "FAKE_DISCORD_URL": fake.base_url, "DATABASE_PATH": str(database),
           "SYNC_COMMANDS": "global", "ANILIST_ENABLED": "false", "CATALOG_REFRESH_HOURS": "0",
           "PYTHONPATH": str(REPO)}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.launch_bot", env=env, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    async with asyncio.timeout(60):
        while b"Ready as" not in (line := await process.stdout.readline()):
            assert line, "the bot exited before it was ready"
    asyncio.get_running_loop().create_task(process.stdout.read())  # keep the pipe drained
    return process


async def test_acknowledged_posts_survive_a_kill_mid_burst(
    fake: FakeDiscord, tmp_path: Path, seeded_database: Path
) -> None:
    database = tmp_path / "reviews.sqlite3"
    shutil.copyfile(seeded_database, database)
    guild = fake.add_guild("Crash Club")  # before start-up: it arrives with READY
    # One post per member: a member's own posts are capped per hour and per scope of a series.
    members = [join(fake, guild, f"member{n}") for n in range(POSTS)]
    alice = members[0]

    bot = await start_bot(fake, database)
    forms = [await member.slash("impression post", series="series:1", scope="completed") for member in members]
    answered = 0

    def kill_mid_burst(sent: object) -> None:
        nonlocal answered
        answered += 1
        if answered == KILL_AFTER:
            bot.send_signal(signal.SIGKILL)  # at this very acknowledgement, with the rest in flight

    fake.on_acknowledged = kill_mid_burst
    try:
        submits = [
            member.submit(form, text=f"Post number {n}.")
            for n, (member, form) in enumerate(zip(members, forms, strict=True))
        ]
        results = await asyncio.gather(*submits, return_exceptions=True)
    finally:
        fake.on_acknowledged = None
    await bot.wait()
    acknowledged: list[Reply] = [r for r in results if isinstance(r, Reply)]
    assert KILL_AFTER <= len(acknowledged) < POSTS, "the kill must land in the middle of the burst"

    restarted = await start_bot(fake, database)
    try:
        assert not (await alice.slash("about")).ephemeral
    finally:
        restarted.send_signal(signal.SIGTERM)
        await restarted.wait()

    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for reply in acknowledged:
            number = reply.impression_id
            text = reply.embed["description"].split("\n\n")[1]
            stored = conn.execute("SELECT text FROM impressions WHERE id = ?", (number,)).fetchone()
            assert stored == (text,), f"acknowledged impression #{number} was lost"
        total = conn.execute("SELECT count(*) FROM impressions").fetchone()[0]
    assert len(acknowledged) <= total <= POSTS
