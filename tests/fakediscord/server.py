"""A fake Discord on 127.0.0.1: enough REST and gateway for discord.py to run a real bot against it.

Every payload the bot sends is checked against Discord's limits (see limits.py); a violation is
answered the way Discord answers it (400, code 50035) and recorded in `FakeDiscord.violations`,
which the test fixtures assert is empty after each test.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakediscord import limits

API_PREFIX = "/api/v10"
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
class FakeGuild:
    id: int
    name: str
    owner_id: int
    roles: list[Json] = field(default_factory=list)
    channels: list[Json] = field(default_factory=list)
    members: list[Json] = field(default_factory=list)

    @property
    def text_channel_id(self) -> int:
        return int(self.channels[0]["id"])

    def payload(self) -> Json:
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner_id),
            "roles": self.roles,
            "channels": self.channels,
            "members": self.members,
            "member_count": len(self.members),
            "unavailable": False,
            "large": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "threads": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "afk_timeout": 300,
            "system_channel_id": None,
            "joined_at": now_iso(),
        }


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
    answered_at: float | None = None  # monotonic time of the first callback, for latency figures
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def touch(self) -> None:
        self.changed.set()


class FakeDiscord:
    def __init__(self, *, token: str = "fake-token", application_id: int = 900_000_000_000_000_001) -> None:
        self.token = token
        self.application_id = application_id
        self._ids = itertools.count(1_100_000_000_000_000_000)
        self.bot_user: Json = {
            "id": str(application_id),
            "username": "Impressions",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "flags": 0,
        }
        self.owner_user = self.make_user("owner")
        self.guilds: dict[int, FakeGuild] = {}
        self.global_commands: list[Json] = []
        self.guild_commands: dict[int, list[Json]] = {}
        self.command_puts = 0
        # Servers the bot is not in (or was invited to without applications.commands): a sync there is 403.
        self.forbidden_guilds: set[int] = set()
        self.interactions: dict[str, SentInteraction] = {}
        self.messages: dict[int, Json] = {}
        self.dm_channels: dict[str, Json] = {}
        self.channel_posts: asyncio.Queue[Json] = asyncio.Queue()
        self.violations: list[str] = []
        # Injected faults: (method, path prefix, HTTP status), each used once, in order.
        self.rest_faults: list[tuple[str, str, int]] = []
        self.faults_served: list[str] = []
        self.identifies = 0
        self.resumes = 0
        self.refuse_next_resume = False
        # Called as each interaction is acknowledged; tests use it to act at an exact moment.
        self.on_acknowledged: Callable[[SentInteraction], None] | None = None
        self.unhandled: list[str] = []
        self._sockets: list[web.WebSocketResponse] = []
        self._sequence = 0
        self.runner: web.AppRunner | None = None
        self.port = 0

    # -- set-up ---------------------------------------------------------------------------------------

    def snowflake(self) -> int:
        return next(self._ids)

    def make_user(self, name: str) -> Json:
        return {
            "id": str(self.snowflake()),
            "username": name,
            "discriminator": "0",
            "global_name": name.title(),
            "avatar": None,
            "bot": False,
            "flags": 0,
        }

    def add_guild(self, name: str) -> FakeGuild:
        guild_id = self.snowflake()
        guild = FakeGuild(id=guild_id, name=name, owner_id=int(self.owner_user["id"]))
        guild.roles.append(
            {
                "id": str(guild_id),  # @everyone shares the guild's id
                "name": "@everyone",
                "permissions": str((1 << 10) | (1 << 11) | (1 << 31)),  # view, send, use commands
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        )
        guild.channels.append(
            {
                "id": str(self.snowflake()),
                "type": 0,
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
            }
        )
        guild.members.append(self._member_payload(self.bot_user, []))
        self.guilds[guild_id] = guild
        return guild

    def add_role(self, guild: FakeGuild, name: str, permissions: int = 0) -> Json:
        role = {
            "id": str(self.snowflake()),
            "name": name,
            "permissions": str(permissions),
            "position": len(guild.roles),
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": True,
            "flags": 0,
        }
        guild.roles.append(role)
        return role

    def add_channel(self, guild: FakeGuild, name: str) -> Json:
        channel = {
            "id": str(self.snowflake()),
            "type": 0,
            "name": name,
            "position": len(guild.channels),
            "permission_overwrites": [],
        }
        guild.channels.append(channel)
        return channel

    @staticmethod
    def _member_payload(user: Json, role_ids: list[str]) -> Json:
        return {
            "user": user,
            "roles": role_ids,
            "nick": None,
            "avatar": None,
            "joined_at": now_iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }

    # -- lifecycle ------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self.runner is not None:
            await self.runner.cleanup()

    # -- gateway --------------------------------------------------------------------------------------

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

    # -- REST -----------------------------------------------------------------------------------------

    def _routes(self) -> list[tuple[str, str, Callable[..., Awaitable[web.Response]]]]:
        return [
            ("GET", "users/@me", self._get_me),
            ("GET", "oauth2/applications/@me", self._get_application),
            ("GET", "applications/@me", self._get_application),
            ("GET", "gateway/bot", self._get_gateway_bot),
            ("GET", "gateway", self._get_gateway_bot),
            ("PUT", "applications/{app}/commands", self._put_commands),
            ("GET", "applications/{app}/commands", self._get_commands),
            ("PUT", "applications/{app}/guilds/{guild}/commands", self._put_commands),
            ("GET", "applications/{app}/guilds/{guild}/commands", self._get_commands),
            ("POST", "interactions/{id}/{token}/callback", self._callback),
            ("POST", "webhooks/{app}/{token}", self._followup),
            ("GET", "webhooks/{app}/{token}/messages/{message}", self._get_webhook_message),
            ("PATCH", "webhooks/{app}/{token}/messages/{message}", self._edit_webhook_message),
            ("DELETE", "webhooks/{app}/{token}/messages/{message}", self._delete_webhook_message),
            ("POST", "channels/{channel}/messages", self._post_channel_message),
            ("GET", "channels/{channel}/messages/{message}", self._get_channel_message),
            ("PATCH", "channels/{channel}/messages/{message}", self._edit_channel_message),
            ("DELETE", "channels/{channel}/messages/{message}", self._delete_channel_message),
            ("POST", "users/@me/channels", self._open_dm),
        ]

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"].rstrip("/")
        for fault in self.rest_faults:
            method, prefix, status = fault
            if request.method == method and path.startswith(prefix):
                self.rest_faults.remove(fault)
                self.faults_served.append(f"{status} {method} {path}")
                if status == 429:
                    body = {"message": "You are being rate limited.", "retry_after": 0.2, "global": False}
                    return web.Response(
                        body=json.dumps(body).encode(), status=429, content_type="application/json",
                        headers={"Retry-After": "0.2", "X-RateLimit-Scope": "user", "Via": "1.1 google"},
                    )  # fmt: skip
                return web.Response(status=status, text="upstream trouble")
        if request.headers.get("Authorization") != f"Bot {self.token}" and not (
            path.startswith(("webhooks/", "interactions/"))
        ):
            return error_response(401, 0, "401: Unauthorized")
        parts = path.split("/")
        for method, pattern, handler in self._routes():
            pattern_parts = pattern.split("/")
            if method != request.method or len(pattern_parts) != len(parts):
                continue
            params: dict[str, str] = {}
            for want, got in zip(pattern_parts, parts, strict=True):
                if want.startswith("{"):
                    params[want[1:-1]] = got
                elif want != got:
                    break
            else:
                return await handler(request, **params)
        self.unhandled.append(f"{request.method} {path}")
        return error_response(404, 0, "404: Not Found")

    async def _body(self, request: web.Request) -> Json:
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            payload: Json = {}
            files: list[Json] = []
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    payload = json.loads(await part.text())  # type: ignore[union-attr]
                elif part.filename:  # type: ignore[union-attr]
                    content = await part.read()  # type: ignore[union-attr]
                    files.append({"filename": part.filename, "size": len(content), "content": content.decode()})  # type: ignore[union-attr]
            target = payload.get("data", payload)
            target["files"] = files
            return payload
        if not request.can_read_body:
            return {}
        body: Json = await request.json()
        return body

    def _reject(self, where: str, problems: list[str]) -> web.Response:
        for problem in problems:
            self.violations.append(f"{where}: {problem}")
        return error_response(400, 50035, "Invalid Form Body: " + "; ".join(problems))

    async def _get_me(self, request: web.Request) -> web.Response:
        return json_response(self.bot_user)

    async def _get_application(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(self.application_id),
                "name": "Impressions",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": self.owner_user,
                "team": None,
                "flags": 0,
            }
        )

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    def commands_for(self, guild_id: int | None) -> list[Json]:
        if guild_id is not None and guild_id in self.guild_commands:
            return self.guild_commands[guild_id] + self.global_commands
        return self.global_commands

    async def _put_commands(self, request: web.Request, app: str, guild: str | None = None) -> web.Response:
        if guild is not None and int(guild) in self.forbidden_guilds:
            return error_response(403, 50001, "Missing Access")
        body = await request.json()
        problems = limits.check_commands(body)
        if problems:
            return self._reject("command sync", problems)
        stored = []
        for command in body:
            command = dict(command)
            command.setdefault("type", 1)
            command.setdefault("description", "")  # Discord answers "" for context-menu commands
            command.update(
                id=str(self.snowflake()),
                application_id=str(self.application_id),
                version=str(self.snowflake()),
                default_member_permissions=command.get("default_member_permissions"),
            )
            if guild is not None:
                command["guild_id"] = guild
            stored.append(command)
        if guild is None:
            self.global_commands = stored
        else:
            self.guild_commands[int(guild)] = stored
        self.command_puts += 1
        return json_response(stored)

    async def _get_commands(self, request: web.Request, app: str, guild: str | None = None) -> web.Response:
        if guild is None:
            return json_response(self.global_commands)
        return json_response(self.guild_commands.get(int(guild), []))

    # -- messages -------------------------------------------------------------------------------------

    def _store_message(self, payload: Json, channel_id: int, *, interaction: SentInteraction | None) -> Json:
        message_id = self.snowflake()
        message = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": self.bot_user,
            "content": payload.get("content") or "",
            "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "type": 0 if interaction is None else 20,
            "flags": payload.get("flags") or 0,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "allowed_mentions": payload.get("allowed_mentions"),
            "files": payload.get("files") or [],
        }
        if interaction is not None:
            message["webhook_id"] = str(self.application_id)
            message["application_id"] = str(self.application_id)
            message["interaction_id"] = str(interaction.id)
            guild_id = interaction.payload.get("guild_id")
        else:
            guild_id = next(
                (str(g.id) for g in self.guilds.values() if any(int(c["id"]) == channel_id for c in g.channels)),
                None,
            )
        if guild_id is not None:
            message["guild_id"] = guild_id
        self.messages[message_id] = message
        return message

    def _edit_message(self, message: Json, payload: Json) -> None:
        for key in ("content", "embeds", "components", "flags", "allowed_mentions", "files"):
            if key in payload:
                message[key] = payload[key] if payload[key] is not None else message.get(key)
        message["edited_timestamp"] = now_iso()

    def _interaction_for(self, token: str) -> SentInteraction | None:
        return self.interactions.get(token)

    async def _callback(self, request: web.Request, id: str, token: str) -> web.Response:
        interaction = self._interaction_for(token)
        body = await self._body(request)
        if interaction is None or str(interaction.id) != id:
            return error_response(404, 10062, "Unknown interaction")
        if interaction.callback is not None:
            return error_response(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - interaction.created > INTERACTION_DEADLINE_S:
            self.violations.append(f"interaction {id} answered after {INTERACTION_DEADLINE_S} s")
            return error_response(404, 10062, "Unknown interaction")
        kind = body.get("type")
        data = body.get("data") or {}
        problems: list[str]
        if kind in (4, 7):
            problems = limits.check_message(data)
        elif kind == 8:
            problems = limits.check_choices(data.get("choices") or [])
        elif kind == 9:
            problems = limits.check_modal(data)
        elif kind in (5, 6):
            problems = []
        else:
            problems = [f"callback type {kind!r} is not one a bot sends"]
        if kind == 8 and interaction.payload["type"] != 4:
            problems.append("autocomplete result for an interaction that is not an autocomplete")
        if kind in (6, 7) and interaction.payload["type"] not in (3, 5):
            problems.append(f"callback type {kind} is only valid for component or modal interactions")
        if kind == 9 and interaction.payload["type"] in (4, 5):
            problems.append("a modal cannot answer an autocomplete or another modal")
        if problems:
            return self._reject(f"interaction callback type {kind}", problems)

        interaction.callback = body
        interaction.answered_at = time.monotonic()
        channel_id = int(interaction.payload["channel_id"])
        resource: Json | None = None
        if kind in (4, 5):
            placeholder = dict(data)
            if kind == 5:
                placeholder["flags"] = (data.get("flags") or 0) | (1 << 7)  # LOADING
            message = self._store_message(placeholder, channel_id, interaction=interaction)
            interaction.original_id = int(message["id"])
            resource = {"type": kind, "message": message}
        elif kind in (6, 7):
            source = interaction.payload.get("message")
            if source is not None:
                interaction.original_id = int(source["id"])
                message = self.messages[int(source["id"])]
                if kind == 7:
                    self._edit_message(message, data)
                resource = {"type": kind, "message": message}
        interaction.touch()
        if self.on_acknowledged is not None:
            self.on_acknowledged(interaction)
        original = self.messages.get(interaction.original_id or 0)
        answer: Json = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.payload["type"],
                "response_message_id": None if original is None else original["id"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & limits.EPHEMERAL),
            }
        }
        if resource is not None:
            answer["resource"] = resource
        return json_response(answer)

    def _webhook_interaction(self, app: str, token: str) -> SentInteraction | None:
        interaction = self._interaction_for(token)
        if app != str(self.application_id) or interaction is None or interaction.callback is None:
            return None
        return interaction

    def _resolve_webhook_message(self, interaction: SentInteraction, message: str) -> Json | None:
        if message == "@original":
            return self.messages.get(interaction.original_id or 0)
        message_id = int(message)
        if message_id == interaction.original_id or message_id in interaction.followup_ids:
            return self.messages.get(message_id)
        return None

    async def _followup(self, request: web.Request, app: str, token: str) -> web.Response:
        interaction = self._webhook_interaction(app, token)
        body = await self._body(request)
        if interaction is None:
            return error_response(404, 10015, "Unknown Webhook")
        problems = limits.check_message(body)
        if problems:
            return self._reject("follow-up message", problems)
        if interaction.callback and interaction.callback.get("type") == 5 and not interaction.followup_ids:
            # The first follow-up after a deferral replaces the "thinking" message, as on Discord.
            original = self.messages[interaction.original_id or 0]
            self._edit_message(original, {**body, "flags": body.get("flags") or 0})
            interaction.followup_ids.append(int(original["id"]))
            interaction.touch()
            return json_response(original)
        message = self._store_message(body, int(interaction.payload["channel_id"]), interaction=interaction)
        interaction.followup_ids.append(int(message["id"]))
        interaction.touch()
        return json_response(message)

    async def _get_webhook_message(self, request: web.Request, app: str, token: str, message: str) -> web.Response:
        interaction = self._webhook_interaction(app, token)
        found = None if interaction is None else self._resolve_webhook_message(interaction, message)
        if found is None:
            return error_response(404, 10008, "Unknown Message")
        return json_response(found)

    async def _edit_webhook_message(self, request: web.Request, app: str, token: str, message: str) -> web.Response:
        interaction = self._webhook_interaction(app, token)
        body = await self._body(request)
        found = None if interaction is None else self._resolve_webhook_message(interaction, message)
        if interaction is None or found is None:
            return error_response(404, 10008, "Unknown Message")
        merged = {**found, **body}
        problems = limits.check_message(merged)
        if problems:
            return self._reject("message edit", problems)
        if found["flags"] & (1 << 7):
            body = {**body, "flags": found["flags"] & ~(1 << 7)}
        self._edit_message(found, body)
        interaction.edited = True
        interaction.touch()
        return json_response(found)

    async def _delete_webhook_message(self, request: web.Request, app: str, token: str, message: str) -> web.Response:
        interaction = self._webhook_interaction(app, token)
        found = None if interaction is None else self._resolve_webhook_message(interaction, message)
        if interaction is None or found is None:
            return error_response(404, 10008, "Unknown Message")
        found["deleted"] = True
        interaction.edited = True
        interaction.touch()
        return web.Response(status=204)

    def _known_channel(self, channel: str) -> bool:
        return channel in self.dm_channels or any(c["id"] == channel for g in self.guilds.values() for c in g.channels)

    async def _post_channel_message(self, request: web.Request, channel: str) -> web.Response:
        body = await self._body(request)
        if not self._known_channel(channel):
            return error_response(404, 10003, "Unknown Channel")
        problems = limits.check_message(body)
        if problems:
            return self._reject(f"message to channel {channel}", problems)
        message = self._store_message(body, int(channel), interaction=None)
        if "message_reference" in body:
            message["message_reference"] = body["message_reference"]
        await self.channel_posts.put(message)
        return json_response(message)

    async def _get_channel_message(self, request: web.Request, channel: str, message: str) -> web.Response:
        found = self.messages.get(int(message))
        if found is None or found["channel_id"] != channel or found.get("deleted"):
            return error_response(404, 10008, "Unknown Message")
        return json_response(found)

    async def _edit_channel_message(self, request: web.Request, channel: str, message: str) -> web.Response:
        body = await self._body(request)
        found = self.messages.get(int(message))
        if found is None or found["channel_id"] != channel:
            return error_response(404, 10008, "Unknown Message")
        problems = limits.check_message({**found, **body})
        if problems:
            return self._reject("message edit", problems)
        self._edit_message(found, body)
        return json_response(found)

    async def _delete_channel_message(self, request: web.Request, channel: str, message: str) -> web.Response:
        found = self.messages.get(int(message))
        if found is None or found["channel_id"] != channel:
            return error_response(404, 10008, "Unknown Message")
        found["deleted"] = True
        return web.Response(status=204)

    async def _open_dm(self, request: web.Request) -> web.Response:
        body = await request.json()
        recipient = next(
            (m["user"] for g in self.guilds.values() for m in g.members if m["user"]["id"] == body["recipient_id"]),
            None,
        )
        if recipient is None:
            return error_response(400, 50007, "Cannot send messages to this user")
        channel_id = next((cid for cid, user in self.dm_channels.items() if user["id"] == recipient["id"]), None)
        if channel_id is None:
            channel_id = str(self.snowflake())
            self.dm_channels[channel_id] = recipient
        return json_response({"id": channel_id, "type": 1, "recipients": [recipient], "last_message_id": None})
