"""The public site in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright): the
series page at a phone's width, its ratings table and an impression, a spoiler opened, a permalink
followed, no console errors and no sideways scrolling. `.ci/run` installs Chromium and sets
REQUIRE_BROWSER=1, so there these tests run or fail; on a machine without Chromium they are skipped."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakediscord import FakeDiscord, FakeGuild, Member
from tests.harness import PLAIN_PERMISSIONS, join
from tests.test_web import bot, publish, served  # noqa: F401 - this module's bot, serving its site

CHROMIUM = shutil.which("chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("REQUIRE_BROWSER is set but Chromium is not installed (apt-get install chromium)")
        pytest.skip("Chromium is not installed here (.ci/run installs it)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        await launched.close()


@pytest.fixture
def site(served: tuple[Any, str]) -> str:  # noqa: F811
    return served[1]


async def test_a_phone_reads_the_series_page_opens_a_spoiler_and_follows_a_permalink(
    browser: Any, site: str, fake: FakeDiscord, guild: FakeGuild, alice: Member, mira: Member, tmp_path: Path
) -> None:
    slug = await publish(mira)
    [choice, *_] = await alice.autocomplete("impression post", "series", "metallic rouge")
    numbers = []
    for n, member in enumerate([alice, *(join(fake, guild, f"reader{k}", PLAIN_PERMISSIONS) for k in range(24))]):
        form = await member.slash("impression post", series=choice["value"], scope="episodes", episodes=1,
                                  overall=1 + n % 10, spoiler=n == 0)  # fmt: skip
        text = "The twist: Rouge is Jean." if n == 0 else f"Reader {n} liked the opening a lot, " * 3
        numbers.append((await member.submit(form, text=text)).impression_id)
    series_id = str(choice["value"]).removeprefix("series:")

    page = await browser.new_page(viewport={"width": 375, "height": 740})
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.goto(f"{site}{slug}/series/{series_id}?page=2")  # the oldest: alice's spoiler is there
    assert await page.locator("table.ratings").is_visible()
    assert await page.locator("table.ratings tfoot").inner_text() != ""
    spoiler = page.locator(f'[id="{numbers[0]}"] details')
    assert not await spoiler.locator("p.text").is_visible()
    await spoiler.locator("summary").click()
    assert await spoiler.locator("p.text").is_visible()
    width = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    wide = await page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth)"
        ".map(e => e.tagName + '.' + e.className).slice(0, 5)"
    )
    assert width[0] <= width[1], f"the page scrolls sideways at 375 px: {width}, {wide}"
    await page.screenshot(path=str(tmp_path / "series-375.png"), full_page=True)

    await page.goto(f"{site}{slug}/series/{series_id}#{numbers[-1]}")  # a permalink: series:<id>#<number>
    anchored = page.locator(f'[id="{numbers[-1]}"]')
    assert await anchored.is_visible() and await anchored.evaluate("e => e.getBoundingClientRect().top < 200")
    assert problems == []
    await page.close()


async def _sideways(page: Any) -> list[str]:
    """What sticks out past the window's right edge, when the page scrolls sideways."""
    width = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] <= width[1]:
        return []
    return await page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth"
        " && !e.closest('.table-wrap')).map(e => e.tagName + '.' + e.className).slice(0, 5)"
    ) or [f"{width}"]


async def test_no_page_scrolls_sideways_at_a_phones_width_whatever_words_it_holds(
    browser: Any,
    bot: Any,  # noqa: F811
    site: str,
    fake: FakeDiscord,
    guild: FakeGuild,
    mira: Member,
) -> None:
    """A word longer than a phone is wide (a title, a keyword, a studio, a name, a text without spaces) is
    broken where it must be; only the ratings table may scroll, inside its own frame."""
    from bot.models import CatalogEntry
    from bot.store.catalog import CatalogWriter

    long = "Supercalifragilistic" * 6
    with CatalogWriter(bot.settings.database) as writer:
        writer.upsert([CatalogEntry(
            title=long, sources=["https://example.org/anime/long-words"], title_english=long + "E",
            title_japanese="長" * 60, synonyms=[long + "S"], studios=[long + "Studio"], keywords=[long + "K"] * 3,
            format="TV", episodes=12, premiered="2024-01-01",
        )])  # fmt: skip
    await bot.services.search.refresh()
    series = await bot.services.series.find_ref(long[:90])
    slug = await publish(mira)
    member = join(fake, guild, "N" * 32, PLAIN_PERMISSIONS)  # Discord's longest display name
    form = await member.slash("impression post", series=f"series:{series.id}", scope="completed", overall=7)
    await member.submit(form, text=long * 3)
    page = await browser.new_page(viewport={"width": 375, "height": 740})
    try:
        await page.goto(f"{site}{slug}/")
        reviewer = await page.locator("a[href*='/reviewer/']").first.get_attribute("href")
        for path in (f"{slug}/", f"{slug}/series/{series.id}", str(reviewer)):
            await page.goto(site + path if path.startswith("/") else f"{site}/{path}")
            assert await _sideways(page) == [], path
    finally:
        await page.close()
