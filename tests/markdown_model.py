"""Just enough of Discord's markdown to tell what a rendered string would do: escapes, links, fences,
spoilers, line-start blocks and mentions. Tests use it to prove untrusted text stays inert."""

from __future__ import annotations

import re
from collections.abc import Iterator

ESCAPED = "\x00"  # stands for a character a backslash made literal


def _tokens(text: str) -> Iterator[tuple[str, bool]]:
    """Each shown character and whether a backslash made it literal.

    Discord's rule: a backslash before any character that is not a letter, digit or space makes it literal.
    """
    index = 0
    while index < len(text):
        char = text[index]
        following = text[index + 1] if index + 1 < len(text) else ""
        if char == "\\" and following and not following.isalnum() and not following.isspace():
            yield following, True
            index += 2
        else:
            yield char, False
            index += 1


def live(text: str) -> str:
    """`text` with every backslash-escaped character replaced by a placeholder: what markup remains."""
    return "".join(ESCAPED if escaped else char for char, escaped in _tokens(text))


def unescape(text: str) -> str:
    return "".join(char for char, _ in _tokens(text))


MASKED_LINK = re.compile(r"\[[^\n]*?\]\(\s*<?\s*\w+:")
MENTION = re.compile(r"<(@[!&]?|#)(\d*)>?|@(everyone|here)", re.IGNORECASE)
LINE_BLOCK = re.compile(r"(?m)^[ \t]*(#|-#|>|[-+*] |\d+\. )")


def live_masked_links(text: str) -> list[str]:
    """Masked links Discord would render: each starts at a `[` no backslash made literal; what follows
    is read raw, since an escaped `]` inside the label does not stop the link."""
    shown = live(text)
    found = []
    raw_index = 0
    for char in shown:
        if char == "[":
            match = MASKED_LINK.match(text, raw_index)
            if match:
                found.append(match[0])
        raw_index += 2 if char == ESCAPED else 1
    return found


def problems(text: str, *, spoilers: int = 0, fences: int = 0, own_mentions: frozenset[str] = frozenset()) -> list[str]:
    """What in `text` would render as markup beyond what the bot itself put there (`own_mentions`:
    ids of members the bot itself names, such as a report's author)."""
    shown = live(text)
    found = []
    if live_masked_links(text):
        found.append("a live masked link")
    if shown.count("```") != fences:
        found.append(f"{shown.count('```')} code fences, expected {fences}")
    if shown.count("||") != spoilers:
        found.append(f"{shown.count('||')} spoiler bars, expected {spoilers}")
    outside_code = re.sub(r"```.*?```", "", shown, flags=re.DOTALL)  # a code block shows its text as is
    for mention in MENTION.finditer(outside_code):
        if not (mention[1] == "@" and mention[2] in own_mentions):
            found.append(f"a live mention {mention[0]!r}")
    return found
