"""The public site in a process of its own, started and watched by the bot.

Accepting and parsing requests is work on whichever event loop serves them: 200 page requests at once on
the bot's own loop held `/series lookup` behind them (p99 19.5 ms against 2 ms idle, `python -m bot.bench
e2e`). The site reads everything it shows from the database, so it can run beside the bot instead.

The bot binds the port itself, so a port that is taken is still one sentence and exit 2 at start-up, and
hands the listening sockets to the site process (`python -m bot.web`). Requests that arrive while that
process starts, or is started again after it died, wait in the socket's backlog. The process's stdin is
its lifeline: the bot sends the options on it (DATABASE_URL may hold a password, so never on the command
line) and keeps it open; when it closes, because the bot stops or dies, the site process stops too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import sys
import time
from dataclasses import asdict, dataclass

from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)
BACKLOG = 1024  # a crawler's 200 connections at once must not overflow it (a dropped SYN waits 1 s)
STOP_WAIT_S = 10.0  # for pages being served to finish, before the site process is killed
RESTART_AFTER_S = (1.0, 60.0)  # first and longest wait before a site process that died is started again
STEADY_S = 60.0  # a process that ran this long had started well: the next restart waits the least again


def site_environment() -> dict[str, str]:
    """The bot's environment without its Discord token: the process that parses strangers' requests
    needs no way to speak as the bot."""
    return {name: value for name, value in os.environ.items() if name != "DISCORD_TOKEN"}


@dataclass(frozen=True, slots=True)
class SiteOptions:
    """What the site process needs of the bot's settings (sent as one JSON line on its stdin)."""

    database_path: str
    database_url: str
    site_address: str  # Settings.site_address
    chart_timeout_s: float
    log_level: str

    @classmethod
    def of(cls, settings: Settings) -> SiteOptions:
        return cls(
            str(settings.database_path), settings.database_url, settings.site_address,
            settings.chart_timeout_s, settings.log_level,
        )  # fmt: skip

    def to_line(self) -> bytes:
        return json.dumps(asdict(self)).encode() + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> SiteOptions:
        return cls(**json.loads(line))


def listen(host: str, port: int) -> list[socket.socket]:
    """The site's listening sockets, one per address `host` names ("localhost" may be 127.0.0.1 and ::1, as
    aiohttp's own site would listen), or the sentence saying why they cannot be had."""
    listeners: list[socket.socket] = []
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, proto, _, address in dict.fromkeys(found):  # each address once, in order
            listener = socket.socket(family, kind, proto)
            listeners.append(listener)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restarted bot binds at once
            if family == socket.AF_INET6:  # "::" beside "0.0.0.0": each takes its own family only
                listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            listener.bind(address)
            listener.listen(BACKLOG)
    except OSError as error:
        for listener in listeners:
            listener.close()
        raise ConfigError(
            f"The public site cannot listen on {host}:{port} ({error.strerror or error}): "
            "set WEB_HOST and WEB_PORT, or WEB_ENABLED=false."
        ) from None
    return listeners


class SiteProcess:
    """The running site: one process at a time, started again (after a pause that grows) if it dies."""

    def __init__(self, listeners: list[socket.socket], options: SiteOptions, address: str) -> None:
        self._listeners = listeners
        self._options = options
        self._address = address
        self._process: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False
        self.started = 0  # processes started so far (1 unless one died)

    @classmethod
    def open(cls, settings: Settings) -> SiteProcess:
        listeners = listen(settings.web_host, settings.web_port)
        return cls(listeners, SiteOptions.of(settings), f"http://{settings.web_host}:{settings.web_port}")

    @property
    def pid(self) -> int | None:
        """The site process's id while one runs."""
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    async def start(self) -> None:
        """Starts the site's process in the background: it serves once it has opened the database."""
        self._watch = asyncio.create_task(self._keep_running(), name="public-site")

    async def _spawn(self) -> asyncio.subprocess.Process:
        fds = [listener.fileno() for listener in self._listeners]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.web", ",".join(map(str, fds)),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, pass_fds=fds,
            start_new_session=True,  # a terminal's Ctrl+C is for the bot, which then stops the site
            env=site_environment(),
        )  # fmt: skip
        assert process.stdin is not None
        process.stdin.write(self._options.to_line())
        self._process = process
        self.started += 1
        return process

    async def _keep_running(self) -> None:
        wait = RESTART_AFTER_S[0]
        while True:
            began = time.monotonic()
            try:
                process = await self._spawn()
            except OSError as error:  # out of processes or memory for a moment: tried again later
                log.warning("The public site's process could not be started (%s); tried again in %.0f s",
                            error.strerror or error, wait)  # fmt: skip
            else:
                assert process.stdout is not None
                if (await process.stdout.readline()).strip() == b"ready":
                    log.info("Public site on %s (process %d)", self._address, process.pid)
                status = await process.wait()
                if self._stopping:
                    return
                if time.monotonic() - began > STEADY_S:
                    wait = RESTART_AFTER_S[0]
                log.warning("The public site's process stopped (exit status %s); it is started again in %.0f s",
                            status, wait)  # fmt: skip
            await asyncio.sleep(wait)
            wait = min(wait * 2, RESTART_AFTER_S[1])

    async def stop(self) -> None:
        """Closes the lifeline (the site finishes the pages it is serving), waits, then kills if it must."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), STOP_WAIT_S)
            except TimeoutError:
                log.warning("The public site's process did not stop within %.0f s: it was killed", STOP_WAIT_S)
                process.kill()
                await process.wait()
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        for listener in self._listeners:
            listener.close()
