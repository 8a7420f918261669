"""End to end: the real bot (`python -m bot`, as a subprocess) beside a no-op discord.py bot, each
against a fake Discord of its own (the one of tests/), answering the same interactions, in pairs
taken in turn so both see the same machine. Run from the repository root."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.bench.measure import percentile, rss_mb, verdict
from bot.bench.synthetic import offline_database, queries
from bot.collector import CollectorPacing
from bot.services.catalog_import import import_offline_database
from bot.store import Store

if TYPE_CHECKING:  # the fake Discord is imported only when the benchmark runs (it lives with the tests)
    from tests.fakediscord import FakeDiscord, Member, Reply

BURST = 1000
KINDS = ("/series lookup, 10,000 impressions", "autocomplete", "/impression show")
PAIRS = 5
CRAWLS = 5  # 200 pages at once, so many times over: one crawl holds about 100 lookups
Row = tuple[str, str, str, str]
T = TypeVar("T")


@dataclass
class Running:
    process: asyncio.subprocess.Process
    member: Member
    marks: dict[str, float] = field(default_factory=dict)  # log line → seconds after spawning
    follower: asyncio.Task[None] | None = None  # reads its log


async def _follow(process: asyncio.subprocess.Process, marks: dict[str, float], begun: float) -> None:
    """Read the bot's log to the end (so the pipe never fills), noting when each start-up step showed."""
    assert process.stdout is not None
    while line := (await process.stdout.readline()).decode():
        for mark in ("Set up in", "Lookup index ready", "Ready as"):
            if mark in line and mark not in marks:
                marks[mark] = time.perf_counter() - begun


async def _spawn(module: str, env: dict[str, str], member: Member) -> Running:
    begun = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    running = Running(process, member)
    running.follower = asyncio.get_running_loop().create_task(_follow(process, running.marks, begun))
    async with asyncio.timeout(600):
        while "Ready as" not in running.marks:
            if running.follower.done():
                raise RuntimeError(f"{module} exited before it was ready")
            await asyncio.sleep(0.01)
    return running


async def until_index_ready(running: Running) -> None:
    """Wait for the real bot's lookup index (built in the background after READY): a keystroke before
    it is told the list is loading, which is not what the rounds measure."""
    async with asyncio.timeout(600):
        while "Lookup index ready" not in running.marks:
            if running.follower is None or running.follower.done():
                raise RuntimeError("the bot exited before its lookup index was ready")
            await asyncio.sleep(0.05)


async def _stop(running: Running) -> None:
    running.process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(running.process.wait(), 60)


def _latency(reply: Reply) -> float:
    sent = reply.sent
    assert sent.answered_at is not None, "the bot never answered"
    return (sent.answered_at - sent.created) * 1000


def _calls(member: Member, n: int, typed: list[str], impression: int) -> list[Callable[[], Awaitable[Reply]]]:
    """The three kinds in turn: a popular series' card, a keystroke, an impression."""
    return [
        lambda: member.slash("series lookup", title="series:1"),
        lambda: member.autocomplete_reply("series lookup", "title", typed[n % len(typed)]),
        lambda: member.slash("impression show", id=str(impression)),
    ]


async def _rounds(running: Running, typed: list[str], impression: int, count: int) -> list[list[float]]:
    """Latencies per kind over `count` rounds, one interaction at a time."""
    samples: list[list[float]] = [[] for _ in KINDS]
    for n in range(count):
        for kind, call in enumerate(_calls(running.member, n, typed, impression)):
            samples[kind].append(_latency(await call()))
    return samples


async def _burst(running: Running, typed: list[str], impression: int) -> float:
    """BURST interactions sent at once; the slowest answer, in ms."""
    calls = [_calls(running.member, n, typed, impression)[n % 3]() for n in range(BURST)]
    return max(_latency(reply) for reply in await asyncio.gather(*calls))


async def _fill(work: Path, series_count: int, total: int, guild_id: int) -> tuple[Path, list[str]]:
    from bot.bench.__main__ import fill_impressions

    document = offline_database(series_count)
    source = work / "catalog.json"
    source.write_text(json.dumps(document))
    typed = [t for t in queries(document, 400) if t.strip()]
    del document
    database = work / "e2e.sqlite3"
    await (await Store.open(database)).close()
    await asyncio.to_thread(import_offline_database, source, database, progress=False)
    guilds = 1000 if total >= 1_000_000 else 100
    # The popular series is series:1 in the bench's own server, so /series lookup reads 10,000 of them.
    await asyncio.to_thread(fill_impressions, database, series_count, total, guilds, {1: 10_000}, guild_id)
    store = await Store.open(database)
    try:  # the bench's server publishes its pages, for the public site's row
        await store.moderation.update_settings(guild_id, 1, {"public_slug": "bench"})
    finally:
        await store.close()
    return database, typed


def _environment(fake: FakeDiscord, database: Path, gc_log: Path | None) -> dict[str, str]:
    env = {
        **os.environ,
        "DISCORD_TOKEN": fake.token,
        "FAKE_DISCORD_URL": fake.base_url,
        "DATABASE_PATH": str(database),
        "SYNC_COMMANDS": "global",
        "ANILIST_ENABLED": "false",
        "CATALOG_REFRESH_HOURS": "0",  # a benchmark talks to 127.0.0.1 only
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(Path.cwd()),
    }
    if gc_log is not None:
        env["BENCH_GC_LOG"] = str(gc_log)
    return env


@dataclass(frozen=True)
class Pause:
    """One full collection: how long the process stood still, how much of that it computed, what it freed."""

    ms: float
    cpu_ms: float
    freed: int


def _full_collections(gc_log: Path, since: float, until: float = float("inf")) -> list[Pause]:
    """A bot's full collections between two monotonic times (shared by processes)."""
    if not gc_log.exists():
        return []
    found = []
    for line in gc_log.read_text().splitlines():
        at, pause, freed, cpu = line.split()
        if since <= float(at) < until:
            found.append(Pause(float(pause), float(cpu), int(freed)))
    return found


@dataclass
class Figures:
    startup: dict[str, float]
    rss: tuple[float, float]  # after warm-up, after the lookups
    lookups: int
    pairs: list[tuple[list[list[float]], list[list[float]]]]  # (real, no-op) latencies per kind
    bursts: tuple[float, float]  # slowest answer of the burst: real, no-op
    # Full-collection pauses of the real and the no-op bot: in steady use, in the burst, after it.
    steady: tuple[list[Pause], list[Pause]]
    in_burst: tuple[list[Pause], list[Pause]]
    after_burst: tuple[list[Pause], list[Pause]]
    # /series lookup latencies (real, no-op) while the real bot draws charts, the slowest chart answer,
    # the chart worker's RSS.
    charting: tuple[tuple[list[float], list[float]], float, float]
    # /series lookup latencies (real, no-op) while 200 web pages are asked for at once, the time the
    # slowest crawl's last page took, and the site process's memory.
    browsing: tuple[tuple[list[float], list[float]], float, float] = (([], []), 0.0, 0.0)


async def measure_e2e(work: Path, quick: bool) -> list[Row]:
    from tests.fakediscord import FakeDiscord
    from tests.harness import free_port, join

    series_count, total, rounds, lookups = (10_000, 100_000, 40, 2_000) if quick else (40_000, 1_000_000, 150, 10_000)
    fakes = [FakeDiscord(), FakeDiscord()]  # one each: the no-op bot must not answer the real bot's calls
    for fake in fakes:
        await fake.start()
    members = [join(fake, fake.add_guild("Bench"), "bencher") for fake in fakes]
    database, typed = await _fill(work, series_count, total, members[0].guild.id)
    gc_logs = (work / "gc-bot.log", work / "gc-noop.log")
    port = free_port()  # for the real bot's public site
    site = {"WEB_ENABLED": "true", "WEB_PORT": str(port)}
    try:
        real = await _spawn("tests.launch_bot", {**_environment(fakes[0], database, gc_logs[0]), **site}, members[0])
        fakes[1].global_commands = fakes[0].global_commands  # what the real bot published, sent to both
        noop = await _spawn("tests.noop_bot", _environment(fakes[1], database, gc_logs[1]), members[1])
        await until_index_ready(real)
        figures = await _measure(real, noop, typed, rounds, lookups, series_count, gc_logs)
        figures.browsing = await _lookups_while_browsing(real, noop, f"http://127.0.0.1:{port}/bench/series/1")
        await _stop(real)
        await _stop(noop)
    finally:
        for fake in fakes:
            await fake.stop()
    return _rows(figures, series_count, total)


async def _measure(
    real: Running,
    noop: Running,
    typed: list[str],
    rounds: int,
    lookups: int,
    series_count: int,
    gc_logs: tuple[Path, Path],
) -> Figures:
    form = await real.member.slash("impression post", series="series:1", scope="completed", overall=8)
    impression = (await real.member.submit(form, text="A benchmark impression.")).impression_id
    for running in (real, noop):
        await _rounds(running, typed, impression, 10)  # warm-up
    assert real.process.pid is not None
    ready_at = time.monotonic()
    pairs = []
    for _ in range(PAIRS):  # taken in turn, so a noisy moment of the machine falls on both
        pairs.append((await _rounds(real, typed, impression, rounds), await _rounds(noop, typed, impression, rounds)))
    # Memory: after as many lookups of many series again (the bounded things fill up: SQLite's page
    # cache, the card caches, the 10,000 interaction ids kept against redelivery), then over as many
    # more: a leak would grow with them.
    for n in range(2 * lookups):
        if n == lookups:
            rss_before = rss_mb(real.process.pid)
        await real.member.slash("series lookup", title=f"series:{1 + (n * 7919) % series_count}")
    rss_after = rss_mb(real.process.pid)
    burst_at = time.monotonic()
    slowest, spans = [], []
    for running in (real, noop):
        begun = time.monotonic()
        slowest.append(await _burst(running, typed, impression))
        spans.append((begun, time.monotonic()))
    # The collections the burst leaves behind: the bot's collector waits for its interactions to settle.
    pacing = CollectorPacing()
    await asyncio.sleep(pacing.settled_s + pacing.quiet_s + 1)
    steady = (_full_collections(gc_logs[0], ready_at, burst_at), _full_collections(gc_logs[1], ready_at, burst_at))
    # While members waited for the burst's answers, and after its last answer (the bot idle again).
    in_burst = (_full_collections(gc_logs[0], *spans[0]), _full_collections(gc_logs[1], *spans[1]))
    after_burst = (_full_collections(gc_logs[0], spans[0][1]), _full_collections(gc_logs[1], spans[1][1]))
    charting = await _lookups_while_charting(real, noop)
    return Figures(
        dict(real.marks),
        (rss_before, rss_after),
        lookups,
        pairs,
        (slowest[0], slowest[1]),
        steady,
        in_burst,
        after_burst,
        charting,
    )


async def _lookups_while_charting(
    real: Running, noop: Running, charts: int = 20
) -> tuple[tuple[list[float], list[float]], float, float]:
    """/series lookup of the popular series while `charts` charts of other series are drawn at once by the
    real bot (each series given an impression first, so none is served from the cache): the real bot's
    lookups beside one such batch, the no-op bot's beside the next (the same load on the same machine);
    the slowest chart answer of the first batch, and the chart worker's memory."""
    from tests.fakediscord import driver, limits

    driver.REPLY_TIMEOUT_S = 60.0  # charts queue for the one worker: the last waits for the others
    # The fake runs in this process: decoding each PNG here (the tests do) would be timed as the bot's.
    limits.DECODE_IMAGES = False
    await real.member.slash("series charts", title="series:1")  # the worker starts: that is the cold chart's row
    during: list[list[float]] = []
    slowest = 0.0
    for batch, asking in enumerate((real, noop)):
        pending, begun = await _charts_asked(real.member, charts, batch)
        during.append(await _lookups_until(asking, pending))
        if batch == 0:
            slowest = (time.perf_counter() - begun) * 1000  # until the last chart was shown
        answers = [task.result() for task in pending]
        assert all(reply.last["files"] for reply in answers), "a chart came without its picture"
    assert real.process.pid is not None
    return (during[0], during[1]), slowest, _children_rss_mb(real.process.pid, site=False)


async def _charts_asked(member: Member, charts: int, batch: int) -> tuple[list[asyncio.Future[Reply]], float]:
    """`charts` charts asked for at once, each of a series just given an impression (so drawn anew)."""
    from tests.harness import join

    for n in range(charts):  # a member each: one member's posts are limited per hour
        poster = join(member.fake, member.guild, f"charter{batch}-{n}")
        form = await poster.slash("impression post", series=f"series:{2 + n}", scope="completed", overall=1 + n % 10)
        await poster.submit(form, text="Charted.")
    begun = time.perf_counter()
    return [asyncio.ensure_future(member.slash("series charts", title=f"series:{2 + n}")) for n in range(charts)], begun


async def _lookups_while_browsing(
    real: Running, noop: Running, page: str, pages: int = 200, crawls: int = CRAWLS
) -> tuple[tuple[list[float], list[float]], float, float]:
    """/series lookup while `pages` requests for the popular series' web page (10,000 impressions, first
    page) arrive at once from a crawler process (bot/bench/crawl.py), `crawls` times over for each bot
    in turn: the real bot's lookups, and the no-op bot's under the same load (the real bot's site, on
    the same machine); when the slowest crawl's last page was served; the site's memory. One crawl lasts
    about 150 ms, about 100 lookups: their p99 would be their slowest, so the crawl is repeated."""
    during: tuple[list[float], list[float]] = ([], [])
    slowest = 0.0
    for crawl in range(2 * crawls):
        crawler = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.bench.crawl", page, str(pages), stdout=asyncio.subprocess.PIPE
        )
        assert crawler.stdout is not None
        assert (await crawler.stdout.readline()).strip() == b"start"
        finished = asyncio.ensure_future(crawler.communicate())
        during[crawl % 2].extend(await _lookups_until((real, noop)[crawl % 2], [finished]))
        output, _ = finished.result()
        if crawler.returncode != 0:
            raise RuntimeError("the crawler failed: " + output.decode(errors="replace"))
        slowest = max(slowest, float(output.split()[-1]))
    assert real.process.pid is not None
    return during, slowest, _children_rss_mb(real.process.pid, site=True)


async def _lookups_until(running: Running, pending: Sequence[asyncio.Future[T]]) -> list[float]:
    """/series lookup of the popular series, one after another, until all of `pending` are done; their
    latencies (a failure among `pending` is raised)."""
    during = []
    while not all(task.done() for task in pending):
        during.append(_latency(await running.member.slash("series lookup", title="series:1")))
    await asyncio.gather(*pending)
    return during


def _children_rss_mb(pid: int, site: bool) -> float:
    """The memory of the bot's public site process (`site`), or of its other children (the chart worker
    and its pool's resource tracker)."""
    children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    total = 0.0
    for child in children:
        try:  # a child may end while it is read (ProcessLookupError once its file is open)
            if (b"bot.web" in Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")) == site:
                total += rss_mb(child)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _kind_rows(figures: Figures) -> list[Row]:
    rows: list[Row] = []
    for kind, name in enumerate(KINDS):
        added50 = statistics.median(percentile(r[kind], 0.5) - percentile(n[kind], 0.5) for r, n in figures.pairs)
        added99 = statistics.median(percentile(r[kind], 0.99) - percentile(n[kind], 0.99) for r, n in figures.pairs)
        real = [x for r, _ in figures.pairs for x in r[kind]]
        noop = [x for _, n in figures.pairs for x in n[kind]]
        rows += [
            (f"{name}: real bot", f"p50 {percentile(real, 0.5):.2f} ms, p99 {percentile(real, 0.99):.2f} ms", "", ""),
            (f"{name}: no-op bot", f"p50 {percentile(noop, 0.5):.2f} ms, p99 {percentile(noop, 0.99):.2f} ms", "", ""),
            (
                f"{name}: added, median of {PAIRS} pairs",
                f"p50 {added50:+.2f} ms ({percentile(real, 0.5) / percentile(noop, 0.5):.2f}×), "
                f"p99 {added99:+.2f} ms ({percentile(real, 0.99) / percentile(noop, 0.99):.2f}×)",
                "p50 ≤ +0.3 ms, p99 ≤ +1.0 ms",
                verdict(added50 <= 0.3 and added99 <= 1.0),
            ),
        ]
    return rows


def _lookups_beside(figures: Figures, during: tuple[list[float], list[float]], what: str) -> Row:
    """The row of /series lookup while something else loads the machine: the real bot against the no-op
    bot under the same load (the verdict: what the bot adds, as Step 10 measures it), and against both
    idle (what the load itself costs, on 2 cores shared by the bots, the fake Discord and the load)."""
    real_during, noop_during = during
    if not real_during or not noop_during:
        return (f"/series lookup while {what}", "no lookup finished before they did", "", "")
    real = [x for r, _ in figures.pairs for x in r[0]]
    noop = [x for _, n in figures.pairs for x in n[0]]
    added50 = percentile(real_during, 0.5) - percentile(noop_during, 0.5)
    added99 = percentile(real_during, 0.99) - percentile(noop_during, 0.99)
    return (
        f"/series lookup while {what} ({len(real_during)} + {len(noop_during)} lookups)",
        f"p50 {percentile(real_during, 0.5):.2f} ms, p99 {percentile(real_during, 0.99):.2f} ms; no-op bot under "
        f"the same load p50 {percentile(noop_during, 0.5):.2f}, p99 {percentile(noop_during, 0.99):.2f} "
        f"(idle: real p50 {percentile(real, 0.5):.2f}, p99 {percentile(real, 0.99):.2f}; no-op p50 "
        f"{percentile(noop, 0.5):.2f}, p99 {percentile(noop, 0.99):.2f}); "
        f"added p50 {added50:+.2f}, p99 {added99:+.2f} ms",
        "Step 10's: added p50 ≤ +0.3 ms, p99 ≤ +1.0 ms",
        verdict(added50 <= 0.3 and added99 <= 1.0),
    )


def _browsing_rows(figures: Figures) -> list[Row]:
    during, slowest, site_mb = figures.browsing
    return [
        _lookups_beside(figures, during, f"200 web pages are served, {CRAWLS} times"),
        (
            "200 web pages (10,000 impressions) asked at once: the last served (slowest time)",
            f"{slowest:.0f} ms",
            "",
            "",
        ),
        ("public site memory (RSS, its own process)", f"{site_mb:.0f} MB", "", ""),
    ]


def _charting_rows(figures: Figures) -> list[Row]:
    during, slowest, worker_mb = figures.charting
    return [
        _lookups_beside(figures, during, "20 charts are drawn"),
        ("20 charts asked at once: the last answered", f"{slowest:.0f} ms", "", ""),
        ("chart worker memory (RSS, its own process)", f"{worker_mb:.0f} MB", "", ""),
    ]


def _longest(pauses: list[Pause]) -> float:
    return max((pause.ms for pause in pauses), default=0.0)


def _pauses(pauses: list[Pause]) -> str:
    if not pauses:
        return "0"
    longest = max(pauses, key=lambda pause: pause.ms)
    return f"{len(pauses)}, longest {longest.ms:.1f} ms, {longest.cpu_ms:.1f} ms CPU, {longest.freed:,} objects freed"


def _rows(figures: Figures, series_count: int, total: int) -> list[Row]:
    marks = figures.startup
    own, ready = marks.get("Set up in", float("nan")), marks.get("Ready as", float("nan"))
    rss_before, rss_after = figures.rss
    drift = rss_after - rss_before
    pauses, noop_pauses = figures.steady
    burst_pauses, noop_burst_pauses = figures.in_burst
    after_pauses, noop_after_pauses = figures.after_burst
    real_burst, noop_burst = figures.bursts
    size = f"{series_count:,} series, {total:,} impressions"
    return [
        (f"start-up, bot's own part (process start → set up), {size}", f"{own:.2f} s", "≤ 1.5 s", verdict(own <= 1.5)),
        ("start-up, discord.py's part (log-in, gateway, guild wait)", f"{ready - own:.2f} s", "", ""),
        (
            "lookup index ready (built in the background, in its own process)",
            f"{marks.get('Lookup index ready', float('nan')):.2f} s after start",
            "",
            "",
        ),
        (f"bot memory (RSS), {size}", f"{rss_before:.0f} MB", "≤ 120 MB", verdict(rss_before <= 120)),
        (
            f"RSS change over {figures.lookups:,} lookups",
            f"{drift:+.1f} MB",
            "within ±2 MB",
            verdict(abs(drift) <= 2),
        ),
        (
            "full GC pauses after start-up, in steady use",
            f"{_pauses(pauses)} (no-op bot: {_pauses(noop_pauses)})",
            "none over 20 ms",
            verdict(_longest(pauses) <= 20),
        ),
        (
            f"full GC pauses during the burst of {BURST:,} (until its last answer)",
            f"{_pauses(burst_pauses)} (no-op bot: {_pauses(noop_burst_pauses)})",
            "none over 20 ms",
            verdict(_longest(burst_pauses) <= 20),
        ),
        (
            "full GC pauses after the burst's last answer (its garbage, collected idle)",
            f"{_pauses(after_pauses)} (no-op bot: {_pauses(noop_after_pauses)})",
            "none over 20 ms",
            verdict(_longest(after_pauses) <= 20),
        ),
        *_kind_rows(figures),
        *_charting_rows(figures),
        *_browsing_rows(figures),
        (
            f"burst of {BURST:,} at once, slowest answer",
            f"{real_burst:.0f} ms (no-op bot: {noop_burst:.0f} ms)",
            "< 1500 ms",
            verdict(real_burst < 1500),
        ),
    ]
