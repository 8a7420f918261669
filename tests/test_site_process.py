"""The processes the bot starts: the public site runs in one of its own, started and watched by the bot.
It serves beside the bot, comes back when it dies, and never outlives the bot (a bot started again gets
its port at once). Nor does any worker (the lookup index's build, the chart worker)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.cli import cli_environment
from tests.fakediscord import FakeDiscord
from tests.harness import free_port, running_bot_on

REPO = Path(__file__).resolve().parent.parent


async def health(port: int) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/health") as response:
        return response.status


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie (an orphan's parent may be slow to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):  # gone before the open, or between the open and the read
        return False
    return state != "Z"


async def gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while alive(pid) and time.monotonic() < deadline:  # noqa: ASYNC110 - another process, no event to wait on
        await asyncio.sleep(0.05)
    return not alive(pid)


def descendants(pid: int) -> set[int]:
    """Every process `pid` started, and theirs (the site, its chart worker, an index build, trackers)."""
    found: set[int] = set()
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except (FileNotFoundError, ProcessLookupError):  # it ended while we looked
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        for child in map(int, children):
            found |= {child} | descendants(child)
    return found


async def test_the_site_is_served_by_a_process_of_its_own_that_comes_back_when_it_dies(
    fake: FakeDiscord, tmp_path: Path, seeded_database: Path, request: pytest.FixtureRequest
) -> None:
    port = free_port()
    site_on = {"WEB_ENABLED": "true", "WEB_PORT": str(port)}
    async with running_bot_on("sqlite", request, fake, tmp_path, seeded_database, **site_on) as bot:
        site = bot.site
        assert site is not None
        assert await health(port) == 200  # waits in the socket's backlog until the process serves
        first = site.pid
        assert first is not None and first != os.getpid()
        os.kill(first, signal.SIGKILL)
        assert await gone(first, 5)
        assert await health(port) == 200  # asked while it is down: answered by the next process
        assert site.started == 2 and site.pid not in (None, first)
    assert site.pid is None


@contextlib.asynccontextmanager
async def bot_with_site(env: dict[str, str]) -> AsyncIterator[tuple[asyncio.subprocess.Process, int, list[str]]]:
    """`python -m bot` (pointed at the fake) in a session of its own, up to its site's log line; killed
    with what it started if the test ends (or fails) with it still running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.launch_bot", env=env, cwd=REPO, start_new_session=True,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        seen: list[str] = []
        async with asyncio.timeout(60):
            while not (found := re.search(r"Public site on \S+ \(process (\d+)\)", "".join(seen))):
                line = (await process.stdout.readline()).decode()
                assert line, "".join(seen)
                seen.append(line)
        yield process, int(found[1]), seen
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)  # its workers are in its group; its site follows it
            await process.communicate()


@pytest.mark.parametrize("stop", ["ctrl+c", "sigterm"])
async def test_stopping_the_bot_stops_its_site_with_no_traceback(tmp_path: Path, fake: FakeDiscord, stop: str) -> None:
    port = free_port()
    env = cli_environment(tmp_path / "db.sqlite3", DISCORD_TOKEN=fake.token, FAKE_DISCORD_URL=fake.base_url,
                          ANILIST_ENABLED="false", WEB_ENABLED="true", WEB_PORT=str(port))  # fmt: skip
    async with bot_with_site(env) as (process, site_pid, seen):
        assert await health(port) == 200
        # The process that parses strangers' requests cannot speak as the bot.
        assert b"DISCORD_TOKEN=" not in Path(f"/proc/{site_pid}/environ").read_bytes()  # noqa: ASYNC240
        if stop == "ctrl+c":  # a terminal's Ctrl+C reaches every process of its group
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            rest, _ = await process.communicate()
    output = "".join(seen) + rest.decode()
    assert process.returncode == 0, output
    assert "Traceback" not in output and "stopped (exit status" not in output
    assert await gone(site_pid, 5)


async def test_a_killed_bot_leaves_no_process_behind_and_the_next_bot_gets_the_port(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    """A bot killed outright (the OOM killer, `kill -9`) cannot stop what it started. The site sees its
    stdin close, the workers see their parent gone, and each stops by itself: the bot started again
    (by systemd, Docker) can listen on the port, and nothing holds memory or the log pipe."""
    port = free_port()
    env = cli_environment(tmp_path / "db.sqlite3", DISCORD_TOKEN=fake.token, FAKE_DISCORD_URL=fake.base_url,
                          ANILIST_ENABLED="false", WEB_ENABLED="true", WEB_PORT=str(port))  # fmt: skip
    async with bot_with_site(env) as (process, site_pid, _):
        started = descendants(process.pid)
        assert site_pid in started
        process.kill()
        for pid in started:
            assert await gone(pid, 10), f"process {pid}, started by the bot, outlived it"
        async with asyncio.timeout(10):
            await process.communicate()  # the log pipe closes: nothing the bot started holds it
    async with bot_with_site(env) as (again, _, seen):
        assert await health(port) == 200, "".join(seen)
        again.send_signal(signal.SIGTERM)
        await again.communicate()
    assert again.returncode == 0


ORPHAN = """
import subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-c", "from bot.lifeline import become_worker; import time; "
                           "become_worker(); print(flush=True); time.sleep(60)"], stdout=subprocess.PIPE)
worker.stdout.readline()
print(worker.pid, flush=True)
time.sleep(60)
"""


async def test_a_worker_exits_once_the_process_that_started_it_is_gone() -> None:
    parent = await asyncio.create_subprocess_exec(sys.executable, "-c", ORPHAN, stdout=asyncio.subprocess.PIPE)
    assert parent.stdout is not None
    async with asyncio.timeout(30):
        worker = int(await parent.stdout.readline())
    await asyncio.sleep(1)
    assert alive(worker)  # it lives as long as its parent does
    parent.kill()
    await parent.wait()
    assert await gone(worker, 3)


@pytest.mark.parametrize(("args", "stdin"), [([], b""), (["0"], b"{}\n"), (["5"], b"not json\n"), (["1"], b"")])
async def test_the_site_process_run_by_hand_says_it_is_the_bots_to_start(args: list[str], stdin: bytes) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.web", *args, cwd=REPO,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    async with asyncio.timeout(30):
        output, _ = await process.communicate(stdin)
    assert process.returncode == 2
    assert output.decode().strip() == "error: `python -m bot.web` is started by the bot, not by hand: run " \
        "`python -m bot` with WEB_ENABLED=true."  # fmt: skip


async def test_a_host_of_two_addresses_is_served_on_both(
    fake: FakeDiscord, tmp_path: Path, seeded_database: Path, request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """ "localhost" is 127.0.0.1 and ::1 on many machines (here it is one): the site listens on each
    address its host names, as aiohttp's own site did when it ran in the bot."""
    resolve = socket.getaddrinfo

    def two_addresses(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "dual.test":
            return resolve(host, port, *args, **kwargs)
        return [*resolve("127.0.0.1", port, *args, **kwargs), *resolve("::1", port, *args, **kwargs)]

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)
    port = free_port()
    site_on = {"WEB_ENABLED": "true", "WEB_HOST": "dual.test", "WEB_PORT": str(port)}
    async with running_bot_on("sqlite", request, fake, tmp_path, seeded_database, **site_on):
        for address in ("127.0.0.1", "[::1]"):
            async with aiohttp.ClientSession() as session, session.get(f"http://{address}:{port}/health") as reply:
                assert reply.status == 200, address
