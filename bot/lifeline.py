"""What every process the bot starts does first (the lookup index's build, the chart worker, the public
site): it leaves Ctrl+C to the bot, and it ends when the bot does.

- A terminal's Ctrl+C reaches every process of its group. A worker that took it printed a
  KeyboardInterrupt traceback while the bot was stopping cleanly; the bot stops its workers itself.
- A process pool's worker waits on a queue whose writing end it holds itself, so it never sees the bot
  die: after a `kill -9` of the bot, an index build or chart worker stayed for good (found in a test),
  holding the bot's log pipe open and its memory.
"""

from __future__ import annotations

import os
import signal
import threading
import time

POLL_S = 0.5


def become_worker() -> None:
    """Run in a worker as it starts: Ctrl+C is ignored, and it exits once its parent is gone (it is then
    someone else's child)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(POLL_S)
        os._exit(0)

    threading.Thread(target=watch, name="exit-when-orphaned", daemon=True).start()
