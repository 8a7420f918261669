"""`python -m bot.bench {lookup,impressions,e2e,all} [--quick] [--json PATH]`: lookup, cards, charts, posting,
import, end to end.

Everything runs in a temporary directory on synthetic data; numbers come from one run, so compare
the ratios in the table rather than absolute times across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from bot.bench.charts import measure_charts
from bot.bench.measure import percentile
from bot.bench.synthetic import offline_database, queries
from bot.bench.web import measure_site
from bot.models import Scores
from bot.render.series import render_series_card
from bot.services.catalog_import import import_offline_database
from bot.services.impression_ids import Plan, new_nonce
from bot.services.impressions import Actor, ImpressionService
from bot.services.search import SeriesSearch
from bot.services.series import SeriesService
from bot.store import Store
from bot.store.bulk import bulk_load_impressions
from bot.store.posting import Draft
from bot.store.remembered import move_read_version


@dataclass
class Row:
    metric: str
    value: str
    goal: str
    verdict: str


async def measure_lookup(work: Path, size: int, query_count: int) -> tuple[float, float, float, int]:
    """Returns (import seconds, p50 ms, p99 ms, names indexed) for a catalog of `size` series."""
    document = offline_database(size)
    source = work / f"catalog-{size}.json"
    source.write_text(json.dumps(document))
    typed = queries(document, query_count)
    # The generated document is a million small objects the bot would never hold; left alive, the
    # garbage collector's full passes over it would be measured as lookup latency.
    del document
    gc.collect()
    database = work / f"bench-{size}.sqlite3"
    await (await Store.open(database)).close()
    started = time.perf_counter()
    report = await asyncio.to_thread(import_offline_database, source, database, progress=False)
    import_seconds = time.perf_counter() - started
    assert report.counts.inserted == size, report

    store = await Store.open(database)
    try:
        search = SeriesSearch(store.catalog)
        service = SeriesService(store.catalog, store.cards, search, None)
        index = await search.index()
        today = date(2026, 11, 25)
        for text in typed[:50]:  # warm-up
            await service.suggest(text, today)
        gc.collect()
        samples = []
        for text in typed:
            begin = time.perf_counter()
            await service.suggest(text, today)  # exactly what the autocomplete handler awaits
            samples.append((time.perf_counter() - begin) * 1000)
        return import_seconds, statistics.median(samples), percentile(samples, 0.99), len(index)
    finally:
        await store.close()


async def run(quick: bool) -> list[Row]:
    sizes = [1_000, 10_000, 40_000] if quick else [1_000, 10_000, 40_000, 100_000]
    query_count = 300 if quick else 1_000
    rows: list[Row] = []
    p99: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="bot-bench-") as scratch:
        for size in sizes:
            import_s, p50_ms, p99_ms, names = await measure_lookup(Path(scratch), size, query_count)
            p99[size] = p99_ms
            goal = "p99 ≤ 2 ms" if size == 40_000 else ""
            ok = p99_ms <= 2
            rows.append(
                Row(
                    f"autocomplete, {size:,} series ({names:,} names)",
                    f"p50 {p50_ms:.2f} ms, p99 {p99_ms:.2f} ms",
                    goal,
                    ("pass" if ok else "MISS") if goal else "",
                )
            )
            rate = size / import_s
            import_goal = "≤ 15 s" if size == 40_000 else ""
            rows.append(
                Row(
                    f"catalog import, {size:,} series",
                    f"{import_s:.1f} s ({rate:,.0f}/s)",
                    import_goal,
                    ("pass" if import_s <= 15 else "MISS") if import_goal else "",
                )
            )
    if 100_000 in p99:
        ratio = p99[100_000] / p99[40_000]
        rows.append(Row("autocomplete p99, 100k ÷ 40k", f"{ratio:.2f}×", "≤ 2×", "pass" if ratio <= 2 else "MISS"))
    return rows


async def measure_impressions(work: Path, quick: bool) -> list[Row]:
    """Card render against impressions on the series, durable posting rate, database size."""
    series_count, total, guilds = (10_000, 100_000, 100) if quick else (40_000, 1_000_000, 1_000)
    source = work / "catalog.json"
    source.write_text(json.dumps(offline_database(series_count)))
    database = work / "impressions.sqlite3"
    await (await Store.open(database)).close()
    await asyncio.to_thread(import_offline_database, source, database, progress=False)
    hot = {1: 10, 2: 1_000, 3: 10_000}  # series id -> impressions on it in guild 1
    started = time.perf_counter()
    await asyncio.to_thread(fill_impressions, database, series_count, total, guilds, hot)
    fill_seconds = time.perf_counter() - started
    rows = [Row(f"bulk load, {total:,} impressions over {guilds:,} servers", f"{fill_seconds:.1f} s", "", "")]

    store = await Store.open(database)
    try:
        series_service = SeriesService(store.catalog, store.cards, SeriesSearch(store.catalog), None)
        impressions = ImpressionService(store.impressions, store.catalog)
        today = date(2026, 11, 25)
        for series_id, count in hot.items():
            # Read afresh: before each timed read a change moves what the card reads (as a post does),
            # so the read is not the one remembered (bot/store/remembered.py); then read again unchanged.
            fresh: list[float] = []
            remembered: list[float] = []
            for attempt in range(220):
                await store.db.write(move_read_version)
                for samples in (fresh, remembered):
                    begin = time.perf_counter()
                    card, ratings = await series_service.card(1, series_id)
                    render_series_card(card, ratings, today)
                    if attempt >= 20:  # the first calls warm SQLite's page cache
                        samples.append((time.perf_counter() - begin) * 1000)
            goal = "p99 ≤ 1 ms" if count == 10_000 else ""
            p99 = percentile(fresh, 0.99)
            rows.append(
                Row(
                    f"series card with {count:,} impressions, read afresh",
                    f"p50 {statistics.median(fresh):.2f} ms, p99 {p99:.2f} ms (remembered: p50 "
                    f"{statistics.median(remembered):.2f} ms, p99 {percentile(remembered, 0.99):.2f} ms)",
                    goal,
                    ("pass" if p99 <= 1 else "MISS") if goal else "",
                )
            )
        rows += [Row(*row) for row in await measure_charts(store, hot, quick)]
        rows += [Row(*row) for row in await measure_site(store, 1, 3, hot[3])]
        for concurrency in (1, 32):
            rate = await post_rate(impressions, series_count, 600 if quick else 3_000, concurrency)
            goal = "≥ 2,000/s" if concurrency > 1 else ""
            rows.append(
                Row(
                    f"durable posts/s, {concurrency} posting at once",
                    f"{rate:,.0f}/s",
                    goal,
                    ("pass" if rate >= 2_000 else "MISS") if goal else "",
                )
            )
    finally:
        await store.close()
    size_mb = database.stat().st_size / 1e6
    rows.append(Row("database size per million impressions", f"{size_mb * 1e6 / total:,.0f} MB", "", ""))
    return rows


def fill_impressions(
    database: Path, series_count: int, total: int, guilds: int, hot: dict[int, int], hot_guild: int = 1
) -> None:
    """Synthetic impressions written in bulk through the store (the service path is measured separately):
    `hot` series (id → how many) in `hot_guild`, the rest over servers 2 to `guilds`."""
    rng = random.Random(5)
    words = "good great slow fun art music story episode character animation".split()

    def draft(series: int, author: int) -> Draft:
        scores = Scores(*[rng.choice((None, *range(1, 11))) for _ in range(7)])
        text = " ".join(rng.choices(words, k=rng.randint(20, 120)))
        return Draft(series, author, f"member{author}", "episodes", rng.randint(1, 12), text, False, scores)

    def rows() -> Iterator[tuple[int, Draft]]:
        for series_id, count in hot.items():
            for _ in range(count):
                yield hot_guild, draft(series_id, rng.randint(1, count // 5 + 1))
        for _ in range(total - sum(hot.values())):
            yield rng.randint(2, guilds), draft(rng.randint(1, series_count), rng.randint(1, 50_000))

    bulk_load_impressions(database, rows(), "2026-11-25T00:00:00+00:00")


async def post_rate(service: ImpressionService, series_count: int, posts: int, concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        plan = Plan(1 + n % series_count, "episodes", 1, Scores(overall=7), False, new_nonce())
        async with gate:
            # A poster of its own per post and per run: the service refuses a member's second
            # impression of the same episodes, and counts their posts against the hourly limit.
            poster = 900_000 + concurrency * 1_000_000 + n
            await service.post(Actor(poster, f"poster{n}", guild_id=2 + n % 100), plan, "An impression. " * 20)

    begin = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(posts)))
    return posts / (time.perf_counter() - begin)


async def run_suites(suite: str, quick: bool) -> list[Row]:
    rows: list[Row] = []
    if suite in ("lookup", "all"):
        rows += await run(quick)
    if suite in ("impressions", "all"):
        with tempfile.TemporaryDirectory(prefix="bot-bench-") as scratch:
            rows += await measure_impressions(Path(scratch), quick)
    if suite in ("e2e", "all"):
        from bot.bench.e2e import measure_e2e

        with tempfile.TemporaryDirectory(prefix="bot-bench-") as scratch:
            rows += [Row(*row) for row in await measure_e2e(Path(scratch), quick)]
    if suite in ("capacity", "all"):
        from bot.bench.capacity import measure_capacity

        with tempfile.TemporaryDirectory(prefix="bot-bench-") as scratch:
            rows += [Row(*row) for row in await measure_capacity(Path(scratch), quick)]
    return rows


def print_table(rows: list[Row]) -> None:
    headers = ("metric", "value", "goal", "")
    widths = [
        max(len(h), *(len(getattr(r, f)) for r in rows))
        for h, f in zip(headers, ("metric", "value", "goal", "verdict"), strict=True)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print(
            "  ".join(v.ljust(w) for v, w in zip((row.metric, row.value, row.goal, row.verdict), widths, strict=True))
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench", description=__doc__)
    parser.add_argument("suite", choices=["lookup", "impressions", "e2e", "capacity", "all"], help="what to measure")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for CI (well under 2 minutes)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = asyncio.run(run_suites(args.suite, args.quick))
    print_table(rows)
    print(f"\n{sys.platform}, Python {sys.version.split()[0]}, {time.perf_counter() - started:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
