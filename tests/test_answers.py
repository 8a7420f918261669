"""Every interaction is answered within Discord's 3 s, whatever the bot waits for first.

A write waits for SQLite's one writer, which another process may hold for seconds (a restore, an import,
the `sqlite3` shell), or for the PostgreSQL locks another client holds; past 3 s Discord refuses the
answer (the fake does too: a test fails on it) and the member sees "The application did not respond",
though what they asked for was done. Unanswered after `answers.ANSWER_WITHIN_S` (2 s), an interaction is
deferred and its answer follows; every answer goes through bot/answers.py, which the first test holds to.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest

from bot import answers
from bot.client import ReviewBot
from bot.failures import DATABASE_BUSY
from bot.store.connection import is_postgresql
from tests.approval_helpers import post_pending
from tests.fakediscord import FakeDiscord, Member, Reply, driver
from tests.harness import interactions_left_for_the_collector, join, moderator, new_guild, peek

pytestmark = pytest.mark.both_backends

ROOT = Path(__file__).resolve().parent.parent
# discord.py's ways to answer an interaction; only bot/answers.py may use them.
ANSWERING = {"send_message", "edit_message", "send_modal", "defer", "followup"}
ANSWERING_CALLS = {"edit_original_response", "delete_original_response", "original_response"}


def test_only_bot_answers_answers_interactions() -> None:
    """An answer sent around bot/answers.py would not know of a deferral that went first (and fail as
    "already acknowledged"), nor would one the bot is sending stop the deferral (answered twice)."""
    found = []
    for path in sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("cogs/*.py")]):
        if path == ROOT / "bot" / "answers.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            through_response = isinstance(node.value, ast.Attribute) and node.value.attr == "response"
            if (through_response and node.attr in ANSWERING) or node.attr in ANSWERING_CALLS | {"followup"}:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert found == [], found


@asynccontextmanager
async def writer_held(database: str, seconds: float) -> AsyncIterator[None]:
    """Another process's write transaction on the bot's database, for `seconds` from now: SQLite's one
    writer, or on PostgreSQL the tables members write (reads go on)."""
    if is_postgresql(database):
        import psycopg

        other: Any = psycopg.connect(database, autocommit=True)
        other.execute("BEGIN")
        other.execute("LOCK TABLE impressions, web_privacy IN EXCLUSIVE MODE")
    else:
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    released = asyncio.Event()

    def release() -> None:
        other.execute("COMMIT")
        released.set()

    asyncio.get_running_loop().call_later(seconds, release)
    try:
        yield
    finally:
        await released.wait()
        other.close()


async def test_a_post_sent_while_another_process_writes_for_seconds_is_answered_in_time(
    bot: ReviewBot, fake: FakeDiscord, alice: Member
) -> None:
    form = await alice.slash("impression post", series="series:1", scope="completed", overall=7)
    async with writer_held(bot.settings.database, 3.5):
        reply = await alice.submit(form, text="Written while the database was busy.")

    assert reply.callback_type == 5, "deferred in time"
    assert reply.message.get("deleted"), "the private 'thinking…' message does not stay"
    assert not reply.ephemeral and "Written while the database was busy." in reply.embed["description"]
    with peek(bot.settings.database) as conn:
        assert conn.execute("SELECT count(*) FROM impressions WHERE id = ?", (reply.impression_id,)).fetchone() == (1,)


async def test_a_private_answer_after_a_late_deferral_stays_private(bot: ReviewBot, alice: Member) -> None:
    async with writer_held(bot.settings.database, 3.5):
        reply = await alice.slash("impression privacy", named=False)

    assert reply.callback_type == 5
    assert reply.ephemeral and not reply.followups, "the answer replaced the private 'thinking…'"
    assert "A member" in reply.text
    with peek(bot.settings.database) as conn:
        unnamed = conn.execute(
            "SELECT 1 FROM web_privacy WHERE guild_id = ? AND user_id = ?", (alice.guild.id, alice.id)
        )
        assert unnamed.fetchall() == [(1,)]


async def test_a_moderators_button_pressed_while_another_process_writes_updates_its_message(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, mira: Member
) -> None:
    queue = fake.add_channel(alice.guild, "mod-queue")
    await fake.dispatch("CHANNEL_CREATE", {**queue, "guild_id": str(alice.guild.id)})
    await mira.slash("mod settings", approval=True, queue_channel=queue)
    while not fake.channel_posts.empty():
        fake.channel_posts.get_nowait()
    number = await post_pending(alice)
    queued = await asyncio.wait_for(fake.channel_posts.get(), 5)

    async with writer_held(bot.settings.database, 3.5):
        approved = await mira.click(queued, "Approve")

    assert approved.callback_type == 6, "a deferred update: nothing the member sees changes until the answer"
    assert approved.message["content"].startswith(f"Impression #{number} was approved by")
    assert not approved.message["components"]
    await mira.slash("mod settings", approval=False)


async def test_a_write_that_waits_longer_than_sqlite_does_is_told_in_one_sentence(
    bot: ReviewBot, alice: Member, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the database past the 5 s a write waits (SQLite's busy timeout, the bot's
    writers' lock_timeout on PostgreSQL): the member is told, nothing changes, and nothing is logged as
    the bot's error (no error id: a busy machine is no bug)."""
    monkeypatch.setattr(driver, "REPLY_TIMEOUT_S", 20.0)
    with peek(bot.settings.database) as conn:
        before = conn.execute("SELECT count(*) FROM web_privacy").fetchone()
    with caplog.at_level(logging.WARNING):
        async with writer_held(bot.settings.database, 6.0):
            reply = await alice.slash("impression privacy", named=False)

    assert reply.callback_type == 5 and reply.ephemeral
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    assert DATABASE_BUSY in reply.text, reply.text
    with peek(bot.settings.database) as conn:
        assert conn.execute("SELECT count(*) FROM web_privacy").fetchone() == before


@contextlib.contextmanager
def deferred_as_they_arrive(bot: ReviewBot) -> Iterator[None]:
    """Every interaction deferred as it arrives, before its handler runs: the clock's own deferral, taken
    at once instead of 2 s later."""
    clock = bot.answer_clock
    watch = clock.watch

    def watch_and_defer_at_once(interaction: discord.Interaction) -> None:
        watch(interaction)
        turn = interaction.extras.get(answers._TURN)
        if turn is not None:
            turn.stop_watching(interaction.id)
            answers.defer_late(interaction, turn)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "watch", watch_and_defer_at_once)
        yield


async def test_a_form_that_takes_too_long_to_prepare_is_refused_in_one_sentence(bot: ReviewBot, alice: Member) -> None:
    """Only a first answer can open a form: deferred, the member is told instead (nothing was written)."""
    with deferred_as_they_arrive(bot):
        reply = await alice.slash("impression post", series="series:1", scope="completed", overall=7)
    assert reply.callback_type == 5 and reply.ephemeral
    assert "took too long to prepare" in reply.text


Seen = tuple[int, bool, str]


def seen(reply: Reply) -> Seen:
    """What the member was shown as it was answered, numbers aside: how Discord was answered (a callback
    type), private or not, and the text."""
    return reply.callback_type, reply.ephemeral, re.sub(r"\d+", "0", reply.text)


async def a_members_evening(fake: FakeDiscord, bot: ReviewBot, server: str, defer_first: bool) -> list[Seen]:
    """Post twice, look up, show, browse, delete (another member tries first), a moderator hides; in a
    server of its own. `defer_first`: every interaction after the forms opened is deferred as it arrives,
    before its handler has run (the deadline's own path, taken at once)."""
    guild = await new_guild(fake, bot, server)
    member, other, mod = join(fake, guild, "member"), join(fake, guild, "other"), await moderator(fake, guild, "mod")
    forms = [await member.slash("impression post", series=f"series:{n}", scope="completed", overall=8) for n in (2, 3)]
    shown: list[Seen] = []

    async def step(reply: Reply) -> Reply:
        shown.append(seen(reply))
        return reply

    with deferred_as_they_arrive(bot) if defer_first else contextlib.nullcontext():
        number = (await step(await member.submit(forms[0], text="A quiet evening."))).impression_id
        await step(await member.submit(forms[1], text="Another quiet evening."))
        await step(await member.slash("series lookup", title="series:2"))
        await step(await member.slash("series lookup", title="series:2", private=True))
        await step(await member.slash("series lookup", title="no such series anywhere"))
        await step(await member.slash("impression show", id=str(number)))
        await step(await member.slash("impression show", id="999999"))
        await step(await member.slash("impression privacy", named=False))
        listed = await step(await member.slash("impression mine"))
        await step(await member.click(listed, "Next"))
        prompt = await step(await member.slash("impression delete", id=str(number)))
        await step(await other.click(prompt, "Delete"))
        await step(await member.click(prompt, "Cancel"))
        await step(await mod.slash("mod hide", id=str(number), reason="Testing"))
    return shown


async def test_every_answer_reads_the_same_when_it_was_deferred_first(bot: ReviewBot, fake: FakeDiscord) -> None:
    """The same evening twice: answered at once, then with every interaction deferred before its handler
    ran. Each answer is as private or public as before and says the same: a deferral's "thinking…" never
    becomes a public error, nor a private card; an update edits the message clicked."""
    at_once = await a_members_evening(fake, bot, "Answered at once", defer_first=False)
    deferred = await a_members_evening(fake, bot, "Deferred first", defer_first=True)

    assert [(private, text) for _, private, text in deferred] == [(private, text) for _, private, text in at_once]
    assert {kind for kind, _, _ in at_once} <= {4, 7}, "answered at once: no deferral"
    assert {kind for kind, _, _ in deferred} <= {5, 6}, "5 after a command or a form, 6 after a button"


async def test_a_notice_after_a_deferred_public_answer_is_a_message_of_its_own(
    bot: ReviewBot, fake: FakeDiscord, mira: Member
) -> None:
    """A deferral is answered by its first follow-up; a notice sent after it (an impression hidden) is
    the member's alone and leaves the public chart where it is."""
    author = join(fake, mira.guild, "notified")
    numbers = []
    for series in ("series:1", "series:2"):
        form = await author.slash("impression post", series=series, scope="completed", overall=6)
        numbers.append((await author.submit(form, text="Seen it.")).impression_id)
    await mira.slash("mod hide", id=str(numbers[0]), reason="Wrong series")

    chart = await author.slash("series charts", title="series:2")
    for _ in range(250):
        if chart.followups:
            break
        await asyncio.sleep(0.02)

    assert chart.callback_type == 5 and not chart.message.get("deleted")
    assert not chart.message["flags"] & 64 and chart.message["attachments"], "the chart stays, public"
    [notice] = chart.followups
    assert notice["flags"] & 64 and "Wrong series" in notice["embeds"][0]["description"]


async def test_deferred_interactions_are_freed_at_once_not_left_for_the_collector(
    bot: ReviewBot, alice: Member
) -> None:
    """A late deferral's task refers to the interaction, which keeps its turn: the answer that follows
    lets go of it, so a deferred interaction is freed by reference counting like any other."""
    async with interactions_left_for_the_collector() as left:
        with deferred_as_they_arrive(bot):
            card = await alice.slash("series lookup", title="series:1")
            await alice.click(card, "Impressions")
            refused = await alice.slash("mod hide", id="1", reason="Not a moderator")
            missing = await alice.slash("impression show", id="999999")
            form = await alice.slash("impression post", series="series:1", scope="completed")
        answered = await alice.slash("series lookup", title="series:1")  # and one answered at once
    assert {reply.callback_type for reply in (card, refused, missing, form)} == {5}
    assert answered.callback_type == 4
    assert left == []
    assert not bot.answer_clock._waiting, "the clock lets go of each interaction once it is answered"
