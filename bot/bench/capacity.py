"""Capacity: how many interactions a second the bot sustains before its p99 passes 100 ms, on SQLite
(one process), on PostgreSQL with one process, and with two processes holding a gateway shard each;
beside it, durable posts a second and the popular series card's p99 on each.

Open loop: interactions are sent at a fixed rate whether or not earlier ones were answered, as members
do, in steps of rising rate; a step passes when every interaction was answered within Discord's 3 s and
the p99 stayed within 100 ms. The mix is what members do most: 60% series cards (one of them a series
with 1,000 impressions), 30% autocomplete keystrokes, 10% /impression show.

Everything runs on this one machine: the fake Discord and the load (this process), the bot processes
and PostgreSQL share its cores, so the figures say what this machine allows, not what the code would do
on machines of its own. PostgreSQL here is durable (fsync on), as SQLite is (synchronous=FULL)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.bench.e2e import Row, Running, _environment, _latency, _spawn, _stop, until_index_ready
from bot.bench.measure import percentile, rss_mb
from bot.bench.synthetic import offline_database, queries
from bot.services.catalog_import import import_offline_database
from bot.store import Store

if TYPE_CHECKING:
    from tests.fakediscord import FakeDiscord, FakeGuild, Member, Reply

LIMIT_MS = 100.0
ANSWER_WITHIN_S = 3.0
STEPS = (25, 50, 100, 200, 300, 400, 500, 600, 800, 1000, 1200)
QUICK_STEPS = (25, 50, 100)


@dataclass
class Setup:
    name: str
    processes: list[dict[str, str]]  # each process's own settings, over the shared ones


@dataclass
class Capacity:
    setup: str
    sustained: int  # interactions a second, the last step that passed (0: none did)
    steps: list[tuple[int, float, int]]  # (rate, p99 ms, unanswered)
    posts_per_s: float
    card_p99_ms: float
    cores: dict[str, float]  # cores each part used during the last step (the one that failed, if any)
    rss_mb: list[float]  # each bot process's memory at the end


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User and system CPU time of each of these processes so far (those that are gone are left out)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
    return found


def _postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
    return found


def _parts(running: list[Running]) -> dict[str, list[int]]:
    return {
        "load and fake Discord": [os.getpid()],
        "bot": [r.process.pid for r in running],
        "PostgreSQL": _postgres_pids(),
    }


async def _fill(work: Path, series: int, impressions: int, guilds: list[int]) -> tuple[Path, list[str]]:
    from bot.bench.__main__ import fill_impressions

    document = offline_database(series)
    source = work / "catalog.json"
    source.write_text(json.dumps(document))
    typed = [t for t in queries(document, 300) if t.strip()]
    database = work / "capacity.sqlite3"
    await (await Store.open(database)).close()
    await asyncio.to_thread(import_offline_database, source, database, progress=False)
    # Impressions spread over many servers, and a popular series (series:1) in the first bench server.
    await asyncio.to_thread(fill_impressions, database, series, impressions, 200, {1: 1_000}, guilds[0])
    return database, typed


def _forget(fake: FakeDiscord) -> None:
    """Drop what the fake kept of earlier interactions, and collect: thousands of them would make this
    process's own full collections long enough to be measured as the bot's latency."""
    fake.interactions.clear()
    fake.messages.clear()
    gc.collect()


def _mix(member: Member, n: int, typed: list[str], series: int) -> Callable[[], Awaitable[Reply]]:
    """The n-th interaction of the load (impression ids 1-1,000 are the popular series' first server's:
    a member of the other server is told there is no such impression, in as many steps)."""
    kind = n % 10
    if kind < 6:
        title = "series:1" if kind == 0 else f"series:{1 + (n * 7919) % series}"
        return lambda: member.slash("series lookup", title=title)
    if kind < 9:
        return lambda: member.autocomplete_reply("series lookup", "title", typed[n % len(typed)])
    return lambda: member.slash("impression show", id=str(1 + n % 1000))


async def _offered(
    members: list[Member], rate: int, seconds: float, typed: list[str], series: int
) -> tuple[float, int]:
    """`rate` interactions a second for `seconds`: (p99 ms of the answered, how many were not answered
    within 3 s)."""
    count = max(1, int(rate * seconds))
    begun = time.monotonic()
    tasks = []
    for n in range(count):
        delay = begun + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        call = _mix(members[n % len(members)], n, typed, series)
        tasks.append(asyncio.create_task(asyncio.wait_for(call(), ANSWER_WITHIN_S + 2)))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [_latency(r) for r in results if not isinstance(r, BaseException)]
    unanswered = sum(1 for r in results if isinstance(r, BaseException))
    unanswered += sum(1 for ms in latencies if ms > ANSWER_WITHIN_S * 1000)
    return (percentile(latencies, 0.99) if latencies else float("inf")), unanswered


async def _posts_per_s(members: list[Member], count: int) -> float:
    """Posts by `count` different members at once (two interactions each: the command, then its form)."""

    async def post(member: Member) -> None:
        form = await member.slash("impression post", series="series:2", scope="completed", overall=7)
        await member.submit(form, text="A capacity benchmark's impression, stored durably.")

    begun = time.perf_counter()
    await asyncio.gather(*(post(member) for member in members[:count]))
    return count / (time.perf_counter() - begun)


async def _card_p99(member: Member, count: int) -> float:
    latencies = [_latency(await member.slash("series lookup", title="series:1")) for _ in range(count)]
    return percentile(latencies, 0.99)


async def _measure(
    setup: Setup,
    shared: dict[str, str],
    by_shard: list[list[Member]],
    writers: list[Member],
    typed: list[str],
    series: int,
    quick: bool,
) -> Capacity:
    running: list[Running] = []
    try:
        for own in setup.processes:
            member = by_shard[int(own.get("SHARD_IDS", "0"))][0]
            running.append(await _spawn("tests.launch_bot", {**shared, **own}, member))
        for each in running:
            await until_index_ready(each)
        members = [m for shard in by_shard for m in shard]  # every server, whichever process holds it
        for n in range(30):  # warm: the first cards read
            await _mix(members[n % len(members)], n, typed, series)()
        steps: list[tuple[int, float, int]] = []
        sustained = 0
        cores: dict[str, float] = {}
        for rate in QUICK_STEPS if quick else STEPS:
            _forget(members[0].fake)
            parts = _parts(running)
            before, begun = {name: _cpu_seconds(pids) for name, pids in parts.items()}, time.monotonic()
            p99, unanswered = await _offered(members, rate, 3 if quick else 8, typed, series)
            elapsed = time.monotonic() - begun
            cores = {}
            for name, pids in parts.items():  # only processes there at both ends (PostgreSQL starts some)
                after = _cpu_seconds(pids)
                spent = sum(after[pid] - before[name][pid] for pid in after.keys() & before[name].keys())
                cores[name] = spent / elapsed
            steps.append((rate, p99, unanswered))
            if unanswered or p99 > LIMIT_MS:
                break
            sustained = rate
            await asyncio.sleep(1)  # the step's stragglers settle before the next
        _forget(members[0].fake)
        posts = await _posts_per_s(writers, 50 if quick else 200)
        _forget(members[0].fake)
        card = await _card_p99(by_shard[0][0], 50 if quick else 300)
        memory = [rss_mb(r.process.pid) for r in running]
        return Capacity(setup.name, sustained, steps, posts, card, cores, memory)
    finally:
        for process in running:
            await _stop(process)


async def measure_capacity(work: Path, quick: bool) -> list[Row]:
    from bot.store.postgresql import migrate_to
    from tests.fakediscord import FakeDiscord
    from tests.harness import join
    from tests.postgres import PostgresUnavailable, postgres_database, postgres_server

    series, impressions = (2_000, 20_000) if quick else (10_000, 100_000)
    fake = FakeDiscord()
    await fake.start()
    try:
        homes: list[FakeGuild] = [fake.add_guild(f"Capacity {n}", shard=(n, 2)) for n in range(2)]
        database, typed = await _fill(work, series, impressions, [guild.id for guild in homes])
        by_shard = [[join(fake, guild, f"member{n}-{k}") for k in range(20)] for n, guild in enumerate(homes)]
        base = _environment(fake, database, None)

        async def measured(setup: Setup, shared: dict[str, str]) -> Capacity:
            # Members who post once each, new for every setup (a member posts one impression of a series).
            writers = [join(fake, homes[n % 2], f"writer{n} of {setup.name}") for n in range(200)]
            return await _measure(setup, shared, by_shard, writers, typed, series, quick)

        halves = [{"SHARD_COUNT": "2", "SHARD_IDS": str(shard)} for shard in (0, 1)]
        try:
            with postgres_server(durable=True) as server, postgres_database(server) as url:
                await asyncio.to_thread(migrate_to, database, url)  # the same data, before SQLite's run
                results = [await measured(Setup("SQLite, 1 process", [{}]), base)]
                shared = {**base, "DATABASE_URL": url}
                results.append(await measured(Setup("PostgreSQL, 1 process", [{}]), shared))
                results.append(await measured(Setup("PostgreSQL, 2 processes (a shard each)", halves), shared))
        except PostgresUnavailable as error:
            results = [await measured(Setup("SQLite, 1 process", [{}]), base)]
            return [*_rows(results), ("capacity on PostgreSQL", "not measured", "", f"({error})")]
        return _rows(results)
    finally:
        await fake.stop()


def _rows(results: list[Capacity]) -> list[Row]:
    rows: list[Row] = []
    for found in results:
        curve = ", ".join(
            f"{rate}/s→{p99:.0f} ms" + (f" ({missed} unanswered)" if missed else "")
            for rate, p99, missed in found.steps
        )
        rows.append((f"capacity, {found.setup}", f"{found.sustained}/s", f"p99 ≤ {LIMIT_MS:.0f} ms", curve))
        last = found.steps[-1][0]
        used = ", ".join(f"{name} {share:.2f}" for name, share in found.cores.items())
        rows.append((f"cores used at {last}/s, {found.setup}", used, "of 2", ""))
        memory = " + ".join(f"{mb:.0f} MB" for mb in found.rss_mb)
        rows.append((f"memory of the bot, {found.setup}", memory, "report", "RSS at the end"))
        rows.append((f"posts a second, {found.setup}", f"{found.posts_per_s:,.0f}/s", "report", "durable"))
        rows.append((f"card p99 (1,000 impressions), {found.setup}", f"{found.card_p99_ms:.2f} ms", "report", ""))
    return rows
