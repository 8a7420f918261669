"""`python -m bot catalog refresh [URL]`, and the same once a day while the bot runs: the latest
bangumi-data release, fetched only when it changed (a conditional GET), merged like an import (new series
added, curated fields never overwritten)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.parsing import read_json
from bot.services.bangumi import NotBangumiData, add_romaji, bangumi_bundle, romanizers
from bot.services.catalog_import import STARTER_CREDIT_KEY, ImportError_, fetch_if_changed, starter_entries
from bot.store.catalog import CatalogWriter, UpsertCounts

REFRESH_CAP_BYTES = 128 * 1024 * 1024  # the release is about 10 MB
RETRY_AFTER_FAILURE_S = 3600.0
META = "refresh:"  # refresh:url, refresh:etag, refresh:last_modified, refresh:checked_at


log = logging.getLogger(__name__)


@dataclass(slots=True)
class RefreshReport:
    url: str
    changed: bool = True  # False: the server said the release has not changed since the last refresh
    read: int = 0
    unusable: int = 0
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    seconds: float = 0.0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def last_checked(database: Path | str) -> datetime | None:
    with CatalogWriter(database) as writer:
        checked = writer.meta(META).get(META + "checked_at")
    return datetime.fromisoformat(checked) if checked else None


async def refresh_catalog(database: Path | str, url: str, *, progress: bool = False) -> RefreshReport:
    """Fetch and merge the release at `url`; ImportError_ says in one sentence why it could not be."""
    started = time.perf_counter()
    report = RefreshReport(url)
    with CatalogWriter(database) as writer:
        known = writer.meta(META)
    same_address = known.get(META + "url") == url  # validators of another address mean nothing here
    fetched = await fetch_if_changed(
        url,
        known.get(META + "etag") if same_address else None,
        known.get(META + "last_modified") if same_address else None,
        cap_bytes=REFRESH_CAP_BYTES,
        progress=progress,
    )
    if fetched is None:
        report.changed = False
        await asyncio.to_thread(_record, database, {META + "checked_at": _now()})
        report.seconds = time.perf_counter() - started
        return report
    meta = {META + "url": url, META + "etag": fetched.etag or "", META + "last_modified": fetched.last_modified or ""}
    await asyncio.to_thread(_merge, database, fetched.body, meta, report)
    report.seconds = time.perf_counter() - started
    return report


async def keep_refreshed(
    database: Path | str, url: str, hours: float, on_change: Callable[[], Awaitable[None]]
) -> None:
    """While the bot runs: refresh when the last check is `hours` old (at once on a catalog never
    refreshed), then every `hours`. A failure is one log line, and the next try comes an hour later at
    most; a change calls `on_change` (the lookup index rebuilds)."""
    interval = hours * 3600
    while True:
        checked = await asyncio.to_thread(last_checked, database)
        if checked is not None:
            await asyncio.sleep(max(0.0, interval - (datetime.now(UTC) - checked).total_seconds()))
        try:
            report = await refresh_catalog(database, url)
        except Exception as error:  # ImportError_ says it in a sentence; anything else in its own words
            log.warning("The catalog refresh from %s failed: %s", url, error)
            await asyncio.sleep(min(interval, RETRY_AFTER_FAILURE_S))
            continue
        if report.changed and (report.counts.inserted or report.counts.updated):
            counts = report.counts
            log.info("Catalog refreshed from %s: %d new, %d updated series", url, counts.inserted, counts.updated)
            await on_change()
        else:
            log.info("Catalog refresh: %s has nothing new", url)


def _record(database: Path | str, meta: dict[str, str]) -> None:
    with CatalogWriter(database) as writer:
        writer.set_meta(meta)


def _merge(database: Path | str, body: bytes, meta: dict[str, str], report: RefreshReport) -> None:
    """Parse and merge in a worker thread: a 10 MB document and 9,000 upserts take a few seconds."""
    try:
        data = read_json(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ImportError_(
            f"{report.url} did not answer with JSON (it may have been cut off); nothing changed."
        ) from None
    today = datetime.now(UTC).date().isoformat()
    try:
        bundle, report.unusable = bangumi_bundle(data, f"fetched {today}")
    except NotBangumiData as error:
        raise ImportError_(f"{report.url} is not a bangumi-data release: {error} Nothing changed.") from None
    add_romaji(bundle, romanizers())  # with the `build` extra only; AniList brings romaji otherwise
    entries = list(starter_entries(bundle))
    report.read = len(entries)
    meta[STARTER_CREDIT_KEY] = f"{bundle['notice']} (fetched {today})"
    meta[META + "checked_at"] = _now()
    with CatalogWriter(database) as writer:
        report.counts = writer.upsert(entries, meta)
