"""The public site, read over HTTP from the running bot (in-process, aiohttp's client): publishing,
what a page shows and hides, escaping, privacy, isolation between servers, and HTTP manners."""

from __future__ import annotations

import contextlib
import html
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from xml.etree import ElementTree

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from multidict import CIMultiDict

from bot.bench.__main__ import fill_impressions
from bot.client import ReviewBot
from bot.config import load_settings
from bot.models import CatalogEntry, Scores
from bot.render.chart_worker import ChartWorker
from bot.services.charts import ChartService
from bot.services.web import WebService
from bot.store import Store
from bot.store.posting import Draft, PostPolicy
from bot.web.app import make_app
from tests.fakediscord import FakeDiscord, FakeGuild, Member
from tests.harness import (
    PLAIN_PERMISSIONS,
    UNPUBLISHED,
    fingerprint,
    free_port,
    join,
    moderator,
    new_guild,
    peek,
    post_unpublished,
    running_bot_on,
)
from tests.test_charts import picture
from tests.test_hardening import every_page, everything_a_member_reads

pytestmark = pytest.mark.both_backends

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)> [x](javascript:alert(1))'


@pytest.fixture(scope="module")
async def served(
    fake: FakeDiscord,
    tmp_path_factory: pytest.TempPathFactory,
    seeded_database: Path,
    backend: str,
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[ReviewBot, str]]:
    """The bot with its site on, on each backend: the site's own process reads the same database."""
    port = free_port()
    env = {"WEB_ENABLED": "true", "WEB_PORT": str(port), "PUBLIC_BASE_URL": "https://reviews.example"}
    directory = tmp_path_factory.mktemp("web")
    async with running_bot_on(backend, request, fake, directory, seeded_database, **env) as running:
        yield running, f"http://127.0.0.1:{port}"


@pytest.fixture
def bot(served: tuple[ReviewBot, str]) -> ReviewBot:
    return served[0]


@pytest.fixture
def site(served: tuple[ReviewBot, str]) -> str:
    return served[1]


async def get(url: str, **headers: str) -> tuple[int, str, CIMultiDict[str]]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.status, await response.text(), CIMultiDict(response.headers)


async def rouge(member: Member) -> str:
    [choice, *_] = await member.autocomplete("impression post", "series", "metallic rouge")
    return str(choice["value"])


async def post(member: Member, text: str, *, spoiler: bool = False, **scores: int) -> int:
    form = await member.slash("impression post", series=await rouge(member), scope="episodes", episodes=1,
                              spoiler=spoiler, **scores)  # fmt: skip
    return (await member.submit(form, text=text)).impression_id


async def publish(mira: Member) -> str:
    reply = await mira.slash("mod settings", public_site=True)
    [field] = [f for f in reply.embed["fields"] if f["name"] == "Public site"]
    assert field["value"].startswith("on: https://reviews.example/")
    return field["value"].removeprefix("on: https://reviews.example").rstrip("/")


async def test_a_server_is_private_until_its_moderators_publish_it(
    site: str, bot: ReviewBot, guild: FakeGuild, alice: Member, mira: Member
) -> None:
    assert (await get(f"{site}/health"))[0] == 200
    await post(alice, "Quiet so far.", overall=7)
    refused = await alice.slash("mod settings", public_site=True)
    assert refused.ephemeral and "moderators" in refused.text.lower()
    slug = await publish(mira)
    status, page, headers = await get(f"{site}{slug}/")
    assert status == 200 and "Metallic Rouge" in page
    assert "default-src 'none'" in headers["Content-Security-Policy"] and "<script" not in page

    card = await alice.slash("series lookup", title=await rouge(alice))
    series_id = (await rouge(alice)).removeprefix("series:")
    assert card.component("Web page")["url"] == f"https://reviews.example{slug}/series/{series_id}"

    await mira.slash("mod settings", public_site=False)
    assert (await get(f"{site}{slug}/"))[0] == 404


async def test_the_series_page_shows_published_impressions_like_the_card(
    site: str, fake: FakeDiscord, guild: FakeGuild, alice: Member, mira: Member
) -> None:
    slug = await publish(mira)
    shown = await post(alice, "Episode one sets up Mars well.", overall=8, music=9)
    secret = await post(join(fake, guild, "bob", PLAIN_PERMISSIONS), "The twist: Rouge is Jean.", spoiler=True)
    hidden = await post(join(fake, guild, "cleo", PLAIN_PERMISSIONS), "Rude words.", overall=1)
    await mira.slash("mod hide", id=str(hidden), reason="rude")
    series_id = (await rouge(alice)).removeprefix("series:")

    status, page, _ = await get(f"{site}{slug}/series/{series_id}")

    assert status == 200
    assert '<table class="ratings">' in page and "Community average (2)" in page
    assert f'id="{shown}"' in page and f"series:{series_id}#{shown}" in page
    assert "(One episode watched):" in page and "Episode one sets up Mars well." in page
    assert "<details><summary>Spoilers" in page and "Rouge is Jean" in page.split("<details>")[1]
    assert "Rude words." not in page and "cleo" not in page
    assert f'id="{secret}"' in page
    assert 'lang="ja"' in page  # メタリックルージュ


async def test_hostile_text_and_names_are_shown_as_text(
    site: str, fake: FakeDiscord, guild: FakeGuild, mira: Member
) -> None:
    slug = await publish(mira)
    villain = join(fake, guild, HOSTILE[:30], PLAIN_PERMISSIONS)
    await post(villain, HOSTILE, overall=5)
    series_id = (await rouge(villain)).removeprefix("series:")
    _, page, _ = await get(f"{site}{slug}/series/{series_id}")
    assert "<script>" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page


async def crawl(site: str, slug: str) -> dict[str, str]:
    """Every page of a published server that the site links to, from its index, its feeds and the sitemaps,
    followed the way a search engine or a feed reader would: path → body (the sitemap index's links to
    other servers are not followed)."""
    bodies: dict[str, str] = {}
    waiting = [f"{slug}/", f"{slug}/feed.atom", "/sitemap.xml", f"{slug}/sitemap.xml"]
    while waiting:
        path = waiting.pop()
        if path in bodies:
            continue
        status, body, _ = await get(site + path)
        assert status == 200, path
        bodies[path] = body
        for link in re.findall(r'(?:href="|<loc>)([^"<#]+)', body):
            link = html.unescape(link).removeprefix("https://reviews.example")
            if link.startswith("?"):  # the pager's links
                link = path.split("?")[0] + link
            if link.startswith(f"{slug}/") and not link.endswith(".png"):  # this server's pages only
                waiting.append(link)
    return bodies


async def test_a_member_who_opts_out_is_named_on_no_page_of_the_site(
    site: str, fake: FakeDiscord, guild: FakeGuild, mira: Member
) -> None:
    """Every path a name reaches on the site (series pages and their ratings table, the index, reviewer
    pages, both feeds, the sitemaps), crawled from the index as a search engine would."""
    slug = await publish(mira)
    quillon = join(fake, guild, "Quillon", PLAIN_PERMISSIONS)
    number = await post(quillon, "Great opening.", overall=9)
    await post(join(fake, guild, "Other", PLAIN_PERMISSIONS), "Slow start.", overall=5)
    [their_page] = [
        p for p, body in (await crawl(site, slug)).items() if "/reviewer/" in p and "Great opening." in body
    ]
    token = their_page.rsplit("/", 1)[1]

    reply = await quillon.slash("impression privacy", named=False)
    assert reply.ephemeral and "A member" in reply.text
    pages = await crawl(site, slug)
    assert any(f'id="{number}"' in body and "A member" in body for body in pages.values())
    assert any("Great opening." in body for path, body in pages.items() if path.endswith("feed.atom"))
    named = [path for path, body in pages.items() if "quillon" in body.lower() or token in body]
    assert named == [], f"an opted-out member is named or linked on {named}"
    assert (await get(site + their_page))[0] == 404

    await quillon.slash("impression privacy", named=True)
    pages = await crawl(site, slug)
    assert their_page in pages
    assert all("Quillon" in pages[path] for path in (f"{slug}/", f"{slug}/feed.atom", their_page))


@pytest.mark.parametrize("how", UNPUBLISHED)
async def test_an_impression_not_published_is_on_no_page_of_the_site(
    site: str, fake: FakeDiscord, guild: FakeGuild, mira: Member, how: str
) -> None:
    slug = await publish(mira)
    for n in range(3):
        await post(join(fake, guild, f"reader{n}", PLAIN_PERMISSIONS), f"Published view {n}.", overall=7)
    zorvath = join(fake, guild, "Zorvath", PLAIN_PERMISSIONS)
    await post(zorvath, "Zorvath's published words.", overall=7)  # so Zorvath has a reviewer page
    number = await post_unpublished(how, mira, zorvath, "Zorvath's unseen words.")

    pages = await crawl(site, slug)

    assert any("Published view 2." in body for path, body in pages.items() if path.endswith("feed.atom"))
    assert any("Overall 7.0 · 4 reviewers" in body for body in pages.values())
    [zorvaths_page] = [body for path, body in pages.items() if "/reviewer/" in path and "Zorvath" in body]
    assert "Zorvath's published words." in html.unescape(zorvaths_page) and "1 impression ·" in zorvaths_page
    shown = [path for path, body in pages.items() if "unseen words" in body or f'id="{number}"' in body]
    assert shown == [], f"a {how} impression is on {shown}"


async def test_other_servers_unknown_paths_and_writes_get_a_page_never_a_traceback(
    site: str, bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, alice: Member, mira: Member
) -> None:
    slug = await publish(mira)
    elsewhere = await new_guild(fake, bot, "Elsewhere")
    their_mod = await moderator(fake, elsewhere, "theirs")
    their_slug = await publish(their_mod)
    await post(join(fake, elsewhere, "stranger", PLAIN_PERMISSIONS), "Only in Elsewhere.", overall=3)
    series_id = (await rouge(alice)).removeprefix("series:")
    _, ours, _ = await get(f"{site}{slug}/series/{series_id}")
    _, theirs, _ = await get(f"{site}{their_slug}/series/{series_id}")
    assert "Only in Elsewhere." not in ours and "Only in Elsewhere." in theirs

    page_of = f"{slug}/series/{series_id}"
    for path in (
        "/nobody-1/",
        "/nobody-1/sitemap.xml",
        f"{slug}/series/999999999",
        f"{slug}/series/abc",
        f"{page_of}?page=x",
        f"{page_of}?page=99",
        f"{page_of}?page=%C2%B2",
        f"{page_of}?page=" + "9" * 5000,
        "/../../etc/passwd",
        f"{page_of}/extra",
    ):  # fmt: skip  (%C2%B2: "²", a digit to isdigit)
        status, page, headers = await get(site + path)
        assert status == 404 and "Traceback" not in page and "Content-Security-Policy" in headers, path

    _, _, headers = await get(f"{site}{slug}/series/{series_id}")
    status, body, _ = await get(f"{site}{slug}/series/{series_id}", **{"If-None-Match": headers["ETag"]})
    assert status == 304 and body == ""
    await post(join(fake, guild, "latecomer", PLAIN_PERMISSIONS), "A new voice.", overall=6)
    status, body, _ = await get(f"{site}{slug}/series/{series_id}", **{"If-None-Match": headers["ETag"]})
    assert status == 200 and "A new voice." in body, "a write changes the page's tag"
    async with aiohttp.ClientSession() as session:
        async with session.head(f"{site}{slug}/") as response:
            assert response.status == 200
        async with session.post(f"{site}{slug}/", data="x") as response:
            assert response.status == 405 and response.headers["Allow"] == "GET, HEAD"


async def test_another_servers_data_reaches_no_one_here_on_any_path(
    site: str, bot: ReviewBot, fake: FakeDiscord, guild: FakeGuild, alice: Member, mira: Member
) -> None:
    """Another server holds data of every kind, some of it about a member both servers share: published,
    pending and waiting-edited impressions, a report, a ban and a site opt-out of the shared member, a
    watch on its own schedule, its own settings. Here, members and moderators read everything they can,
    in Discord and on the site; the shared member posts, reads and charts their own here. Nothing of the
    other server shows or counts here, its numbers typed here find nothing, and none of its rows change.
    (Most of these reads are kept apart by one `guild_id = ?` each; removing one passed the tests before.)"""
    rouge_ref = await rouge(alice)
    shared = fake.make_user("Samwise")
    elsewhere = await new_guild(fake, bot, "Elsewhere")
    theirs = await moderator(fake, elsewhere, "theirs")
    sam_there, quorvex = join(fake, elsewhere, "Samwise", user=shared), join(fake, elsewhere, "Quorvex")
    await publish(theirs)
    there = [await post(quorvex, "Quorvex's elsewhere words.", overall=1)]
    there.append(await post(sam_there, "The shared member's elsewhere words.", overall=1))
    there.append(await post(join(fake, elsewhere, "Ysolde"), "Ysolde's elsewhere words.", overall=1))  # 3: ranked
    await theirs.slash("mod settings", approval=True)
    edit = await quorvex.slash("impression edit", id=str(there[0]))
    await quorvex.submit(edit, text="Quorvex's edited elsewhere words.")
    there.append(await post(join(fake, elsewhere, "Zed"), "Zed's pending elsewhere words.", overall=1))
    reporter = join(fake, elsewhere, "reporter")
    card = (await reporter.slash("impression show", id=str(there[0]))).message
    await reporter.submit(await reporter.context_menu("Report impression", card), text="Elsewhere report.")
    await theirs.slash("mod ban", member=sam_there, reason="An elsewhere ban.")
    await sam_there.slash("impression privacy", named=False)
    await theirs.slash("watch schedule", series=rouge_ref, date="2024-01-11", time="02:00")
    await theirs.slash("watch add", series=rouge_ref)
    their_rows = fingerprint(bot.settings.database, elsewhere.id)

    slug = await publish(mira)
    await mira.slash("mod settings", post_limit=2)  # the shared member's post there must not count here
    sam = join(fake, guild, "Samwise", user=shared)
    await post(alice, "Alice's view here.", overall=8)
    bob = join(fake, guild, "bob")
    await post(bob, "Bob's view here.", overall=7)  # three reviewers: the series is ranked on the index
    mine = [await post(sam, "A shared member's view here.", overall=6)]  # not banned, nothing to edit instead
    second = await sam.slash("impression post", series=rouge_ref, scope="episodes", episodes=2, overall=6)
    mine.append((await sam.submit(second, text="A shared member's second view here.")).impression_id)
    assert all(isinstance(number, int) for number in mine), "the other server's ban or posts stopped a post here"

    seen = await everything_a_member_reads(bob, quorvex)
    seen += await every_page(sam, await sam.slash("impression mine"))  # every page of their own
    for command in ("impression show", "impression edit", "impression delete"):  # the last two: their own
        seen += [f"{c['name']} = {c['value']}" for c in await sam.autocomplete(command, "id", "")]
    _, chart = picture(await sam.click(await sam.slash("impression mine"), "My scores chart"))
    _, series_chart = picture(await alice.slash("series charts", title=rouge_ref))
    seen += [chart, series_chart]
    for command in ("mod queue", "mod reports", "mod log"):
        seen.append((await mira.slash(command)).text)
    watched = (await mira.slash("watch list")).text
    seen.append(watched)
    [export] = (await mira.slash("mod export")).last["files"]
    seen.append(str(export["content"]))
    pages = await crawl(site, slug)
    seen += [body for path, body in pages.items() if path != "/sitemap.xml"]  # (that one lists every server)

    leaked = [
        text[:300]
        for text in seen
        if re.search(rf"elsewhere|Quorvex|Zed|Ysolde|{elsewhere.id}", text, re.IGNORECASE)
        or any(re.search(rf'#{number}\b|id="{number}"|"id": {number}\b', text) for number in there)
    ]
    assert leaked == [], "the other server's data showed here"
    # What is counted here counts this server's alone (the other's scores are all 1s): the shared member's
    # own and the server's averages, the series chart, the season (one line), the site's index (one link
    # to the series in each list).
    assert "Overall 6.0 (1)" in chart and "averages of the same series: Overall 7.0 (3)" in chart, chart
    assert "Overall 7.0 (3)" in series_chart, series_chart
    [season] = [text for text in seen if "**Metallic Rouge**" in text and "Winter 2024" in text]
    assert season.count("**Metallic Rouge**") == 1 and "Overall 7.0 (3) · 4 impressions" in season, season
    series_id = rouge_ref.removeprefix("series:")
    assert pages[f"{slug}/"].count(f'/series/{series_id}"') == 2, "recently reviewed and best rated, once each"
    assert "Samwise" in pages[f"{slug}/series/{series_id}"], "opted out there, named here"  # (not in a text)
    assert "Metallic Rouge" not in watched, "the other server's watch is not listed here"

    for member, command in ((alice, "impression show"), (sam, "impression edit"), (sam, "impression delete")):
        for number in there[:2]:
            refused = await member.slash(command, id=str(number))
            assert refused.ephemeral and f"#{number}" in refused.text and "No " in refused.text, refused.text
    await sam.slash("impression privacy", named=True)  # named here: still not named there
    banned = await mira.slash("mod ban", member=sam, reason="Banned here too.")  # banned there, not here yet
    assert "is banned from reviewing" in banned.text and "already" not in banned.text, banned.text
    assert fingerprint(bot.settings.database, elsewhere.id) == their_rows


async def test_feeds_sitemap_best_rated_and_the_charts_image(
    site: str, fake: FakeDiscord, guild: FakeGuild, alice: Member, mira: Member
) -> None:
    slug = await publish(mira)
    readers = [alice, *(join(fake, guild, f"rater{n}", PLAIN_PERMISSIONS) for n in range(3))]
    for n, member in enumerate(readers):
        await post(member, f"Opinion {n} & <more>", spoiler=n == 0, overall=6 + n)
    series_id = (await rouge(alice)).removeprefix("series:")

    status, feed, headers = await get(f"{site}{slug}/feed.atom")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    assert feed.count("<entry>") == 4 and "Opinion 3 &amp; &lt;more&gt;" in feed
    assert "Opinion 0" not in feed and "Marked as a spoiler" in feed  # a spoiler's text stays on the page
    assert f"/series/{series_id}/feed.atom" in (await get(f"{site}{slug}/series/{series_id}"))[1]
    status, one_series, _ = await get(f"{site}{slug}/series/{series_id}/feed.atom")
    assert status == 200 and one_series.count("<entry>") == 4

    _, index_page, _ = await get(f"{site}{slug}/")
    assert "Best rated" in index_page and "Overall 7.5 · 4 reviewers" in index_page

    _, sitemaps, _ = await get(f"{site}/sitemap.xml")  # an index: one sitemap per published server
    assert f"<loc>https://reviews.example{slug}/sitemap.xml</loc>" in sitemaps
    _, sitemap, _ = await get(f"{site}{slug}/sitemap.xml")
    assert f"<loc>https://reviews.example{slug}/series/{series_id}</loc><lastmod>" in sitemap
    assert "Sitemap: https://reviews.example/sitemap.xml" in (await get(f"{site}/robots.txt"))[1]

    async with aiohttp.ClientSession() as session, session.get(f"{site}{slug}/series/{series_id}/charts.png") as image:
        assert image.status == 200 and image.content_type == "image/png"
        assert (await image.read()).startswith(b"\x89PNG")
    assert (await get(f"{site}{slug}/series/1/charts.png"))[0] == 404  # no impressions of it here


async def test_the_feed_stays_well_formed_xml_whatever_characters_the_text_holds(
    site: str, fake: FakeDiscord, guild: FakeGuild, mira: Member
) -> None:
    """XML 1.0 has no place for most control characters (a vertical tab, an escape, U+FFFF): one of them
    in one impression or name would make the whole feed unreadable to every feed reader."""
    slug = await publish(mira)
    odd = "".join(chr(code) for code in range(1, 32)) + "\x7f\ufffe\uffff"
    member = join(fake, guild, "Tab\x0bby" + odd[:5], PLAIN_PERMISSIONS)
    await post(member, f"Control{odd}characters, and the rest is kept.", overall=6)
    series_id = (await rouge(member)).removeprefix("series:")
    for path in (f"{slug}/feed.atom", f"{slug}/series/{series_id}/feed.atom", "/sitemap.xml", f"{slug}/sitemap.xml"):
        status, body, _ = await get(site + path)
        assert status == 200
        ElementTree.fromstring(body.encode())  # raises on a character XML cannot hold
    assert "characters, and the rest is kept." in (await get(f"{site}{slug}/feed.atom"))[1]
    _, page, _ = await get(f"{site}{slug}/series/{series_id}")
    assert "\x0b" not in page and "\x1b" not in page and "characters, and the rest is kept." in page


async def test_a_reviewer_page_names_no_user_id_and_disappears_when_they_opt_out(
    site: str, fake: FakeDiscord, guild: FakeGuild, mira: Member
) -> None:
    slug = await publish(mira)
    erin = join(fake, guild, "erin", PLAIN_PERMISSIONS)
    await post(erin, "Erin's first take.", overall=7)
    _, index_page, _ = await get(f"{site}{slug}/")
    [link] = [line for line in index_page.splitlines() if ">Erin<" in line]
    path = link.split('href="')[1].split('"')[0]
    assert str(erin.id) not in path and str(erin.id) not in index_page
    status, page, _ = await get(site + path)
    assert status == 200 and "Erin's first take." in page.replace("&#39;", "'") and str(erin.id) not in page

    await erin.slash("impression privacy", named=False)
    assert (await get(site + path))[0] == 404
    assert ">Erin<" not in (await get(f"{site}{slug}/"))[1]


@contextlib.asynccontextmanager
async def site_in_process(database: Path, address: str) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """The site's app on `database`, served in this process (aiohttp's test server), its links from `address`."""
    store = await Store.open(database)
    try:
        await store.moderation.update_settings(1, 99, {"public_slug": "club"})
        app = make_app(WebService(store.web, store.state), ChartService(store.charts, ChartWorker(5)), address)
        async with TestClient(TestServer(app)) as client:
            yield client
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("environment", "address"),
    [
        ({"PUBLIC_BASE_URL": "https://example.org/reviews"}, "https://example.org/reviews"),
        ({"WEB_HOST": "0.0.0.0", "WEB_PORT": "8123"}, "http://localhost:8123"),
        ({"WEB_HOST": "::1"}, "http://[::1]:8080"),
    ],
)
async def test_feed_and_sitemap_links_come_from_the_settings_never_from_the_requests_host(
    tmp_path: Path, environment: dict[str, str], address: str
) -> None:
    """Absolute links start with PUBLIC_BASE_URL (its path once), else the site's own address: a request's
    Host header is whatever the asker wrote, and a feed kept by a proxy would send every reader there."""
    settings = load_settings({"DISCORD_TOKEN": "t", **environment}, env_file=None)
    database = tmp_path / "site.sqlite3"
    store = await Store.open(database)
    try:
        series_id = await store.curation.add(CatalogEntry(title="Fixture Linked", sources=[]), 1, None)
        draft = Draft(series_id, 7, "Ann", "completed", None, "Linked from afar.", False, Scores(overall=8))
        await store.impressions.add(1, draft, "form-1", PostPolicy(exempt=True, default_limit=5))
    finally:
        await store.close()
    async with site_in_process(database, settings.site_address) as client:
        for path in ("/sitemap.xml", "/club/sitemap.xml", "/club/feed.atom", f"/club/series/{series_id}/feed.atom"):
            response = await client.get(path, headers={"Host": "evil.example"})
            body = await response.text()
            assert response.status == 200, path
            assert "evil.example" not in body, path
            links = re.findall(r'(?:<loc>|href=")([^<"]+)', body)
            assert links and all(link.startswith(f"{address}/club/") for link in links), (path, links)
        robots = await (await client.get("/robots.txt", headers={"Host": "evil.example"})).text()
        assert f"Sitemap: {address}/sitemap.xml" in robots


async def test_a_servers_sitemap_lists_every_series_it_reviewed_past_a_thousand(
    tmp_path: Path, seeded_database: Path
) -> None:
    """The sitemap stopped at each server's 1,000 most recently reviewed series; the rest were never listed."""
    database = tmp_path / "many.sqlite3"
    shutil.copy(seeded_database, database)
    with peek(database) as conn:
        series_ids = [row[0] for row in conn.execute("SELECT id FROM series ORDER BY id LIMIT 1200")]
    assert len(series_ids) == 1200
    fill_impressions(database, 1, 1200, 1, dict.fromkeys(series_ids, 1), 1)
    async with site_in_process(database, "https://x.example") as client:
        body = await (await client.get("/club/sitemap.xml")).read()
    listed = [loc.text for loc in ElementTree.fromstring(body).iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert listed[0] == "https://x.example/club/"
    assert sorted(listed[1:]) == sorted(f"https://x.example/club/series/{n}" for n in series_ids)
