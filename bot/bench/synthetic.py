"""Synthetic catalogs with realistic name shapes: romaji titles, English titles, katakana, sequels."""

from __future__ import annotations

import random
from typing import Any

SYLLABLES = (
    "ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho ma mi mu me mo "
    "ya yu yo ra ri ru re ro wa n ga gi gu ge go za ji zu ze zo da de do ba bi bu be bo pa pi pu pe po"
).split()
KATAKANA = (
    "カキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
    "ガギグゲゴザジズゼゾダデドバビブベボパピプペポ"
)
ENGLISH = (
    "the of a in my is to and girl boy world sword magic school love war star night dragon demon hero "
    "last first moon sky sea blue red black white academy princess knight slayer hunter rouge metal "
    "journey end beyond spirit ghost city dream heart story legend chronicle saga tale summer winter"
).split()
PARTICLES = ["no", "wa", "ga", "to", "ni", "de"]
FORMATS = ["TV", "MOVIE", "OVA", "ONA", "SPECIAL"]
SEASONS = ["WINTER", "SPRING", "SUMMER", "FALL"]


def _romaji_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def _romaji_title(rng: random.Random) -> str:
    words = []
    for i in range(rng.randint(1, 5)):
        if i and rng.random() < 0.35:
            words.append(rng.choice(PARTICLES))
        words.append(_romaji_word(rng))
    return " ".join(words).title()


def _english_title(rng: random.Random) -> str:
    return " ".join(rng.choice(ENGLISH) for _ in range(rng.randint(2, 6))).title()


def _katakana(rng: random.Random) -> str:
    return "".join(rng.choice(KATAKANA) for _ in range(rng.randint(3, 10)))


def offline_database(count: int, seed: int = 7) -> dict[str, Any]:
    """An anime-offline-database document with `count` entries (about 5 names each)."""
    rng = random.Random(seed)
    data = []
    for n in range(count):
        title = _romaji_title(rng)
        if rng.random() < 0.15:
            title += f" Season {rng.randint(2, 5)}"
        synonyms = [_english_title(rng), _katakana(rng), _romaji_title(rng)]
        if rng.random() < 0.5:
            synonyms.append(title.upper())
        data.append(
            {
                "sources": [
                    f"https://anidb.net/anime/{1_000_000 + n}",
                    f"https://kitsu.app/anime/{2_000_000 + n}",
                ],
                "title": title,
                "type": rng.choice(FORMATS),
                "episodes": rng.randint(1, 50),
                "status": "FINISHED",
                "animeSeason": {"season": rng.choice(SEASONS), "year": rng.randint(1970, 2026)},
                "picture": f"https://cdn.example.org/{n}.jpg",
                "synonyms": synonyms,
                "studios": [_english_title(rng)],
                "tags": rng.sample(ENGLISH, 4),
            }
        )
    return {
        "license": {"name": "ODbL-1.0"},
        "repository": "synthetic",
        "lastUpdate": "2026-11-25",
        "data": data,
    }


def queries(document: dict[str, Any], count: int, seed: int = 11) -> list[str]:
    """What members type: prefixes as they type, typos, other word orders, Japanese, nothing."""
    rng = random.Random(seed)
    entries = document["data"]
    typed = []
    for _ in range(count):
        entry = rng.choice(entries)
        name = rng.choice([entry["title"], *entry["synonyms"]])
        kind = rng.random()
        if kind < 0.35:
            typed.append(name[: rng.randint(1, max(1, len(name)))])  # typing, keystroke by keystroke
        elif kind < 0.6:
            chars = list(name)
            if len(chars) > 3:
                i = rng.randrange(len(chars) - 1)
                chars[i], chars[i + 1] = chars[i + 1], chars[i]  # a transposition typo
            typed.append("".join(chars))
        elif kind < 0.75:
            typed.append(" ".join(reversed(name.split())))
        elif kind < 0.95:
            typed.append(name.lower())
        else:
            typed.append("")
    return typed
