"""Start the real bot, unmodified, against the fake Discord."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import shutil
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import discord.gateway
import discord.http
import pytest
import yarl
from aiohttp import web

from bot.client import ReviewBot, make_bot
from bot.config import load_settings
from bot.store.connection import open_location
from tests.fakediscord import MANAGE_MESSAGES, PLAIN_PERMISSIONS, FakeDiscord, FakeGuild, Member
from tests.postgres import postgres_database

STARTUP_TIMEOUT_S = 20.0


@contextlib.contextmanager
def pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Redirect discord.py's two endpoints (REST and gateway) to the fake; nothing else changes."""
    old_base, old_gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


def free_port() -> int:
    """A port nothing listens on now, for a bot's public site."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_environment(fake: FakeDiscord, database: Path, **overrides: str) -> dict[str, str]:
    env = {
        "DISCORD_TOKEN": fake.token,
        "DATABASE_PATH": str(database),
        "SYNC_COMMANDS": "global",
        "ANILIST_ENABLED": "false",
        "CATALOG_REFRESH_HOURS": "0",  # tests talk to 127.0.0.1 only: the refresh's own tests point it there
        "OWNER_IDS": fake.owner_user["id"],
        "LOG_LEVEL": "INFO",
    }
    env.update(overrides)
    return env


@contextlib.contextmanager
def peek(database: Path | str) -> Iterator[Any]:
    """A connection to a bot's database, whichever backend it runs on (`settings.database`): for a test
    that checks what was stored, or arranges what a member could not. Each statement commits at once."""
    conn = open_location(database)
    if isinstance(conn, sqlite3.Connection):
        conn.row_factory = None  # rows as plain tuples, as PgRow (a tuple) compares
    try:
        yield conn
    finally:
        conn.close()


def audit_count(database: Path | str, action: str, target_id: int) -> int:
    """How many times `action` was audited for this target: one decision, one entry."""
    with peek(database) as conn:
        found = conn.execute("SELECT count(*) FROM audit_log WHERE action = ? AND target_id = ?", (action, target_id))
        return int(found.fetchone()[0])


@contextlib.asynccontextmanager
async def answers_withheld(fake: FakeDiscord, member: Member) -> AsyncIterator[asyncio.Event]:
    """While inside, the fake Discord takes `member`'s answers (the message exists) but the bot does not
    hear so yet: a slow Discord at an exact moment. The event is set once an answer is held; leaving
    lets them all through."""
    held, release = asyncio.Event(), asyncio.Event()

    async def hold(sent: Any) -> None:
        if int(sent.payload["member"]["user"]["id"]) == member.id:
            held.set()
            await release.wait()

    fake.before_answering = hold
    try:
        yield held
    finally:
        fake.before_answering = None
        release.set()


def fingerprint(database: Path | str, guild_id: int | None = None) -> str:
    """A digest of every row of every table of a bot's database (either backend): equal before and
    after, nothing was written. With `guild_id`: that server's rows, in every table with a guild_id column."""
    digest = hashlib.blake2b(digest_size=16)
    with peek(database) as conn:
        if isinstance(database, str):
            listed = "SELECT tablename FROM pg_tables t WHERE schemaname = 'public'"
            of_guilds = (
                " AND EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = 'public' "
                "AND c.table_name = t.tablename AND c.column_name = 'guild_id')"
            )
        else:
            listed = "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
            of_guilds = " AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'guild_id')"
        where, params = ("", ()) if guild_id is None else (" WHERE guild_id = ?", (guild_id,))
        for (table,) in conn.execute(listed + ("" if guild_id is None else of_guilds) + " ORDER BY 1").fetchall():
            rows = sorted(repr(tuple(row)) for row in conn.execute(f"SELECT * FROM {table}{where}", params).fetchall())
            digest.update(f"{table}:{len(rows)}:".encode() + "\n".join(rows).encode())
    return digest.hexdigest()


@contextlib.contextmanager
def seeded_postgresql(request: pytest.FixtureRequest) -> Iterator[str]:
    """The address of a fresh PostgreSQL database holding the schema and the starter catalog (copied
    from the session's seed by the server), dropped afterwards."""
    server, seed = request.getfixturevalue("postgres"), request.getfixturevalue("postgres_seed")
    with postgres_database(server, template=seed) as url:
        yield url


@contextlib.asynccontextmanager
async def running_bot_on(
    backend: str,
    request: pytest.FixtureRequest,
    fake: FakeDiscord,
    directory: Path,
    seeded_database: Path,
    **overrides: str,
) -> AsyncIterator[ReviewBot]:
    """A bot holding the starter catalog on `backend`: a copy of `seeded_database` in `directory`, or a
    fresh PostgreSQL database copied from the seeded one (the SQLite path then holds only its heartbeat).
    The seed is passed in, not looked up: an async fixture cannot be set up from a running test."""
    database = directory / "reviews.sqlite3"
    if backend == "postgresql":
        with seeded_postgresql(request) as url:
            async with running_bot(fake, database, DATABASE_URL=url, **overrides) as running:
                yield running
        return
    shutil.copyfile(seeded_database, database)
    async with running_bot(fake, database, **overrides) as running:
        yield running


@contextlib.asynccontextmanager
async def running_bot(fake: FakeDiscord, database: Path, **overrides: str) -> AsyncIterator[ReviewBot]:
    # A fake Discord sends a server's events to every connection whose shard holds it: a second bot on
    # the same shards would answer the same interactions from its own database, and whichever answered
    # first would win, at random. Bots holding different shards of one gateway may run side by side.
    settings = load_settings(bot_environment(fake, database, **overrides), env_file=None)
    wanted = {(shard, settings.shard_count) for shard in settings.shard_ids} if settings.shard_count else None
    deadline = time.monotonic() + 2  # a bot just closed leaves the fake's gateway a moment later
    while fake.shares_shards(wanted):
        if time.monotonic() > deadline:
            raise AssertionError(
                "a bot holds these shards of this fake Discord already: give this test a fake of its own"
            )
        await asyncio.sleep(0.02)
    with pointed_at(fake):
        bot = make_bot(settings)
        task = asyncio.create_task(bot.start(settings.token))
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while not bot.is_ready():
                if task.done():
                    task.result()  # re-raise why start-up failed
                    raise AssertionError("the bot stopped before it was ready")
                if time.monotonic() > deadline:
                    raise AssertionError(f"the bot was not ready within {STARTUP_TIMEOUT_S} s")
                await asyncio.sleep(0.02)
            # The lookup index is built in the background from start-up: a test's first keystroke waits
            # for it as a member's does (INDEX_WAIT_S), which a slow machine outran on PostgreSQL ("The
            # series list is still loading"). Tests of that answer build their own service.
            if not await bot.services.search.wait_ready(max(deadline - time.monotonic(), 1.0)):
                raise AssertionError(f"the lookup index was not built within {STARTUP_TIMEOUT_S} s of the start")
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def new_guild(fake: FakeDiscord, bot: ReviewBot, name: str = "Anime Club") -> FakeGuild:
    """The bot joins a new server: fresh, isolated data for one test."""
    guild = fake.add_guild(name)
    await fake.dispatch("GUILD_CREATE", guild.payload())
    deadline = time.monotonic() + 5
    while bot.get_guild(guild.id) is None:
        if time.monotonic() > deadline:
            raise AssertionError("the bot never saw the new guild")
        await asyncio.sleep(0.01)
    return guild


async def moderator(fake: FakeDiscord, guild: FakeGuild, name: str) -> Member:
    """A moderator as servers make them: a role with Manage Messages, known to the bot like any role.

    Not Manage Messages in one channel's overwrite: that is no moderator of the server.
    """
    role = fake.add_role(guild, f"Mods of {name}", MANAGE_MESSAGES)
    await fake.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role})
    member = join(fake, guild, name, PLAIN_PERMISSIONS | MANAGE_MESSAGES)
    member.role_ids.append(role["id"])
    return member


def join(
    fake: FakeDiscord,
    guild: FakeGuild,
    name: str,
    permissions: int = PLAIN_PERMISSIONS,
    *,
    user: dict[str, object] | None = None,
) -> Member:
    user = user or fake.make_user(name)
    guild.members.append(FakeDiscord._member_payload(user, []))
    return Member(fake=fake, guild=guild, user=user, permissions=permissions)


UNPUBLISHED = ("pending", "rejected", "hidden", "deleted")  # every way an impression is not published


async def post_unpublished(how: str, mod: Member, author: Member, text: str) -> int:
    """An impression of Metallic Rouge (the whole series) by `author`, left not published for the reason
    `how` (for pending and rejected, `mod` turns approval on first)."""
    if how in ("pending", "rejected"):
        await mod.slash("mod settings", approval=True)
    [rouge, *_] = await author.autocomplete("impression post", "series", "metallic rouge")
    form = await author.slash("impression post", series=rouge["value"], scope="completed", overall=1)
    number = (await author.submit(form, text=text)).impression_id
    if how == "rejected":
        await mod.submit(await mod.click(await mod.slash("mod queue"), "Reject"), text="off topic")
    elif how == "hidden":
        await mod.slash("mod hide", id=str(number), reason="spoilers")
    elif how == "deleted":
        await author.click(await author.slash("impression delete", id=str(number)), "Delete")
    return number


@contextlib.asynccontextmanager
async def served_locally(app: web.Application) -> AsyncIterator[str]:
    """An aiohttp app on a free port of 127.0.0.1 (a fake AniList, a release server); its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def interactions_left_for_the_collector() -> AsyncIterator[list[str]]:
    """Fills the list it gives with the discord.py interactions the block left in reference cycles, found
    by a full collection after it (and after the completion listeners that run after each answer)."""
    left: list[str] = []
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds is kept in gc.garbage, to be looked at
    try:
        yield left
        await asyncio.sleep(0.1)
        gc.collect()
        left += [kind.__name__ for kind in map(type, gc.garbage) if issubclass(kind, discord.Interaction)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
