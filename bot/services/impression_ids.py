"""The custom_ids of the impression forms and buttons, encoded and decoded in one place.

A form carries everything but its text in its id (scope, episodes, scores, spoiler and a nonce), so it
is answered after a restart and a second submission of the same form is recognised.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from bot.models import CATEGORY_FIELDS, Scores

_SCORE_CHARS = "123456789a"  # 1..10 as one character each, for custom_ids


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything about a new impression but its text: what the modal's custom_id carries."""

    series_id: int
    scope: str
    episodes_watched: int | None
    scores: Scores
    spoiler: bool
    nonce: str


def encode_plan(plan: Plan) -> str:
    scores = "".join("_" if v is None else _SCORE_CHARS[v - 1] for v in plan.scores.values())
    episodes = plan.episodes_watched or ""
    return f"imp:post:{plan.series_id}:{plan.scope[0]}{episodes}:{scores}:{int(plan.spoiler)}:{plan.nonce}"


PLAN_FORM = r"imp:post:(\d{1,18}):([ecd])(\d{0,6}):([1-9a_]{7}):([01]):([\w-]{4,16})"
_PLAN = re.compile(f"^{PLAN_FORM}$")


def decode_plan(custom_id: str) -> Plan | None:
    match = _PLAN.match(custom_id)
    if match is None:
        return None
    series_id, scope, episodes, scores, spoiler, nonce = match.groups()
    values = [None if c == "_" else _SCORE_CHARS.index(c) + 1 for c in scores]
    return Plan(
        series_id=int(series_id),
        scope={"e": "episodes", "c": "completed", "d": "dropped"}[scope],
        episodes_watched=int(episodes) if episodes else None,
        scores=Scores(*values),
        spoiler=spoiler == "1",
        nonce=nonce,
    )


def new_nonce() -> str:
    return secrets.token_urlsafe(6)


EDIT_FORM = r"imp:edit:(\d{1,18}):([ecd-])(\d{0,6}):([1-9a_-]{7}):([01-]):([\w-]{4,16})"
_EDIT = re.compile(f"^{EDIT_FORM}$")


@dataclass(frozen=True, slots=True)
class EditPlan:
    impression_id: int
    scope: str | None
    episodes_watched: int | None
    score_changes: dict[str, int]
    spoiler: bool | None
    nonce: str


def encode_edit(
    impression_id: int, scope: str | None, episodes: int | None, changes: dict[str, int], spoiler: bool | None
) -> str:
    scores = "".join(_SCORE_CHARS[changes[f] - 1] if f in changes else "-" for f in CATEGORY_FIELDS)
    flag = "-" if spoiler is None else str(int(spoiler))
    return f"imp:edit:{impression_id}:{scope[0] if scope else '-'}{episodes or ''}:{scores}:{flag}:{new_nonce()}"


OFFER_PREFIX = "imp:offer:"  # an "Edit #628 instead" button: an edit form's id, opened on click


def encode_offer(edit_custom_id: str) -> str:
    return OFFER_PREFIX + edit_custom_id.removeprefix("imp:edit:")


def decode_offer(custom_id: str) -> EditPlan | None:
    if not custom_id.startswith(OFFER_PREFIX):
        return None
    return decode_edit("imp:edit:" + custom_id.removeprefix(OFFER_PREFIX))


def decode_edit(custom_id: str) -> EditPlan | None:
    match = _EDIT.match(custom_id)
    if match is None:
        return None
    impression_id, scope, episodes, scores, spoiler, nonce = match.groups()
    return EditPlan(
        impression_id=int(impression_id),
        scope={"e": "episodes", "c": "completed", "d": "dropped", "-": None}[scope],
        episodes_watched=int(episodes) if episodes else None,
        score_changes={f: _SCORE_CHARS.index(c) + 1 for f, c in zip(CATEGORY_FIELDS, scores, strict=True) if c != "-"},
        spoiler=None if spoiler == "-" else spoiler == "1",
        nonce=nonce,
    )
