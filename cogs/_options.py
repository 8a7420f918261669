"""Option types shared by the impression commands, and the seven score options declared once."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Literal

from discord import app_commands

from bot.models import CATEGORIES
from bot.services.impressions import MAX_EPISODES

Scope = Literal["episodes", "completed", "dropped"]
# Bounded in the command's schema, so a client refuses 11 before sending it; the service checks again.
Score = app_commands.Range[int, 1, 10]
Episodes = app_commands.Range[int, 1, MAX_EPISODES]


def score_options(help_text: str) -> Callable[[Callable[..., Any]], Any]:
    """Give a command one optional 1-10 option per category, from CATEGORIES, so a category is written
    once. discord.py reads options from the callback's signature, so this adds the seven to it, before
    the callback's keyword-only options; the callback takes them as `**scores`. `help_text` describes
    each, with `{name}` / `{lower}` for the category's name. (Typed `Any` out: mypy cannot follow a
    signature built at run time; discord.py checks the real one when the command is created.)"""

    def decorator(func: Callable[..., Any]) -> Any:
        signature = inspect.signature(func)
        kept = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        at = next((i for i, p in enumerate(kept) if p.kind is inspect.Parameter.KEYWORD_ONLY), len(kept))
        # The annotation is the type itself, not a string: discord.py would resolve a string against
        # the callback's module, which need not import Score.
        added = [
            inspect.Parameter(field, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Score | None)
            for field, _, _ in CATEGORIES
        ]
        # A function takes attributes, which Callable's type does not say; inspect.signature reads this one.
        func.__signature__ = signature.replace(parameters=[*kept[:at], *added, *kept[at:]])  # type: ignore[attr-defined]
        help_by_field = {field: help_text.format(name=name, lower=name.lower()) for field, name, _ in CATEGORIES}
        return app_commands.describe(**help_by_field)(func)

    return decorator
