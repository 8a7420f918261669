"""A command that fails answers with a friendly, ephemeral error and an id that is in the log."""

from __future__ import annotations

import logging
import re

import pytest

from bot.client import ReviewBot
from tests.fakediscord import Member
from tests.harness import peek

pytestmark = pytest.mark.both_backends


async def test_a_failing_command_gives_a_friendly_error_with_an_id(
    bot: ReviewBot, alice: Member, caplog: pytest.LogCaptureFixture
) -> None:
    # Break the database under the running bot, as a disk fault or a bad manual edit would.
    with peek(bot.settings.database) as conn:
        conn.execute("ALTER TABLE impressions RENAME TO impressions_lost")
    try:
        with caplog.at_level(logging.ERROR, logger="bot.client"):
            reply = await alice.slash("about")
    finally:
        with peek(bot.settings.database) as conn:
            conn.execute("ALTER TABLE impressions_lost RENAME TO impressions")

    assert reply.ephemeral
    assert reply.embed["title"] == "Something went wrong on our side"
    error_id = re.search(r"`([0-9a-f]{8})`", reply.embed["description"])
    assert error_id, reply.embed["description"]
    logged = [r for r in caplog.records if error_id.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None, "the traceback is logged under the same id"
    assert "no such table" not in reply.text, "internals are not shown to members"

    # The bot keeps serving once the cause is gone.
    assert not (await alice.slash("about")).ephemeral
