"""The oldest generation is collected when the event loop is quiet, never in the middle of its work."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from bot.collector import CollectorPacing, QuietCollector

FAST = CollectorPacing(check_s=0.02, late_s=0.005, quiet_s=0.2, due_after=10, overdue_after=10_000)


@pytest.fixture
def full_collections() -> Iterator[list[float]]:
    """When each full collection started (monotonic seconds), while the test runs."""
    started: list[float] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            started.append(time.monotonic())

    gc.callbacks.append(note)
    yield started
    gc.callbacks.remove(note)


def make_due() -> None:
    for _ in range(12):  # each collection of the middle generation counts towards the oldest's
        gc.collect(1)


async def keep_the_loop_busy(seconds: float) -> None:
    """A loop with work always queued: callbacks that each hold it 30 ms, back to back."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.03)  # noqa: ASYNC251  # holding the loop is the point
        await asyncio.sleep(0)


async def test_a_due_collection_waits_for_a_quiet_loop(full_collections: list[float]) -> None:
    collector = QuietCollector(FAST)
    collector.start()
    try:
        assert gc.get_threshold()[2] > 1_000_000  # CPython's own rule no longer starts them
        make_due()
        busy_from = time.monotonic()
        await keep_the_loop_busy(0.8)
        busy_until = time.monotonic()
        assert not [at for at in full_collections if busy_from <= at <= busy_until]
        await asyncio.sleep(FAST.quiet_s + 0.3)
        assert [at for at in full_collections if at > busy_until], "quiet, and due, but never collected"
        assert collector.collections >= 1 and gc.get_count()[2] < FAST.due_after
    finally:
        await collector.stop()


async def test_a_due_collection_waits_while_objects_keep_being_made(full_collections: list[float]) -> None:
    """A burst whose answers keep up: the loop is on time, but objects are made and held meanwhile."""
    collector = QuietCollector(FAST)
    collector.start()
    try:
        make_due()
        held: list[list[dict[str, int]]] = []
        busy_from = time.monotonic()
        while time.monotonic() < busy_from + 0.8:
            held.append([{"n": n} for n in range(2_000)])  # young collections run, the loop stays on time
            await asyncio.sleep(0.005)
        busy_until = time.monotonic()
        held.clear()
        assert not [at for at in full_collections if busy_from <= at <= busy_until]
        await asyncio.sleep(FAST.quiet_s + 0.3)
        assert [at for at in full_collections if at > busy_until], "quiet, and due, but never collected"
    finally:
        await collector.stop()


async def test_a_due_collection_waits_until_the_last_interaction_has_settled(full_collections: list[float]) -> None:
    """A burst's answers wait on Discord with the loop on time; what arrived must first be answered."""
    arrived = time.monotonic()
    collector = QuietCollector(replace(FAST, settled_s=1.0), last_arrival=lambda: arrived)
    collector.start()
    try:
        make_due()
        await asyncio.sleep(0.7)  # the loop quiet for over FAST.quiet_s, the interaction not settled
        assert collector.collections == 0 and not [at for at in full_collections if at >= arrived]
        await asyncio.sleep(0.6)
        assert [at for at in full_collections if at >= arrived + 1.0], "settled, due and quiet: collected"
    finally:
        await collector.stop()


async def test_a_due_collection_waits_for_the_oldest_generation_to_have_grown(full_collections: list[float]) -> None:
    """After a burst, what reached the oldest generation while in flight has been freed: a full
    collection would walk what stays (caches) and free nothing. It runs once a quarter more is alive."""
    collector = QuietCollector(FAST)
    collector.start()
    try:
        make_due()
        await asyncio.sleep(FAST.quiet_s + 0.3)
        assert collector.collections == 1, "the first due collection: nothing was left by one before"
        since = time.monotonic()
        in_flight = [[n] for n in range(50_000)]  # lists: always tracked (dicts of ints may not be)
        make_due()  # they reached the oldest generation, and are then freed
        in_flight.clear()
        await asyncio.sleep(FAST.quiet_s + 0.3)
        assert collector.collections == 1 and not [at for at in full_collections if at >= since]
        kept = [[n] for n in range(len(gc.get_objects(2)) // 3)]
        make_due()
        await asyncio.sleep(FAST.quiet_s + 0.3)
        assert collector.collections == 2 and [at for at in full_collections if at >= since], "grown, due, quiet"
        assert kept
    finally:
        await collector.stop()


async def test_nothing_is_collected_before_it_is_due(full_collections: list[float]) -> None:
    gc.collect()  # the count starts from nothing
    since = time.monotonic()
    collector = QuietCollector(FAST)
    collector.start()
    try:
        await asyncio.sleep(FAST.quiet_s * 2)
        assert collector.collections == 0 and not [at for at in full_collections if at >= since]
    finally:
        await collector.stop()


async def test_a_loop_that_is_never_quiet_is_still_collected_once_overdue(full_collections: list[float]) -> None:
    collector = QuietCollector(CollectorPacing(check_s=0.02, quiet_s=10.0, due_after=10, overdue_after=12))
    collector.start()
    try:
        make_due()
        busy_from = time.monotonic()
        await keep_the_loop_busy(0.5)
        assert [at for at in full_collections if at >= busy_from]
    finally:
        await collector.stop()


async def test_stopping_gives_the_thresholds_back() -> None:
    before = gc.get_threshold()
    collector = QuietCollector(FAST)
    collector.start()
    await collector.stop()
    assert gc.get_threshold() == before
