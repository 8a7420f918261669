"""A no-op discord.py bot: answers every interaction with one fixed embed (or fixed choices).

The baseline of `python -m bot.bench e2e`: the same library, the same fake Discord, no work.
Run as FAKE_DISCORD_URL=… DISCORD_TOKEN=… python -m tests.noop_bot
"""

from __future__ import annotations

import asyncio
import os
import signal

import discord
import discord.gateway
import discord.http
import yarl

FIXED = discord.Embed(title="Metallic Rouge", description="A fixed answer.")
# NOOP_CHOICES=25: answer a keystroke with as many suggestions as the bot sends, each as long as a typical
# suggestion of the bot's, to tell answering 25 apart from finding them (`python -m bot.bench e2e` keeps 1).
CHOICES = [discord.app_commands.Choice(name="Metallic Rouge", value="series:1")]
if int(os.environ.get("NOOP_CHOICES", "1")) > 1:
    CHOICES = [
        discord.app_commands.Choice(name=f"Metallic Rouge Season {n} (TV, 2024, 13 episodes)", value=f"series:{n}")
        for n in range(1, 1 + int(os.environ["NOOP_CHOICES"]))
    ]


class NoopBot(discord.Client):
    async def on_ready(self) -> None:
        print("Ready as noop", flush=True)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.autocomplete:
            await interaction.response.autocomplete(CHOICES)
        else:
            await interaction.response.send_message(embed=FIXED)


async def main() -> None:
    if "BENCH_GC_LOG" in os.environ:  # the benchmark times full collections of both bots
        from pathlib import Path

        from bot.bench.gcwatch import watch_full_collections

        watch_full_collections(Path(os.environ["BENCH_GC_LOG"]))
    base = os.environ["FAKE_DISCORD_URL"].rstrip("/")
    discord.http.Route.BASE = base + "/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(base.replace("http", "ws", 1) + "/gateway")
    client = NoopBot(intents=discord.Intents.none() | discord.Intents(guilds=True))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with client:
        runner = asyncio.create_task(client.start(os.environ["DISCORD_TOKEN"]))
        await stop.wait()
        await client.close()
        await runner


if __name__ == "__main__":
    asyncio.run(main())
