"""A fake Discord on 127.0.0.1: enough REST and gateway for discord.py to run a real bot against it.

Every payload the bot sends is checked against Discord's limits (see limits.py); a violation is
answered the way Discord answers it (400, code 50035) and recorded in `FakeDiscord.violations`,
which the test fixtures assert is empty after each test.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakediscord import limits
from tests.fakediscord.common import (
    ALL_PERMISSIONS,
    INTERACTION_DEADLINE_S,
    Json,
    SentInteraction,
    error_response,
    json_response,
    now_iso,
)
from tests.fakediscord.gateway import GatewayRoutes
from tests.fakediscord.messages import MessageRoutes

API_PREFIX = "/api/v10"
__all__ = [
    "ALL_PERMISSIONS",
    "INTERACTION_DEADLINE_S",
    "FakeDiscord",
    "FakeGuild",
    "Json",
    "SentInteraction",
    "now_iso",
]


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


class FakeDiscord(GatewayRoutes, MessageRoutes):
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
        # Discord far away: every REST call is answered this much later. The most answered at once is kept.
        self.rest_latency_s = 0.0
        self.most_rest_calls_at_once = 0
        self._rest_calls = 0
        self.identifies = 0
        self.resumes = 0
        self.refuse_next_resume = False
        # Called as each interaction is acknowledged; tests use it to act at an exact moment.
        self.on_acknowledged: Callable[[SentInteraction], None] | None = None
        # Awaited before the bot hears that its answer was taken (the message already exists): a slow
        # Discord at one exact moment, for tests that act while the bot waits.
        self.before_answering: Callable[[SentInteraction], Awaitable[None]] | None = None
        self.unhandled: list[str] = []
        self._sockets: list[web.WebSocketResponse] = []
        self._shards: dict[web.WebSocketResponse, tuple[int, int]] = {}  # from IDENTIFY: [shard_id, count]
        self.shard_deliveries: list[tuple[str, int]] = []  # (event, shard id) of each guild event delivered
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

    def add_guild(self, name: str, *, shard: tuple[int, int] | None = None) -> FakeGuild:
        """A new server; `shard` (id, count): one whose id that shard holds, as Discord assigns them
        ((guild_id >> 22) % count)."""
        guild_id = self.snowflake()
        if shard is not None:
            shard_id, count = shard
            stamp = guild_id >> 22
            stamp += (shard_id - stamp) % count
            guild_id = (stamp << 22) | (guild_id & ((1 << 22) - 1))
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
            *self.message_routes(),
        ]

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        self._rest_calls += 1
        self.most_rest_calls_at_once = max(self.most_rest_calls_at_once, self._rest_calls)
        try:
            if self.rest_latency_s:
                await asyncio.sleep(self.rest_latency_s)
            return await self._answer_rest(request)
        finally:
            self._rest_calls -= 1

    async def _answer_rest(self, request: web.Request) -> web.StreamResponse:
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
                    files.append(limits.uploaded(part.filename, await part.read()))  # type: ignore[union-attr]
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
