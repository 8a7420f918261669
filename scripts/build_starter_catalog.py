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
from pathlib import Path

from bot.services.bangumi import add_romaji, bangumi_bundle, romanizers

OUT = Path(__file__).resolve().parent.parent / "bot" / "data" / "starter_catalog.json.gz"


def write(bundle: dict) -> None:
    raw = json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode()
    OUT.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    print(f"wrote {OUT} ({len(bundle['items'])} series, {OUT.stat().st_size / 1024:.0f} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tarball", type=Path, nargs="?", help="the file `npm pack bangumi-data` wrote")
    parser.add_argument("--romaji-only", action="store_true", help="only add romaji to the bundle there is")
    args = parser.parse_args()
    readers = romanizers()
    if not readers:
        parser.error('romaji need cutlet: pip install -e ".[build]"')
    if args.romaji_only:
        bundle = json.loads(gzip.decompress(OUT.read_bytes()))
        add_romaji(bundle, readers)
        write(bundle)
        return
    if args.tarball is None:
        parser.error("give the bangumi-data tarball, or --romaji-only")
    with tarfile.open(args.tarball) as tar:
        package = json.load(tar.extractfile("package/package.json"))  # type: ignore[arg-type]
        data = json.load(tar.extractfile("package/dist/data.json"))  # type: ignore[arg-type]
    bundle, unusable = bangumi_bundle(data, package["version"], merging=False)
    print(f"{unusable} items without a title left out")
    add_romaji(bundle, readers)
    write(bundle)


if __name__ == "__main__":
    main()
