"""Small parsing rules shared by every layer."""

from __future__ import annotations

from typing import Any


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
