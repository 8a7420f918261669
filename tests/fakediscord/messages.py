"""The fake Discord's messages: interaction callbacks, webhook follow-ups and channel messages, each
checked against Discord's limits. A part of FakeDiscord (it inherits this), split out for size."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.fakediscord import limits
from tests.fakediscord.common import (
    INTERACTION_DEADLINE_S,
    Json,
    SentInteraction,
    error_response,
    json_response,
    now_iso,
)


class MessageRoutes:
    # Provided by FakeDiscord.
    application_id: int
    bot_user: Json
    interactions: dict[str, SentInteraction]
    messages: dict[int, Json]
    dm_channels: dict[str, Json]
    channel_posts: asyncio.Queue[Json]
    violations: list[str]
    guilds: dict[int, Any]
    on_acknowledged: Callable[[SentInteraction], None] | None
    before_answering: Callable[[SentInteraction], Awaitable[None]] | None
    # A test's probe, run the moment an interaction is answered (same event loop as an in-process bot):
    # what it returns is kept on the interaction, e.g. the store's trip counter at answer time.
    probe_at_answer: Callable[[], object] | None = None

    def snowflake(self) -> int:
        raise NotImplementedError

    async def _body(self, request: web.Request) -> Json:
        raise NotImplementedError

    def _reject(self, where: str, problems: list[str]) -> web.Response:
        raise NotImplementedError

    def message_routes(self) -> list[tuple[str, str, Callable[..., Awaitable[web.Response]]]]:
        return [
            ("POST", "interactions/{id}/{token}/callback", self._callback),
            ("POST", "webhooks/{app}/{token}", self._followup),
            ("GET", "webhooks/{app}/{token}/messages/{message}", self._get_webhook_message),
            ("PATCH", "webhooks/{app}/{token}/messages/{message}", self._edit_webhook_message),
            ("DELETE", "webhooks/{app}/{token}/messages/{message}", self._delete_webhook_message),
            ("POST", "channels/{channel}/messages", self._post_channel_message),
            ("GET", "channels/{channel}/messages/{message}", self._get_channel_message),
            ("PATCH", "channels/{channel}/messages/{message}", self._edit_channel_message),
            ("DELETE", "channels/{channel}/messages/{message}", self._delete_channel_message),
            ("POST", "channels/{channel}/messages/{message}/threads", self._start_thread),
            ("POST", "users/@me/channels", self._open_dm),
        ]

    def _store_message(self, payload: Json, channel_id: int, *, interaction: SentInteraction | None) -> Json:
        message_id = self.snowflake()
        message = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": self.bot_user,
            "content": payload.get("content") or "",
            "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [],
            "attachments": _attachments(payload, channel_id),
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
            message["interaction_metadata"] = _interaction_metadata(interaction)
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
        # Every field is optional and nullable: left out, it stays; null clears it (discord.py sends
        # `"content": null` for `content=None`, "could be None to remove the content").
        cleared: dict[str, Any] = {"content": "", "embeds": [], "components": [], "flags": 0}
        for key in ("content", "embeds", "components", "flags", "allowed_mentions", "files"):
            if key in payload:
                message[key] = payload[key] if payload[key] is not None else cleared.get(key)
        if "attachments" in payload:
            message["attachments"] = _attachments(payload, int(message["channel_id"]))
        message["edited_timestamp"] = now_iso()

    def _interaction_for(self, token: str) -> SentInteraction | None:
        return self.interactions.get(token)

    async def _callback(self, request: web.Request, id: str, token: str) -> web.Response:
        # When the answer reached Discord: before this fake reads and checks it, work real Discord does
        # after the bot has answered (checking a card's embed takes 54 µs, a fixed embed's 8: timed after
        # it, the benchmark counted the fake's checks as the bot's time).
        arrived = time.monotonic()
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
        problems = _callback_problems(kind, data, interaction.payload["type"])
        if problems:
            return self._reject(f"interaction callback type {kind}", problems)

        interaction.callback = body
        interaction.answered_at = arrived
        interaction.probed = None if self.probe_at_answer is None else self.probe_at_answer()
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
        if self.before_answering is not None:
            await self.before_answering(interaction)
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
        original = self.messages.get(interaction.original_id or 0)
        deferred = interaction.callback and interaction.callback.get("type") == 5
        if deferred and not interaction.followup_ids and original is not None and not original.get("deleted"):
            # The first follow-up after a deferral replaces the "thinking" message, as on Discord: it stays
            # as public or as ephemeral as the deferral made it, whatever flags the follow-up asks for.
            keep = (original.get("flags") or 0) & limits.EPHEMERAL
            self._edit_message(original, {**body, "flags": keep})
            interaction.followup_ids.append(int(original["id"]))
            interaction.touch()
            return json_response(original)
        message = self._store_message(body, int(interaction.payload["channel_id"]), interaction=interaction)
        if interaction.original_id is not None:
            message["interaction_metadata"]["original_response_message_id"] = str(interaction.original_id)
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
        deferred = (interaction.callback or {}).get("type") == 5 and not interaction.followup_ids
        if not deferred:  # a "thinking…" message taken away is no answer yet: a follow-up will be
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

    async def _start_thread(self, request: web.Request, channel: str, message: str) -> web.Response:
        """A public thread from a message, as Discord makes one (its id is the message's)."""
        body = await request.json()
        found = self.messages.get(int(message))
        guild = next((g for g in self.guilds.values() if any(c["id"] == channel for c in g.channels)), None)
        if found is None or found["channel_id"] != channel or guild is None:
            return error_response(404, 10008, "Unknown Message")
        problems = limits.check_thread(body)
        if "thread" in found:
            problems.append("a thread was already started from this message")
        if problems:
            return self._reject(f"thread from message {message}", problems)
        thread = {
            "id": message, "type": 11, "guild_id": str(guild.id), "parent_id": channel, "name": body["name"],
            "owner_id": self.bot_user["id"], "message_count": 0, "member_count": 1, "rate_limit_per_user": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": body["auto_archive_duration"],
                                "archive_timestamp": now_iso(), "locked": False},
        }  # fmt: skip
        guild.channels.append(thread)
        found["thread"] = thread
        return json_response(thread)

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


def _attachments(payload: Json, channel_id: int) -> list[Json]:
    """The attachment objects Discord answers with: the payload's (id, filename, description) with the
    uploaded file's size and type."""
    files = {file["filename"]: file for file in payload.get("files") or []}
    found = []
    for attachment in payload.get("attachments") or []:
        file = files.get(attachment.get("filename"), {})
        url = (
            f"https://cdn.example.invalid/attachments/{channel_id}/{attachment.get('id')}/{attachment.get('filename')}"
        )
        found.append({**attachment, "id": str(attachment.get("id")), "size": file.get("size", 0),
                      "content_type": file.get("content_type"), "url": url, "proxy_url": url})  # fmt: skip
    return found


def _callback_problems(kind: Any, data: Json, answered: int) -> list[str]:
    """What Discord would refuse in an interaction callback of type `kind` to an interaction of type `answered`."""
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
    if kind == 8 and answered != 4:
        problems.append("autocomplete result for an interaction that is not an autocomplete")
    if kind in (6, 7) and answered not in (3, 5):
        problems.append(f"callback type {kind} is only valid for component or modal interactions")
    if kind == 9 and answered in (4, 5):
        problems.append("a modal cannot answer an autocomplete or another modal")
    return problems


def _interaction_metadata(interaction: SentInteraction) -> Json:
    """What Discord says on a message about the interaction it answers: discord.py finds a view sent in
    an answer by this id (before 2.7.1, the only way)."""
    payload = interaction.payload
    metadata: Json = {
        "id": str(interaction.id),
        "type": payload["type"],
        "user": (payload.get("member") or {}).get("user") or payload.get("user"),
        "authorizing_integration_owners": payload.get("authorizing_integration_owners") or {},
    }
    if payload["type"] == 3 and "message" in payload:  # a button or menu: the message it was on
        metadata["interacted_message_id"] = payload["message"]["id"]
    return metadata
