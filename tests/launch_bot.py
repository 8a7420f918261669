"""Run `python -m bot` unmodified, with discord.py's two endpoints pointed at a fake Discord.

Usage: FAKE_DISCORD_URL=http://127.0.0.1:PORT python -m tests.launch_bot
"""

from __future__ import annotations

import os
import runpy

import discord.gateway
import discord.http
import yarl

if "BENCH_GC_LOG" in os.environ:  # the benchmark times the bot's full collections
    from pathlib import Path

    from bot.bench.gcwatch import watch_full_collections

    watch_full_collections(Path(os.environ["BENCH_GC_LOG"]))

base = os.environ["FAKE_DISCORD_URL"].rstrip("/")
discord.http.Route.BASE = base + "/api/v10"
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(base.replace("http", "ws", 1) + "/gateway")
runpy.run_module("bot", run_name="__main__", alter_sys=True)
