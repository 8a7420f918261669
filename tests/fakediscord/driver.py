"""Test helpers that read like a member: `await alice.slash("about")`, `await alice.click(reply, "Next")`."""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakediscord.server import ALL_PERMISSIONS, FakeDiscord, FakeGuild, Json, SentInteraction, now_iso

REPLY_TIMEOUT_S = 5.0
LOADING = 1 << 7
EPHEMERAL = 1 << 6

# Discord's option types
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = range(1, 11)

PLAIN_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 31)  # view channel, send messages, use commands
MANAGE_MESSAGES = 1 << 13
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3


def _walk_components(components: list[Json]) -> list[Json]:
    found = []
    for component in components:
        found.append(component)
        found += _walk_components(component.get("components") or [])
        if "component" in component:
            found += _walk_components([component["component"]])
    return found


class Reply:
    """What a member sees after one interaction: the original response, follow-ups, a modal or choices."""

    def __init__(self, fake: FakeDiscord, sent: SentInteraction) -> None:
        self._fake = fake
        self.sent = sent

    @property
    def callback_type(self) -> int:
        assert self.sent.callback is not None, "the bot never answered"
        return int(self.sent.callback["type"])

    @property
    def message(self) -> Json:
        assert self.sent.original_id is not None, f"no message for callback type {self.callback_type}"
        return self._fake.messages[self.sent.original_id]

    @property
    def followups(self) -> list[Json]:
        return [self._fake.messages[i] for i in self.sent.followup_ids if i != self.sent.original_id]

    @property
    def last(self) -> Json:
        """The latest message the member was shown (a follow-up if any, else the original)."""
        return self.followups[-1] if self.followups else self.message

    @property
    def embeds(self) -> list[Json]:
        return self.last.get("embeds") or []

    @property
    def embed(self) -> Json:
        embeds = self.embeds
        assert embeds, f"expected an embed, the member saw {self.last.get('content')!r}"
        return embeds[0]

    @property
    def impression_id(self) -> int:
        """The impression an impression card shows, from its footer: series:4772#628 → 628."""
        match = re.match(r"series:\d+#(\d+)", self.embed["footer"]["text"])
        assert match is not None, f"not an impression card: {self.embed['footer']['text']!r}"
        return int(match[1])

    @property
    def content(self) -> str:
        return self.last.get("content") or ""

    @property
    def ephemeral(self) -> bool:
        return bool(self.last.get("flags", 0) & EPHEMERAL)

    @property
    def text(self) -> str:
        """Everything readable in the latest message, for assertions on wording."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
            parts.append((embed.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)

    @property
    def components(self) -> list[Json]:
        return _walk_components(self.last.get("components") or [])

    def component(self, label_or_id: str) -> Json:
        for component in self.components:
            if label_or_id in (component.get("label"), component.get("custom_id")):
                return component
        raise AssertionError(f"no component {label_or_id!r} among {[c.get('label') for c in self.components]}")

    @property
    def choices(self) -> list[Json]:
        assert self.callback_type == 8, f"expected autocomplete choices, got callback type {self.callback_type}"
        choices: list[Json] = self.sent.callback["data"]["choices"]  # type: ignore[index]
        return choices

    @property
    def modal(self) -> Json:
        assert self.callback_type == 9, f"expected a modal, got callback type {self.callback_type}"
        modal: Json = self.sent.callback["data"]  # type: ignore[index]
        return modal

    @property
    def form_inputs(self) -> list[Json]:
        """The text inputs of the form the bot opened (in action rows or in labels)."""
        return [component for component in _walk_components(self.modal["components"]) if component.get("type") == 4]


@dataclass
class Member:
    """A member of a fake guild who uses the bot."""

    fake: FakeDiscord
    guild: FakeGuild
    user: Json
    role_ids: list[str] = field(default_factory=list)
    permissions: int = PLAIN_PERMISSIONS

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> Json:
        return {**FakeDiscord._member_payload(self.user, self.role_ids), "permissions": str(self.permissions)}

    # -- sending --------------------------------------------------------------------------------------

    def _interaction(
        self, kind: int, data: Json, *, channel_id: int | None = None, message: Json | None = None
    ) -> Json:
        channel_id = channel_id or self.guild.text_channel_id
        payload: Json = {
            "id": str(self.fake.snowflake()),
            "application_id": str(self.fake.application_id),
            "type": kind,
            "data": data,
            "guild_id": str(self.guild.id),
            "channel_id": str(channel_id),
            "channel": {"id": str(channel_id), "type": 0, "guild_id": str(self.guild.id), "name": "general"},
            "member": self.payload(),
            "token": secrets.token_urlsafe(24),
            "version": 1,
            "app_permissions": str(ALL_PERMISSIONS),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild.id)},
            "context": 0,
            "attachment_size_limit": 8 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = message
        return payload

    async def send(self, payload: Json) -> Reply:
        """Dispatch an INTERACTION_CREATE and wait until the member sees an answer."""
        sent = SentInteraction(id=int(payload["id"]), token=payload["token"], payload=payload, created=time.monotonic())
        self.fake.interactions[sent.token] = sent
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        await _wait_for_answer(sent)
        return Reply(self.fake, sent)

    def _command(self, path: str) -> tuple[Json, list[str]]:
        name, *rest = path.split()
        for command in self.fake.commands_for(self.guild.id):
            if command["name"] == name and command.get("type", 1) == 1:
                return command, rest
        known = sorted(c["name"] for c in self.fake.commands_for(self.guild.id))
        raise AssertionError(f"/{name} is not among the synced commands {known}")

    def _build_options(
        self, schema: list[Json], values: dict[str, Any], resolved: Json, focused: str | None
    ) -> list[Json]:
        options = []
        by_name = {o["name"]: o for o in schema}
        for name, value in values.items():
            if name not in by_name:
                raise AssertionError(f"no option {name!r}; the command has {sorted(by_name)}")
            kind = by_name[name]["type"]
            option: Json = {"name": name, "type": kind}
            if kind in (USER, MENTIONABLE) and isinstance(value, Member):
                resolved.setdefault("users", {})[str(value.id)] = value.user
                member = value.payload()
                member.pop("user")
                resolved.setdefault("members", {})[str(value.id)] = member
                option["value"] = str(value.id)
            elif kind == CHANNEL and isinstance(value, dict):
                resolved.setdefault("channels", {})[value["id"]] = {
                    **value,
                    "permissions": str(ALL_PERMISSIONS),
                }
                option["value"] = value["id"]
            elif kind == ROLE and isinstance(value, dict):
                resolved.setdefault("roles", {})[value["id"]] = value
                option["value"] = value["id"]
            else:
                option["value"] = value
            if name == focused:
                option["focused"] = True
            options.append(option)
        return options

    def _command_data(self, path: str, options: dict[str, Any], focused: str | None = None) -> Json:
        command, rest = self._command(path)
        resolved: Json = {}
        schema = command.get("options") or []
        chain: list[Json] = []
        for part in rest:
            sub = next(
                (o for o in schema if o["name"] == part and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)),
                None,
            )
            if sub is None:
                raise AssertionError(f"/{command['name']} has no subcommand {part!r}")
            chain.append({"name": part, "type": sub["type"], "options": []})
            schema = sub.get("options") or []
        leaf = self._build_options(schema, options, resolved, focused)
        if chain:
            for outer, inner in itertools.pairwise(chain):
                outer["options"] = [inner]
            chain[-1]["options"] = leaf
            top = [chain[0]]
        else:
            top = leaf
        data: Json = {"id": command["id"], "name": command["name"], "type": 1, "options": top}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(self, path: str, **options: Any) -> Reply:
        return await self.send(self._interaction(2, self._command_data(path, options)))

    async def autocomplete(self, path: str, option: str, typed: str, **others: Any) -> list[Json]:
        return (await self.autocomplete_reply(path, option, typed, **others)).choices

    async def autocomplete_reply(self, path: str, option: str, typed: str, **others: Any) -> Reply:
        data = self._command_data(path, {**others, option: typed}, focused=option)
        return await self.send(self._interaction(4, data))

    async def context_menu(self, name: str, message: Json) -> Reply:
        """Use a message context-menu command (Apps → name) on a message."""
        command = next(
            (c for c in self.fake.commands_for(self.guild.id) if c["name"] == name and c.get("type") == 3), None
        )
        if command is None:
            raise AssertionError(f"no message command {name!r} was synced")
        data = {
            "id": command["id"],
            "name": name,
            "type": 3,
            "target_id": message["id"],
            "resolved": {"messages": {message["id"]: message}},
        }
        return await self.send(self._interaction(2, data, channel_id=int(message["channel_id"])))

    async def click(self, reply_or_message: Reply | Json, label_or_id: str) -> Reply:
        message = reply_or_message.last if isinstance(reply_or_message, Reply) else reply_or_message
        component = None
        for candidate in _walk_components(message.get("components") or []):
            if label_or_id in (candidate.get("label"), candidate.get("custom_id")):
                component = candidate
                break
        if component is None:
            raise AssertionError(f"no button {label_or_id!r} on the message")
        if component.get("disabled"):
            raise AssertionError(f"button {label_or_id!r} is disabled")
        data = {"custom_id": component["custom_id"], "component_type": component["type"]}
        return await self.press(message, data)

    async def choose(self, reply_or_message: Reply | Json, custom_id: str, *values: str) -> Reply:
        message = reply_or_message.last if isinstance(reply_or_message, Reply) else reply_or_message
        return await self.press(message, {"custom_id": custom_id, "component_type": 3, "values": list(values)})

    async def press(self, message: Json, data: Json) -> Reply:
        """Send a component interaction with any data, forged custom_ids included."""
        return await self.send(self._interaction(3, data, channel_id=int(message["channel_id"]), message=message))

    async def submit(self, modal_reply: Reply, **values: str) -> Reply:
        modal = modal_reply.modal
        rows = []
        for component in modal_reply.form_inputs:
            value = values.pop(component["custom_id"], component.get("value") or "")
            rows.append(
                {
                    "type": 1,
                    "components": [{"type": 4, "custom_id": component["custom_id"], "value": value}],
                }
            )
        if values:
            raise AssertionError(f"the modal has no inputs {sorted(values)}")
        data = {"custom_id": modal["custom_id"], "components": rows}
        source = modal_reply.sent.payload.get("message")
        return await self.send(self._interaction(5, data, message=source))

    async def say(self, content: str) -> Json:
        """Post a channel message (for text commands) and return the bot's next channel message."""
        channel_id = self.guild.text_channel_id
        mentions = [self.fake.bot_user] if f"<@{self.fake.application_id}>" in content else []
        await self.fake.dispatch(
            "MESSAGE_CREATE",
            {
                "id": str(self.fake.snowflake()),
                "channel_id": str(channel_id),
                "guild_id": str(self.guild.id),
                "author": self.user,
                "member": {k: v for k, v in self.payload().items() if k not in ("user", "permissions")},
                "content": content,
                "embeds": [],
                "components": [],
                "attachments": [],
                "mentions": mentions,
                "mention_roles": [],
                "mention_everyone": False,
                "pinned": False,
                "tts": False,
                "type": 0,
                "flags": 0,
                "timestamp": now_iso(),
                "edited_timestamp": None,
            },
        )
        return await asyncio.wait_for(self.fake.channel_posts.get(), REPLY_TIMEOUT_S)


async def _wait_for_answer(sent: SentInteraction) -> None:
    deadline = time.monotonic() + REPLY_TIMEOUT_S
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sent.changed.clear()
        callback = sent.callback
        if callback is not None:
            kind = callback["type"]
            if kind not in (5, 6) or sent.followup_ids or sent.edited:
                return
        try:
            await asyncio.wait_for(sent.changed.wait(), remaining)
        except TimeoutError:
            break
    if sent.callback is None:
        raise AssertionError(f"the bot did not answer interaction {sent.payload['data']} within {REPLY_TIMEOUT_S} s")
    raise AssertionError("the bot deferred but never followed up")
