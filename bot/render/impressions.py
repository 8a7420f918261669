"""Impression cards, the ratings table, the impression modal and the pager, styled after the review card."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import lru_cache

import discord

from bot import answers
from bot.failures import handle_interaction_error, release_response
from bot.models import CATEGORIES, Average, Impression, Ratings, ReviewerRow, Scores, Series
from bot.parsing import link_url
from bot.render import COLOUR_CARD, TEXT_INPUT_ID, persistent_view
from bot.render.text import cell, md, plain

TABLE_WIDTH = 56
CELL = 4  # every score column is 4 wide: "Anim", "10.0"
REVIEWER_WIDTH = TABLE_WIDTH - (CELL + 1) * len(CATEGORIES)
NUMBER_WORDS = {
    1: "One",
    2: "Two",
    3: "Three",
    4: "Four",
    5: "Five",
    6: "Six",
    7: "Seven",
    8: "Eight",
    9: "Nine",
}
DESCRIPTION_MAX = 4096


def scope_line(impression: Impression) -> str:
    count = impression.episodes_watched
    if impression.scope == "completed":
        return f"(Completed, all {count} episodes):" if count else "(Completed):"
    if impression.scope == "dropped":
        return f"(Dropped after {count} episode{'' if count == 1 else 's'}):"
    return f"({_episodes(count or 0)} watched):"


def _episodes(count: int) -> str:
    word = NUMBER_WORDS.get(count, str(count))
    return f"{word} episode" if count == 1 else f"{word} episodes"


def _cell(value: int | float | None) -> str:
    if value is None:
        return "—".rjust(CELL)
    if isinstance(value, float):
        return f"{value:.1f}".rjust(CELL)
    return str(value).rjust(CELL)


def _row(scores: tuple[int | float | None, ...], name: str, suffix: str = "") -> str:
    """Seven score cells and the reviewer: `name` is untrusted, `suffix` (" #628") is ours and always kept."""
    if all(value is None for value in scores):
        # As on the reference card: a reviewer who rated nothing reads "Unevaluated".
        cells = "Unevaluated".ljust((CELL + 1) * len(CATEGORIES) - 1)
    else:
        cells = " ".join(_cell(value) for value in scores)
    reviewer = cell(name, REVIEWER_WIDTH - len(suffix), pad=False) + suffix
    return f"{cells} {reviewer}".rstrip()


def code_block(lines: list[str]) -> str:
    """A monospace block; every untrusted cell in `lines` went through `cell`, so nothing closes it early."""
    return "```\n" + "\n".join(lines) + "\n```"


def table_header() -> str:
    return " ".join(header.rjust(CELL) for _, _, header in CATEGORIES) + " Reviewer"


def render_ratings_table(ratings: Ratings) -> str:
    """A monospace table no wider than 56 columns: one row per recent reviewer, then the average."""
    return _ratings_table(tuple(ratings.rows), tuple(ratings.averages), ratings.reviewers)


# A popular card shows the same table until its ratings change: measuring each name's display width
# and padding 70 cells was a tenth of a millisecond of every lookup (`python -m bot.bench e2e`).
@lru_cache(maxsize=512)
def _ratings_table(rows: tuple[ReviewerRow, ...], averages: tuple[Average, ...], reviewers: int) -> str:
    lines = [table_header()]
    for impression in rows:
        lines.append(_row(impression.scores.values(), impression.author_name, f" #{impression.id}"))
    lines.append(_row(tuple(a.value for a in averages), "", f"Average of {reviewers}"))
    lines.append(" ".join(str(a.count).rjust(CELL) for a in averages) + " rated")
    return code_block(lines)


def render_ratings_field(ratings: Ratings) -> tuple[str, str]:
    if not ratings.reviewers:
        return (
            "Ratings",
            "No impressions yet. Be the first: press *Post impression* or use `/impression post`.",
        )
    shown = len(ratings.rows)
    more = f" (latest {shown} of {ratings.reviewers} reviewers)" if ratings.reviewers > shown else ""
    return f"Ratings{more}", render_ratings_table(ratings)


def overall_text(scores: Scores) -> str:
    return "Unevaluated" if scores.overall is None else f"{scores.overall}/10"


def _stamp(iso: str) -> str:
    return discord.utils.format_dt(datetime.fromisoformat(iso), "F")


def impression_ref(impression: Impression) -> str:
    return f"series:{impression.series_id}#{impression.id}"


def render_impression_card(impression: Impression, series: Series) -> discord.Embed:
    header = scope_line(impression)
    stamps = f"Last updated {_stamp(impression.updated_at)}. Created {_stamp(impression.created_at)}."
    warning = "**Spoiler warning:** the text below is hidden; click it to read.\n" if impression.spoiler else ""
    # Budget the text so the description never passes Discord's 4096 characters, escapes included.
    budget = DESCRIPTION_MAX - len(header) - len(stamps) - len(warning) - 16
    text = md(impression.text)
    if len(text) > budget:
        text = md(impression.text, budget - 22) + " *(shortened to fit)*"
    if impression.spoiler:
        text = f"||{text}||"
    embed = discord.Embed(
        title=md(series.title, 256, newlines=False),
        url=link_url(series.official_site),
        description=f"{warning}{header}\n\n{text}\n\n{stamps}",
        colour=COLOUR_CARD,
    )
    embed.set_author(name=plain(impression.author_name, 200) + "'s impression")
    embed.add_field(name="Overall", value=overall_text(impression.scores))
    row = _row(impression.scores.values(), impression.author_name)
    embed.add_field(name="Ratings", value=code_block([table_header(), row]), inline=False)
    labels = [impression_ref(impression)]
    if impression.featured:
        labels.append("Featured")
    if impression.status != "published":
        labels.append(impression.status.capitalize())
    embed.set_footer(text=" · ".join(labels))
    return embed


def _text_modal(custom_id: str, title: str, text_input: discord.ui.TextInput[discord.ui.Modal]) -> discord.ui.Modal:
    modal = discord.ui.Modal(title=plain(title, 45), custom_id=custom_id, timeout=None)
    modal.add_item(text_input)
    # Submissions are answered by a cog's interaction listener, from the custom_id alone, so they
    # work after a restart and a second submission is recognised; the modal is not kept in memory.
    modal.stop()
    return modal


def render_impression_modal(custom_id: str, title: str, text: str | None = None) -> discord.ui.Modal:
    text_input: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
        label="Your impression",
        custom_id=TEXT_INPUT_ID,
        style=discord.TextStyle.paragraph,
        min_length=1,
        max_length=4000,
        default=text,
        placeholder="What did you think of the episodes you watched?",
    )
    return _text_modal(custom_id, title, text_input)


QUICK_EPISODES = "episodes"
QUICK_OVERALL = "overall"


def render_quick_modal(custom_id: str, title: str) -> discord.ui.Modal:
    """The series card's short form: episodes watched and the overall score typed as text, then the text."""
    modal = render_impression_modal(custom_id, title)
    modal.add_item(
        discord.ui.TextInput(
            label="Episodes watched", custom_id=QUICK_EPISODES, placeholder="3, completed, or dropped 4", max_length=20
        )
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Overall score (1-10)",
            custom_id=QUICK_OVERALL,
            required=False,
            placeholder="Leave empty: Unevaluated",
            max_length=2,
        )
    )
    return modal


def render_delete_prompt(impression: Impression, series: Series) -> discord.Embed:
    return discord.Embed(
        description=(
            f"Delete impression **#{impression.id}** of **{md(series.title, 300, newlines=False)}** "
            f"by {md(impression.author_name, 100, newlines=False)}? This cannot be undone by you."
        ),
        colour=discord.Colour.orange(),
    )


class ConfirmView(discord.ui.View):
    """Yes / Cancel for the member who asked; anyone else is told so. Each click's response is released
    once answered (as the tree and the dynamic buttons do), so its interaction waits for no collection."""

    def __init__(self, owner_id: int, on_confirm: Callable[[discord.Interaction], Awaitable[None]]) -> None:
        super().__init__(timeout=120)
        self.owner_id = owner_id
        self._on_confirm = on_confirm

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await answers.send(interaction, "Only the member who asked can answer this.", ephemeral=True)
            release_response(interaction)
            return False
        return True

    @discord.ui.button(label="Delete", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]) -> None:
        self.stop()
        await self._on_confirm(interaction)
        release_response(interaction)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]) -> None:
        self.stop()
        await answers.update(interaction, content="Nothing was deleted.", embed=None, view=None)
        release_response(interaction)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[ConfirmView]
    ) -> None:
        try:
            await handle_interaction_error(interaction, error)
        finally:
            release_response(interaction)


def approve_id(item_id: int, *, edit: bool = False) -> str:
    """mod:approve:628 approves impression #628; mod:approve:e12 approves waiting edit #12."""
    return f"mod:approve:{'e' if edit else ''}{item_id}"


def reject_id(item_id: int, *, edit: bool = False) -> str:
    return f"mod:reject:{'e' if edit else ''}{item_id}"


# What the moderation cog's persistent buttons accept: the inverse of approve_id and reject_id.
APPROVE_TEMPLATE = r"mod:approve:(?P<edit>e?)(?P<id>\d{1,18})"
REJECT_TEMPLATE = r"mod:reject:(?P<edit>e?)(?P<id>\d{1,18})"


def render_approve_button(item_id: int, *, edit: bool = False) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(
        label="Approve", style=discord.ButtonStyle.success, custom_id=approve_id(item_id, edit=edit)
    )


def render_reject_button(item_id: int, *, edit: bool = False) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(label="Reject", style=discord.ButtonStyle.danger, custom_id=reject_id(item_id, edit=edit))


def render_queue_buttons(item_id: int, *, edit: bool = False) -> discord.ui.View:
    """Approve / Reject, persistent: the moderation cog answers them from the custom_id after a restart."""
    return persistent_view(render_approve_button(item_id, edit=edit), render_reject_button(item_id, edit=edit))


def render_withdrawn(impression_id: int) -> str:
    """What an earlier public post of an impression becomes once it is hidden, deleted or rejected."""
    return f"*Impression #{impression_id} is no longer available.*"


def render_offer_button(custom_id: str, impression_id: int) -> discord.ui.View:
    return persistent_view(
        discord.ui.Button(
            label=f"Edit #{impression_id} instead", style=discord.ButtonStyle.primary, custom_id=custom_id
        )
    )


def render_unsaved_text(text: str) -> discord.Embed:
    """A form's text that was not saved, shown back so the member can copy it."""
    return discord.Embed(title="Your text (not saved)", description=md(text, DESCRIPTION_MAX), colour=COLOUR_CARD)


def render_reason_modal(custom_id: str, title: str) -> discord.ui.Modal:
    text_input: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
        label="Reason (the author sees it)", custom_id=TEXT_INPUT_ID, style=discord.TextStyle.paragraph, max_length=500
    )
    return _text_modal(custom_id, title, text_input)


def render_privacy(named: bool) -> str:
    if named:
        return "The server's public web pages (when its moderators publish them) show your name."
    return 'The server\'s public web pages show your impressions as written by "A member"; Discord is unchanged.'
