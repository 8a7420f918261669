"""Regenerate bot/data/starter_catalog.json.gz from the npm package bangumi-data (CC BY 4.0).

    npm pack bangumi-data
    python scripts/build_starter_catalog.py bangumi-data-*.tgz

Only the fields the bot uses are kept, one compact row per series.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tarfile
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
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tarball", type=Path, help="the file `npm pack bangumi-data` wrote")
    args = parser.parse_args()
    with tarfile.open(args.tarball) as tar:
        package = json.load(tar.extractfile("package/package.json"))  # type: ignore[arg-type]
        data = json.load(tar.extractfile("package/dist/data.json"))  # type: ignore[arg-type]
    bundle = {
        "source": "bangumi-data",
        "version": package["version"],
        "license": "CC BY 4.0",
        "notice": "Series data from bangumi-data (https://github.com/bangumi-data/bangumi-data), CC BY 4.0.",
        "columns": [
            "title",
            "title_japanese",
            "synonyms",
            "format",
            "premiered",
            "ended",
            "official_site",
            "sites",
        ],
        "site_urls": {key: data["siteMeta"][key]["urlTemplate"] for key in INFO_SITES},
        "items": [row(item) for item in data["items"]],
    }
    raw = json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode()
    OUT.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    print(f"wrote {OUT} ({len(bundle['items'])} series, {OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
