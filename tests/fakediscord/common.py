"""What the fake Discord's parts share: JSON answers, an interaction as the fake tracks it."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

INTERACTION_DEADLINE_S = 3.0
ALL_PERMISSIONS = (1 << 53) - 1
Json = dict[str, Any]


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def json_response(data: Any, status: int = 200) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly application/json (no charset).
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")


def error_response(status: int, code: int, message: str) -> web.Response:
    return json_response({"code": code, "message": message}, status=status)


@dataclass
class SentInteraction:
    """One interaction the fake dispatched, and everything the bot answered to it."""

    id: int
    token: str
    payload: Json
    created: float
    callback: Json | None = None
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    edited: bool = False
    answered_at: float | None = None  # monotonic: when the first callback arrived (unread), for latency
    probed: object = None  # what FakeDiscord.probe_at_answer returned when it was answered
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def touch(self) -> None:
        self.changed.set()
