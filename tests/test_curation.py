"""Curators fix the catalog: add, edit (facts and texts) and merge; nobody else can."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.client import ReviewBot
from bot.services.curation import parse_curation_form
from tests.fakediscord import FakeDiscord, FakeGuild, Member
from tests.harness import join, moderator, peek

pytestmark = pytest.mark.both_backends


@pytest.fixture
def curator(fake: FakeDiscord, guild: FakeGuild) -> Member:
    return join(fake, guild, "owner", user=fake.owner_user)  # OWNER_IDS


async def added(curator: Member, title: str, **options: object) -> int:
    reply = await curator.slash("series add", title=title, **options)
    assert reply.ephemeral and reply.content.startswith("Added series:"), reply.text
    return int(reply.content.removeprefix("Added series:").rstrip("."))


def series_count(bot: ReviewBot) -> int:
    with peek(bot.settings.database) as conn:
        return conn.execute("SELECT count(*) FROM series").fetchone()[0]


async def test_a_curator_adds_and_edits_a_series(bot: ReviewBot, alice: Member, curator: Member) -> None:
    number = await added(curator, "Fixture Curated Show", format="TV", episodes=12, premiered="2025-04-05")

    form = await curator.slash("series edit", title=f"series:{number}")
    assert form.modal["title"] == "Edit Fixture Curated Show"
    done = await curator.submit(
        form,
        synopsis="Pilots race through the rings of Saturn.",
        synopsis_credit="the curators",
        keywords="mecha, space",
        notables="Animation - TEST STUDIO",
        links="Official site | https://example.org/curated\nWiki | https://example.org/wiki",
    )
    assert done.ephemeral and done.content == f"Updated series:{number}."

    card = (await alice.slash("series lookup", title="fixture curated show")).embed
    assert "Pilots race through the rings of Saturn." in card["description"]
    assert "*(Summary courtesy of the curators)*" in card["description"]
    assert "TV anime that premiered on April 5, 2025." in card["description"]
    fields = {f["name"]: f["value"] for f in card["fields"]}
    assert fields["Keywords"] == "mecha, space"
    assert fields["Notables"] == "Animation - TEST STUDIO"
    with peek(bot.settings.database) as conn:
        curated = conn.execute("SELECT curated_fields FROM series WHERE id = ?", (number,)).fetchone()[0]
    assert "synopsis" in curated and "links" in curated


async def test_editing_facts_is_checked(curator: Member) -> None:
    number = await added(curator, "Fixture Facts Show")
    bad = await curator.slash("series edit", title=f"series:{number}", episodes=0)
    assert bad.ephemeral and "Episodes go from 1 to 5000" in bad.text
    bad_date = await curator.slash("series edit", title=f"series:{number}", premiered="April 5th")
    assert bad_date.ephemeral and "YYYY-MM-DD" in bad_date.text
    for far in ("0001-01-01", "9999-12-31"):  # read as dates, but no airing arithmetic could use them
        too_far = await curator.slash("series edit", title=f"series:{number}", premiered=far)
        assert too_far.ephemeral and "between 1900 and 2199" in too_far.text
    good = await curator.slash("series edit", title=f"series:{number}", new_title="Fixture Facts Show (2025)")
    assert good.content == f"Updated series:{number}."


async def test_a_bad_link_line_is_explained(curator: Member) -> None:
    number = await added(curator, "Fixture Link Show")
    form = await curator.slash("series edit", title=f"series:{number}")
    reply = await curator.submit(form, links="not a link")
    assert reply.ephemeral and "Link line 1 should read" in reply.text


async def test_merging_moves_impressions_and_keeps_the_old_id_working(
    bot: ReviewBot, alice: Member, curator: Member
) -> None:
    keep = await added(curator, "Fixture Keeper")
    duplicate = await added(curator, "Fixture Keeper Duplicate")
    form = await alice.slash("impression post", series=f"series:{duplicate}", scope="completed", overall=8)
    await alice.submit(form, text="Posted on the duplicate.")

    done = await curator.slash("series merge", source=f"series:{duplicate}", into=f"series:{keep}")
    assert done.ephemeral and "1 impressions moved" in done.content

    old = await alice.slash("series lookup", title=f"series:{duplicate}")
    assert old.embed["title"] == "Fixture Keeper"
    ratings = next(f["value"] for f in old.embed["fields"] if f["name"].startswith("Ratings"))
    assert "Alice #" in ratings

    into_itself = await curator.slash("series merge", source=f"series:{keep}", into=f"series:{keep}")
    assert into_itself.ephemeral and "cannot be merged into itself" in into_itself.text
    into_merged = await curator.slash("series merge", source=f"series:{keep}", into=f"series:{duplicate}")
    assert into_merged.ephemeral and "was already merged" in into_merged.text


async def test_members_and_moderators_elsewhere_cannot_curate(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, curator: Member
) -> None:
    number = await added(curator, "Fixture Guarded Show")
    other = await added(curator, "Fixture Guarded Other")
    mod = await moderator(fake, alice.guild, "mira")  # not a curator server
    count = series_count(bot)
    for member in (alice, mod):
        attempts = [
            ("series add", {"title": "Sneaky"}),
            ("series edit", {"title": f"series:{number}", "episodes": 3}),
            ("series edit", {"title": f"series:{number}"}),
            ("series merge", {"source": f"series:{number}", "into": f"series:{other}"}),
        ]
        for command, options in attempts:
            reply = await member.slash(command, **options)
            assert reply.ephemeral and "Only curators" in reply.text, (member.user["username"], command)
        # The curator's own form, sent back by someone else (a forged submission): refused, nothing changed.
        forged = await member.submit(await curator.slash("series edit", title=f"series:{number}"), synopsis="Mine now.")
        assert forged.ephemeral and "Only curators" in forged.text, member.user["username"]
    assert series_count(bot) == count
    with peek(bot.settings.database) as conn:
        assert conn.execute("SELECT synopsis FROM series WHERE id = ?", (number,)).fetchone()[0] is None


def test_curators_are_owners_or_moderators_of_curator_servers() -> None:
    from bot.errors import PermissionDenied
    from bot.services.curation import CurationService
    from bot.services.impressions import Actor

    service = CurationService(None, None, None, frozenset({1}), frozenset({500}))  # type: ignore[arg-type]
    service.require_curator(Actor(1, "owner"))
    service.require_curator(Actor(2, "mod", is_moderator=True, guild_id=500))
    for actor in [Actor(2, "mod", is_moderator=True, guild_id=600), Actor(3, "member", guild_id=500)]:
        with pytest.raises(PermissionDenied):
            service.require_curator(actor)


async def test_a_curator_who_changes_one_text_leaves_the_others_as_they_were(bot: ReviewBot, curator: Member) -> None:
    """The form shows each text cut to what its input holds (a synopsis of 3,000 characters, keywords in
    400): sent back unchanged, a text is not a change (it used to cut the synopsis and a keyword, and
    mark every text curated, so AniList could never update them again)."""
    import json

    from bot.models import CatalogEntry
    from bot.store.catalog import CatalogWriter

    keywords = [f"Keyword number {n}" for n in range(30)]
    with CatalogWriter(bot.settings.database) as writer:
        writer.upsert([CatalogEntry(title="Fixture Long Texts Show", sources=["https://example.org/anime/long"],
                                    keywords=keywords)])  # fmt: skip
    synopsis = ("A synopsis longer than the form's input. " * 100).strip()  # 4,199 characters, as AniList's can be
    with peek(bot.settings.database) as conn:
        [(number,)] = conn.execute("SELECT series_id FROM series_sources WHERE url LIKE '%/anime/long'").fetchall()
        conn.execute("UPDATE series SET synopsis = ? WHERE id = ?", (synopsis, number))

    form = await curator.slash("series edit", title=f"series:{number}")
    done = await curator.submit(form, notables="Animation - TEST STUDIO")
    assert done.content == f"Updated series:{number}.", done.text

    with peek(bot.settings.database) as conn:
        [row] = conn.execute(
            "SELECT synopsis, keywords, notables, curated_fields FROM series WHERE id = ?", (number,)
        ).fetchall()
    assert row[0] == synopsis and json.loads(row[1]) == keywords
    assert json.loads(row[2]) == ["Animation - TEST STUDIO"] and json.loads(row[3]) == ["notables"]
    untouched = await curator.submit(await curator.slash("series edit", title=f"series:{number}"))
    assert untouched.ephemeral and untouched.content == f"Nothing changed in series:{number}."


def stored_texts(bot: ReviewBot, number: int) -> tuple[str | None, list[str], list[str]]:
    import json

    with peek(bot.settings.database) as conn:
        [(synopsis, keywords, notables)] = conn.execute(
            "SELECT synopsis, keywords, notables FROM series WHERE id = ?", (number,)
        ).fetchall()
    return synopsis, json.loads(keywords or "[]"), json.loads(notables or "[]")


async def test_two_open_forms_keep_each_others_changes_and_refuse_to_overwrite_one(
    bot: ReviewBot, curator: Member
) -> None:
    """A curator's form saves what they changed, never what it showed: a text changed since by another
    form (or by AniList, or another process) stays; one both changed is refused, nothing saved, and what
    the curator typed comes back as a file."""
    number = await added(curator, "Fixture Shared Show")
    first = await curator.slash("series edit", title=f"series:{number}")
    second = await curator.slash("series edit", title=f"series:{number}")
    assert (await curator.submit(second, synopsis="Pilots race.")).content == f"Updated series:{number}."
    with peek(bot.settings.database) as conn:  # another process changes the notables meanwhile
        conn.execute("UPDATE series SET notables = ? WHERE id = ?", ('["Music - ELSEWHERE"]', number))
    kept = await curator.submit(first, keywords="mecha, space")  # its synopsis and notables as first shown
    assert kept.content == f"Updated series:{number}.", kept.text
    assert stored_texts(bot, number) == ("Pilots race.", ["mecha", "space"], ["Music - ELSEWHERE"])

    first = await curator.slash("series edit", title=f"series:{number}")
    second = await curator.slash("series edit", title=f"series:{number}")
    assert (await curator.submit(second, synopsis="Pilots race again.")).content == f"Updated series:{number}."
    refused = await curator.submit(first, synopsis="Pilots fly.", keywords="space opera")
    assert refused.ephemeral
    assert refused.text.startswith("Someone else changed the synopsis of Fixture Shared Show"), refused.text
    [typed] = refused.last["files"]
    assert "Pilots fly." in typed["content"] and "space opera" in typed["content"]
    assert stored_texts(bot, number) == ("Pilots race again.", ["mecha", "space"], ["Music - ELSEWHERE"])

    # A form sent before the digests were in its custom_id still works, as before (against the text now).
    old = await curator.slash("series edit", title=f"series:{number}")
    old.modal["custom_id"] = f"cur:edit:{number}"
    assert (await curator.submit(old, notables="Animation - TEST")).content == f"Updated series:{number}."
    assert stored_texts(bot, number)[2] == ["Animation - TEST"]


TEXTS = st.text(alphabet="ab", max_size=2)  # few texts: the same one drawn twice is common


@settings(max_examples=400, deadline=None)
@given(st.tuples(TEXTS, TEXTS, TEXTS), st.tuples(TEXTS, TEXTS, TEXTS), st.tuples(TEXTS, TEXTS, TEXTS))
def test_a_submitted_form_is_merged_three_ways(
    then: tuple[str, str, str], now: tuple[str, str, str], sent: tuple[str, str, str]
) -> None:
    """For each text: what the form showed (then), what the series holds when it is sent (now), what
    the curator sent. Saved: what they changed that nobody else did; refused: what both changed (to
    different texts); left as it is now: everything else."""
    from bot.models import Series
    from bot.render.series import CURATION_FORM_ID, curation_form_changes, render_curation_modal

    keys = ("synopsis", "synopsis_credit", "notables")

    def series(texts: tuple[str, str, str]) -> Series:
        synopsis, credit, notable = texts
        return Series(1, "T", synopsis=synopsis or None, synopsis_credit=credit or None,
                      notables=(notable,) if notable else ())  # fmt: skip

    match = re.fullmatch(CURATION_FORM_ID, str(render_curation_modal(series(then)).custom_id))
    assert match is not None
    found = curation_form_changes(series(now), dict(zip(keys, sent, strict=True)), match["shown"])
    changed = {key: s for key, t, n, s in zip(keys, then, now, sent, strict=True) if s not in (t, n)}
    assert found.changes == {key: s for key, s in changed.items() if then[keys.index(key)] == now[keys.index(key)]}
    assert found.conflicts == tuple(key for key in changed if then[keys.index(key)] != now[keys.index(key)])


def test_blank_texts_lines_and_items_of_the_curation_form_are_left_out() -> None:
    """Zero-width spaces and fillers show nothing: as a synopsis they are none, as a keyword no keyword."""
    read = parse_curation_form(
        {
            "synopsis": "\u3164 \u200b",
            "synopsis_credit": "\u2800",
            "keywords": "mecha, \u200b, space",
            "notables": "Animation - BONES\n\u2060\u3164\n",
            "links": "\u200b\nSite | https://example.org",
        }
    )
    assert read == {
        "synopsis": None,
        "synopsis_credit": None,
        "keywords": ["mecha", "space"],
        "notables": ["Animation - BONES"],
        "links": [{"label": "Site", "url": "https://example.org"}],
    }
