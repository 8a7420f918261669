"""Web addresses from datasets, curators, AniList and settings: only well-formed http(s) ones reach a card,
a button, a page or a request; Discord refuses a whole message over one it cannot read."""

from __future__ import annotations

import json
import re
import socket
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.client import ReviewBot
from bot.config import ConfigError, load_settings
from bot.models import Average, Impression, Link, Ratings, Scores, Series
from bot.parsing import LINK_MAX, link_url
from bot.render.impressions import render_impression_card
from bot.render.series import render_series_buttons, render_series_card, site_links
from bot.services.series import SeriesCard
from tests.fakediscord import FakeDiscord, FakeGuild, Member
from tests.fakediscord.limits import _url_ok, check_components, check_embeds
from tests.harness import fingerprint, join, peek

# The pieces of an address, each also in forms Discord or a browser cannot read.
SCHEMES = st.sampled_from(
    ["https://", "http://", "HTTPS://", "javascript:", "ftp://", "https:/", "", "https://https://"]
)
USERS = st.sampled_from(["", "", "discord.com@", "user:pass@", "@"])
HOSTS = st.one_of(
    st.sampled_from([
        "example.org", "anidb.net", "ü.example", "localhost", "1.2.3.4", "1.2.3.999", "[::1]", "[zz]", "[::1",
        "exa mple.org", "a..b", "-a.b", "a.b.", "", "xn--tda.example", "a_b.c", "123", "x" * 70 + ".org",
    ]),
    st.text(alphabet=st.sampled_from([*"abc.-_[]:@/\\ %", "\u200b", "\u202e", "葬", "\t"]), max_size=20),
)  # fmt: skip
PORTS = st.sampled_from(["", ":8080", ":0", ":99999", ":x", ":"])
PATHS = st.one_of(
    st.sampled_from(["", "/", "/anime/1", "/x y", "/日本", "/?q=1#f", "/%zz", "/\u200b", "/a\nb"]),
    st.text(max_size=30).map(lambda text: "/" + text),
    st.just("/" + "x" * 600),
)
ADDRESSES = st.one_of(
    st.builds(lambda *parts: "".join(parts), SCHEMES, USERS, HOSTS, PORTS, PATHS), st.text(max_size=40)
)


@settings(max_examples=600, deadline=None)
@given(ADDRESSES)
def test_an_address_kept_is_one_discord_reads_and_leads_where_it_says(text: str) -> None:
    kept = link_url(text)
    if kept is None:
        return
    assert kept == text and len(kept) <= LINK_MAX
    assert _url_ok(kept, attachment=False), kept  # the fake's model of Discord's "well formed URL"
    authority = kept.split("://", 1)[1].split("/", 1)[0]
    assert "@" not in authority  # no "https://discord.com@evil.example/": the host is the one shown
    if link_url(text, https_only=True) is not None:
        assert kept.lower().startswith("https://")


@settings(max_examples=200, deadline=None)
@given(ADDRESSES, ADDRESSES, st.lists(ADDRESSES, max_size=4), st.lists(ADDRESSES, max_size=4), ADDRESSES)
def test_whatever_addresses_a_series_has_its_card_buttons_and_impressions_are_accepted(
    official: str, picture: str, links: list[str], sources: list[str], web_page: str
) -> None:
    series = Series(
        id=7, title="Fixture Links", official_site=official, picture=picture,
        links=tuple(Link(f"Link {n}", url) for n, url in enumerate(links)), sources=tuple(sources),
    )  # fmt: skip
    card = render_series_card(SeriesCard(series, []), Ratings((), (Average(None, 0),) * 7, 0), date(2026, 11, 27))
    view = render_series_buttons(series, web_page)
    impression = Impression(
        id=1, guild_id=1, series_id=7, author_id=2, author_name="Alice", scope="episodes", episodes_watched=1,
        text="Fine.", spoiler=False, scores=Scores(overall=8), status="published", featured=False,
        created_at="2026-11-27T00:00:00+00:00", updated_at="2026-11-27T00:00:00+00:00",
    )  # fmt: skip
    embeds = [card.to_dict(), render_impression_card(impression, series).to_dict()]
    assert check_embeds(embeds) == []
    assert check_components(view.to_components()) == []
    for _, url in site_links(series):  # the web page's "Other sites" too
        assert link_url(url) == url


@settings(max_examples=300, deadline=None)
@given(HOSTS, st.sampled_from(["WEB_HOST", "PUBLIC_BASE_URL", "ANILIST_URL", "CATALOG_REFRESH_URL"]), ADDRESSES)
def test_a_setting_naming_a_host_or_an_address_is_usable_or_refused_at_start(
    host: str, name: str, address: str
) -> None:
    """Refused with one sentence (exit 2), or usable: the site's links fit a button, the health check
    builds its request (a malformed WEB_HOST used to raise out of it as a traceback)."""
    from bot import health

    value = host.strip("[]") if name == "WEB_HOST" else address
    try:
        found = load_settings({"DISCORD_TOKEN": "x", name: value}, env_file=None)
    except ConfigError as error:
        assert name in str(error) and "\n" not in str(error)
        return
    if name == "PUBLIC_BASE_URL" and found.public_base_url:
        longest = f"{found.public_base_url}/{'x' * 60}/series/{2**63 - 1}"
        assert _url_ok(longest, attachment=False) and len(longest) <= LINK_MAX
    if name == "WEB_HOST":

        def refuse(*_: Any, **__: Any) -> socket.socket:
            raise ConnectionRefusedError(111, "Connection refused")

        original, socket.create_connection = socket.create_connection, refuse
        try:
            healthy, sentence = health.check_site(health.site_address(found.web_host, found.web_port), 0.5)
        finally:
            socket.create_connection = original
        assert not healthy and "does not answer" in sentence


def test_the_health_check_of_a_site_answering_something_else_than_http_is_one_sentence() -> None:
    from bot import health

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        import threading

        def answer_nonsense() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(1024)
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

        thread = threading.Thread(target=answer_nonsense)
        thread.start()
        healthy, sentence = health.check_site(f"http://127.0.0.1:{port}", 2)
        thread.join()
    assert not healthy and sentence.startswith("The public site does not answer") and "\n" not in sentence


BAD_ADDRESSES = ["https://exa mple.org/", "https://", "https://discord.com@evil.example/", "javascript:alert(1)"]


async def test_a_series_with_unreadable_addresses_still_shows_its_card_with_the_good_links(
    bot: ReviewBot, alice: Member
) -> None:
    """Addresses already stored (an older version's import, a restore, AniList) are checked where they are
    shown: Discord would refuse the whole card (400) over one of them."""
    with peek(bot.settings.database) as conn:
        [series_id] = conn.execute("SELECT id FROM series WHERE title = 'Metallic Rouge'").fetchone()
        links = [{"label": "Fan wiki", "url": url} for url in BAD_ADDRESSES]
        links.append({"label": "Studio", "url": "https://www.bones.co.jp/"})
        conn.execute(
            "UPDATE series SET official_site = ?, picture = ?, links = ? WHERE id = ?",
            ("https://metallic rouge.jp/", "http://cdn.example.org/p.jpg", json.dumps(links), series_id),
        )

    reply = await alice.slash("series lookup", title=f"series:{series_id}")

    card = reply.embed
    assert card["title"] == "Metallic Rouge" and "url" not in card and "thumbnail" not in card
    shown = [(c["label"], c["url"]) for c in reply.components if c.get("style") == 5]
    assert ("Studio", "https://www.bones.co.jp/") in shown
    assert ("AniList", "https://anilist.co/anime/162985") in shown
    assert not [url for _, url in shown if url in BAD_ADDRESSES]


async def test_a_curator_cannot_save_a_link_no_browser_can_open(
    bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild
) -> None:
    curator = join(fake, guild, "owner", user=fake.owner_user)  # OWNER_IDS
    form = await curator.slash("series edit", title="Metallic Rouge")
    before = fingerprint(bot.settings.database)
    for address in ("https://discord.com@evil.example/", "https://[::1/x", "https://a..b/", "https://x.org:99999/"):
        reply = await curator.submit(form, links=f"Official site | {address}")
        assert reply.ephemeral and "is not a web address a browser can open" in reply.text, address
    assert fingerprint(bot.settings.database) == before


def test_addresses_in_the_repository_fixtures_are_all_kept() -> None:
    """The filter keeps what real datasets hold (the fixture is a slice of anime-offline-database)."""
    document = json.loads((Path(__file__).parent / "fixtures" / "anime-offline-database-minified.json").read_text())
    for item in document["data"]:
        for key in ("picture", "thumbnail"):
            if isinstance(item.get(key), str):
                assert link_url(item[key], https_only=True) == item[key]
        for source in item.get("sources") or []:
            if isinstance(item.get("sources"), list):
                assert link_url(source) == source


@given(
    st.text(max_size=60), st.integers(min_value=0, max_value=2**64 - 1), st.integers(min_value=0, max_value=2**64 - 1)
)
def test_a_servers_address_on_the_site_is_its_own(name: str, guild_id: int, other_id: int) -> None:
    """Whatever the server is called, its slug ends in its id (base 36): a restore file that names a
    slug is held to it, so it cannot take the address of another server."""
    from bot.parsing import SLUG, is_slug_of, public_slug

    slug = public_slug(name, guild_id)
    assert re.fullmatch(SLUG, slug) and is_slug_of(slug, guild_id)
    assert is_slug_of(slug, other_id) == (other_id == guild_id)
