"""Configuration: unit checks of each rule, and the real `python -m bot` exiting as an operator expects."""

from __future__ import annotations

import asyncio
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import DEFAULT_DATABASE_PATH, ConfigError, SyncMode, load_settings
from tests.cli import cli_environment, run_python
from tests.fakediscord import FakeDiscord

REPO = Path(__file__).resolve().parent.parent


def test_defaults_need_only_a_token() -> None:
    settings = load_settings({"DISCORD_TOKEN": "abc"}, env_file=None)
    assert settings.database_path == DEFAULT_DATABASE_PATH
    assert settings.sync_commands is SyncMode.GLOBAL  # published at start-up when changed
    assert settings.owner_ids == frozenset()
    assert settings.log_level == "INFO"


def test_dev_guild_turns_on_guild_sync() -> None:
    settings = load_settings({"DISCORD_TOKEN": "abc", "DEV_GUILD_ID": "123"}, env_file=None)
    assert settings.sync_commands is SyncMode.GUILD
    assert settings.dev_guild_id == 123


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DISCORD_TOKEN=from-file\nOWNER_IDS=1, 2\nLOG_LEVEL=debug\n")
    settings = load_settings({"LOG_LEVEL": "WARNING"}, env_file=env_file)
    assert settings.token == "from-file"
    assert settings.owner_ids == {1, 2}
    assert settings.log_level == "WARNING"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": "   "}, "DISCORD_TOKEN"),
        ({"DISCORD_TOKEN": "t", "OWNER_IDS": "abc"}, "OWNER_IDS"),
        ({"DISCORD_TOKEN": "t", "CURATOR_GUILD_IDS": "1,x"}, "CURATOR_GUILD_IDS"),
        ({"DISCORD_TOKEN": "t", "DEV_GUILD_ID": "general"}, "DEV_GUILD_ID"),
        ({"DISCORD_TOKEN": "t", "SYNC_COMMANDS": "sometimes"}, "SYNC_COMMANDS"),
        ({"DISCORD_TOKEN": "t", "SYNC_COMMANDS": "guild"}, "DEV_GUILD_ID"),
        ({"DISCORD_TOKEN": "t", "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"DISCORD_TOKEN": "t", "WEB_ENABLED": "maybe"}, "WEB_ENABLED"),
        ({"DISCORD_TOKEN": "t", "WEB_PORT": "80000"}, "WEB_PORT"),
        ({"DISCORD_TOKEN": "t", "PUBLIC_BASE_URL": "reviews.example"}, "PUBLIC_BASE_URL"),
        ({"DISCORD_TOKEN": "t", "CATALOG_REFRESH_HOURS": "0.5"}, "CATALOG_REFRESH_HOURS"),
        ({"DISCORD_TOKEN": "t", "CHART_TIMEOUT": "600"}, "CHART_TIMEOUT"),
        ({"DISCORD_TOKEN": "t", "DATABASE_URL": "mysql://db/reviews"}, "DATABASE_URL"),
        ({"DISCORD_TOKEN": "t", "SHARD_IDS": "0-1"}, "SHARD_IDS needs SHARD_COUNT"),
        ({"DISCORD_TOKEN": "t", "SHARD_COUNT": "two"}, "SHARD_COUNT"),
        ({"DISCORD_TOKEN": "t", "SHARD_COUNT": "0"}, "SHARD_COUNT"),
        ({"DISCORD_TOKEN": "t", "SHARD_COUNT": "4", "SHARD_IDS": "2-4"}, "from 0 to 3"),
        ({"DISCORD_TOKEN": "t", "SHARD_COUNT": "4", "SHARD_IDS": "3-1"}, "SHARD_IDS"),
        ({"DISCORD_TOKEN": "t", "SHARD_COUNT": "4", "SHARD_IDS": "a,b"}, "SHARD_IDS"),
        ({"DISCORD_TOKEN": "t", "SHARD_COUNT": "4", "SHARD_IDS": "-1"}, "SHARD_IDS"),
        ({"DISCORD_TOKEN": "t", "CATALOG_CHECK_SECONDS": "0"}, "CATALOG_CHECK_SECONDS"),
        ({"DISCORD_TOKEN": "t\udcff"}, "DISCORD_TOKEN holds a character"),  # a byte that was not UTF-8
        ({"DISCORD_TOKEN": "t\u200bok"}, "DISCORD_TOKEN holds a character"),
    ],
)
def test_bad_settings_are_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(environ, env_file=None)


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return cli_environment(tmp_path / "db.sqlite3", **extra)


async def _run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    return await run_python(args, env, cwd=cwd, wait_s=60)


async def test_missing_token_exits_2_with_one_clear_sentence(tmp_path: Path) -> None:
    status, output = await _run(["-m", "bot"], _clean_env(tmp_path), cwd=tmp_path)
    assert status == 2
    assert "DISCORD_TOKEN is not set" in output and ".env" in output
    assert "Traceback" not in output


async def test_an_env_file_that_is_not_utf8_exits_2_with_one_sentence(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"DISCORD_TOKEN=x\nOWNER_IDS=1 # Ren\xe9e\n")  # saved as Latin-1
    status, output = await _run(["-m", "bot"], _clean_env(tmp_path), cwd=tmp_path)
    assert status == 2
    assert ".env is not UTF-8 text (byte 34 cannot be read)" in output
    assert "Traceback" not in output


async def test_malformed_owner_ids_exit_2_naming_the_variable(tmp_path: Path) -> None:
    status, output = await _run(["-m", "bot"], _clean_env(tmp_path, DISCORD_TOKEN="x", OWNER_IDS="abc"), cwd=tmp_path)
    assert status == 2
    assert "OWNER_IDS" in output and "'abc'" in output
    assert "Traceback" not in output


async def test_token_discord_refuses_exits_1_with_a_clear_sentence(tmp_path: Path, fake: FakeDiscord) -> None:
    env = _clean_env(tmp_path, DISCORD_TOKEN="not-the-right-token", FAKE_DISCORD_URL=fake.base_url)
    status, output = await _run(["-m", "tests.launch_bot"], env, cwd=REPO)
    assert status == 1
    assert "Discord refused the token (401 Unauthorized)" in output
    assert "Traceback" not in output


async def test_a_postgresql_that_does_not_answer_exits_1_with_a_clear_sentence(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    env = _clean_env(tmp_path, DISCORD_TOKEN=fake.token, FAKE_DISCORD_URL=fake.base_url, ANILIST_ENABLED="false",
                     DATABASE_URL="postgresql://reviews:s3cret@127.0.0.1:1/reviews")  # fmt: skip
    status, output = await _run(["-m", "tests.launch_bot"], env, cwd=REPO)
    assert status == 1, output
    [last] = output.strip().splitlines()[-1:]
    assert last.startswith("error: Cannot use the PostgreSQL database at DATABASE_URL: "), output
    assert "Traceback" not in output and "s3cret" not in output


async def test_a_public_site_port_in_use_exits_2_with_a_clear_sentence(tmp_path: Path, fake: FakeDiscord) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        env = _clean_env(tmp_path, DISCORD_TOKEN=fake.token, FAKE_DISCORD_URL=fake.base_url, WEB_ENABLED="true",
                         WEB_PORT=port, ANILIST_ENABLED="false")  # fmt: skip
        status, output = await _run(["-m", "tests.launch_bot"], env, cwd=REPO)
    assert status == 2, output
    assert f"The public site cannot listen on 127.0.0.1:{port}" in output and "Traceback" not in output


async def test_python_m_bot_runs_until_sigterm_and_exits_cleanly(tmp_path: Path, fake: FakeDiscord) -> None:
    """The real entry point, start to READY to a clean stop (as `docker stop` or systemd would)."""
    env = _clean_env(tmp_path, DISCORD_TOKEN=fake.token, FAKE_DISCORD_URL=fake.base_url, ANILIST_ENABLED="false")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.launch_bot", env=env, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    seen = []
    async with asyncio.timeout(60):
        while not any("Ready as" in line for line in seen):
            line = (await process.stdout.readline()).decode()
            assert line, "".join(seen)
            seen.append(line)
        process.send_signal(signal.SIGTERM)
        rest, _ = await process.communicate()
    assert process.returncode == 0, "".join(seen) + rest.decode()
    assert "Traceback" not in "".join(seen) + rest.decode()
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM series").fetchone()[0] > 8000  # the starter catalog


@pytest.mark.parametrize(
    ("count", "ids", "expected"),
    [("", "", (None, ())), ("4", "", (4, (0, 1, 2, 3))), ("8", "4-5,7", (8, (4, 5, 7))), ("2", " 1 ", (2, (1,)))],
)
def test_shard_settings_name_the_shards_this_process_holds(
    count: str, ids: str, expected: tuple[int | None, tuple[int, ...]]
) -> None:
    settings = load_settings({"DISCORD_TOKEN": "t", "SHARD_COUNT": count, "SHARD_IDS": ids}, env_file=None)
    assert (settings.shard_count, settings.shard_ids) == expected


SETTINGS = [
    "DISCORD_TOKEN", "DATABASE_PATH", "OWNER_IDS", "CURATOR_GUILD_IDS", "DEV_GUILD_ID", "SYNC_COMMANDS",
    "LOGIN_TIMEOUT", "LOG_LEVEL", "ANILIST_ENABLED", "ANILIST_URL", "ANILIST_TIMEOUT", "CATALOG_REFRESH_URL",
    "CATALOG_REFRESH_HOURS", "WEB_ENABLED", "WEB_HOST", "WEB_PORT", "PUBLIC_BASE_URL", "CHART_TIMEOUT",
    "DATABASE_URL", "SHARD_COUNT", "SHARD_IDS", "CATALOG_CHECK_SECONDS",
]  # fmt: skip
# Digits int() cannot read ("²" is a digit to str.isdigit), numbers of every size, and anything at all.
VALUES = st.one_of(
    st.sampled_from(["²", "¹-³", "٣", "1e309", "nan", "-1", "0", "2", "1-3", "99999999999999999999999", " "]),
    # More digits than int() reads (4,300): its ValueError was a traceback for the ids, ports and shards.
    st.sampled_from(["9" * 5000, "0-" + "9" * 5000, "1," + "9" * 5000]),
    st.integers().map(str),
    st.text(max_size=12),
    # What os.environ holds for bytes that are not UTF-8 (surrogates; st.text leaves them out).
    st.lists(st.characters(exclude_categories=()) | st.just("\udcff"), max_size=8).map("".join),
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.sampled_from(SETTINGS), VALUES, max_size=3))
def test_any_value_of_any_setting_is_taken_or_refused_in_one_sentence(values: dict[str, str]) -> None:
    """`python -m bot` answers a bad setting with its sentence and exit 2: nothing else may come out of
    reading them (WEB_PORT=² was a traceback: ValueError from int() after str.isdigit() said yes)."""
    try:
        load_settings({"DISCORD_TOKEN": "x", **values}, env_file=None)
    except ConfigError as error:
        assert "\n" not in str(error).strip()
