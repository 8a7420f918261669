"""Unit tests of rendering rules that are hard to reach end to end."""

from __future__ import annotations

import gc
import re
import weakref

import discord

from bot.models import Impression, Scores, Series
from bot.render import kept_views, persistent_view
from bot.render.impressions import render_impression_card, scope_line
from bot.render.pager import PAGER_TEMPLATE, render_pager

NOW = "2024-01-31T12:00:00+00:00"


def impression(**changes: object) -> Impression:
    values: dict[str, object] = {
        "id": 628,
        "guild_id": 1,
        "series_id": 4772,
        "author_id": 2,
        "author_name": "Stretch",
        "scope": "episodes",
        "episodes_watched": 1,
        "text": "I had heard a number of good things about this show.",
        "spoiler": False,
        "scores": Scores(),
        "status": "published",
        "featured": False,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(changes)
    return Impression(**values)  # type: ignore[arg-type]


def test_the_pager_row_keeps_its_state_in_distinct_ids_and_disables_the_ends() -> None:
    view = render_pager("s", 2, "4772.n.0", 0, 3)
    buttons = {item.label: item for item in view.children if isinstance(item, discord.ui.Button)}
    assert list(buttons) == ["First", "Prev", "1 / 3", "Next", "Last"]
    assert buttons["First"].disabled and buttons["Prev"].disabled and buttons["1 / 3"].disabled
    assert buttons["Next"].custom_id == "pg:s:2:1:4772.n.0:n" and buttons["Last"].custom_id == "pg:s:2:2:4772.n.0:l"
    assert len({button.custom_id for button in buttons.values()}) == 5  # the same page, two distinct buttons
    assert all(re.fullmatch(PAGER_TEMPLATE, button.custom_id or "") for button in buttons.values())
    assert all(getattr(item, "disabled", False) for item in render_pager("s", 2, "4772.n.0", 0, 1).children)


def test_an_overlong_heavily_formatted_text_still_fits_a_description() -> None:
    card = render_impression_card(impression(text="*_" * 2000, spoiler=True), Series(id=1, title="T"))
    assert len(card.description or "") <= 4096
    assert (card.description or "").count("||") == 2


def test_scope_lines_read_like_the_reference_card() -> None:
    assert scope_line(impression()) == "(One episode watched):"
    assert scope_line(impression(scope="completed", episodes_watched=12)) == "(Completed, all 12 episodes):"
    assert scope_line(impression(scope="dropped", episodes_watched=1)) == "(Dropped after 1 episode):"


def test_a_kept_view_pushed_out_is_freed_at_once_without_the_collector() -> None:
    @kept_views(maxsize=2)
    def buttons(series_id: int) -> discord.ui.View:
        return persistent_view(*(discord.ui.Button(label=str(n), custom_id=f"x:{series_id}:{n}") for n in range(5)))

    first = buttons(1)
    assert buttons(1) is first  # kept: the same series shares its view
    item = weakref.ref(first.children[0])
    gone = weakref.ref(first)
    del first
    gc.disable()  # only reference counting may free it
    try:
        buttons(2), buttons(3)  # series 1 is the oldest, pushed out
        assert gone() is None and item() is None
        assert len(buttons(3).children) == 5  # the views still kept are whole
    finally:
        gc.enable()
