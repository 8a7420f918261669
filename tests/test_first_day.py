"""A new user's first day: commands appear without asking, and every failure of start-up is one sentence."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.cli import cli_environment, run_python
from tests.fakediscord import FakeDiscord
from tests.harness import free_port, running_bot

REPO = Path(__file__).resolve().parent.parent


def environment(database: Path, **extra: str) -> dict[str, str]:
    return cli_environment(database, DISCORD_TOKEN="t0ken", **extra)


def seeded_copy(seeded_database: Path, folder: Path) -> Path:
    database = folder / "reviews.sqlite3"
    shutil.copyfile(seeded_database, database)
    return database


def one_sentence(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert "Traceback" not in output, output
    assert lines and lines[-1].startswith("error: "), output
    return lines[-1]


# -- commands appear on the first start -----------------------------------------------------------------


async def test_the_first_start_publishes_the_commands_and_a_restart_does_not_again(
    fake: FakeDiscord, tmp_path: Path, seeded_database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = seeded_copy(seeded_database, tmp_path)
    fake.global_commands = []
    puts = fake.command_puts

    with caplog.at_level(logging.INFO, logger="bot"):
        async with running_bot(fake, database, SYNC_COMMANDS=""):  # the default, as a new user has it
            pass
    assert fake.command_puts == puts + 1
    assert {"series", "impression", "mod", "about"} <= {c["name"] for c in fake.global_commands}
    assert any("Published" in r.getMessage() and "globally" in r.getMessage() for r in caplog.records)

    async with running_bot(fake, database, SYNC_COMMANDS=""):
        pass
    assert fake.command_puts == puts + 1, "an unchanged command list was published again"

    async with running_bot(fake, database, SYNC_COMMANDS="off"):
        pass
    assert fake.command_puts == puts + 1


async def test_a_refused_dev_guild_sync_is_explained_and_the_bot_runs_on(
    fake: FakeDiscord, tmp_path: Path, seeded_database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = seeded_copy(seeded_database, tmp_path)
    fake.forbidden_guilds.add(424242)
    try:
        with caplog.at_level(logging.INFO, logger="bot"):
            async with running_bot(fake, database, SYNC_COMMANDS="", DEV_GUILD_ID="424242") as bot:
                assert bot.is_ready()
    finally:
        fake.forbidden_guilds.discard(424242)
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "424242" in r.getMessage()]
    assert "not in that server" in warning and "applications.commands" in warning


# -- every failure of start-up is one sentence, with the right status ----------------------------------


@pytest.mark.parametrize(
    ("place", "words"),
    [
        ("folder", "is a folder"),
        ("under-a-file", "which is a file"),
        ("not-sqlite", "is not an SQLite database"),
        ("read-only", "cannot be written"),
    ],
)
async def test_an_unusable_database_path_exits_2_before_login(tmp_path: Path, place: str, words: str) -> None:
    if place == "folder":
        database = tmp_path
    elif place == "under-a-file":
        (tmp_path / "file").write_text("x")
        database = tmp_path / "file" / "reviews.sqlite3"
    elif place == "not-sqlite":
        database = tmp_path / "notes.txt"
        database.write_text("these are my notes, not a database\n" * 100)
    else:
        database = Path("/proc/reviews/reviews.sqlite3")  # nobody, root included, may create files here

    status, output = await run_python(["-m", "bot"], environment(database))

    assert status == 2, output
    assert words in one_sentence(output) and str(database) in output


async def test_an_owner_id_that_only_looks_like_a_number_exits_2(tmp_path: Path) -> None:
    status, output = await run_python(["-m", "bot"], environment(tmp_path / "db.sqlite3", OWNER_IDS="²"))
    assert status == 2 and "OWNER_IDS" in one_sentence(output)


async def test_no_network_exits_1_with_one_sentence(tmp_path: Path) -> None:
    port = free_port()  # nothing listens on it
    env = environment(tmp_path / "db.sqlite3", FAKE_DISCORD_URL=f"http://127.0.0.1:{port}")

    status, output = await run_python(["-m", "tests.launch_bot"], env)

    assert status == 1 and "Cannot reach Discord" in one_sentence(output)
    assert "PyNaCl" not in output and "davey" not in output  # no voice warnings: the bot uses no voice


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never answers: a network that swallows requests."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()


async def test_a_login_that_hangs_gives_up_in_bounded_time(tmp_path: Path) -> None:
    async with silent_server() as port:
        env = environment(tmp_path / "db.sqlite3", FAKE_DISCORD_URL=f"http://127.0.0.1:{port}", LOGIN_TIMEOUT="2")
        status, output = await run_python(["-m", "tests.launch_bot"], env, wait_s=40)
    assert status == 1 and "did not answer the login within 2 s" in one_sentence(output)


# -- health: connected, or not --------------------------------------------------------------------------


async def test_health_says_whether_the_bot_is_connected(
    fake: FakeDiscord, tmp_path: Path, seeded_database: Path
) -> None:
    database = seeded_copy(seeded_database, tmp_path)
    env = environment(database)

    async with running_bot(fake, database):
        for _ in range(100):
            if database.with_name(database.name + ".heartbeat").exists():
                break
            await asyncio.sleep(0.02)
        status, output = await run_python(["-m", "bot", "health"], env)
        assert status == 0 and "connected" in output, output

    status, output = await run_python(["-m", "bot", "health"], env)
    assert status == 1 and "not connected" in one_sentence(output)

    stale = database.with_name(database.name + ".heartbeat")
    stale.write_text("1000\n")  # a heartbeat from long ago: the process hangs or lost the gateway
    status, output = await run_python(["-m", "bot", "health"], env)
    assert status == 1 and "last heartbeat was" in one_sentence(output)


async def test_health_asks_the_public_site_too_when_it_is_on(
    fake: FakeDiscord, tmp_path: Path, seeded_database: Path
) -> None:
    database = seeded_copy(seeded_database, tmp_path)
    port = free_port()
    site_on = {"WEB_ENABLED": "true", "WEB_PORT": str(port)}
    env = environment(database, **site_on)

    async with running_bot(fake, database, **site_on), failing_site() as (failing, answer):
        for _ in range(250):
            if database.with_name(database.name + ".heartbeat").exists():
                break
            await asyncio.sleep(0.02)
        status, output = await run_python(["-m", "bot", "health"], env)
        assert status == 0, output
        assert "connected to Discord (heartbeat" in output
        assert f"), and its public site answers at http://127.0.0.1:{port}." in output

        # Connected, but the site does not answer (nothing listens there) or answers with an error.
        nobody = free_port()
        status, output = await run_python(["-m", "bot", "health"], {**env, "WEB_PORT": str(nobody)})
        assert status == 1
        assert f"The public site does not answer at http://127.0.0.1:{nobody}/health (" in one_sentence(output)
        answer.append(503)  # (a site listening on every address is asked on the loopback)
        every_address = {"WEB_HOST": "0.0.0.0", "WEB_PORT": str(failing)}
        status, output = await run_python(["-m", "bot", "health"], {**env, **every_address})
        assert status == 1
        assert f"answers http://127.0.0.1:{failing}/health with HTTP 503" in one_sentence(output)

    # With the site off, the heartbeat alone decides (the gateway connection is gone: unhealthy).
    status, output = await run_python(["-m", "bot", "health"], env)
    assert status == 1 and "not connected" in one_sentence(output)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "http://127.0.0.1:8080"),
        ("0.0.0.0", "http://127.0.0.1:8080"),
        ("::", "http://[::1]:8080"),
        ("::1", "http://[::1]:8080"),
        ("reviews.internal", "http://reviews.internal:8080"),
    ],
)
def test_the_health_check_asks_a_site_on_every_address_at_the_loopback(host: str, address: str) -> None:
    from bot.health import site_address

    assert site_address(host, 8080) == address


@contextlib.asynccontextmanager
async def failing_site() -> AsyncIterator[tuple[int, list[int]]]:
    """A server on 127.0.0.1 whose /health answers with the last status put in the list it yields."""
    from aiohttp import web

    answers: list[int] = [200]

    async def health(request: web.Request) -> web.Response:
        return web.Response(status=answers[-1], text="no")

    app = web.Application()
    app.router.add_get("/health", health)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port, answers
    finally:
        await runner.cleanup()
