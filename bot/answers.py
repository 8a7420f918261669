"""Every answer to an interaction goes through here, and each is given within Discord's 3 s.

Discord refuses a first answer that comes later than 3 s after the interaction, and the member sees "The
application did not respond" even when everything they asked for was done. What a command waits for
before answering is usually a millisecond of SQLite, but not always: another process holding SQLite's one
writer (a restore, an import, the `sqlite3` shell), a row another PostgreSQL client has locked, a slow
disk's fsync. So each interaction is watched from its arrival (`AnswerClock.watch`, called by
`ReviewBot.dispatch`): one not answered after ANSWER_WITHIN_S is deferred, and the answer that comes later
is sent as its follow-up. For that, code never calls discord.py's `interaction.response` or `followup`
itself (tests/test_answers.py reads the source for it), but `send`, `update`, `open_modal`, `defer` and
`defer_update` below, which know whether a deferral went first and what it looked like.

Visibility: Discord gives the first follow-up of a "thinking…" deferral the deferral's visibility, whatever
the follow-up asks. A thinking message that does not match the answer (a public one for an error, a private
one, deferred late, for a public card) is deleted first, so the answer goes out as it asked.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass
from typing import Any

import discord

from bot.errors import UserFacingError

log = logging.getLogger(__name__)
# Discord waits 3 s for a first answer, counted from when it sent the interaction; what reaches the bot
# has already spent some of that on the way, and a deferral spends some more to get back.
ANSWER_WITHIN_S = 2.0
_TURN = "answer_turn"  # interaction.extras key
MISSING: Any = discord.utils.MISSING


class Deferral(enum.Enum):
    PRIVATE = "a private 'thinking…' message"
    PUBLIC = "a public 'thinking…' message"
    UPDATE = "an update of the message the member used"  # a button's, a menu's, or a form's opened from one


@dataclass(slots=True)
class _Turn:
    """Where one interaction's answer stands."""

    waiting: dict[int, Any] | None = None  # the clock's, while it watches this interaction
    answered: bool = False  # Discord has a first answer (so what follows is a follow-up or an edit)
    late: asyncio.Task[None] | None = None  # the deferral started because the deadline passed
    deferred: Deferral | None = None  # a deferral not followed up yet (UPDATE stays: later sends are new)

    def stop_watching(self, interaction_id: int) -> None:
        if self.waiting is not None:
            self.waiting.pop(interaction_id, None)
            self.waiting = None


class AnswerClock:
    """Watches each interaction from its arrival until its first answer; one still unanswered after
    ANSWER_WITHIN_S is deferred. One timer for all, checking every SWEEP_S while any interaction waits (a
    timer each cost 3–5 µs per interaction to set and cancel; this, a dict entry)."""

    SWEEP_S = 0.1

    def __init__(self) -> None:
        # Interactions not answered yet (an answer takes its own out), by id, in order of arrival, with
        # when each arrived (the loop's clock).
        self._waiting: dict[int, tuple[float, discord.Interaction[Any]]] = {}
        self._sweep: asyncio.TimerHandle | None = None

    def watch(self, interaction: discord.Interaction[Any]) -> None:
        """Start the interaction's clock. Keystrokes (autocomplete) cannot be deferred, and only ever
        read memory."""
        if interaction.type is discord.InteractionType.autocomplete:
            return
        loop = asyncio.get_running_loop()
        interaction.extras[_TURN] = _Turn(self._waiting)
        self._waiting[interaction.id] = (loop.time(), interaction)
        if self._sweep is None:
            self._sweep = loop.call_later(self.SWEEP_S, self._defer_the_late)

    def _defer_the_late(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() - ANSWER_WITHIN_S
        for interaction_id, (arrived, interaction) in list(self._waiting.items()):
            if arrived > due:
                break  # (in order of arrival: the rest came later)
            turn: _Turn = interaction.extras[_TURN]
            turn.stop_watching(interaction_id)
            defer_late(interaction, turn)
        self._sweep = loop.call_later(self.SWEEP_S, self._defer_the_late) if self._waiting else None

    def stop(self) -> None:
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        self._waiting.clear()


def stop_watching(interaction: discord.Interaction[Any]) -> None:
    """The interaction is finished with: its clock stops (and no longer holds it in memory)."""
    turn: _Turn | None = interaction.extras.get(_TURN)
    if turn is not None:
        turn.stop_watching(interaction.id)


def defer_late(interaction: discord.Interaction[Any], turn: _Turn) -> None:
    """The deadline passed with no answer started (one takes its interaction out of the clock first)."""
    turn.late = asyncio.get_running_loop().create_task(_defer_late(interaction, turn))


async def _defer_late(interaction: discord.Interaction[Any], turn: _Turn) -> None:
    # Nothing the member can see changes for a button (or a form opened from one); a command or a form
    # shows "thinking…" to the member alone, since the answer's visibility is not known yet.
    kind = Deferral.UPDATE if interaction.message is not None else Deferral.PRIVATE
    try:
        await interaction.response.defer(ephemeral=True, thinking=kind is Deferral.PRIVATE)
    except discord.HTTPException as error:
        log.warning("Could not defer interaction %s in time: %s", interaction.id, error)
        return
    turn.answered, turn.deferred = True, kind
    log.info("Interaction %s was not answered in time: deferred", interaction.id)


async def _take_turn(interaction: discord.Interaction[Any]) -> _Turn:
    """This interaction's turn, taken for an answer: out of the clock, a late deferral finished first."""
    turn: _Turn | None = interaction.extras.get(_TURN)
    if turn is None:  # an interaction nobody watched (it arrived some other way): answered as it comes
        turn = interaction.extras[_TURN] = _Turn()
    turn.stop_watching(interaction.id)
    if turn.late is not None:
        late, turn.late = turn.late, None
        await late
    return turn


async def send(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed = MISSING,
    embeds: list[discord.Embed] = MISSING,
    view: discord.ui.View = MISSING,
    file: discord.File = MISSING,
    ephemeral: bool = False,
) -> int | None:
    """Answer with a message (after a deferral, as its follow-up); the message's id, when Discord gives it."""
    turn = await _take_turn(interaction)
    if not turn.answered:
        answer = await interaction.response.send_message(
            content, embed=embed, embeds=embeds, view=view, file=file, ephemeral=ephemeral
        )
        turn.answered = True
        return answer.message_id
    if turn.deferred in (Deferral.PRIVATE, Deferral.PUBLIC):
        if (turn.deferred is Deferral.PRIVATE) != ephemeral:
            await interaction.delete_original_response()
        turn.deferred = None  # the first follow-up answers the deferral; those after it are messages of their own
    message = await interaction.followup.send(
        MISSING if content is None else content,
        embed=embed,
        embeds=embeds,
        view=view,
        file=file,
        ephemeral=ephemeral,
        wait=True,
    )
    return message.id


async def update(
    interaction: discord.Interaction[Any],
    *,
    content: str | None = MISSING,
    embed: discord.Embed | None = MISSING,
    embeds: list[discord.Embed] = MISSING,
    view: discord.ui.View | None = MISSING,
) -> None:
    """Answer by changing the message the member used (a button's or a menu's); `None` takes a part away."""
    turn = await _take_turn(interaction)
    if not turn.answered:
        await interaction.response.edit_message(content=content, embed=embed, embeds=embeds, view=view)
        turn.answered = True
    else:
        await interaction.edit_original_response(content=content, embed=embed, embeds=embeds, view=view)


async def open_modal(interaction: discord.Interaction[Any], modal: discord.ui.Modal) -> None:
    """Answer with a form. Only a first answer can be a form, so one that came too late is a sentence."""
    turn = await _take_turn(interaction)
    if turn.answered:
        raise UserFacingError("The form took too long to prepare; nothing was changed. Please try again.")
    await interaction.response.send_modal(modal)
    turn.answered = True


async def defer(interaction: discord.Interaction[Any], *, private: bool) -> None:
    """Answer "thinking…" now and the rest later, through `send`: for work that may outlast Discord's 3 s."""
    turn = await _take_turn(interaction)
    if turn.answered:
        return  # deferred late already: `send` deletes that deferral's message if it is the wrong kind
    await interaction.response.defer(ephemeral=private, thinking=True)
    turn.answered, turn.deferred = True, Deferral.PRIVATE if private else Deferral.PUBLIC


async def defer_update(interaction: discord.Interaction[Any]) -> None:
    """Acknowledge a button or menu now; its message changes later, through `update`."""
    turn = await _take_turn(interaction)
    if turn.answered:
        return
    await interaction.response.defer()
    turn.answered, turn.deferred = True, Deferral.UPDATE


def answered(interaction: discord.Interaction[Any]) -> bool:
    """Whether Discord has the interaction's first answer (a deferral counts)."""
    turn: _Turn | None = interaction.extras.get(_TURN)
    return turn is not None and turn.answered
