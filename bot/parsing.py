"""Small parsing rules shared by every layer."""

from __future__ import annotations


def is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts "²" and other characters int() cannot read."""
    return text.isascii() and text.isdigit()
