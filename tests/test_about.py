from __future__ import annotations

import pytest

from tests.fakediscord import Member

pytestmark = pytest.mark.both_backends


async def test_a_member_sees_what_the_bot_is(alice: Member) -> None:
    reply = await alice.slash("about")

    assert not reply.ephemeral
    fields = {field["name"]: field["value"] for field in reply.embed["fields"]}
    assert fields["Version"]
    assert fields["Catalog"].endswith("series")
    assert fields["Impressions"] == "0 here · 0 in all"
    assert "Uptime" in fields
    assert "Gateway latency" in fields
