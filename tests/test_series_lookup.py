"""A member looks a series up: autocomplete, free text, the pick list and the series card."""

from __future__ import annotations

import pytest

from bot.client import ReviewBot
from bot.models import CatalogEntry
from bot.store.catalog import CatalogWriter
from tests.fakediscord import FakeDiscord, Member
from tests.harness import join, peek

pytestmark = pytest.mark.both_backends


def _names(choices: list[dict[str, str]]) -> list[str]:
    return [choice["name"] for choice in choices]


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("metalic roge", "typos"),
        ("META", "a partial word, in capitals"),
        ("rouge metallic", "words in another order"),
        ("Metallic-Rouge!", "punctuation"),
        ("メタリック", "Japanese, partly typed"),
        ("ルージュ", "Japanese, the middle of the title"),
        ("金属口红", "a synonym (Chinese title)"),
        ("metallic\u200b rouge\u202e", "zero-width and right-to-left marks"),
    ],
)
async def test_autocomplete_finds_metallic_rouge(alice: Member, typed: str, why: str) -> None:
    choices = await alice.autocomplete("series lookup", "title", typed)

    assert choices, why
    assert choices[0]["name"].startswith("Metallic Rouge"), (why, _names(choices)[:3])
    assert choices[0]["name"].endswith("(2024, TV)")
    assert choices[0]["value"].startswith("series:")


async def test_autocomplete_tells_remakes_apart(alice: Member) -> None:
    names = _names(await alice.autocomplete("series lookup", "title", "hunter x hunter"))
    assert any("(2011, TV)" in name for name in names)
    assert any("(1999, TV)" in name for name in names)


async def test_an_empty_query_suggests_recent_series(alice: Member) -> None:
    choices = await alice.autocomplete("series lookup", "title", "   ")
    assert len(choices) == 25  # the fake fails the test if any name breaks Discord's 1-100 rule


async def test_an_overlong_query_gets_no_choices_and_no_crash(alice: Member) -> None:
    assert await alice.autocomplete("series lookup", "title", "x" * 250) == []


@pytest.mark.parametrize("typed", ["%%%", "___", "a%b", "\\\\%", "'; --", '"""', "???", "rouge*", "NEAR(meta)"])
async def test_search_syntax_in_a_query_is_punctuation(alice: Member, typed: str) -> None:
    # LIKE's wildcards, FTS's operators and SQL's own marks mean nothing to the lookup (it reads no SQL):
    # they are punctuation, the same as spaces, and never an error.
    spaced = "".join(c if c.isalnum() else " " for c in typed)
    choices = await alice.autocomplete("series lookup", "title", typed)
    assert choices == await alice.autocomplete("series lookup", "title", spaced)
    await alice.slash("series lookup", title=typed)  # answered (the fake fails a test on no answer)


async def test_a_word_typed_from_inside_a_longer_one_is_found(bot: ReviewBot, alice: Member) -> None:
    with CatalogWriter(bot.settings.database) as writer:
        writer.upsert([CatalogEntry(title="Kaijuhachigou Special", sources=["https://example.org/anime/8"])])
    await bot.services.search.refresh()

    names = _names(await alice.autocomplete("series lookup", "title", "hachigou"))
    assert any(name.startswith("Kaijuhachigou Special") for name in names), names
    reply = await alice.slash("series lookup", title="hachigou")  # typed and sent: offered to pick
    [select] = [c for c in reply.components if c["type"] == 3]
    assert "Kaijuhachigou Special" in [option["label"] for option in select["options"]]


async def test_the_card_looks_like_the_reference(alice: Member) -> None:
    [choice, *_] = await alice.autocomplete("series lookup", "title", "metallic rouge")

    reply = await alice.slash("series lookup", title=choice["value"])

    card = reply.embed
    assert not reply.ephemeral
    assert card["title"] == "Metallic Rouge"
    assert card["url"] == "https://metallicrouge.jp/"
    assert "TV anime that premiered on January 11, 2024." in card["description"]
    fields = {field["name"]: field["value"] for field in card["fields"]}
    assert fields["Japanese title"] == "メタリックルージュ"
    assert fields["Format"].startswith("TV")
    assert "/impression post" in fields["Ratings"]
    assert card["footer"]["text"].startswith(choice["value"] + " · Data: bangumi-data (CC BY 4.0)")
    links = [(c["label"], c["url"]) for c in reply.components if c.get("style") == 5]
    assert links[0] == ("Official site", "https://metallicrouge.jp/")
    assert [label for label, _ in links[1:4]] == ["AniList", "MyAnimeList", "AniDB"]
    assert ("AniList", "https://anilist.co/anime/162985") in links


async def test_typing_a_title_and_pressing_enter_shows_the_card(alice: Member) -> None:
    reply = await alice.slash("series lookup", title="metallic rouge")
    assert reply.embed["title"] == "Metallic Rouge"


async def test_a_private_lookup_is_ephemeral(alice: Member) -> None:
    reply = await alice.slash("series lookup", title="metallic rouge", private=True)
    assert reply.ephemeral
    assert reply.embed["title"] == "Metallic Rouge"


async def test_an_ambiguous_title_offers_a_pick_list_only_its_owner_can_use(fake: FakeDiscord, alice: Member) -> None:
    bob = join(fake, alice.guild, "bob")
    reply = await alice.slash("series lookup", title="hunter x hunter")

    assert "Pick one" in reply.embed["description"]
    [select] = [c for c in reply.components if c["type"] == 3]
    labels = {option["label"]: option for option in select["options"]}
    remake = next(o for o in select["options"] if "2011" in (o.get("description") or ""))
    assert len(labels) >= 2

    refused = await bob.choose(reply, select["custom_id"], remake["value"])
    assert refused.ephemeral
    assert "belongs to someone else" in refused.embed["description"]

    picked = await alice.choose(reply, select["custom_id"], remake["value"])
    assert picked.callback_type == 7  # the pick list turns into the card
    assert picked.message["embeds"][0]["footer"]["text"].startswith(f"series:{remake['value']}")


@pytest.mark.parametrize(
    ("value", "answer"),
    [
        ("not-a-number", "not one this list offered"),
        ("-1", "not one this list offered"),
        ("9" * 19, "not one this list offered"),  # beyond what a database id holds
        ("9" * 5000, "not one this list offered"),  # beyond what int() reads
        ("999999999", "There is no series series:999999999"),
    ],
)
async def test_a_forged_pick_is_refused(alice: Member, value: str, answer: str) -> None:
    reply = await alice.slash("series lookup", title="hunter x hunter")
    [select] = [c for c in reply.components if c["type"] == 3]
    forged = await alice.choose(reply, select["custom_id"], value)
    assert forged.ephemeral
    assert answer in forged.text


async def test_nothing_matching_gets_an_ephemeral_no_match(alice: Member) -> None:
    reply = await alice.slash("series lookup", title="qqqzzx wvvxq")
    assert reply.ephemeral
    assert "No series matches “qqqzzx wvvxq”." in reply.embed["description"]


@pytest.mark.parametrize(
    ("title", "answer"),
    [
        ("x" * 201, "too long"),
        ("   ", "Type part of a series name"),
        ("series:999999999", "There is no series series:999999999"),
    ],
)
async def test_bad_lookups_get_a_clear_ephemeral_answer(alice: Member, title: str, answer: str) -> None:
    reply = await alice.slash("series lookup", title=title)
    assert reply.ephemeral
    assert answer in reply.text


async def test_markdown_in_a_title_is_shown_literally(bot: ReviewBot, alice: Member) -> None:
    with CatalogWriter(bot.settings.database) as writer:
        writer.upsert([CatalogEntry(title="**Loud** _Title_ @everyone", sources=["https://example.org/anime/1"])])
    await bot.services.search.refresh()

    reply = await alice.slash("series lookup", title="loud title")

    assert reply.embed["title"] == "\\*\\*Loud\\*\\* \\_Title\\_ @\u200beveryone"


@pytest.mark.parametrize(
    ("typed", "japanese"),
    [
        ("shingeki no kyojin", "進撃の巨人"),
        ("sousou no frieren", "葬送のフリーレン"),
        ("kusuriya no hitorigoto", "薬屋のひとりごと"),
        ("kimi no na wa", "君の名は。"),
        ("sen to chihiro", "千と千尋の神隠し"),
        ("boku no hero academia", "僕のヒーローアカデミア"),
    ],
)
async def test_a_japanese_title_is_found_by_its_romaji_out_of_the_box(
    bot: ReviewBot, alice: Member, typed: str, japanese: str
) -> None:
    # The starter catalog carries each Japanese title's romaji (made at build time), as search-only names.
    [first, *_] = await alice.autocomplete("series lookup", "title", typed)
    series_id = int(str(first["value"]).removeprefix("series:"))
    with peek(bot.settings.database) as conn:
        [(stored,)] = conn.execute("SELECT title_japanese FROM series WHERE id = ?", (series_id,)).fetchall()
    assert stored == japanese, (typed, first["name"])


async def test_a_chinese_title_is_never_stored_as_the_english_one(bot: ReviewBot) -> None:
    with peek(bot.settings.database) as conn:
        english = [row[0] for row in conn.execute("SELECT title_english FROM series WHERE title_english IS NOT NULL")]
    assert english and not [title for title in english if any("\u3040" <= c <= "\u9fff" for c in title)]
