"""The fake Discord's gateway: HELLO, IDENTIFY or RESUME, READY and GUILD_CREATE, heartbeats, and
events pushed to the bot. A part of FakeDiscord (it inherits this), split out for size."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakediscord.common import Json


class GatewayRoutes:
    # Provided by FakeDiscord.
    token: str
    application_id: int
    bot_user: Json
    guilds: dict[int, Any]
    identifies: int
    resumes: int
    refuse_next_resume: bool
    _sockets: list[web.WebSocketResponse]
    _sequence: int

    @property
    def connected_bots(self) -> int:
        return len(self._sockets)

    @property
    def gateway_url(self) -> str:
        raise NotImplementedError

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for message in socket:
                if message.type is not WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                op = data.get("op")
                if op == 1:
                    await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
                elif op == 2:
                    self.identifies += 1
                    if data["d"].get("token") != self.token:
                        await socket.close(code=4004, message=b"Authentication failed.")
                        break
                    await self._send_ready(socket)
                elif op == 6:
                    self.resumes += 1
                    if self.refuse_next_resume:
                        # The session is gone: Discord answers INVALID_SESSION (not resumable).
                        self.refuse_next_resume = False
                        await socket.send_json({"op": 9, "d": False, "s": None, "t": None})
                    else:
                        await self.dispatch("RESUMED", {}, socket)
        finally:
            self._sockets.remove(socket)
        return socket

    async def _send_ready(self, socket: web.WebSocketResponse) -> None:
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(gid), "unavailable": True} for gid in self.guilds],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        await self.dispatch("READY", ready, socket)
        for guild in self.guilds.values():
            await self.dispatch("GUILD_CREATE", guild.payload(), socket)

    async def drop_gateway(self, code: int) -> None:
        """Close the bot's gateway connection as Discord would (e.g. 4000 to resume, 4009 to re-identify)."""
        for socket in list(self._sockets):
            await socket.close(code=code, message=b"dropped by the fake")

    async def wait_connected(self) -> None:
        async with asyncio.timeout(20):
            while not self._sockets:  # noqa: ASYNC110 - a poll of the server's own list, briefly
                await asyncio.sleep(0.05)

    async def dispatch(self, event: str, data: Json, socket: web.WebSocketResponse | None = None) -> None:
        self._sequence += 1
        frame = {"op": 0, "t": event, "s": self._sequence, "d": data}
        targets = [socket] if socket is not None else list(self._sockets)
        if not targets:
            raise RuntimeError("no bot is connected to the fake gateway")
        for target in targets:
            await target.send_json(frame)
