"""Regenerate bot/data/starter_catalog.json.gz from the npm package bangumi-data (CC BY 4.0).

    pip install -e ".[build]"
    npm pack bangumi-data
    python scripts/build_starter_catalog.py bangumi-data-*.tgz
    python scripts/build_starter_catalog.py --romaji-only   # add romaji to the bundle as it is

Only the fields the bot uses are kept, one compact row per series. Each Japanese title also gets its
romaji (search-only names, so "shingeki no kyojin" finds 進撃の巨人 without the full import), made here
with cutlet (MeCab and UniDic: it reads 千尋 as Chihiro and 君の名は as Kimi no na wa, where pykakasi
gives "senjin" and "kun no mei ha"), so the bot itself needs no dictionary at run time.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tarfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
OUT = Path(__file__).resolve().parent.parent / "bot" / "data" / "starter_catalog.json.gz"
FORMATS = {"tv": "TV", "movie": "Movie", "ova": "OVA", "web": "ONA"}
# The information sites we link to and merge on, in the order the card shows them.
INFO_SITES = ("aniList", "mal", "anidb", "bangumi")


def tokyo_date(instant: str) -> str | None:
    """Premiere dates are the day in Japan: 2024-01-10T16:25Z is January 11 there."""
    if not instant:
        return None
    moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    return moment.astimezone(TOKYO).date().isoformat()


def english_title(item: dict) -> str | None:
    english = item.get("titleTranslate", {}).get("en", [])
    # bangumi-data often lists an all-caps logo spelling first ("METALLIC ROUGE"); prefer the normal one.
    return next((t for t in english if not t.isupper()), english[0] if english else None)


def row(item: dict) -> list:
    english = english_title(item)
    original = item["title"]
    translations = item.get("titleTranslate", {})
    synonyms = []
    for language in ("en", "zh-Hans", "zh-Hant"):
        for name in translations.get(language, []):
            if name not in (english, original) and name not in synonyms:
                synonyms.append(name)
    sites = {s["site"]: s["id"] for s in item.get("sites", []) if s["site"] in INFO_SITES and s.get("id")}
    return [
        english or original,
        original if item.get("lang") == "ja" else None,
        synonyms,
        FORMATS.get(item.get("type", "")),
        tokyo_date(item.get("begin", "")),
        tokyo_date(item.get("end", "")),
        item.get("officialSite") or None,
        sites,
        item.get("broadcast") or None,  # "R/2024-01-10T16:25:00.000Z/P7D": when its episodes air
    ]


COLUMNS = [
    "title", "title_japanese", "synonyms", "format", "premiered", "ended", "official_site", "sites", "broadcast",
    "romaji",
]  # fmt: skip


def romanizers() -> list[Callable[[str], str]]:
    """Two readings of each title: kana loanwords as romaji ("hiiroo akademia") and in their English
    spelling ("hero academia"); members type either."""
    import cutlet  # a build-time dependency only (the `build` extra)

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


def add_romaji(bundle: dict) -> None:
    readers = romanizers()
    for item in bundle["items"]:
        del item[len(COLUMNS) - 1 :]
        title, japanese, synonyms = item[0], item[1], item[2]
        item.append(romaji_of(japanese, [title, *synonyms], readers))
    bundle["columns"] = COLUMNS


def write(bundle: dict) -> None:
    raw = json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode()
    OUT.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    print(f"wrote {OUT} ({len(bundle['items'])} series, {OUT.stat().st_size / 1024:.0f} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tarball", type=Path, nargs="?", help="the file `npm pack bangumi-data` wrote")
    parser.add_argument("--romaji-only", action="store_true", help="only add romaji to the bundle there is")
    args = parser.parse_args()
    if args.romaji_only:
        bundle = json.loads(gzip.decompress(OUT.read_bytes()))
        add_romaji(bundle)
        write(bundle)
        return
    if args.tarball is None:
        parser.error("give the bangumi-data tarball, or --romaji-only")
    with tarfile.open(args.tarball) as tar:
        package = json.load(tar.extractfile("package/package.json"))  # type: ignore[arg-type]
        data = json.load(tar.extractfile("package/dist/data.json"))  # type: ignore[arg-type]
    bundle = {
        "source": "bangumi-data",
        "version": package["version"],
        "license": "CC BY 4.0",
        "notice": "Series data from bangumi-data (https://github.com/bangumi-data/bangumi-data), CC BY 4.0.",
        "columns": COLUMNS,
        "site_urls": {key: data["siteMeta"][key]["urlTemplate"] for key in INFO_SITES},
        "items": [row(item) for item in data["items"]],
    }
    add_romaji(bundle)
    write(bundle)


if __name__ == "__main__":
    main()
