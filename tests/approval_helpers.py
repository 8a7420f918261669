"""Steps shared by the approval tests."""

from __future__ import annotations

from pathlib import Path

from tests.fakediscord import Member
from tests.harness import peek


async def post_pending(member: Member, text: str = "Needs a look.") -> int:
    [choice, *_] = await member.autocomplete("impression post", "series", "metallic rouge")
    form = await member.slash("impression post", series=choice["value"], scope="completed", overall=9)
    reply = await member.submit(form, text=text)
    assert reply.ephemeral and "Moderators review impressions here" in reply.content
    return reply.impression_id


def status_of(database: Path | str, number: int) -> str:
    with peek(database) as conn:
        return conn.execute("SELECT status FROM impressions WHERE id = ?", (number,)).fetchone()[0]
