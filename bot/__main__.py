"""`python -m bot` runs the bot; `python -m bot --help` lists the other tools."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

import discord

from bot import __version__
from bot.client import ReviewBot
from bot.config import ConfigError, Settings, load_settings
from bot.store import SchemaTooNewError

log = logging.getLogger("bot")

EXIT_CONFIG = 2


def _fail(message: str, status: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


async def _run(settings: Settings) -> None:
    bot = ReviewBot(settings)
    loop = asyncio.get_running_loop()
    # A container stop (SIGTERM) closes the gateway and the database cleanly, like Ctrl+C.
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))
    async with bot:
        await bot.start(settings.token)


def run_bot() -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        return _fail(str(error), EXIT_CONFIG)
    discord.utils.setup_logging(level=logging.getLevelName(settings.log_level), root=True)
    log.info("Starting anime-impressions-bot %s", __version__)
    try:
        asyncio.run(_run(settings))
    except discord.LoginFailure:
        return _fail(
            "Discord refused the token (401 Unauthorized): DISCORD_TOKEN is wrong or was reset. "
            "Copy a fresh token from the Bot page of your application in the Discord developer portal.",
            1,
        )
    except discord.PrivilegedIntentsRequired:
        return _fail("Discord refused the gateway intents this bot asked for.", 1)
    except SchemaTooNewError as error:
        return _fail(str(error), 1)
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Community anime reviews bot.")
    parser.add_argument("--version", action="version", version=__version__)
    parser.parse_args(argv)
    return run_bot()


if __name__ == "__main__":
    sys.exit(main())
