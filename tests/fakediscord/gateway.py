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
    _shards: dict[web.WebSocketResponse, tuple[int, int]]
    shard_deliveries: list[tuple[str, int]]
    _sequence: int

    @property
    def connected_bots(self) -> int:
        return len(self._sockets)

    def shares_shards(self, wanted: set[tuple[int, int]] | None) -> bool:
        """Whether a connected bot holds any of these shards (None: the whole gateway, unsharded)."""
        held = [self._shards.get(socket, (0, 1)) for socket in self._sockets]
        if wanted is None:
            return bool(held)
        return any(count == 1 or (shard, count) in wanted for shard, count in held)

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
                    shard_id, count = data["d"].get("shard") or (0, 1)
                    if not 0 <= shard_id < count:
                        await socket.close(code=4010, message=b"Invalid shard.")
                        break
                    self._shards[socket] = (shard_id, count)
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
            self._shards.pop(socket, None)
        return socket

    def _holds(self, socket: web.WebSocketResponse, guild_id: int) -> bool:
        """Whether this connection's shard holds the server, as Discord assigns them."""
        shard_id, count = self._shards.get(socket, (0, 1))
        return (guild_id >> 22) % count == shard_id

    async def _send_ready(self, socket: web.WebSocketResponse) -> None:
        held = [guild for guild in self.guilds.values() if self._holds(socket, guild.id)]
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(guild.id), "unavailable": True} for guild in held],
            "shard": list(self._shards.get(socket, (0, 1))),
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        await self.dispatch("READY", ready, socket)
        for guild in held:
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
        """Send an event: to `socket`, or to every connection, except that a server's events go only to
        the shard that holds it (events of no server, such as DMs, to shard 0), as Discord sends them."""
        self._sequence += 1
        frame = {"op": 0, "t": event, "s": self._sequence, "d": data}
        targets = [socket] if socket is not None else list(self._sockets)
        guild_id = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_") else None)
        if socket is None:
            key = int(guild_id) if guild_id else 0
            targets = [target for target in targets if self._holds(target, key)]
            self.shard_deliveries += [(event, self._shards.get(target, (0, 1))[0]) for target in targets]
        if not targets:
            raise RuntimeError("no bot is connected to the fake gateway (for that server's shard)")
        for target in targets:
            await target.send_json(frame)
