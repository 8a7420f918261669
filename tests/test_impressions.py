"""Members post, edit, delete and browse impressions; the series card's ratings table fills in."""

from __future__ import annotations

import asyncio

import pytest

from bot.client import ReviewBot
from bot.models import CatalogEntry
from bot.store.catalog import CatalogWriter
from tests.fakediscord import FakeDiscord, Member, Reply
from tests.harness import audit_count, join, moderator, new_guild, peek

pytestmark = pytest.mark.both_backends

ROUGE_TEXT = (
    "I had heard a number of good things about this show, and had high expectations for it, "
    "but in fact episode one never piqued my interest."
)


@pytest.fixture
async def rouge(alice: Member) -> str:
    [choice, *_] = await alice.autocomplete("impression post", "series", "metallic rouge")
    assert choice["name"].startswith("Metallic Rouge")
    return choice["value"]


async def post(member: Member, series: str, text: str = ROUGE_TEXT, **options: object) -> Reply:
    options.setdefault("scope", "episodes")
    if options["scope"] == "episodes":
        options.setdefault("episodes", 1)
    form = await member.slash("impression post", series=series, **options)
    assert form.callback_type == 9, form.text
    return await member.submit(form, text=text)


def fields(reply: Reply) -> dict[str, str]:
    return {field["name"]: field["value"] for field in reply.embed["fields"]}


async def test_a_member_posts_an_impression_with_scores(alice: Member, rouge: str) -> None:
    form = await alice.slash("impression post", series=rouge, scope="episodes", episodes=1, overall=7, art=8)
    assert form.modal["title"] == "Impression: Metallic Rouge"

    card = await alice.submit(form, text=ROUGE_TEXT)

    assert not card.ephemeral
    assert card.embed["title"] == "Metallic Rouge"
    description = card.embed["description"]
    assert description.startswith("(One episode watched):\n\nI had heard a number of good things")
    assert "Last updated <t:" in description and "Created <t:" in description
    assert card.embed["footer"]["text"] == f"{rouge}#{card.impression_id}"
    assert fields(card)["Overall"] == "7/10"
    assert "   7    8    —    —" in fields(card)["Ratings"]


async def test_the_reference_row_reads_unevaluated(alice: Member, fake: FakeDiscord, rouge: str) -> None:
    stretch = join(fake, alice.guild, "stretch")
    stretch.user["global_name"] = "Stretch"

    card = await post(stretch, rouge)

    assert fields(card)["Overall"] == "Unevaluated"
    series_card = await alice.slash("series lookup", title=rouge)
    table = fields(series_card)[next(k for k in fields(series_card) if k.startswith("Ratings"))]
    assert f"Unevaluated                        Stretch #{card.impression_id}" in table
    assert all(len(line) <= 56 for line in table.strip("`\n").splitlines())


@pytest.mark.parametrize(
    ("options", "scope_line"),
    [
        ({"scope": "episodes", "episodes": 3}, "(Three episodes watched):"),
        ({"scope": "completed"}, "(Completed):"),
        ({"scope": "dropped", "episodes": 4}, "(Dropped after 4 episodes):"),
    ],
)
async def test_each_scope_is_shown(alice: Member, rouge: str, options: dict[str, object], scope_line: str) -> None:
    card = await post(alice, rouge, **options)
    assert card.embed["description"].startswith(scope_line)


async def test_spoilers_are_hidden_and_announced(alice: Member, rouge: str) -> None:
    card = await post(alice, rouge, text="Rouge is an android.", spoiler=True)
    description = card.embed["description"]
    assert description.startswith("**Spoiler warning:**")
    assert "||Rouge is an android.||" in description


async def test_averages_count_each_reviewers_latest_impression_once(
    fake: FakeDiscord, alice: Member, rouge: str
) -> None:
    bob = join(fake, alice.guild, "bob")
    await post(alice, rouge, overall=4, music=9)
    await post(alice, rouge, overall=8, scope="episodes", episodes=2)  # alice watched more: this one counts
    await post(bob, rouge, overall=7)

    card = await alice.slash("series lookup", title=rouge)

    ratings = next(v for k, v in fields(card).items() if k.startswith("Ratings"))
    lines = ratings.strip("`\n").splitlines()
    assert lines[0] == " Ovr  Art Anim Char  Mus SerS  EpS Reviewer"
    assert lines[1].startswith("   7") and "Bob #" in lines[1]
    assert lines[2].startswith("   8") and "Alice #" in lines[2]
    assert lines[-2] == " 7.5    —    —    —    —    —    — Average of 2"
    assert lines[-1] == "   2    0    0    0    0    0    0 rated"


async def test_editing_keeps_a_revision_and_the_creation_time(bot: ReviewBot, alice: Member, rouge: str) -> None:
    first = await post(alice, rouge, overall=5)
    number = first.impression_id

    form = await alice.slash("impression edit", id=str(number), overall=9, scope="episodes", episodes=2)
    assert form.modal["components"]  # prefilled with the current text
    edited = await alice.submit(form, text="Episode two won me over.")

    assert edited.ephemeral
    assert "Episode two won me over." in edited.embed["description"]
    assert edited.embed["description"].startswith("(Two episodes watched):")
    assert fields(edited)["Overall"] == "9/10"
    with peek(bot.settings.database) as conn:
        revisions = conn.execute(
            "SELECT text, score_overall FROM impression_revisions WHERE impression_id = ?", (number,)
        ).fetchall()
        created, updated = conn.execute(
            "SELECT created_at, updated_at FROM impressions WHERE id = ?", (number,)
        ).fetchone()
    assert revisions == [(ROUGE_TEXT, 5)]
    assert updated >= created


async def test_deleting_asks_for_confirmation(fake: FakeDiscord, alice: Member, rouge: str) -> None:
    number = (await post(alice, rouge)).impression_id
    bob = join(fake, alice.guild, "bob")

    prompt = await alice.slash("impression delete", id=str(number))
    assert prompt.ephemeral and f"Delete impression **#{number}**" in prompt.embed["description"]
    cancelled = await alice.click(prompt, "Cancel")
    assert cancelled.message["content"] == "Nothing was deleted."
    assert not (await alice.slash("impression show", id=str(number))).ephemeral

    prompt = await alice.slash("impression delete", id=str(number))
    refused = await bob.click(prompt, "Delete")
    assert refused.ephemeral and "Only the member who asked" in refused.content
    done = await alice.click(prompt, "Delete")
    assert done.message["content"] == f"Impression #{number} was deleted."

    gone = await alice.slash("impression show", id=str(number))
    assert gone.ephemeral and f"No impression #{number} in this server." in gone.text


async def test_two_confirmations_of_one_delete_at_once_delete_it_once(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, rouge: str
) -> None:
    """The delete asked from two devices, both confirmed at once: one delete, one audit entry."""
    for round_number in range(5):
        author = join(fake, alice.guild, f"twice{round_number}")
        number = (await post(author, rouge)).impression_id
        prompts = [await author.slash("impression delete", id=str(number)) for _ in range(2)]
        answers = await asyncio.gather(*(author.click(prompt, "Delete") for prompt in prompts))
        texts = sorted(answer.message["content"] if not answer.ephemeral else answer.text for answer in answers)
        done, refused = sorted(texts, key=lambda text: text != f"Impression #{number} was deleted.")
        assert done == f"Impression #{number} was deleted.", texts
        assert refused in (f"Impression #{number} was already deleted.", f"No impression #{number} in this server.")
        deletes = audit_count(bot.settings.database, "impression.delete", number)
        assert deletes == 1, f"round {round_number}: {texts}"


async def test_a_moderator_may_delete_another_members_impression(fake: FakeDiscord, alice: Member, rouge: str) -> None:
    number = (await post(alice, rouge)).impression_id
    mira = await moderator(fake, alice.guild, "mira")
    prompt = await mira.slash("impression delete", id=str(number))
    done = await mira.click(prompt, "Delete")
    assert done.message["content"] == f"Impression #{number} was deleted."


async def test_show_accepts_both_id_forms(alice: Member, rouge: str) -> None:
    number = (await post(alice, rouge)).impression_id
    assert (await alice.slash("impression show", id=str(number))).impression_id == number
    assert (await alice.slash("impression show", id=f"{rouge}#{number}")).impression_id == number
    wrong_series = await alice.slash("impression show", id=f"series:1#{number}")
    assert wrong_series.ephemeral


async def test_another_servers_impression_is_not_found(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, rouge: str
) -> None:
    number = (await post(alice, rouge)).impression_id
    other = await new_guild(fake, bot, "Other Club")
    stranger = await moderator(fake, other, "stranger")

    for command in ("impression show", "impression delete", "impression edit"):
        reply = await stranger.slash(command, id=str(number))
        assert reply.ephemeral, command
        assert f"No impression #{number} in this server." in reply.text


async def test_mine_pages_through_my_impressions_and_only_i_turn_them(
    fake: FakeDiscord, alice: Member, rouge: str
) -> None:
    numbers = [(await post(alice, rouge, text=f"Entry {n}", episodes=n + 1)).impression_id for n in range(3)]
    bob = join(fake, alice.guild, "bob")

    pages = await alice.slash("impression mine")
    assert pages.ephemeral
    assert pages.impression_id == numbers[-1]
    assert pages.component("1 / 3")["disabled"]
    assert pages.component("Prev")["disabled"]

    refused = await bob.click(pages, "Next")
    assert refused.ephemeral and "run the command yourself" in refused.text

    second = await alice.click(pages, "Next")
    assert second.impression_id == numbers[1]
    last = await alice.click(second, "Last")
    assert last.impression_id == numbers[0]
    assert last.component("Next")["disabled"]


async def test_series_impressions_sort_by_score(fake: FakeDiscord, alice: Member, rouge: str) -> None:
    bob = join(fake, alice.guild, "bob")
    low = (await post(alice, rouge, overall=3)).impression_id
    high = (await post(bob, rouge, overall=9)).impression_id

    best_first = await alice.slash("series impressions", title=rouge, sort="highest")
    assert not best_first.ephemeral
    assert best_first.impression_id == high
    worst_first = await alice.slash("series impressions", title=rouge, sort="lowest")
    assert worst_first.impression_id == low
    only_bob = await alice.slash("series impressions", title=rouge, reviewer=bob)
    assert only_bob.component("1 / 1")


async def test_the_series_cards_buttons_post_and_browse(alice: Member, rouge: str) -> None:
    card = await alice.slash("series lookup", title=rouge)

    form = await alice.click(card, "Post impression")
    posted = await alice.submit(form, text="Posted from the card.", episodes="3", overall="8")
    assert posted.embed["description"].startswith("(Three episodes watched):")
    assert fields(posted)["Overall"] == "8/10"

    browse = await alice.click(card, "Impressions")
    assert browse.ephemeral
    assert "Posted from the card." in browse.embed["description"]


async def test_new_impressions_are_announced(bot: ReviewBot, fake: FakeDiscord, alice: Member, rouge: str) -> None:
    channel = fake.add_channel(alice.guild, "impressions")
    await fake.dispatch("CHANNEL_CREATE", {**channel, "guild_id": str(alice.guild.id)})
    with peek(bot.settings.database) as conn:  # what /mod settings (Step 4) will write
        conn.execute(
            "INSERT INTO guild_settings (guild_id, announce_channel_id, updated_at) VALUES (?, ?, 'now')",
            (alice.guild.id, int(channel["id"])),
        )
    while not fake.channel_posts.empty():
        fake.channel_posts.get_nowait()

    card = await post(alice, rouge, text="@everyone look <@&123>")

    announced = await fake.channel_posts.get()
    assert announced["channel_id"] == channel["id"]
    assert announced["embeds"][0]["footer"]["text"] == card.embed["footer"]["text"]
    assert announced["allowed_mentions"] == {"parse": []}
    # Shown, never pinging: a zero-width space breaks @everyone, and the role mention is escaped.
    assert "@\u200beveryone look \\<@&123>" in card.embed["description"]


# -- bad input: a clear ephemeral answer and nothing stored -------------------------------------------


def stored(bot: ReviewBot) -> int:
    with peek(bot.settings.database) as conn:
        return conn.execute("SELECT count(*) FROM impressions").fetchone()[0]


@pytest.fixture
async def twelve_episodes(bot: ReviewBot) -> str:
    with CatalogWriter(bot.settings.database) as writer:
        writer.upsert(
            [CatalogEntry(title="Twelve Episode Show", sources=["https://example.org/anime/twelve"], episodes=12)]
        )
    await bot.services.search.refresh()
    found = await bot.services.series.find_ref("Twelve Episode Show")
    return f"series:{found.id}"


@pytest.mark.parametrize(
    ("options", "answer"),
    [
        ({"series": "series:999999999", "scope": "completed"}, "There is no series series:999999999"),
        ({"series": "not picked", "scope": "completed"}, "Pick the series from the list"),
        ({"scope": "episodes", "episodes": 0}, "episodes goes from 1 to 10000, not 0."),
        ({"scope": "episodes", "episodes": 13}, "has 12 episodes, not 13"),
        ({"scope": "episodes"}, "how many episodes you watched"),
        ({"scope": "dropped"}, "after how many episodes you dropped it"),
        ({"scope": "completed", "overall": 11}, "overall goes from 1 to 10, not 11."),
        ({"scope": "completed", "music": 0}, "music goes from 1 to 10, not 0."),
    ],
)
async def test_bad_post_options_are_refused_before_writing(
    bot: ReviewBot, alice: Member, twelve_episodes: str, options: dict[str, object], answer: str
) -> None:
    options.setdefault("series", twelve_episodes)
    before = stored(bot)
    reply = await alice.slash("impression post", **options)
    assert reply.callback_type == 4 and reply.ephemeral
    assert answer in reply.text
    assert stored(bot) == before


@pytest.mark.parametrize(
    ("text", "answer"),
    [("   \n  ", "Your impression is empty"), ("x" * 4001, "the limit is 4,000")],
)
async def test_bad_text_is_refused(bot: ReviewBot, alice: Member, rouge: str, text: str, answer: str) -> None:
    before = stored(bot)
    form = await alice.slash("impression post", series=rouge, scope="completed")
    reply = await alice.submit(form, text=text)  # a client could send what the modal's limits forbid
    assert reply.ephemeral and answer in reply.text
    assert stored(bot) == before


async def test_a_form_submitted_twice_stores_one_impression(bot: ReviewBot, alice: Member, rouge: str) -> None:
    before = stored(bot)
    form = await alice.slash("impression post", series=rouge, scope="completed")
    first = await alice.submit(form, text="Once.")
    again = await alice.submit(form, text="Once.")
    assert not first.ephemeral
    assert again.ephemeral and f"already sent: it is impression #{first.impression_id}" in again.text
    assert stored(bot) == before + 1


async def test_a_forged_form_is_refused(bot: ReviewBot, alice: Member, rouge: str) -> None:
    before = stored(bot)
    form = await alice.slash("impression post", series=rouge, scope="completed")
    form.sent.callback["data"]["custom_id"] = "imp:post:1:c:zzzzzzz:1:abcdef"  # type: ignore[index]
    reply = await alice.submit(form, text="Forged.")
    assert reply.ephemeral and "not one the bot sent" in reply.text
    assert stored(bot) == before


async def test_only_the_author_edits_and_a_member_cannot_delete_others(
    fake: FakeDiscord, alice: Member, rouge: str
) -> None:
    number = (await post(alice, rouge)).impression_id
    bob = join(fake, alice.guild, "bob")
    for command in ("impression edit", "impression delete"):
        reply = await bob.slash(command, id=str(number))
        assert reply.ephemeral and "only they can change it" in reply.text


async def test_a_banned_reviewer_cannot_post(bot: ReviewBot, alice: Member, mira: Member, rouge: str) -> None:
    await mira.slash("mod ban", member=alice, reason="spam")
    reply = await alice.slash("impression post", series=rouge, scope="completed")
    assert reply.ephemeral and "banned from posting" in reply.text


async def test_a_merged_series_is_refused_with_where_it_went(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, twelve_episodes: str
) -> None:
    target = int(twelve_episodes.split(":")[1])
    curator = join(fake, alice.guild, "owner", user=fake.owner_user)  # OWNER_IDS
    added = await curator.slash("series add", title="Old Duplicate Entry")
    old = int(added.content.split("series:")[1].rstrip("."))
    merged = await curator.slash("series merge", source=f"series:{old}", into=twelve_episodes)
    assert merged.content.startswith(f"Merged series:{old} into series:{target}"), merged.text
    before = stored(bot)
    reply = await alice.slash("impression post", series=f"series:{old}", scope="completed")
    assert reply.ephemeral and f"was merged into series:{target}" in reply.text
    assert stored(bot) == before


async def test_the_edit_form_is_prefilled_and_ids_autocomplete(alice: Member, rouge: str) -> None:
    number = (await post(alice, rouge, text="Draft words.")).impression_id

    choices = await alice.autocomplete("impression edit", "id", str(number)[:2])
    assert choices[0]["value"] == str(number)
    assert choices[0]["name"].startswith(f"#{number} Metallic Rouge")

    form = await alice.slash("impression edit", id=choices[0]["value"])
    inputs = [c for row in form.modal["components"] for c in (row.get("components") or [row.get("component")])]
    assert [i["value"] for i in inputs if i and i.get("custom_id") == "text"] == ["Draft words."]


async def test_a_duplicate_delivery_of_a_form_stores_one_impression(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, rouge: str
) -> None:
    before = stored(bot)
    first = await alice.submit(await alice.slash("impression post", series=rouge, scope="completed"), text="Just once.")
    await fake.dispatch("INTERACTION_CREATE", first.sent.payload)  # Discord delivers the same interaction again
    await asyncio.sleep(0.5)
    assert stored(bot) == before + 1
    assert not first.followups, "the duplicate produced nothing the member sees"


async def test_a_nul_character_a_member_sends_is_taken_out_on_either_backend(
    bot: ReviewBot, alice: Member, rouge: str
) -> None:
    # Never typed, but a forged payload can carry one; PostgreSQL could not store it.
    card = await post(alice, rouge, text="A NUL\x00 here, and the rest of the text is kept.")
    with peek(bot.settings.database) as conn:
        [(text,)] = conn.execute("SELECT text FROM impressions WHERE id = ?", (card.impression_id,)).fetchall()
    assert text == "A NUL here, and the rest of the text is kept."
    [choice, *_] = await alice.autocomplete("series lookup", "title", "metallic\x00 rouge")
    assert choice["name"].startswith("Metallic Rouge")


async def test_half_a_utf16_pair_in_what_a_member_sends_is_stored_as_a_replacement_character(
    bot: ReviewBot, fake: FakeDiscord, alice: Member, rouge: str
) -> None:
    # JSON can spell a lone surrogate ("\ud800"); neither database can encode one (the post failed with
    # "Something went wrong"). It is read as U+FFFD, in the text, the name and everything typed.
    odd = join(fake, alice.guild, "Half\ud800 a\x00 pair")
    card = await post(odd, rouge, text="Half \udc00 of a pair, and the rest of the text is kept.")
    assert not card.ephemeral, card.text
    with peek(bot.settings.database) as conn:
        [(text, name)] = conn.execute(
            "SELECT text, author_name FROM impressions WHERE id = ?", (card.impression_id,)
        ).fetchall()
    assert (text, name) == ("Half \ufffd of a pair, and the rest of the text is kept.", "Half\ufffd A Pair")
    [choice, *_] = await odd.autocomplete("series lookup", "title", "metallic\udfff rouge")
    assert choice["name"].startswith("Metallic Rouge")
    shown = await odd.slash("impression show", id=str(card.impression_id))
    assert "Half \ufffd of a pair" in shown.embed["description"]
