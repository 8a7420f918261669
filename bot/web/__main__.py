"""`python -m bot.web FD[,FD…]`: the public site's process, started by the bot (bot/web/process.py) with
the listening sockets as these file descriptors and its options on stdin. Not a command for people to run: the
bot binds the port, and this process stops when the bot closes (or loses) its stdin."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import socket
import sys
from pathlib import Path

import discord
from aiohttp import web

from bot.lifeline import become_worker
from bot.render.chart_worker import ChartWorker
from bot.services.charts import ChartService
from bot.services.web import WebService
from bot.store import Store
from bot.web.app import make_app
from bot.web.process import BACKLOG, STOP_WAIT_S, SiteOptions

log = logging.getLogger("bot.web")


async def _lifeline_closed() -> None:
    """Returns when the bot closes this process's stdin (it stops, or it died)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while await reader.read(4096):
            pass
    finally:
        transport.close()


async def serve(listeners: list[socket.socket], options: SiteOptions) -> None:
    store = await Store.open(Path(options.database_path), options.database_url, few_connections=True)
    charts = ChartService(store.charts, ChartWorker(options.chart_timeout_s))
    runner = web.AppRunner(
        make_app(WebService(store.web, store.state), charts, options.site_address),
        access_log=None, shutdown_timeout=STOP_WAIT_S - 2,
    )  # fmt: skip
    try:
        await runner.setup()
        for listener in listeners:
            await web.SockSite(runner, listener, backlog=BACKLOG).start()
        print("ready", flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        lifeline = asyncio.create_task(_lifeline_closed())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({lifeline, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in (lifeline, stopping):
            task.cancel()
    finally:
        await runner.cleanup()
        charts.close()
        await store.close()


NOT_BY_HAND = (
    "error: `python -m bot.web` is started by the bot, not by hand: run `python -m bot` with WEB_ENABLED=true."
)


def main() -> int:
    if len(sys.argv) != 2 or not re.fullmatch(r"\d+(,\d+)*", sys.argv[1]) or sys.stdin.isatty():
        print(NOT_BY_HAND, file=sys.stderr)
        return 2
    become_worker()  # Ctrl+C is the bot's to handle; the bot gone, this process goes too
    try:
        options = SiteOptions.from_line(sys.stdin.buffer.readline())  # nothing there: the bot went away
        # ENOTSOCK (an OSError) for a descriptor that is not a socket
        listeners = [socket.socket(fileno=int(fd)) for fd in sys.argv[1].split(",")]
    except (ValueError, TypeError, OSError):
        print(NOT_BY_HAND, file=sys.stderr)
        return 2
    discord.utils.setup_logging(level=logging.getLevelName(options.log_level), root=True)
    try:
        asyncio.run(serve(listeners, options))
    except Exception as error:  # the bot logs the exit and starts the site again
        log.error("The public site stopped: %s", " ".join(str(error).split())[:300] or type(error).__name__)
        log.debug("Why the public site stopped", exc_info=True)
        return 1
    finally:
        for listener in listeners:
            with contextlib.suppress(OSError):
                listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
