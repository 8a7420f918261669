"""Every command the bot publishes, walked with values of each kind its options take, by a plain member, a
moderator and the owner (who curates the catalog), and its message menu on the messages the walk leaves
in the server; every form an answer opens is filled in and every button it shows is pressed. Whatever
the values: an answer, never "Something went wrong", nothing logged as an error. Values keep to the
published bounds, as Discord's client does (tests/test_published_bounds.py forges the rest). A new
command, option, form or button is walked without a new test: the walk reads them from what the bot
published and answered."""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.client import ReviewBot
from tests.fakediscord import FakeDiscord, Member, Reply
from tests.harness import join, new_guild
from tests.test_published_bounds import BOOLEAN, INTEGER, INTERNAL, NUMBER, STRING, leaves

pytestmark = pytest.mark.both_backends

USER, CHANNEL, ROLE, MENTIONABLE = 6, 7, 8, 9
BUTTON, SELECT, LINK_STYLE = 2, 3, 5
ROUNDS = 3  # values drawn per command and member; the seed is fixed, so a failure comes back
# Text of every kind a member may type: plausible, empty, hostile to Markdown and mentions, numbers
# spelled in other scripts (str.isdigit says yes to them, int() reads them), the characters no database
# stores, and the longest each option takes (cut to its bound where drawn).
TEXTS = [
    "",
    " ",
    "metallic rouge",
    "Metallic Rouge",
    "series:0",
    "series:999999999999999999",
    "series:-1",
    "#628",
    "628",
    "٦٢٨",
    "６２８",
    "9" * 30,
    "-1",
    "2026-02-30",
    "R/2026-01-04T14:00:00Z/P1W",
    "@everyone <@&1> <#1> ||spoiler|| ```fence``` # heading [x](https://evil.example)",
    "\u200b\u202e\ufeff",
    "half \ud800 pair, NUL \x00 here",
    "ルージュ 💥",
    "x" * 4001,
]


@dataclass
class World:
    """What values point at: members, channels and roles of this server and of another, the bot's own
    impressions here and there, a series that exists."""

    actors: list[Member]  # who walks: a member, a moderator, the owner (who curates the catalog)
    members: list[Member]
    channels: list[dict[str, Any]]
    roles: list[dict[str, Any]]
    texts: list[str]


def draw(option: dict[str, Any], rng: random.Random, world: World) -> Any:
    """A value of the option's kind within its published bounds; None when the walk has none to give."""
    kind = option["type"]
    if option.get("choices"):
        return rng.choice(option["choices"])["value"]
    if kind == STRING:
        text = rng.choice(world.texts)[: option.get("max_length", 6000)]
        return text + "x" * (option.get("min_length", 0) - len(text))
    if kind in (INTEGER, NUMBER):
        low, high = option.get("min_value", -(2**53)), option.get("max_value", 2**53)
        value = rng.choice([low, high, rng.randint(int(low), int(high)), min(max(low, 1), high)])
        return float(value) if kind == NUMBER else int(value)
    if kind == BOOLEAN:
        return rng.choice([True, False])
    if kind in (USER, MENTIONABLE):
        return rng.choice(world.members)
    if kind == CHANNEL:
        return rng.choice(world.channels)
    if kind == ROLE:
        return rng.choice(world.roles)
    return None


def filled_form(reply: Reply, rng: random.Random, world: World) -> dict[str, str]:
    """A value for each text input of the form, within its bounds."""
    values = {}
    for component in reply.form_inputs:
        text = rng.choice(world.texts)[: component.get("max_length", 4000)]
        values[component["custom_id"]] = text + "x" * (component.get("min_length", 0) - len(text))
    return values


def pressable(reply: Reply) -> Iterator[dict[str, Any]]:
    """The buttons and menus of the message a member was shown (link buttons open a browser)."""
    if reply.callback_type not in (4, 5, 7):
        return
    for component in reply.components:
        if component.get("disabled") or component.get("style") == LINK_STYLE:
            continue
        if component["type"] in (BUTTON, SELECT) and "custom_id" in component:
            yield component


def answered_well(reply: Reply, what: str) -> Reply:
    if reply.callback_type in (4, 5, 7):
        assert INTERNAL not in reply.text, f"{what}: {reply.text}"
    return reply


async def follow(member: Member, reply: Reply, rng: random.Random, world: World, what: str, depth: int) -> int:
    """Fill in the form the reply opened, press what it shows; how many interactions that took."""
    sent = 0
    if reply.callback_type == 9:
        values = filled_form(reply, rng, world)
        reply = answered_well(await member.submit(reply, **values), f"{what} → form {values}")
        sent += 1
    if depth == 0:
        return sent
    for custom_id in [component["custom_id"] for component in pressable(reply)]:
        # A press may change the message (a page turned, a button spent): what is pressed next is read anew.
        component = next((c for c in pressable(reply) if c["custom_id"] == custom_id), None)
        if component is None:
            continue
        label = component.get("label") or custom_id
        if component["type"] == SELECT:
            options = [o["value"] for o in component.get("options") or []]
            if not options:
                continue
            # First values the menu never offered (forged interactions; the menu stays as it was): a number
            # beyond what a database id holds, one beyond what int() reads, and any text or id of the world.
            for forged in ("9" * 19, "9" * 5000, rng.choice(world.texts)):
                refused = await member.choose(reply, component["custom_id"], forged)
                answered_well(refused, f"{what} → {label} → forged {forged[:40]!r}")
                sent += 1
            after = await member.choose(reply, component["custom_id"], rng.choice(options))
        else:
            after = await member.click(reply, component["custom_id"])
        step = f"{what} → {label}"
        sent += 1 + await follow(member, answered_well(after, step), rng, world, step, depth - 1)
    return sent


@pytest.fixture
async def world(fake: FakeDiscord, bot: ReviewBot, alice: Member, mira: Member) -> World:
    elsewhere = await new_guild(fake, bot, "Another Club")
    outsider = join(fake, elsewhere, "olga")
    texts = list(TEXTS)
    for member in (alice, outsider):  # an impression here and one in the other server
        [choice, *_] = await member.autocomplete("impression post", "series", "metallic rouge")
        form = await member.slash("impression post", series=choice["value"], scope="completed", overall=7)
        posted = await member.submit(form, text=f"{member.user['username']} liked it.")
        texts += [choice["value"], str(posted.impression_id)]
    owner = join(fake, alice.guild, "owner", user=fake.owner_user)  # in OWNER_IDS
    return World(
        actors=[alice, mira, owner],
        members=[alice, mira, outsider],
        channels=[*alice.guild.channels, *elsewhere.channels],
        roles=[*alice.guild.roles, *elsewhere.roles],
        texts=texts,
    )


async def test_every_command_form_and_button_answers_any_value_of_its_kind(
    fake: FakeDiscord, alice: Member, mira: Member, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(int(os.environ.get("WALK_SEED", "20261127")))  # another seed walks other values
    sent, walked = 0, set()
    with caplog.at_level(logging.ERROR):
        for path, options in leaves(fake.commands_for(alice.guild.id)):
            for _ in range(ROUNDS):
                for member in world.actors:
                    values = {o["name"]: draw(o, rng, world) for o in options if o.get("required")}
                    values |= {
                        o["name"]: draw(o, rng, world) for o in options if not o.get("required") and rng.random() < 0.5
                    }
                    if any(value is None for value in values.values()):
                        continue
                    for option in options:  # what a member picks from the suggestions, half the time
                        if option.get("autocomplete") and option["name"] in values and rng.random() < 0.5:
                            others = {name: value for name, value in values.items() if name != option["name"]}
                            typed = draw(option, rng, world)
                            choices = await member.autocomplete(path, option["name"], typed, **others)
                            sent += 1
                            if choices:
                                values[option["name"]] = rng.choice(choices)["value"]
                    what = f"/{path} {values} by {member.user['username']}"
                    reply = answered_well(await member.slash(path, **values), what)
                    sent += 1 + await follow(member, reply, rng, world, what, depth=2)
                    walked.add(path)
        # The one message menu, on messages the walk left in this server (Discord offers it on no other's):
        # cards, lists, refusals.
        channels = {channel["id"] for channel in alice.guild.channels}
        left = [message for message in fake.messages.values() if message.get("channel_id") in channels]
        for message in rng.sample(left, min(20, len(left))):
            for member in world.actors:
                what = f"Report impression on {message.get('content', '')[:40]!r} by {member.user['username']}"
                reply = answered_well(await member.context_menu("Report impression", message), what)
                sent += 1 + await follow(member, reply, rng, world, what, depth=1)
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], errors
    published = {path for path, _ in leaves(fake.commands_for(alice.guild.id))}
    print(f"{len(walked)} commands walked in {sent} interactions")
    assert walked == published, f"not walked (an option of a kind the walk cannot fill?): {published - walked}"
