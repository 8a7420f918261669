"""Every option's published bounds (range, length, choices) hold on receipt too: Discord's client keeps to
them, a forged or replayed interaction need not, and discord.py does not check. Walks every command the
bot published, so a new bounded option is covered without a new test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.client import ReviewBot
from tests.fakediscord import ADMINISTRATOR, MANAGE_GUILD, FakeDiscord, Member
from tests.harness import fingerprint, join

pytestmark = pytest.mark.both_backends

INTERNAL = "Something went wrong on our side"
STRING, INTEGER, BOOLEAN, NUMBER = 3, 4, 5, 10


def leaves(commands: list[dict[str, Any]]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(path, options) of every slash command and subcommand."""
    for command in commands:
        if command.get("type", 1) != 1:
            continue
        options = command.get("options") or []
        groups = [o for o in options if o["type"] in (1, 2)]
        if not groups:
            yield command["name"], options
        for group in groups:
            for path, inner in leaves([{**group, "type": 1}]):
                yield f"{command['name']} {path}", inner


def plausible(option: dict[str, Any]) -> Any:
    if option.get("choices"):
        return option["choices"][0]["value"]
    return {STRING: "series:1", INTEGER: option.get("min_value", 1), NUMBER: option.get("min_value", 1),
            BOOLEAN: False}.get(option["type"])  # fmt: skip


def forgeries(option: dict[str, Any]) -> Iterator[Any]:
    if option.get("choices"):
        yield "forged" if option["type"] == STRING else 987654321
    if option["type"] in (INTEGER, NUMBER):
        if "min_value" in option:
            yield option["min_value"] - 1
        if "max_value" in option:
            yield option["max_value"] + 1
    if option["type"] == STRING and "max_length" in option:
        yield "x" * (option["max_length"] + 1)


async def test_every_published_bound_is_kept_on_receipt(bot: ReviewBot, fake: FakeDiscord, mira: Member) -> None:
    # An owner who moderates: every level lets them through, so what refuses a value is its bound.
    owner = join(fake, mira.guild, "owner", MANAGE_GUILD | ADMINISTRATOR, user=fake.owner_user)
    checked = 0
    before = fingerprint(bot.settings.database)
    for path, options in leaves(fake.commands_for(owner.guild.id)):
        required = {o["name"]: plausible(o) for o in options if o.get("required")}
        if any(value is None for value in required.values()):
            continue  # a required member, channel or role: its command has no bounded option to forge
        for option in options:
            for value in forgeries(option):
                reply = await owner.slash(path, **{**required, option["name"]: value})
                assert reply.callback_type == 4 and reply.ephemeral, (path, option["name"], value, reply.text)
                assert INTERNAL not in reply.text, (path, option["name"], value)
                # Refused by the bound itself, which names the option (a service's own check may stand
                # behind it, but is not what this test is about: without it, those hid a missing bound).
                assert reply.text.startswith(f"{option['name']} "), (path, option["name"], value, reply.text)
                checked += 1
    print(f"{checked} forged option values refused")
    assert fingerprint(bot.settings.database) == before, "a forged option value changed the database"
    assert checked >= 20, f"only {checked} forged values were tried: the walk no longer finds the options"
