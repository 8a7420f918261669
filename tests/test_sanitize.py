"""Property tests of the one sanitizer: whatever a member, curator or dataset writes stays inert text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.models import Average, Impression, Link, Ratings, ReviewerRow, Scores, Series
from bot.parsing import is_blank, is_invisible, read_json, storable
from bot.render.impressions import TABLE_WIDTH, render_impression_card, render_ratings_table
from bot.render.text import ZERO_WIDTH_SPACE, cell, display_width, md, plain
from tests.markdown_model import ESCAPED, LINE_BLOCK, live, live_masked_links, problems, unescape

# What must never stay live, written out here rather than taken from the sanitizer under test.
MUST_ESCAPE = frozenset("\\*_~`|[]<")
# Markdown's own characters, the pieces of links, mentions and blocks, and then anything at all.
HOSTILE = st.text(
    alphabet=st.one_of(
        st.sampled_from([*"\\*_~`|[]()<>#-+.:@!/ \n\t1everyonhttps", "\u202e", "\u200b", "葬", "\u0301"]),
        st.characters(),
    ),
    max_size=120,
)
CJK_NAMES = st.text(
    alphabet=st.sampled_from([*"葬送のフリーレン進撃巨人薬屋ひとりごとabcXYZ `*_|@", "😀"]), max_size=40
)


def test_two_masked_links_on_one_line_are_both_dead() -> None:
    rendered = md("[ok](https://a) then [Free Nitro](http://evil)")
    assert live_masked_links(rendered) == []
    assert unescape(rendered) == "[ok](https://a) then [Free Nitro](http://evil)"


@settings(max_examples=400, deadline=None)
@given(HOSTILE)
def test_no_markup_survives_md(text: str) -> None:
    rendered = md(text)
    shown = live(rendered)
    assert not (set(shown) & MUST_ESCAPE), shown
    assert not LINE_BLOCK.search(shown.replace(ESCAPED, "x")), shown
    assert problems(rendered) == []
    # Nothing of what was written is lost: unescaped, it reads as typed (less invisible characters).
    visible = "".join(c for c in unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\t", " "))
                      if c in "\n\u200d" or not is_invisible(c))  # fmt: skip
    assert unescape(rendered).replace(ZERO_WIDTH_SPACE, "") == visible


@settings(max_examples=300, deadline=None)
@given(HOSTILE, st.integers(min_value=2, max_value=60))
def test_a_cut_never_splits_an_escape(text: str, limit: int) -> None:
    rendered = md(text, limit)
    assert len(rendered) <= limit
    assert not (set(live(rendered)) & MUST_ESCAPE)  # a dangling backslash would be live


@settings(max_examples=300, deadline=None)
@given(HOSTILE, st.integers(min_value=1, max_value=100))
def test_plain_text_is_one_visible_line(text: str, limit: int) -> None:
    shown = plain(text, limit)
    assert len(shown) <= limit and "\n" not in shown
    assert not any(is_invisible(c) and c != "\u200d" for c in shown)


@settings(max_examples=300, deadline=None)
@given(st.one_of(HOSTILE, CJK_NAMES), st.integers(min_value=1, max_value=30))
def test_a_cell_has_its_exact_width_and_cannot_close_the_block(text: str, width: int) -> None:
    shown = cell(text, width)
    assert display_width(shown) == width
    assert "`" not in shown and "\n" not in shown
    assert not any(is_invisible(c) for c in shown)


# What shows nothing though the sanitizer keeps it (written out here, not taken from the code under test):
# the Hangul fillers and the blank braille pattern members type for "empty" names, the variation
# selectors, and the zero-width joiner (kept to hold emoji together).
SHOWS_NOTHING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u200d" + "".join(map(chr, range(0xFE00, 0xFE10))))
BLANKISH = st.text(
    alphabet=st.one_of(
        st.sampled_from([*SHOWS_NOTHING, " ", "\n", "\t", "\u200b", "\u200e", "\u202e", "\u2060", "\ufeff", "\x00"]),
        st.characters(),
    ),
    max_size=20,
)


@settings(max_examples=500, deadline=None)
@given(BLANKISH)
@example("\u200b\u2060\u3164 \ufe0f")
@example("\u3164x")
def test_a_text_is_blank_exactly_when_nothing_of_it_would_show(text: str) -> None:
    """Blank text (refused as an impression, a reason or a title) is text the sanitizer shows as nothing."""
    shown = plain(text, 1_000)
    assert is_blank(text) == all(c.isspace() or c in SHOWS_NOTHING for c in shown), repr(text)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(HOSTILE, BLANKISH, CJK_NAMES),
    st.one_of(st.none(), st.integers(1900, 2100)),
    st.sampled_from([None, "TV", "Movie", "OVA", "ONA", "Special"]),
    st.one_of(st.none(), HOSTILE, BLANKISH),
)
@example("\u200b", None, None, None)
@example("\u3164", None, None, "\u200b")
def test_a_suggestion_always_has_a_name_discord_takes_and_a_member_can_read(
    title: str, year: int | None, kind: str | None, matched: str | None
) -> None:
    """Discord refuses a whole autocomplete answer over one choice named with nothing (1 to 100 characters)."""
    from bot.models import SeriesLabel
    from bot.render.series import render_choice_name
    from bot.services.series import Suggestion

    name = render_choice_name(Suggestion(SeriesLabel(4772, title, year, kind), matched))
    assert 1 <= len(name) <= 100 and not is_blank(name), repr(name)


def _impression(text: str, author: str, spoiler: bool, scores: Scores) -> Impression:
    return Impression(
        id=628, guild_id=1, series_id=4772, author_id=2, author_name=author, scope="episodes",
        episodes_watched=1, text=text, spoiler=spoiler, scores=scores, status="published", featured=False,
        created_at="2024-01-11T10:00:00+00:00", updated_at="2024-01-12T10:00:00+00:00",
    )  # fmt: skip


SCORES = st.builds(Scores, *[st.none() | st.integers(1, 10) for _ in range(7)])


@settings(max_examples=200, deadline=None)
@given(HOSTILE, st.one_of(HOSTILE, CJK_NAMES), HOSTILE, st.booleans(), SCORES)
def test_an_impression_card_carries_only_its_own_markup(
    text: str, author: str, title: str, spoiler: bool, scores: Scores
) -> None:
    embed = render_impression_card(_impression(text, author, spoiler, scores), Series(id=4772, title=title or "x"))
    assert len(embed) <= 6000 and len(embed.description or "") <= 4096
    assert problems(embed.description or "", spoilers=2 if spoiler else 0) == []
    assert problems(embed.title or "") == []
    ratings = next(field.value for field in embed.fields if field.name == "Ratings")
    assert ratings.startswith("```\n") and ratings.endswith("\n```") and "`" not in ratings[4:-4]
    assert all(display_width(line) <= TABLE_WIDTH for line in ratings[4:-4].splitlines())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(HOSTILE, CJK_NAMES), SCORES), min_size=1, max_size=8))
def test_the_ratings_table_keeps_its_width_and_columns(reviewers: list[tuple[str, Scores]]) -> None:
    rows = [ReviewerRow(100 + n, name, False, scores) for n, (name, scores) in enumerate(reviewers)]
    ratings = Ratings(tuple(rows), (Average(7.5, 3),) * 7, len(rows))
    table = render_ratings_table(ratings)
    assert table.startswith("```\n") and table.endswith("\n```") and "`" not in table[4:-4]
    lines = table[4:-4].splitlines()
    assert all(display_width(line) <= TABLE_WIDTH for line in lines)
    for line, row in zip(lines[1:], rows, strict=False):
        # Seven 4-column cells and a space: every reviewer starts in the same column, and keeps their number.
        assert display_width(line[:35]) == 35 and line.endswith(f"#{row.id}")


def test_a_japanese_name_is_cut_by_columns_not_characters() -> None:
    rows = [ReviewerRow(1, "葬送のフリーレンが大好きな人です", False, Scores(overall=9))]
    line = render_ratings_table(Ratings(tuple(rows), (Average(9.0, 1),) * 7, 1)).splitlines()[2]
    assert display_width(line) <= TABLE_WIDTH and line.endswith("… #1")


def test_a_display_name_cannot_close_the_code_block() -> None:
    rows = [ReviewerRow(7, "x```**PWN** @here", False, Scores(overall=3))]
    table = render_ratings_table(Ratings(tuple(rows), (Average(3.0, 1),) * 7, 1))
    assert table.count("```") == 2 and "x**PWN** @here #7" in table


# Any text at all, lone surrogates ("\ud800", which JSON can spell) and NUL included, often. (Joined
# from characters: st.text leaves surrogates out, whatever its alphabet.)
_ANY_TEXT = st.lists(
    st.characters(exclude_categories=()) | st.sampled_from(["\x00", "\ud800", "\udfff", "\U0001f600"])
).map("".join)
_NESTED = st.recursive(
    _ANY_TEXT | st.integers() | st.none(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    return []


def _as_stored(text: str) -> str:
    """What storable should make of a string, written out here: NUL gone, each surrogate U+FFFD."""
    return "".join("\ufffd" if unicodedata.category(c) == "Cs" else c for c in text if c != "\x00")


@given(_NESTED)
def test_text_made_storable_has_no_nul_or_lone_surrogate_and_nothing_else_changes(value: object) -> None:
    cleaned = storable(value)
    for text in _strings(cleaned):
        assert "\x00" not in text
        text.encode("utf-8")  # what both databases do with it: a lone surrogate raised here
    assert [_as_stored(text) for text in _strings(value)] == _strings(cleaned)
    assert storable(cleaned) == cleaned
    if _strings(cleaned) == _strings(value):  # nothing to change: the value itself, nothing rebuilt
        assert storable(value) is value


@given(_NESTED, st.booleans(), st.booleans())
def test_json_from_outside_is_read_as_storable_text(value: object, ascii_only: bool, as_bytes: bool) -> None:
    """However JSON spells a string (escapes or the characters themselves), what read_json returns is
    what storable makes of what JSON means (two escaped halves in a row are one character); bytes that
    are not UTF-8 are malformed JSON, like any other."""
    import json

    document = json.dumps(value, ensure_ascii=ascii_only)
    data: str | bytes = document
    if as_bytes:
        if not ascii_only:  # a surrogate's own bytes are not UTF-8
            try:
                data = document.encode("utf-8")
            except UnicodeEncodeError:
                with pytest.raises(json.JSONDecodeError):
                    read_json(document.encode("utf-8", "surrogatepass"))
                return
        else:
            data = document.encode("utf-8")
    assert read_json(data) == storable(json.loads(document))


@settings(max_examples=150, deadline=None)
@given(_ANY_TEXT, _ANY_TEXT, st.booleans())
def test_an_atom_feed_is_well_formed_xml_whatever_its_text_holds(text: str, author: str, spoiler: bool) -> None:
    """The public site prints every value through `visible` (Jinja's finalize): no character XML 1.0
    cannot hold reaches a feed, and the text a feed reader sees is the member's, made visible."""
    from xml.etree import ElementTree

    from bot.render.impressions import scope_line
    from bot.render.text import visible
    from bot.services.web import WebImpression
    from bot.web.app import TEMPLATES, make_app

    text, author = storable(text), storable(author)  # as every text is stored
    entry = WebImpression(_impression(text, author, spoiler, Scores(*[None] * 7)), author, author)
    app = make_app(None, None, "https://reviews.example")  # type: ignore[arg-type]  # templates only
    feed = (
        app[TEMPLATES]
        .get_template("feed.atom")
        .render(
            base="", slug="s", entries=[entry], site="https://reviews.example", scope_line=scope_line, series_id=None
        )
    )
    atom = "{http://www.w3.org/2005/Atom}"
    root = ElementTree.fromstring(feed.encode())
    [shown] = root.iter(f"{atom}entry")
    assert shown.findtext(f"{atom}author/{atom}name") == visible(author)
    summary = shown.findtext(f"{atom}summary") or ""
    if spoiler:
        assert summary.endswith("Marked as a spoiler: open the page to read it.")
    else:  # (an XML reader reads a carriage return as a line end)
        assert summary.endswith(visible(text[:500]).replace("\r", "\n"))


@given(_ANY_TEXT | st.integers() | st.none())
def test_no_spreadsheet_reads_an_exported_text_as_a_formula(value: object) -> None:
    from bot.render.text import spreadsheet_cell

    shown = spreadsheet_cell(value)
    if not isinstance(value, str):
        assert shown == value
    else:
        assert isinstance(shown, str) and not shown.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert shown in (value, "'" + value)


@settings(max_examples=150, deadline=None)
@given(
    HOSTILE,
    st.one_of(st.none(), HOSTILE),
    st.dictionaries(HOSTILE, HOSTILE, max_size=3),
    st.sampled_from(["impression", "member", "guild", "?"]),
)
@example("[Free Nitro](https://evil.example)", None, {}, "impression")
@example("hide", "@everyone", {"[x](https://evil.example)": "<@&1>"}, "guild")
def test_the_audit_log_carries_only_its_own_markup(
    action: str, reason: str | None, change: dict[str, str], kind: str
) -> None:
    """Every stored string of an entry is text from outside as far as the audit page knows (a restore file
    writes them all): only the bot's own mentions of the actor and target stay live."""
    from bot.render.moderation import render_audit_page
    from bot.store.moderation import AuditEntry

    entry = AuditEntry(
        7, 11, action, kind, 13, reason, dict.fromkeys(change, "old"), change, "2024-01-01T00:00:00+00:00"
    )
    description = render_audit_page([entry], 0, 1, 10).description or ""
    assert problems(description, own_mentions=frozenset({"11", "13"})) == [], description


_WORDS = st.lists(HOSTILE, max_size=3).map(tuple)


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({
    "title": HOSTILE.filter(str.strip), "title_english": HOSTILE, "title_japanese": HOSTILE, "format": HOSTILE,
    "status": HOSTILE, "studios": _WORDS, "keywords": _WORDS, "notables": _WORDS, "synopsis": HOSTILE,
    "synopsis_credit": HOSTILE, "links": st.lists(HOSTILE.map(lambda label: Link(label, "https://example.org/")),
                                                  max_size=3).map(tuple),
}))  # fmt: skip
@example({"title": "x", "format": "[Free Nitro](https://evil.example)", "status": "@everyone"})
def test_a_series_card_carries_only_its_own_markup(fields: dict[str, object]) -> None:
    """Whatever a dataset, AniList or a curator wrote in any of a series' texts (the format too: today
    from a fixed list, but text all the same)."""
    from datetime import date

    from bot.render.series import render_series_card
    from bot.services.series import SeriesCard

    series = Series(id=4772, premiered=date(2024, 1, 10), episodes=12, **fields)  # type: ignore[arg-type]
    card = render_series_card(SeriesCard(series, []), Ratings((), (Average(None, 0),) * 7, 0), date(2026, 11, 27))
    for text in [
        card.title or "",
        card.description or "",
        *(f.value or "" for f in card.fields),
        *(f.name or "" for f in card.fields),
    ]:
        assert problems(text) == [], text
    assert len(card) <= 6000


@given(st.text(alphabet="0123456789²٣ -", max_size=25) | st.integers(min_value=0).map(str), st.integers(1, 2**70))
@example("9" * 5000, 2**64)  # more digits than int() reads: refused before int() is asked
@example("65535", 65536)
@example("65536", 65536)
@example("00", 1)
@example("0" * 5000 + "7", 8)
def test_number_below_reads_ascii_digits_below_the_end_and_nothing_else(text: str, end: int) -> None:
    from bot.parsing import number_below

    digits = text.lstrip("0") or "0"  # leading zeros are no digits that count: "007" is 7
    readable = text.isascii() and text.isdigit() and len(digits) < 4300
    expected = int(digits) if readable and int(digits) < end else None
    assert number_below(text, end) == expected
