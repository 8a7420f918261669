"""The fake's limit checks must catch what Discord would refuse, or the end-to-end tests prove nothing."""

from __future__ import annotations

import time

import aiohttp
import pytest

from tests.fakediscord import FakeDiscord
from tests.fakediscord.limits import check_choices, check_commands, check_message, check_modal
from tests.fakediscord.server import SentInteraction


def test_embed_limits_are_enforced() -> None:
    assert check_message({"embeds": [{"title": "x" * 256, "description": "y" * 4096}]}) == []
    assert check_message({"embeds": [{"title": "x" * 257}]})
    assert check_message({"embeds": [{"description": "y" * 4097}]})
    assert check_message({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]})
    assert check_message({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]})
    assert check_message({"embeds": [{"fields": [{"name": "n", "value": ""}]}]})
    six_thousand_and_one = [{"description": "d" * 4000}, {"description": "d" * 2001}]
    assert any("6000" in p for p in check_message({"embeds": six_thousand_and_one}))


def test_components_and_mentions_are_enforced() -> None:
    button = {"type": 2, "style": 1, "label": "Go", "custom_id": "x" * 101}
    assert check_message({"components": [{"type": 1, "components": [button]}]})
    six = [{"type": 2, "style": 1, "label": str(i), "custom_id": str(i)} for i in range(6)]
    assert check_message({"components": [{"type": 1, "components": six}]})
    assert check_message({"content": "hi @everyone"})
    assert check_message({"content": "hi @everyone", "allowed_mentions": {"parse": []}}) == []


def test_modal_and_choice_limits_are_enforced() -> None:
    text = {"type": 4, "custom_id": "text", "label": "Text", "style": 2, "max_length": 4001}
    assert check_modal({"title": "Impression", "custom_id": "m", "components": [{"type": 1, "components": [text]}]})
    assert check_modal({"title": "t" * 46, "custom_id": "m", "components": []})
    assert check_choices([{"name": "n", "value": "v"}] * 26)
    assert check_choices([{"name": "n" * 101, "value": "v"}])
    assert check_choices([{"name": "Hunter x Hunter (2011, TV)", "value": "11061"}]) == []


def test_command_rules_are_enforced() -> None:
    good = {"name": "about", "description": "About the bot", "type": 1}
    assert check_commands([good]) == []
    assert check_commands([{**good, "name": "About"}])
    assert check_commands([{**good, "description": ""}])
    assert check_commands([good, good])
    optional_then_required = [
        {"name": "a", "description": "a", "type": 3},
        {"name": "b", "description": "b", "type": 3, "required": True},
    ]
    assert check_commands([{**good, "options": optional_then_required}])


async def _post(url: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        return response.status, await response.json()


async def test_callbacks_follow_discords_rules(fake: FakeDiscord) -> None:
    sent = SentInteraction(id=1, token="tok", payload={"type": 2, "channel_id": "1"}, created=0.0)
    fake.interactions["tok"] = sent
    url = f"{fake.api_base}/interactions/1/tok/callback"
    status, body = await _post(url, {"type": 4, "data": {"content": "late"}})
    assert (status, body["code"]) == (404, 10062), "an answer after 3 s is refused"
    assert fake.violations, "and the lateness is recorded"
    fake.violations.clear()

    sent.created = time.monotonic()
    assert (await _post(url, {"type": 4, "data": {"content": "first"}}))[0] == 200
    status, body = await _post(url, {"type": 4, "data": {"content": "second"}})
    assert (status, body["code"]) == (400, 40060), "a second acknowledgement is refused"
    del fake.interactions["tok"]


@pytest.mark.parametrize("route", ["users/@me", "applications/1/commands"])
async def test_rest_needs_the_bot_token(fake: FakeDiscord, route: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{fake.api_base}/{route}") as response:
        assert response.status == 401
        assert response.headers["Content-Type"] == "application/json"
