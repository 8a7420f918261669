"""`python -m bot.bench lookup [--quick] [--json PATH]`: lookup latency against catalog size, and import rate.

Everything runs in a temporary directory on synthetic data; numbers come from one run, so compare
the ratios in the table rather than absolute times across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from bot.bench.synthetic import offline_database, queries
from bot.services.catalog_import import import_offline_database
from bot.services.search import SeriesSearch
from bot.services.series import SeriesService
from bot.store import Store


@dataclass
class Row:
    metric: str
    value: str
    goal: str
    verdict: str


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


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
        service = SeriesService(store.catalog, search, None)
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
            goal = "p50, p99 ≤ 10 ms" if size == 40_000 else ""
            ok = p50_ms <= 10 and p99_ms <= 10
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
    parser.add_argument("suite", choices=["lookup"], help="what to measure")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for CI (well under 2 minutes)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = asyncio.run(run(args.quick))
    print_table(rows)
    print(f"\n{sys.platform}, Python {sys.version.split()[0]}, {time.perf_counter() - started:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
