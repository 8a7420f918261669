"""Small parsing rules shared by every layer."""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

INT64 = range(-(2**63), 2**63)  # what SQLite's and PostgreSQL's integer columns hold


def is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts "²" and other characters int() cannot read."""
    return text.isascii() and text.isdigit()


def number_below(text: str, end: int) -> int | None:
    """`text` as a whole number from 0 to `end` - 1, else None. Its length is looked at before int():
    int() refuses more than 4,300 digits with a ValueError (a setting of 5,000 digits was a traceback).
    Leading zeros are not digits that count ("08080" is a port)."""
    if not is_number(text):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(end)):
        return None
    value = int(digits)
    return value if value < end else None


def stored_id(text: str) -> int | None:
    """`text` as an id a database column can hold (a row id, a Discord snowflake), else None: a number
    beyond 2**63 reached SQLite as an OverflowError."""
    return number_below(text, INT64.stop)


_NONCHARACTERS = frozenset("\ufffe\uffff")  # never text (XML cannot hold them either)
# Letters and symbols that show nothing: the fillers members type for a "blank" name or message (the
# Hangul fillers, the blank braille pattern) and the variation selectors, which only change what precedes.
_BLANK_CHARS = "\u115f\u1160\u3164\uffa0\u2800" + "".join(map(chr, range(0xFE00, 0xFE10)))
_BLANK = frozenset(_BLANK_CHARS)


def is_invisible(char: str) -> bool:
    """Control, format (zero-width, bidi overrides and isolates), lone surrogate and noncharacters."""
    return unicodedata.category(char) in ("Cc", "Cf", "Cs") or char in _NONCHARACTERS


def is_blank(text: str) -> bool:
    """Whether nothing of `text` would show: only spaces, invisible characters and blank fillers. Such text
    passed every `strip()` as a title, an impression or a reason, and showed as nothing at all."""
    if (
        text.isprintable()
    ):  # no invisible character, no space but " ": decided in C (a catalog import asks 800,000 times)
        return not text.strip(" " + _BLANK_CHARS)
    return all(char.isspace() or char in _BLANK or is_invisible(char) for char in text)


def shown_text(value: object) -> str | None:
    """`value` without its surrounding spaces, when it is a string that shows something (see `is_blank`)."""
    return value.strip() if isinstance(value, str) and not is_blank(value) else None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Where JSON text can hold either: as an escape ("\u0000", "\ud800"), or a surrogate as itself. (An
# escaped backslash before "u" also matches: then the document is walked for nothing.)
_UNSTORABLE_IN_JSON = re.compile(r"\\u(?:0000|[dD][89a-fA-F])|[\ud800-\udfff]")


def is_storable(text: str) -> bool:
    """Whether both databases store `text` as it is: no NUL, no lone surrogate (see `storable`)."""
    return "\x00" not in text and (text.isascii() or _LONE_SURROGATE.search(text) is None)


def storable(value: Any) -> Any:
    """`value` with every string made text both databases store, however deep in lists and dicts:
    NUL taken out (never text a person typed; PostgreSQL refuses it, and many tools cut a string
    there) and a lone surrogate (half of a UTF-16 pair, which JSON can spell as "\\ud800") read as
    U+FFFD, as a decoder reads bytes that are not UTF-8 (neither SQLite nor PostgreSQL can encode it:
    a catalog title holding one stopped `catalog import` with a traceback). Applied where text comes
    in: interactions (bot.client) and JSON from outside (`read_json`). Nearly always there is nothing to
    change: then `value` itself comes back, found in one pass that builds nothing (rebuilding every dict
    of an interaction's data and member took 8.6 µs of each interaction, the pass takes 3.9)."""
    return _rebuilt_storable(value) if _holds_unstorable(value) else value


def _holds_unstorable(value: Any) -> bool:
    """Whether any string in `value` (however deep in lists and dicts) is not storable as it is
    (`is_storable`, written out: a call per string cost as much as rebuilding the value)."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return not is_storable(value) if kind is str else isinstance(value, str | list | dict)
    search = _LONE_SURROGATE.search
    pending = [value]
    while pending:
        container = pending.pop()
        for item in container.values() if type(container) is dict else container:
            kind = type(item)
            if kind is str:
                if "\x00" in item or (not item.isascii() and search(item) is not None):
                    return True
            elif kind is dict or kind is list:
                pending.append(item)
            elif item is not None and kind is not int and kind is not bool and isinstance(item, str | list | dict):
                return True  # a subclass of one, never from JSON: the long way
    return False


def _rebuilt_storable(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        if not value.isascii() and _LONE_SURROGATE.search(value):
            value = _LONE_SURROGATE.sub("\ufffd", value)
        return value
    if isinstance(value, list):
        return [_rebuilt_storable(item) for item in value]
    if isinstance(value, dict):
        return {key: _rebuilt_storable(item) for key, item in value.items()}
    return value


# Instants outside these years are a dataset's error, never an airing or a post: refused where they are
# read, so no schedule's arithmetic (start + episodes × period, a change of time zone) can leave datetime's
# range.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def parse_instant(text: str) -> datetime | None:
    """An ISO 8601 instant (UTC when it names no offset) from 1900 to 2200, else None."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment if EARLIEST <= moment <= LATEST else None
    except OverflowError:  # year 1 or 9999 with an offset: comparing converts it to UTC, out of range
        return None


SLUG = r"[a-z0-9-]{1,60}"  # what a server's address on the public site may be


def _base36(number: int) -> str:
    digits = ""
    while number:
        number, digit = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
    return digits or "0"


def public_slug(guild_name: str, guild_id: int) -> str:
    """ "Anime Club" → "anime-club-1x2y3z…": readable, and unique by the server's id in base 36."""
    ascii_name = unicodedata.normalize("NFKD", guild_name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return f"{words or 'server'}-{_base36(guild_id)}"


def is_slug_of(slug: str, guild_id: int) -> bool:
    """Whether `slug` is an address `public_slug` gives that server (whatever its name was then): no
    other server's, so a restore file cannot take the address another server has or will have."""
    words, _, digits = slug.rpartition("-")
    return re.fullmatch(SLUG, slug) is not None and bool(words) and digits == _base36(guild_id)


LINK_MAX = 512  # Discord's longest link button URL
_HOST = re.compile(r"(?:(?!-)[a-z0-9_-]{1,63}(?<!-)\.)*(?!-)[a-z0-9_-]{1,63}(?<!-)\.?")  # labels, in one match


def host_name(text: str) -> str | None:
    """`text` when it is a host name (IDNA letters, digits, hyphens, dots) or an IP address literal."""
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    try:
        ascii_name = (text if text.isascii() else text.encode("idna").decode("ascii")).lower()
    except UnicodeError:
        return None  # an empty or overlong label, or a character no host name can hold
    if len(ascii_name) > 253 or not _HOST.fullmatch(ascii_name):
        return None
    if is_number(ascii_name.removesuffix(".").rpartition(".")[2]):  # no top-level domain is a number: browsers
        return None  # read the name as an IPv4 address, a bad one
    return text


def link_url(text: str | None, *, https_only: bool = False) -> str | None:
    """`text` when it is an address Discord and a browser open as a link (http or https, a host, no
    space or invisible character, at most LINK_MAX characters), else None. No user name before the host:
    "https://discord.com@evil.example/" leads to evil.example. Pictures Discord shows: `https_only`."""
    if not text or len(text) > LINK_MAX:
        return None  # (before the cache: only addresses of a link's size are remembered)
    return _checked_link(text, https_only)


@lru_cache(maxsize=4096)  # a card's links are checked at each build of its buttons: the same few addresses
def _checked_link(text: str, https_only: bool) -> str | None:
    if not (text.isascii() and text.isprintable() and " " not in text) and any(
        unicodedata.category(char)[0] in "CZ" for char in text
    ):  # (printable ASCII but the space holds none of those: only other text is read character by character)
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (reading it checks it: a port that is not a number 0-65535 raises)
    except ValueError:
        return None
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes or "@" in parts.netloc or "\\" in text or not parts.hostname:
        return None
    host = parts.hostname
    if parts.netloc.startswith("["):  # an IPv6 literal: urlsplit checked its brackets, not its address
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
        return text
    return text if host_name(host) is not None else None


class UnreadableJson(json.JSONDecodeError):
    """JSON no parser reads to the end, for a reason that has no line and column."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "", 0)

    def __str__(self) -> str:
        return self.msg


class NotUtf8(UnreadableJson):
    pass


def read_json(data: str | bytes) -> Any:
    """`json.loads` for a document from outside (a dataset, a restore file, an API's answer), with its
    text made `storable`. Anything unreadable is a `json.JSONDecodeError`, which every caller expects:
    nesting too deep for the parser (json raised RecursionError: a file of 200,000 "[" was a traceback)
    and bytes that are not UTF-8 (or the UTF-16/32 JSON allows), read strictly: json.loads itself lets
    the bytes of a surrogate through."""
    try:
        text = data.decode(json.detect_encoding(data)) if isinstance(data, bytes) else data
    except UnicodeDecodeError as error:
        raise NotUtf8(f"not UTF-8 text ({error.reason} at byte {error.start:,})") from None
    try:
        document = json.loads(text)
    except RecursionError:
        raise UnreadableJson("nested too deeply to read") from None
    return storable(document) if _UNSTORABLE_IN_JSON.search(text) else document
