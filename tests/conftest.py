from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.client import ReviewBot
from bot.services.catalog_import import import_starter_catalog
from bot.store import Store
from tests.fakediscord import PLAIN_PERMISSIONS, FakeDiscord, FakeGuild, Member
from tests.harness import join, moderator, new_guild, running_bot_on
from tests.postgres import BACKENDS, PostgresUnavailable, postgres_database, postgres_server, skip_or_fail
from tests.ratings_model import database_mismatches


@contextlib.asynccontextmanager
async def _served() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(scope="session")
async def fake() -> AsyncIterator[FakeDiscord]:
    async with _served() as server:
        yield server


@pytest.fixture
async def own_fake() -> AsyncIterator[FakeDiscord]:
    """A fake Discord for one test that starts bots of its own while its module's bot runs (a fake sends
    every event to every bot connected to it)."""
    async with _served() as server:
        yield server


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A real PostgreSQL server for the session (tests/postgres.py): its superuser's address."""
    try:
        server = postgres_server()
        url = server.__enter__()
    except PostgresUnavailable as error:
        skip_or_fail(str(error))
        return
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def postgres_url(postgres: str) -> Iterator[str]:
    """An empty database of its own on that server, dropped afterwards."""
    with postgres_database(postgres) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_seed(postgres: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The name of a PostgreSQL database holding the schema and the starter catalog: the template each
    bot on PostgreSQL starts from (copied by the server, in a moment). Made on a thread with a loop of
    its own: a fixture asked for while the session's loop runs cannot run on that loop."""

    async def migrated(url: str) -> None:
        await (await Store.open(tmp_path_factory.mktemp("pg-seed") / "unused.sqlite3", url)).close()

    with postgres_database(postgres) as url, ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, migrated(url)).result()
        import_starter_catalog(url)
        yield url.rsplit("/", 1)[1]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module marked `both_backends` runs each of its tests on SQLite and on PostgreSQL."""
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("backend", BACKENDS, indirect=True, scope="module")


@pytest.fixture(scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the module's bot runs on: SQLite, unless the module is marked `both_backends`."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
async def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database holding the starter catalog, made once and copied for each bot."""
    path = tmp_path_factory.mktemp("seed") / "reviews.sqlite3"
    await (await Store.open(path)).close()
    await asyncio.to_thread(import_starter_catalog, path)
    return path


@pytest.fixture(scope="module")
async def bot(
    fake: FakeDiscord,
    tmp_path_factory: pytest.TempPathFactory,
    seeded_database: Path,
    backend: str,
    request: pytest.FixtureRequest,
) -> AsyncIterator[ReviewBot]:
    """One running bot per test module (start-up waits for discord.py's guild timeout), on SQLite or,
    for a module marked `both_backends`, on each backend in turn."""
    async with running_bot_on(backend, request, fake, tmp_path_factory.mktemp("db"), seeded_database) as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A module marked `both_backends` must run something on PostgreSQL: a bot fixture of its own that
    takes no `backend` ran the whole module on SQLite alone once, and hid two queries PostgreSQL refuses."""
    marked: dict[str, bool] = {}
    for item in items:
        if item.get_closest_marker("both_backends") is not None:
            on_postgresql = "[postgresql" in item.nodeid or "-postgresql" in item.nodeid
            marked[item.module.__name__] = marked.get(item.module.__name__, False) or on_postgresql
    if missing := sorted(name for name, ran in marked.items() if not ran):
        raise pytest.UsageError(
            f"{', '.join(missing)} marked both_backends but no test takes the `backend` fixture: "
            "start its bot with running_bot_on(backend, …)"
        )


@pytest.fixture(autouse=True)
def discord_limits_respected(fake: FakeDiscord) -> None:
    """Every test fails if the bot sent Discord anything it would refuse, or called an unknown route."""
    fake.violations.clear()
    fake.unhandled.clear()
    yield
    assert fake.violations == [], f"the bot broke Discord's limits: {fake.violations}"
    assert fake.unhandled == [], f"the bot called routes the fake does not know: {fake.unhandled}"


@pytest.fixture(autouse=True)
def ratings_match_a_recomputation(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that wrote through the bot or the command line, each series card's kept
    ratings (migration 0006's aggregates) equal a fresh recomputation from the impressions: so every
    write path the suite takes (post, edit, delete, hide, restore, approve, reject, feature, ban,
    merge, restore from an export, bulk load) is checked against them."""
    paths = []  # found before the test: the fixtures it uses are torn down before this one ends
    if "bot" in request.fixturenames:
        paths.append(request.getfixturevalue("bot").settings.database)
    if "database" in request.fixturenames:
        paths.append(request.getfixturevalue("database"))
    yield
    for path in paths:
        assert database_mismatches(path) == []


@pytest.fixture
async def guild(fake: FakeDiscord, bot: ReviewBot) -> FakeGuild:
    return await new_guild(fake, bot)


@pytest.fixture
def alice(fake: FakeDiscord, guild: FakeGuild) -> Member:
    return join(fake, guild, "alice", PLAIN_PERMISSIONS)


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    return tmp_path / "reviews.sqlite3"


@pytest.fixture
def database(tmp_path: Path, seeded_database: Path) -> Path:
    """A database of this test's own, holding the starter catalog."""
    path = tmp_path / "reviews.sqlite3"
    shutil.copyfile(seeded_database, path)
    return path


@pytest.fixture
async def mira(fake: FakeDiscord, guild: FakeGuild) -> Member:
    """A moderator: a role with Manage Messages, known to the bot like any role."""
    return await moderator(fake, guild, "mira")
