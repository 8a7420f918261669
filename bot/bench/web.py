"""The public site: a series page with 10,000 impressions (its first page), and the same page answered
with 304 Not Modified, timed as requests to the site served on 127.0.0.1 (Step 13's goals)."""

from __future__ import annotations

import statistics
import time

import aiohttp
from aiohttp import web

from bot.bench.measure import percentile
from bot.render.chart_worker import ChartWorker
from bot.services.charts import ChartService
from bot.services.web import WebService
from bot.store import Store
from bot.web.app import make_app

Row = tuple[str, str, str, str]


async def measure_site(store: Store, guild_id: int, series_id: int, impressions: int) -> list[Row]:
    await store.moderation.update_settings(guild_id, 1, {"public_slug": "bench-club"})
    charts = ChartService(store.charts, ChartWorker(timeout_s=60))
    runner = web.AppRunner(make_app(WebService(store.web, store.state), charts, "http://127.0.0.1"), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/bench-club/series/{series_id}"
    fresh, unchanged = [], []
    try:
        async with aiohttp.ClientSession() as session:
            for attempt in range(220):
                begin = time.perf_counter()
                async with session.get(url) as response:
                    await response.read()
                    tag = response.headers["ETag"]
                if attempt >= 20:
                    fresh.append((time.perf_counter() - begin) * 1000)
            for _ in range(200):
                begin = time.perf_counter()
                async with session.get(url, headers={"If-None-Match": tag}) as response:
                    assert response.status == 304
                unchanged.append((time.perf_counter() - begin) * 1000)
    finally:
        await runner.cleanup()
        charts.close()
    return [
        (f"web series page, {impressions:,} impressions (first page), request on 127.0.0.1",
         f"p50 {statistics.median(fresh):.2f} ms, p99 {percentile(fresh, 0.99):.2f} ms", "p99 ≤ 10 ms",
         "pass" if percentile(fresh, 0.99) <= 10 else "MISS"),
        ("web page answered 304 Not Modified", f"p50 {statistics.median(unchanged):.2f} ms, "
         f"p99 {percentile(unchanged, 0.99):.2f} ms", "≤ 1 ms", "pass" if percentile(unchanged, 0.99) <= 1 else "MISS"),
    ]  # fmt: skip
