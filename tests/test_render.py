"""Unit tests of rendering rules that are hard to reach end to end."""

from __future__ import annotations

from bot.models import Impression, Scores, Series
from bot.render.impressions import Pager, render_impression_card, scope_line
from bot.services.impressions import Page

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


async def test_a_pager_that_times_out_disables_its_buttons() -> None:
    page = Page(impression(), Series(id=4772, title="Metallic Rouge"), 0, 3)

    async def load(number: int) -> Page:
        return page

    pager = Pager(owner_id=2, load=load, page=page, timeout=0.01)
    assert not pager.next.disabled
    await pager.on_timeout()
    assert all(button.disabled for button in pager.children)  # type: ignore[attr-defined]


def test_an_overlong_heavily_formatted_text_still_fits_a_description() -> None:
    card = render_impression_card(impression(text="*_" * 2000, spoiler=True), Series(id=1, title="T"))
    assert len(card.description or "") <= 4096
    assert (card.description or "").count("||") == 2


def test_scope_lines_read_like_the_reference_card() -> None:
    assert scope_line(impression()) == "(One episode watched):"
    assert scope_line(impression(scope="completed", episodes_watched=12)) == "(Completed, all 12 episodes):"
    assert scope_line(impression(scope="dropped", episodes_watched=1)) == "(Dropped after 1 episode):"
