"""Running `python -m …` as an operator would, for the command-line tests."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cli_environment(database: Path, **extra: str) -> dict[str, str]:
    """This machine's environment without the bot's settings, then DATABASE_PATH and `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "OWNER_IDS", "DATABASE_PATH"}}
    # The daily catalog refresh would fetch from the internet: tests that want it point it at 127.0.0.1.
    env.update(DATABASE_PATH=str(database), PYTHONPATH=str(REPO), CATALOG_REFRESH_HOURS="0")
    env.update(extra)
    return env


async def run_python(args: list[str], env: dict[str, str], cwd: Path = REPO, wait_s: float = 120) -> tuple[int, str]:
    """(exit status, everything printed) of `python *args`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), wait_s)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def run_tool(database: Path, *args: str) -> tuple[int, str]:
    """`python -m bot *args` against `database`, from its folder when there is one."""
    cwd = database.parent if database.parent.is_dir() else REPO
    return await run_python(["-m", "bot", *args], cli_environment(database), cwd=cwd)


def query(database: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as conn:
        return conn.execute(sql, params).fetchall()
