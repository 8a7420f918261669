"""Finding a series by any of its names while a member types: the lookup index (bot/services/
title_index.py), kept up to date with the catalog, and what free text resolves to.

A full rapidfuzz scan of 200,000 names costs 15-200 ms; the index answers in about a millisecond
(see `python -m bot.bench lookup`).
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.lifeline import become_worker
from bot.models import SeriesLabel
from bot.services.title_index import Match, TitleIndex, normalize
from bot.store.catalog import CatalogStore, read_index_rows_of_file

__all__ = ["Match", "Resolution", "SeriesSearch", "TitleIndex", "normalize", "resolve"]

REVISION_CHECK_S = 30.0
NAMES_REBUILD_S = 60.0  # at most one rebuild a minute for names enrichment added
BUILD_APART_FROM = 5_000  # series: a catalog this large is indexed in a process of its own


@dataclass(frozen=True, slots=True)
class Resolution:
    """What free text typed without picking a suggestion resolves to."""

    best: Match | None
    candidates: list[Match]


def resolve(matches: list[Match], typed: str) -> Resolution:
    """The best match when it is unambiguous, otherwise the candidates to pick from."""
    if not matches:
        return Resolution(None, [])
    target = normalize(typed)
    exact = [m for m in matches if normalize(m.name) == target]
    if len({m.series_id for m in exact}) == 1:
        return Resolution(exact[0], matches)
    if exact:  # several series share the exact name (remakes): the member must choose
        return Resolution(None, matches)
    top = matches[0]
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    if top.score >= 100 and top.score - runner_up >= 15:
        return Resolution(top, matches)
    return Resolution(None, matches)


class SeriesSearch:
    """Owns the index: built on start, rebuilt in the background when the catalog's revision moves."""

    def __init__(self, catalog: CatalogStore, revision_check_s: float = REVISION_CHECK_S) -> None:
        self._catalog = catalog
        self._revision_check_s = revision_check_s
        self._index: TitleIndex | None = None
        self._revision = -1
        self._checked_at = float("-inf")
        self._rebuild: asyncio.Task[TitleIndex] | None = None
        self._built_at = float("-inf")
        self._names_waiting = False  # names were added (by enrichment) since the index was built

    async def _build(self, revision: int) -> TitleIndex:
        if await self._catalog.count() >= BUILD_APART_FROM:
            index = await build_apart(self._catalog.location)
        else:
            names, labels = await self._catalog.index_rows()
            index = await asyncio.to_thread(TitleIndex, names, labels)
        self._index, self._revision = index, revision
        self._built_at = time.monotonic()
        # The index lives as long as the bot: out of the collector's sight, so no full collection
        # walks it again (the objects alive now are frozen with it; refcounting still frees them).
        gc.freeze()
        return index

    async def index(self) -> TitleIndex:
        now = time.monotonic()
        if self._index is not None and now - self._checked_at < self._revision_check_s:
            return self._index
        self._checked_at = now
        revision = await self._catalog.revision()
        names_due = self._names_waiting and now - self._built_at >= NAMES_REBUILD_S
        if (revision != self._revision or names_due) and (self._rebuild is None or self._rebuild.done()):
            self._names_waiting = False
            self._rebuild = asyncio.create_task(self._build(revision))
        if self._index is None:
            assert self._rebuild is not None
            return await self._rebuild
        return self._index  # searches keep using the previous index while the new one builds

    async def wait_ready(self, within_s: float) -> bool:
        """Whether the index is there, waiting up to `within_s` for its first build (which goes on
        after a wait that gave up: 6 to 9 s at 40,000 series, longer than Discord waits for a keystroke's
        answer)."""
        if self._index is None:
            try:
                await asyncio.wait_for(asyncio.shield(self.index()), within_s)
            except TimeoutError:
                return False
        return True

    def names_added(self) -> None:
        """Enrichment gave a series more names: the index learns them at a rebuild, at most one a minute
        (a whole rebuild per looked-up series would keep a core busy while a new server explores)."""
        self._names_waiting = True

    async def refresh(self) -> None:
        """Rebuild now (after an edit made by this process, so the editor sees it at once)."""
        self._checked_at = time.monotonic()
        await self._build(await self._catalog.revision())

    async def search(self, query: str, limit: int = 25) -> list[Match]:
        return (await self.index()).search(query, limit)

    async def recent(self, today: date, limit: int = 25) -> list[SeriesLabel]:
        index = await self.index()
        found = [index.labels.get(series_id) for series_id in await self._catalog.recent(today, limit)]
        return [label for label in found if label is not None]

    async def labels(self, series_ids: Iterable[int]) -> list[SeriesLabel | None]:
        labels = (await self.index()).labels
        return [labels.get(series_id) for series_id in series_ids]


def _index_of_file(path: Path | str) -> TitleIndex:
    names, labels = read_index_rows_of_file(path)
    return TitleIndex(names, labels)


async def build_apart(path: Path | str) -> TitleIndex:
    """Build the index in a process of its own: its CPU time does not hold this process's GIL (members
    keep being answered), and the few hundred MB of rows and dictionaries a build passes through are
    returned to the system when that process ends; only the compact index comes back."""
    pool = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=become_worker
    )
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, _index_of_file, path)
    finally:
        pool.shutdown(wait=False)
