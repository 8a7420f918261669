"""A crawler in a process of its own: `python -m bot.bench.crawl URL COUNT` asks for URL COUNT times at
once, prints "start" as it begins and the milliseconds until the last page was read as it ends.

The end-to-end bench times Discord interactions with the fake Discord's clock, in its own process:
crawling from that process too would charge the crawler's own work to the bot (measured: a steady
30 ms stall of the fake's event loop per 200 pages). A real crawler is another machine."""

from __future__ import annotations

import asyncio
import sys
import time

import aiohttp


async def crawl(url: str, count: int) -> float:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=count)) as session:

        async def fetch() -> None:
            async with session.get(url) as response:
                if response.status != 200:
                    raise RuntimeError(f"{url} answered {response.status}")
                await response.read()

        print("start", flush=True)
        begun = time.perf_counter()
        await asyncio.gather(*(fetch() for _ in range(count)))
        return (time.perf_counter() - begun) * 1000


if __name__ == "__main__":
    print(f"{asyncio.run(crawl(sys.argv[1], int(sys.argv[2]))):.1f}", flush=True)
