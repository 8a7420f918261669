"""Charts: the first chart after start (the worker starts and loads matplotlib), charts of changed numbers
(drawn again), kept charts, and the worker's memory beside the bot's (Step 12's goals)."""

from __future__ import annotations

import statistics
import time

from bot.bench.measure import percentile, rss_mb, verdict
from bot.models import Scores
from bot.render.chart_worker import ChartWorker
from bot.services.charts import ChartService
from bot.services.impression_ids import Plan, new_nonce
from bot.services.impressions import Actor, ImpressionService
from bot.store import Store

Row = tuple[str, str, str, str]


async def measure_charts(store: Store, popular: dict[int, int], quick: bool) -> list[Row]:
    """On a store whose server 1 has `popular` (series id → impressions): each chart after a new
    impression of one of them is drawn anew, as members would see it after a post."""
    service = ChartService(store.charts, ChartWorker(timeout_s=60))
    poster = ImpressionService(store.impressions, store.catalog)
    rss_before = rss_mb("self")
    try:
        begin = time.perf_counter()
        await service.series(1, max(popular, key=popular.__getitem__))
        cold = (time.perf_counter() - begin) * 1000
        drawn, kept = [], []
        for n in range(30 if quick else 100):
            series_id = list(popular)[n % len(popular)]
            plan = Plan(series_id, "completed", None, Scores(overall=1 + n % 10, music=5), False, new_nonce())
            await poster.post(Actor(700_000 + n, f"charter{n}", guild_id=1), plan, "Seen it.")
            begin = time.perf_counter()
            chart = await service.series(1, series_id)
            drawn.append((time.perf_counter() - begin) * 1000)
            assert not chart.cached
        for _ in range(200):
            begin = time.perf_counter()
            assert (await service.series(1, series_id)).cached
            kept.append((time.perf_counter() - begin) * 1000)
        [pid] = service.worker_pids()
        worker_rss, rss_after = rss_mb(pid), rss_mb("self")
    finally:
        service.close()
    biggest = max(popular.values())
    return [
        (f"first chart after start, {biggest:,} impressions (worker starts)", f"{cold:.0f} ms", "≤ 2 s",
         verdict(cold <= 2000)),
        (f"chart drawn after a new impression ({', '.join(f'{c:,}' for c in popular.values())} impressions)",
         f"p50 {statistics.median(drawn):.0f} ms, p99 {percentile(drawn, 0.99):.0f} ms", "p99 ≤ 150 ms",
         verdict(percentile(drawn, 0.99) <= 150)),
        ("kept chart (unchanged numbers)", f"p50 {statistics.median(kept):.2f} ms, p99 {percentile(kept, 0.99):.2f} ms",
         "p99 ≤ 2 ms", verdict(percentile(kept, 0.99) <= 2)),
        ("chart worker memory (RSS, its own process)", f"{worker_rss:.0f} MB", "", ""),
        ("bot process RSS change from charts", f"{rss_after - rss_before:+.1f} MB", "", ""),
    ]  # fmt: skip
