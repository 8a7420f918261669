"""Run `python -m bot` unmodified, with discord.py's two endpoints pointed at a fake Discord.

Usage: FAKE_DISCORD_URL=http://127.0.0.1:PORT python -m tests.launch_bot
"""

from __future__ import annotations

import os
import runpy

import discord.gateway
import discord.http
import yarl

base = os.environ["FAKE_DISCORD_URL"].rstrip("/")
discord.http.Route.BASE = base + "/api/v10"
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(base.replace("http", "ws", 1) + "/gateway")
runpy.run_module("bot", run_name="__main__", alter_sys=True)
