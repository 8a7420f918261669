"""Fifty members post and then edit at the same moment on the same series: nothing lost, nothing locked;
members' commands are not held up by the public site's reads, nor their posts by a catalog import."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

from bot.client import DISCORD_CONNECTIONS, ReviewBot
from bot.models import CatalogEntry
from bot.store.catalog import CatalogWriter
from tests.fakediscord import FakeDiscord, Member
from tests.harness import join, peek

MEMBERS = 50


async def test_fifty_members_post_and_edit_at_once(bot: ReviewBot, fake: FakeDiscord, alice: Member) -> None:
    members = [join(fake, alice.guild, f"member{n}") for n in range(MEMBERS)]
    forms = [await m.slash("impression post", series="series:1", scope="completed", overall=1 + n % 10)
             for n, m in enumerate(members)]  # fmt: skip

    posted = await asyncio.gather(
        *(m.submit(f, text=f"First take of {m.user['username']}.") for m, f in zip(members, forms, strict=True))
    )

    assert all(not reply.ephemeral for reply in posted), [r.text for r in posted if r.ephemeral][:3]
    numbers = [reply.impression_id for reply in posted]
    assert len(set(numbers)) == MEMBERS

    edit_forms = [
        await m.slash("impression edit", id=str(n), overall=10) for m, n in zip(members, numbers, strict=True)
    ]
    edited = await asyncio.gather(
        *(m.submit(f, text=f"Second take of {m.user['username']}.") for m, f in zip(members, edit_forms, strict=True))
    )
    assert all("is updated" in reply.content for reply in edited), [r.text for r in edited][:3]

    with peek(bot.settings.database) as conn:
        rows = conn.execute(
            f"SELECT text, score_overall FROM impressions WHERE id IN ({','.join('?' * MEMBERS)})", numbers
        ).fetchall()
        revisions = conn.execute(
            f"SELECT count(*) FROM impression_revisions WHERE impression_id IN ({','.join('?' * MEMBERS)})", numbers
        ).fetchone()[0]
    assert sorted(text for text, _ in rows) == sorted(f"Second take of member{n}." for n in range(MEMBERS))
    assert {score for _, score in rows} == {10}
    assert revisions == MEMBERS


async def test_a_burst_wider_than_the_bots_connections_to_discord_is_answered_in_full(
    bot: ReviewBot, fake: FakeDiscord, alice: Member
) -> None:
    """discord.py would open a connection (a TLS handshake with Discord) per answer in flight; the bot
    holds DISCORD_CONNECTIONS, and the answers beyond them wait their turn."""
    members = [join(fake, alice.guild, f"member{n}") for n in range(DISCORD_CONNECTIONS + 50)]
    fake.rest_latency_s = 0.3  # so the answers overlap
    try:
        answers = await asyncio.gather(*(m.slash("series lookup", title="series:1") for m in members))
    finally:
        fake.rest_latency_s = 0.0
    assert not [a.text for a in answers if a.ephemeral or not a.embed]
    assert len({a.embed["title"] for a in answers}) == 1  # each the series' card
    assert fake.most_rest_calls_at_once == DISCORD_CONNECTIONS - 1  # the gateway's socket is one of them


async def test_a_member_lookup_is_answered_while_the_public_site_and_charts_read_slowly(
    bot: ReviewBot, alice: Member
) -> None:
    """The site's and the charts' reads have a reader of their own: one held up (a crawler's burst,
    a chart of 10,000 impressions) never queues in front of a member's command."""
    release = threading.Event()

    def held(conn: sqlite3.Connection) -> int:
        release.wait(30)
        return int(conn.execute("SELECT 1").fetchone()[0])

    held_up = asyncio.create_task(bot.store.web._db.read(held))
    try:
        await asyncio.sleep(0.05)
        reply = await asyncio.wait_for(alice.slash("series lookup", title="series:1"), 5)
        assert reply.embeds and not held_up.done()
    finally:
        release.set()
    assert await held_up == 1


async def test_members_are_answered_in_time_while_a_catalog_import_writes(
    bot: ReviewBot, fake: FakeDiscord, alice: Member
) -> None:
    """A catalog import (`python -m bot catalog import` beside the bot, or its daily refresh) writes tens
    of thousands of series, and SQLite has one writer: in one transaction, or in batches committed back
    to back, it held members' posts for seconds, past the 3 s Discord waits for an answer (the fake
    refuses a later one, and this test fails on it). It commits in chunks and leaves others a turn."""
    entries = [
        CatalogEntry(title=f"Imported series {n}", sources=[f"https://anidb.net/anime/{900_000 + n}"])
        for n in range(40_000)
    ]

    def catalog_import() -> None:
        with CatalogWriter(bot.settings.database) as writer:
            writer.upsert(entries)

    importing = asyncio.ensure_future(asyncio.to_thread(catalog_import))
    await asyncio.sleep(0.3)
    posted = []
    while not importing.done():
        member = join(fake, alice.guild, f"importwatcher{len(posted)}")
        form = await member.slash("impression post", series="series:1", scope="completed", overall=7)
        posted.append(await member.submit(form, text="Posted while the catalog was being imported."))
        await asyncio.sleep(0.1)
    await importing

    assert len(posted) >= 5, f"only {len(posted)} posts while the import ran"
    assert all(not reply.ephemeral for reply in posted), [reply.text for reply in posted if reply.ephemeral][:3]
    with peek(bot.settings.database) as conn:
        assert conn.execute("SELECT count(*) FROM series WHERE title LIKE 'Imported series %'").fetchone()[0] == 40_000
