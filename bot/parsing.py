"""Small parsing rules shared by every layer."""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit


def is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts "²" and other characters int() cannot read."""
    return text.isascii() and text.isdigit()


def without_nul(value: Any) -> Any:
    """`value` with every NUL character taken out of its strings, however deep in lists and dicts. NUL
    is never text a person typed, PostgreSQL refuses to store it, and many tools cut a string there: so
    it is taken out where text comes in (interactions, catalog datasets), the same on both backends."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {key: without_nul(item) for key, item in value.items()}
    return value


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


def read_json(data: str | bytes) -> Any:
    """`json.loads` for a document from outside (a dataset, a restore file, an API's answer): nesting too
    deep for the parser is a `json.JSONDecodeError` like any other malformed JSON, where json itself
    raises RecursionError, which no caller of a parser expects (a file of 200,000 "[" was a traceback)."""
    try:
        return json.loads(data)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply to read", "", 0) from None
