"""One matrix of hostile input over the commands, forms and buttons that take text or numbers.

Each case: a clear answer (ephemeral when refused) or a correct one, never "something went wrong", nothing
stored unless the input was valid (and then stored exactly), and — checked by the fake on every payload —
no mention allowed and every limit of Discord respected.
"""

from __future__ import annotations

import copy

import pytest

from bot.client import ReviewBot
from tests.fakediscord import FakeDiscord, Member, Reply
from tests.harness import join, peek

pytestmark = pytest.mark.both_backends

HOSTILE = {
    "empty": "",
    "whitespace": " \t \n ",
    "invisible only": "\u200b\u2060\u3164\u200e\ufe0f \u2800",  # zero-width, fillers, a selector: shows nothing
    "4001 characters": "x" * 4001,
    "zero-width and RTL": "\u200b\u200e\u202emetallic\u202c",
    "combining flood": "a" + "\u0301" * 500,
    "codeblock and spoiler breakers": "```\n|| not hidden ||\n```",
    "@everyone": "@everyone look",
    "@here": "@here look",
    "role mention": "<@&123456789012345678> look",
    "user mention": "<@123456789012345678> look",
    "SQL-looking": "'; DROP TABLE impressions; --",
    "emoji and Japanese": "ルージュ 💥",
}
BLANK = {"empty", "whitespace", "invisible only"}  # nothing of these would show: refused like empty text
CASES = list(HOSTILE.items())
IDS = list(HOSTILE)
INTERNAL = "Something went wrong on our side"


def stored_texts(bot: ReviewBot) -> list[str]:
    with peek(bot.settings.database) as conn:
        return [row[0] for row in conn.execute("SELECT text FROM impressions ORDER BY id")]


def answered_clearly(reply: Reply) -> None:
    assert INTERNAL not in reply.text
    assert reply.text.strip(), "an answer with nothing in it"


@pytest.mark.parametrize(("name", "value"), CASES, ids=IDS)
async def test_lookup_and_autocomplete(alice: Member, name: str, value: str) -> None:
    answered_clearly(await alice.slash("series lookup", title=value))
    choices = await alice.autocomplete("series lookup", "title", value)
    assert len(choices) <= 25


@pytest.mark.parametrize(("name", "value"), CASES, ids=IDS)
@pytest.mark.parametrize("command", ["impression show", "impression edit", "impression delete"])
async def test_impression_ids(bot: ReviewBot, alice: Member, command: str, name: str, value: str) -> None:
    before = stored_texts(bot)
    reply = await alice.slash(command, id=value)
    answered_clearly(reply)
    assert reply.ephemeral
    assert stored_texts(bot) == before


@pytest.mark.parametrize(("name", "value"), CASES, ids=IDS)
async def test_impression_text(bot: ReviewBot, alice: Member, name: str, value: str) -> None:
    before = stored_texts(bot)
    form = await alice.slash("impression post", series="series:1", scope="completed")
    reply = await alice.submit(form, text=value)
    answered_clearly(reply)
    valid = name not in BLANK and len(value.strip()) <= 4000
    if valid:
        assert not reply.ephemeral
        assert stored_texts(bot) == [*before, value.strip()], "stored exactly as written"
    else:
        assert reply.ephemeral
        assert stored_texts(bot) == before


@pytest.mark.parametrize(("name", "value"), CASES, ids=IDS)
async def test_moderation_reasons(bot: ReviewBot, alice: Member, mira: Member, name: str, value: str) -> None:
    card = await alice.submit(await alice.slash("impression post", series="series:1", scope="completed"), text="ok")
    number = str(card.impression_id)
    reply = await mira.slash("mod hide", id=number, reason=value)
    answered_clearly(reply)
    valid = name not in BLANK and len(value.strip()) <= 500
    with peek(bot.settings.database) as conn:
        status = conn.execute("SELECT status FROM impressions WHERE id = ?", (int(number),)).fetchone()[0]
    assert status == ("hidden" if valid else "published")
    assert reply.ephemeral


@pytest.mark.parametrize("value", [-5, 0, 11, 10**15, -(10**15)])
@pytest.mark.parametrize("option", ["episodes", "overall", "music"])
async def test_integers(bot: ReviewBot, alice: Member, option: str, value: int) -> None:
    before = stored_texts(bot)
    scope = "dropped" if option == "episodes" else "completed"
    reply = await alice.slash("impression post", series="series:1", scope=scope, **{option: value})
    valid = 1 <= value <= (10_000 if option == "episodes" else 10)
    if valid:
        assert reply.callback_type == 9  # the form opens; nothing is stored until it is sent
    else:
        answered_clearly(reply)
        assert reply.callback_type == 4 and reply.ephemeral
    assert stored_texts(bot) == before


@pytest.mark.parametrize(
    "options",
    [{"year": 1959}, {"year": 10**15}, {"year": -2024}, {"season": "Monsoon"}, {"year": 2024, "season": "winter'"}],
)
async def test_season_options_outside_their_range(alice: Member, options: dict[str, object]) -> None:
    reply = await alice.slash("season", **options)
    answered_clearly(reply)
    assert reply.callback_type == 4 and reply.ephemeral, reply.text


@pytest.mark.parametrize(
    "custom_id",
    ["mod:approve:" + "9" * 300, "mod:approve:abc", "rep:hide:-1", "series:pick:not-a-member", "series:post:"],
)
async def test_forged_and_oversized_button_ids(alice: Member, custom_id: str) -> None:
    forged = copy.deepcopy((await alice.slash("about")).message)
    forged["components"] = [{"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": custom_id}]}]
    reply = await alice.click(forged, "Go")
    assert reply.ephemeral and "This button is not valid" in reply.text


@pytest.mark.parametrize(("name", "value"), CASES, ids=IDS)
@pytest.mark.parametrize(("command", "option"), [("series impressions", "title"), ("impression mine", "series")])
async def test_series_names_elsewhere(alice: Member, command: str, option: str, name: str, value: str) -> None:
    reply = await alice.slash(command, **{option: value})
    answered_clearly(reply)
    # No series of that name, or none with impressions here: either way only the member is told.
    assert reply.ephemeral, reply.text


@pytest.mark.parametrize(("name", "value"), CASES, ids=IDS)
@pytest.mark.parametrize("option", ["series", "date", "time"])
async def test_watch_schedules(bot: ReviewBot, mira: Member, option: str, name: str, value: str) -> None:
    options = {"series": "series:1", "date": "2024-01-10", "time": "01:25", option: value}
    reply = await mira.slash("watch schedule", **options)
    answered_clearly(reply)
    assert reply.ephemeral
    if option != "series":  # a hostile date or time is never a schedule
        with peek(bot.settings.database) as conn:
            rows = conn.execute("SELECT count(*) FROM guild_schedules WHERE guild_id = ?", (mira.guild.id,))
            assert rows.fetchone() == (0,)


@pytest.mark.parametrize(("name", "value"), CASES, ids=IDS)
async def test_ban_reasons(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member, name: str, value: str
) -> None:
    reply = await mira.slash("mod ban", member=alice, reason=value)
    answered_clearly(reply)
    assert reply.ephemeral
    with peek(bot.settings.database) as conn:
        banned = conn.execute(
            "SELECT count(*) FROM reviewer_bans WHERE guild_id = ? AND user_id = ?", (alice.guild.id, alice.id)
        ).fetchone()[0]
    assert banned == (1 if name not in BLANK and len(value.strip()) <= 500 else 0)


@pytest.mark.parametrize(("name", "value"), CASES, ids=IDS)
async def test_curated_titles(bot: ReviewBot, fake: FakeDiscord, alice: Member, name: str, value: str) -> None:
    curator = join(fake, alice.guild, "owner", user=fake.owner_user)
    with peek(bot.settings.database) as conn:
        before = conn.execute("SELECT count(*) FROM series").fetchone()[0]
    reply = await curator.slash("series add", title=value)
    answered_clearly(reply)
    valid = name not in BLANK and len(value.strip()) <= 200
    with peek(bot.settings.database) as conn:
        after = conn.execute("SELECT count(*) FROM series").fetchone()[0]
    assert after == before + (1 if valid else 0)


async def test_every_button_namespace_answers_a_forged_id(bot: ReviewBot, alice: Member) -> None:
    """Whatever persistent item a cog registers, an id in its namespace that no item accepts is answered."""
    namespaces = {
        item.__discord_ui_compiled_template__.pattern.split(":")[0] + ":"
        for item in bot.persistent_items
        if ":" in item.__discord_ui_compiled_template__.pattern
    }
    assert {"chart:", "ep:", "pg:", "series:"} <= namespaces
    forged = copy.deepcopy((await alice.slash("about")).message)
    for namespace in sorted(namespaces):
        button = {"type": 2, "style": 1, "label": "Go", "custom_id": namespace + "forged:" + "9" * 30}
        forged["components"] = [{"type": 1, "components": [button]}]
        reply = await alice.click(forged, "Go")
        assert reply.ephemeral and "This button is not valid" in reply.text, namespace
