"""End to end: the real bot (`python -m bot`, as a subprocess) beside a no-op discord.py bot, both
against the fake Discord of tests/, answering the same interactions. Run from the repository root."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.bench.synthetic import offline_database, queries
from bot.services.catalog_import import import_offline_database
from bot.store import Store

if TYPE_CHECKING:  # the fake Discord is imported only when the benchmark runs (it lives with the tests)
    from tests.fakediscord import Member, Reply

BURST = 200
DEADLINE_MS = 3000.0


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _spawn(module: str, env: dict[str, str]) -> tuple[asyncio.subprocess.Process, float]:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    assert process.stdout is not None
    async with asyncio.timeout(300):
        while True:
            line = (await process.stdout.readline()).decode()
            if not line:
                raise RuntimeError(f"{module} exited before it was ready")
            if "Ready as" in line:
                break
    # Keep draining its log so the pipe never fills and stalls the bot.
    asyncio.get_running_loop().create_task(_drain(process))
    return process, time.perf_counter() - started


async def _drain(process: asyncio.subprocess.Process) -> None:
    assert process.stdout is not None
    while await process.stdout.readline():
        pass


async def _stop(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), 30)


def _latency(reply: Reply) -> float:
    sent = reply.sent
    assert sent.answered_at is not None, "the bot never answered"
    return (sent.answered_at - sent.created) * 1000


async def _sequence(member: Member, refs: list[str], typed: list[str], impression: int) -> list[float]:
    samples = []
    for ref, text in zip(refs, typed, strict=False):
        samples.append(_latency(await member.slash("series lookup", title=ref)))
        samples.append(_latency(await member.autocomplete_reply("series lookup", "title", text)))
        samples.append(_latency(await member.slash("impression show", id=str(impression))))
    return samples


async def _burst(member: Member, refs: list[str], typed: list[str], impression: int) -> list[float]:
    calls = []
    for n in range(BURST):
        kind = n % 3
        if kind == 0:
            calls.append(member.slash("series lookup", title=refs[n % len(refs)]))
        elif kind == 1:
            calls.append(member.autocomplete_reply("series lookup", "title", typed[n % len(typed)]))
        else:
            calls.append(member.slash("impression show", id=str(impression)))
    return [_latency(reply) for reply in await asyncio.gather(*calls)]


def _p(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure_e2e(work: Path, quick: bool) -> list[tuple[str, str, str, str]]:
    from bot.bench.__main__ import fill_impressions
    from tests.fakediscord import FakeDiscord
    from tests.harness import join

    series_count, total, rounds = (10_000, 100_000, 40) if quick else (40_000, 1_000_000, 150)
    document = offline_database(series_count)
    source = work / "catalog.json"
    source.write_text(json.dumps(document))
    typed = [t for t in queries(document, rounds * 2) if t.strip()][:rounds]
    del document
    database = work / "e2e.sqlite3"
    await (await Store.open(database)).close()
    await asyncio.to_thread(import_offline_database, source, database, progress=False)
    await asyncio.to_thread(fill_impressions, database, series_count, total, 1000 if not quick else 100, {1: 1_000})
    refs = [f"series:{1 + (n * 7919) % series_count}" for n in range(rounds)]

    fake = FakeDiscord()
    await fake.start()
    guild = fake.add_guild("Bench")
    member = join(fake, guild, "bencher")
    env = {
        **os.environ,
        "DISCORD_TOKEN": fake.token,
        "FAKE_DISCORD_URL": fake.base_url,
        "DATABASE_PATH": str(database),
        "SYNC_COMMANDS": "global",
        "ANILIST_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(Path.cwd()),
    }
    try:
        bot, startup_s = await _spawn("tests.launch_bot", {**env, "LOG_LEVEL": "INFO"})
        rss = _rss_mb(bot.pid or 0)
        form = await member.slash("impression post", series="series:1", scope="completed", overall=8)
        card = await member.submit(form, text="A benchmark impression.")
        impression = card.impression_id
        await _sequence(member, refs[:10], typed[:10], impression)  # warm-up
        real = await _sequence(member, refs, typed, impression)

        burst = await _burst(member, refs, typed, impression)
        await _stop(bot)

        noop, _ = await _spawn("tests.noop_bot", env)
        await _sequence(member, refs[:10], typed[:10], impression)
        baseline = await _sequence(member, refs, typed, impression)
        await _stop(noop)
    finally:
        await fake.stop()

    return _e2e_rows(startup_s, rss, series_count, total, real, baseline, burst)


def _e2e_rows(
    startup_s: float,
    rss: float,
    series_count: int,
    total: int,
    real: list[float],
    baseline: list[float],
    burst: list[float],
) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    ratio = _p(real, 0.99) / _p(baseline, 0.99)
    rows += [
        ("start-up to READY (incl. discord.py's 2 s guild wait)", f"{startup_s:.1f} s", "", ""),
        (f"bot memory (RSS), {series_count:,} series, {total:,} impressions", f"{rss:.0f} MB", "", ""),
        ("dispatch→callback, real bot", f"p50 {statistics.median(real):.1f} ms, p99 {_p(real, 0.99):.1f} ms", "", ""),
        (
            "dispatch→callback, no-op bot",
            f"p50 {statistics.median(baseline):.1f} ms, p99 {_p(baseline, 0.99):.1f} ms",
            "",
            "",
        ),
        *[
            (
                f"  real bot, {name} only",
                f"p50 {statistics.median(real[k::3]):.1f} ms, p99 {_p(real[k::3], 0.99):.1f} ms",
                "",
                "",
            )
            for k, name in enumerate(("/series lookup", "autocomplete", "/impression show"))
        ],
        ("p99 real ÷ no-op", f"{ratio:.2f}×", "≤ 1.15×", "pass" if ratio <= 1.15 else "MISS"),
        (
            f"burst of {BURST} at once, slowest answer",
            f"{max(burst):.0f} ms",
            "< 3000 ms",
            "pass" if max(burst) < DEADLINE_MS else "MISS",
        ),
    ]
    return rows
