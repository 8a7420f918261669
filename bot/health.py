"""A heartbeat file the running bot refreshes while it is connected, and the check that reads it.

The Docker healthcheck runs `python -m bot health`: healthy only while the bot holds a live gateway
connection, not merely while its database answers.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

HEARTBEAT_EVERY_S = 30.0
STALE_AFTER_S = 3 * HEARTBEAT_EVERY_S


def heartbeat_path(database_path: Path) -> Path:
    return database_path.with_name(database_path.name + ".heartbeat")


def beat(path: Path) -> None:
    """Record "connected now" (written beside the database, replaced atomically)."""
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(f"{time.time():.0f}\n", encoding="ascii")
    os.replace(scratch, path)


def stop(path: Path) -> None:
    path.unlink(missing_ok=True)


def check(path: Path, now: float | None = None) -> tuple[bool, str]:
    """(healthy, one sentence) from the heartbeat file."""
    try:
        stamp = float(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        return False, f"The bot is not connected to Discord: no heartbeat at {path} (not running, or not ready yet)."
    except (OSError, ValueError) as error:
        return False, f"The heartbeat file {path} cannot be read ({error.__class__.__name__})."
    age = (time.time() if now is None else now) - stamp
    if age > STALE_AFTER_S:
        return False, f"The bot is not connected to Discord: its last heartbeat was {age:.0f} s ago."
    return True, f"The bot is connected to Discord (heartbeat {max(0.0, age):.0f} s ago)."
