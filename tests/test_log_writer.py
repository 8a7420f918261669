"""The bot's log lines are written by a thread of their own, in batches: the caller only keeps the record."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Iterator

import pytest

from bot.log_writer import LogWriter


class SlowStream(io.StringIO):
    """A terminal or pipe that takes its time: every write waits until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()

    def write(self, text: str) -> int:
        self.released.wait(10)
        return super().write(text)


@pytest.fixture
def root_handlers() -> Iterator[None]:
    """The root logger as the test found it, whatever the test does to it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level


def stream_logging(stream: io.StringIO, level: int = logging.DEBUG) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.DEBUG)
    return handler


def test_every_line_is_written_in_order_and_all_of_them_once_stopped(root_handlers: None) -> None:
    out = io.StringIO()
    stream_logging(out)
    writer = LogWriter(interval_s=0.01)
    writer.start()
    log = logging.getLogger("bot.interactions")
    for n in range(500):
        log.info("/series lookup guild=%s n=%d", 1, n)
    writer.stop()
    lines = out.getvalue().splitlines()
    assert lines == [f"INFO bot.interactions: /series lookup guild=1 n={n}" for n in range(500)]


def test_a_line_shows_while_the_bot_runs_not_only_at_the_end(root_handlers: None) -> None:
    out = io.StringIO()
    stream_logging(out)
    writer = LogWriter(interval_s=0.01)
    writer.start()
    try:
        logging.getLogger("bot").warning("Catalog refresh failed")
        deadline = time.monotonic() + 5
        while "Catalog refresh failed" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "WARNING bot: Catalog refresh failed" in out.getvalue()
    finally:
        writer.stop()


def test_a_slow_stream_never_holds_the_caller(root_handlers: None) -> None:
    slow = SlowStream()
    stream_logging(slow)
    writer = LogWriter(interval_s=0.01)
    writer.start()
    try:
        begun = time.monotonic()
        for n in range(1_000):
            logging.getLogger("bot.interactions").info("line %d", n)
        assert time.monotonic() - begun < 1.0, "logging waited for the stream"
        assert slow.getvalue() == ""  # the writer is stuck on the first line; the caller is not
    finally:
        slow.released.set()
        writer.stop()
    assert len(slow.getvalue().splitlines()) == 1_000


def test_each_handler_keeps_its_own_level_and_is_given_back(root_handlers: None) -> None:
    everything, warnings = io.StringIO(), io.StringIO()
    first = stream_logging(everything)
    second = logging.StreamHandler(warnings)
    second.setLevel(logging.WARNING)
    logging.getLogger().addHandler(second)
    writer = LogWriter(interval_s=0.01)
    writer.start()
    assert first not in logging.getLogger().handlers and second not in logging.getLogger().handlers
    logging.getLogger("bot").info("started")
    logging.getLogger("bot").warning("slow")
    writer.stop()
    assert everything.getvalue().splitlines() == ["INFO bot: started", "WARNING bot: slow"]
    assert warnings.getvalue().splitlines() == ["slow"]
    assert logging.getLogger().handlers == [first, second]
