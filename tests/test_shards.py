"""Scale-out: the gateway split into two shards held by two bots (and processes), one PostgreSQL.

The fake Discord assigns servers to shards as Discord does ((guild_id >> 22) % count) and sends each
server's events and interactions only on the connection of the shard that holds it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from bot.client import ReviewBot, ShardedReviewBot
from tests.cli import REPO, cli_environment
from tests.fakediscord import FakeDiscord, FakeGuild, Member
from tests.harness import join, moderator, peek, running_bot
from tests.postgres import postgres_database
from tests.test_watch import announce, drain

TWO_SHARDS = {"SHARD_COUNT": "2", "CATALOG_CHECK_SECONDS": "1"}


async def eventually(check: Callable[[], Awaitable[bool]], within_s: float = 15) -> None:
    deadline = time.monotonic() + within_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not so within {within_s} s")
        await asyncio.sleep(0.2)


@dataclass
class World:
    """Two servers, one on each of two shards, a member in each, and a PostgreSQL database."""

    fake: FakeDiscord
    home: FakeGuild  # held by shard 0
    away: FakeGuild  # held by shard 1
    alice: Member
    bob: Member
    url: str

    @property
    def shared(self) -> dict[str, str]:
        """What every bot process of the pair is started with."""
        return {"DATABASE_URL": self.url, **TWO_SHARDS}


@pytest.fixture
def world(own_fake: FakeDiscord, postgres: str, postgres_seed: str) -> Iterator[World]:
    home, away = own_fake.add_guild("Shard zero club", shard=(0, 2)), own_fake.add_guild("Shard one club", shard=(1, 2))
    alice, bob = join(own_fake, home, "alice"), join(own_fake, away, "bob")
    with postgres_database(postgres, template=postgres_seed) as url:
        yield World(own_fake, home, away, alice, bob, url)


async def rouge(member: Member) -> str:
    [choice, *_] = await member.autocomplete("impression post", "series", "metallic rouge")
    return str(choice["value"])


async def post(member: Member, series: str, text: str) -> int:
    form = await member.slash("impression post", series=series, scope="completed", overall=9)
    card = await member.submit(form, text=text)
    return card.impression_id


async def test_two_shards_share_one_postgresql(world: World, tmp_path: Path) -> None:
    fake, home, away, alice, bob = world.fake, world.home, world.away, world.alice, world.bob
    curator = join(fake, away, "owner", user=fake.owner_user)  # OWNER_IDS: a curator, found in server two
    shared = world.shared
    async with (
        running_bot(fake, tmp_path / "zero.sqlite3", SHARD_IDS="0", **shared) as zero,
        running_bot(fake, tmp_path / "one.sqlite3", SHARD_IDS="1", **shared) as one,
    ):
        # Each bot holds its shard's server only, and each server's interactions reach that bot.
        assert zero.get_guild(home.id) and not zero.get_guild(away.id)
        assert one.get_guild(away.id) and not one.get_guild(home.id)
        series = await rouge(alice)
        assert fake.shard_deliveries[-1] == ("INTERACTION_CREATE", 0)
        await post(alice, series, "Posted through shard zero.")
        bobs_card = await bob.slash("series lookup", title=series)
        assert fake.shard_deliveries[-1] == ("INTERACTION_CREATE", 1)
        assert "Posted through shard zero." not in str(bobs_card.embed)  # servers stay apart

        # A curator's edit through shard one is found by shard zero's autocomplete within seconds.
        number = series.removeprefix("series:")
        edited = await curator.slash("series edit", title=series, new_title="Metallic Rouge Shardwide")
        assert edited.content == f"Updated series:{number}.", edited.text

        async def renamed() -> bool:
            found = await alice.autocomplete("series lookup", "title", "rouge shardwide")
            return any(choice["name"].startswith("Metallic Rouge Shardwide") for choice in found)

        await eventually(renamed)

        # A series watched in both servers: each prompt is posted once, by the bot holding its server.
        mira, max_ = await moderator(fake, home, "mira"), await moderator(fake, away, "max")
        for mod in (mira, max_):
            added = await mod.slash("watch add", series=series)
            assert added.ephemeral and "Watching" in added.text, added.text
        drain(fake)
        posted = [await announce(bot, "2024-01-17T16:30:00") for bot in (zero, one, zero, one)]
        assert posted == [1, 1, 0, 0]
        await asyncio.sleep(0.1)
        channels = sorted(int(post["channel_id"]) for post in drain(fake))
        assert channels == sorted([home.text_channel_id, away.text_channel_id])


@contextlib.asynccontextmanager
async def bot_process(fake: FakeDiscord, database: Path, **settings: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot`, unmodified, in a process of its own (tests/launch_bot.py points it at the fake)."""
    env = cli_environment(
        database, DISCORD_TOKEN=fake.token, FAKE_DISCORD_URL=fake.base_url, ANILIST_ENABLED="false",
        SYNC_COMMANDS="global", OWNER_IDS=fake.owner_user["id"], **settings,
    )  # fmt: skip
    log = (database.parent / f"{database.stem}.log").open("wb")  # read when the test fails
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.launch_bot", env=env, cwd=REPO,
        stdout=log, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        log.close()


async def test_killing_one_shard_process_loses_nothing_and_the_other_keeps_answering(
    world: World, tmp_path: Path
) -> None:
    fake, home, away, alice, bob, url = world.fake, world.home, world.away, world.alice, world.bob, world.url
    shared = world.shared
    async with running_bot(fake, tmp_path / "one.sqlite3", SHARD_IDS="1", **shared):
        async with bot_process(fake, tmp_path / "zero.sqlite3", SHARD_IDS="0", **shared) as zero:

            async def zero_is_up() -> bool:
                # Connected, and its lookup index built (in the background, after READY): before it, the
                # process answers a keystroke with "still loading", and the post with "send it again".
                logged = (tmp_path / "zero.log").read_text()
                return "Ready as" in logged and "Lookup index ready" in logged

            try:
                await eventually(zero_is_up, 60)
            except AssertionError:
                raise AssertionError((tmp_path / "zero.log").read_text()[-3000:]) from None
            series = await rouge(alice)  # answered by the process
            number = await post(alice, series, "Acknowledged, then the process was killed.")
            os.kill(zero.pid, signal.SIGKILL)
            await zero.wait()

        # The other shard's server is still answered, by its own bot.
        card = await bob.slash("series lookup", title=series)
        assert card.embed["title"].startswith("Metallic Rouge")
        with peek(url) as conn:
            assert conn.execute("SELECT status FROM impressions WHERE id = ?", (number,)).fetchone() == ("published",)

    # One process takes both shards over (a range: SHARD_IDS=0-1), and the impression is on the card.
    async with running_bot(fake, tmp_path / "both.sqlite3", SHARD_IDS="0-1", **shared) as both:
        assert isinstance(both, ShardedReviewBot) and both.connected()
        assert both.get_guild(home.id) and both.get_guild(away.id)
        card = await alice.slash("series lookup", title=series)
        [table] = [f["value"] for f in card.embed["fields"] if "Average of" in f["value"]]
        assert "Average of 1" in table and " 9.0" in table, table
        shown = await alice.slash("impression show", id=str(number))
        assert "Acknowledged, then the process was killed." in str(shown.embed)
        assert cast(Any, both).shard_count == 2
        assert isinstance(both, ReviewBot)


async def test_connections_postgresql_drops_are_opened_again_and_nothing_is_lost(world: World, tmp_path: Path) -> None:
    fake, home, alice, url = world.fake, world.home, world.alice, world.url
    async with running_bot(fake, tmp_path / "bot.sqlite3", DATABASE_URL=url):
        series = await rouge(alice)
        with peek(url) as conn:  # as a restart or a failover of PostgreSQL does to every client
            dropped = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()[0]
        assert dropped >= 4  # the readers and the writers
        card = await alice.slash("series lookup", title=series)
        assert card.embed["title"].startswith("Metallic Rouge"), card.text
        for n in range(4):  # more posts than writer connections: each finds its connection dropped
            number = await post(join(fake, home, f"poster{n}"), series, f"Written after the drop ({n}).")
            assert number > 0
        with peek(url) as conn:
            texts = [row[0] for row in conn.execute("SELECT text FROM impressions WHERE text LIKE 'Written%'")]
        assert sorted(texts) == [f"Written after the drop ({n})." for n in range(4)]
