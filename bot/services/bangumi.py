"""bangumi-data (https://github.com/bangumi-data/bangumi-data, CC BY 4.0) in the catalog's terms: the rows
the starter bundle is made of, from the bundle's build script and from a release fetched by
`python -m bot catalog refresh` alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.parsing import EARLIEST, LATEST, link_url, shown_text
from bot.services.airing import JST

FORMATS = {"tv": "TV", "movie": "Movie", "ova": "OVA", "web": "ONA"}
# The information sites we link to and merge on, in the order the card shows them.
INFO_SITES = ("aniList", "mal", "anidb", "bangumi")
COLUMNS = [
    "title", "title_japanese", "synonyms", "format", "premiered", "ended", "official_site", "sites", "broadcast",
    "romaji",
]  # fmt: skip
NOTICE = "Series data from bangumi-data (https://github.com/bangumi-data/bangumi-data), CC BY 4.0."


class NotBangumiData(ValueError):
    """The document is not a bangumi-data release (the message says what is wrong)."""


def tokyo_date(instant: object) -> str | None:
    """Premiere dates are the day in Japan: 2024-01-10T16:25Z is January 11 there."""
    if not isinstance(instant, str) or not instant:
        return None
    try:
        moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    except ValueError:
        return None
    if not EARLIEST.year <= moment.year < LATEST.year:  # (a dataset's error; year 1 or 9999 overflows below)
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=JST)).astimezone(JST).date().isoformat()


def _strings(value: object) -> list[str]:
    return [item for item in value if shown_text(item)] if isinstance(value, list) else []


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def english_title(item: dict[str, Any]) -> str | None:
    translations = _object(item.get("titleTranslate"))
    english = _strings(translations.get("en"))
    # bangumi-data often lists an all-caps logo spelling first ("METALLIC ROUGE"); prefer the normal one.
    return next((t for t in english if not t.isupper()), english[0] if english else None)


def bangumi_row(item: object) -> list[Any]:
    """One `items[]` element as a bundle row (COLUMNS, romaji still empty); ValueError when unusable."""
    if not isinstance(item, dict) or not shown_text(item.get("title")):
        raise ValueError("an item without a title")
    english = english_title(item)
    original = item["title"].strip()
    translations = _object(item.get("titleTranslate"))
    synonyms: list[str] = []
    for language in ("en", "zh-Hans", "zh-Hant"):
        for name in _strings(translations.get(language)):
            if name not in (english, original) and name not in synonyms:
                synonyms.append(name)
    sites = {
        site["site"]: str(site["id"])
        for site in item.get("sites") or []
        if isinstance(site, dict) and site.get("site") in INFO_SITES and isinstance(site.get("id"), str | int)
    }
    official = item.get("officialSite")
    broadcast = item.get("broadcast")
    return [
        english or original,
        original if item.get("lang") == "ja" else None,
        synonyms,
        FORMATS.get(str(item.get("type", ""))),
        tokyo_date(item.get("begin")),
        tokyo_date(item.get("end")),
        link_url(official) if isinstance(official, str) else None,
        sites,
        broadcast if isinstance(broadcast, str) and broadcast else None,  # when its episodes air
        [],
    ]


def bangumi_bundle(data: object, version: str, *, merging: bool = True) -> tuple[dict[str, Any], int]:
    """A release's `dist/data.json` as a starter bundle, and how many items were unusable and left out.
    `merging`: into a catalog that has series already, where an item without an information site could
    only ever be added again (the starter bundle, loaded into an empty catalog, keeps them)."""
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("items"), list)
        or not isinstance(data.get("siteMeta"), dict)
    ):
        raise NotBangumiData("it has no `items` list and `siteMeta` object: is it bangumi-data's dist/data.json?")
    meta = data["siteMeta"]
    templates = {key: meta[key].get("urlTemplate") for key in INFO_SITES if isinstance(meta.get(key), dict)}
    if not all(isinstance(url, str) and "{{id}}" in url for url in templates.values()) or not templates:
        raise NotBangumiData("its `siteMeta` has no usable urlTemplate for AniList, MAL, AniDB or Bangumi.")
    rows, unusable = [], 0
    for item in data["items"]:
        try:
            row = bangumi_row(item)
        except ValueError:
            unusable += 1
            continue
        row[7] = {site: site_id for site, site_id in row[7].items() if site in templates}
        if row[7] or not merging:
            rows.append(row)
        else:
            unusable += 1
    if not rows:
        raise NotBangumiData("none of its items has a title and an information site.")
    bundle = {
        "source": "bangumi-data", "version": version, "license": "CC BY 4.0", "notice": NOTICE,
        "columns": COLUMNS, "site_urls": templates, "items": rows,
    }  # fmt: skip
    return bundle, unusable


def romanizers() -> list[Callable[[str], str]]:
    """Two readings of each title: kana loanwords as romaji ("hiiroo akademia") and in their English
    spelling ("hero academia"); members type either. Empty without cutlet (the `build` extra): then names
    to search by come from AniList enrichment instead."""
    try:
        import cutlet  # type: ignore[import-not-found,unused-ignore]  # optional: the `build` extra
    except ImportError:
        return []
    literal, foreign = cutlet.Cutlet(), cutlet.Cutlet()
    literal.use_foreign_spelling = False
    return [literal.romaji, foreign.romaji]


def romaji_of(japanese: str | None, known: list[str], readers: list[Callable[[str], str]]) -> list[str]:
    if not japanese:
        return []
    found: list[str] = []
    for read in readers:
        text = " ".join(read(japanese).replace("/", " ").split())
        if text and text.casefold() not in {k.casefold() for k in known + found}:
            found.append(text)
    return found


def add_romaji(bundle: dict[str, Any], readers: list[Callable[[str], str]]) -> None:
    for item in bundle["items"]:
        del item[len(COLUMNS) - 1 :]
        title, japanese, synonyms = item[0], item[1], item[2]
        item.append(romaji_of(japanese, [title, *synonyms], readers))
    bundle["columns"] = COLUMNS
