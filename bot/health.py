"""A heartbeat file the running bot refreshes while it is connected, and the check that reads it.

The Docker healthcheck runs `python -m bot health`: healthy only while the bot holds a live gateway
connection, not merely while its database answers, and, when the public site is on, while the site's
/health page answers too.
"""

from __future__ import annotations

import http.client
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

HEARTBEAT_EVERY_S = 30.0
STALE_AFTER_S = 3 * HEARTBEAT_EVERY_S
SITE_TIMEOUT_S = 5.0  # Docker's own timeout for the whole check is 10 s
# A site listening on every address is asked on the loopback.
WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


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


def site_address(host: str, port: int) -> str:
    """Where this machine reaches a site listening on `host`:`port`."""
    host = WILDCARDS.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def check_site(address: str, timeout_s: float = SITE_TIMEOUT_S) -> tuple[bool, str]:
    """(healthy, one sentence) from the public site's /health page at `address`."""
    url = f"{address}/health"
    # No proxy: the site is on this machine, and an HTTP_PROXY meant for the internet would answer for it.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout_s) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (OSError, ValueError, http.client.HTTPException) as error:  # (not HTTP at all: BadStatusLine)
        reason = getattr(error, "reason", None) or error.__class__.__name__
        return False, f"The public site does not answer at {url} ({reason}); the bot's log says why."
    if status != 200:
        return False, f"The public site answers {url} with HTTP {status}; the bot's log says why."
    return True, f"its public site answers at {address}"
