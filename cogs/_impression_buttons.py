"""The persistent buttons of impressions: the series card's Impressions and Post impression, and
"Edit #628 instead". A helper of the impressions cog (the leading underscore keeps it from being
loaded as a cog of its own)."""

from __future__ import annotations

import logging
import re
from typing import Self

import discord

from bot import answers
from bot.errors import InvalidInput
from bot.interactions import (
    PersistentButton,
    actor_of,
    bot_of,
)
from bot.models import Scores
from bot.pages import send_pages
from bot.permissions import Level
from bot.render.impressions import (
    render_impression_modal,
    render_quick_modal,
)
from bot.render.series import (
    SERIES_IMPRESSIONS_TEMPLATE,
    SERIES_POST_TEMPLATE,
    render_impressions_button,
    render_post_button,
)
from bot.services.impression_ids import (
    decode_offer,
    encode_edit,
    new_nonce,
)
from bot.services.series import series_ref

log = logging.getLogger(__name__)

QUICK_FORM = r"imp:quick:(?P<series>\d{1,18}):(?P<nonce>[\w-]{4,16})"


class SeriesCardButton(PersistentButton, template=r"(?!)"):
    """A button of the series card: its id names the series (series:<kind>:<id>)."""

    level = Level.MEMBER

    @staticmethod
    def button(series_id: int) -> discord.ui.Button[discord.ui.View]:
        raise NotImplementedError

    def __init__(self, series_id: int) -> None:
        super().__init__(self.button(series_id))
        self.series_id = series_id

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        return cls(int(match["series"]))


class SeriesImpressionsButton(SeriesCardButton, template=SERIES_IMPRESSIONS_TEMPLATE):
    """The series card's "Impressions" button: a pager of its impressions, for whoever clicked."""

    @staticmethod
    def button(series_id: int) -> discord.ui.Button[discord.ui.View]:
        return render_impressions_button(series_id)

    async def handle(self, interaction: discord.Interaction) -> None:
        empty = "No impressions of this series here yet. Be the first: press *Post impression*."
        await send_pages(interaction, "s", f"{self.series_id}.n.0", empty)


class SeriesPostButton(SeriesCardButton, template=SERIES_POST_TEMPLATE):
    """The series card's "Post impression" button: a short form (scope, overall score, text)."""

    @staticmethod
    def button(series_id: int) -> discord.ui.Button[discord.ui.View]:
        return render_post_button(series_id)

    async def handle(self, interaction: discord.Interaction) -> None:
        bot = bot_of(interaction)
        if interaction.guild_id is None:
            raise InvalidInput("Impressions are posted inside a server.")
        # Check what can be checked now (ban, series) before the member writes anything.
        _, series = await bot.services.impressions.plan(
            await actor_of(interaction),
            series_ref(self.series_id),
            "completed",
            None,
            Scores(),
            False,
            scope_known=False,
        )
        custom_id = f"imp:quick:{series.id}:{new_nonce()}"
        await answers.open_modal(interaction, render_quick_modal(custom_id, f"Impression: {series.title}"))


class EditInsteadButton(PersistentButton, template=r"imp:offer:(?P<rest>[\w:-]{1,90})"):
    """ "Edit #628 instead", offered for a second impression of the same episodes: opens the edit form."""

    level = Level.AUTHOR

    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label="Edit instead", custom_id=custom_id))
        self.offer = decode_offer(custom_id)

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        return cls(match.string)

    async def handle(self, interaction: discord.Interaction) -> None:
        if self.offer is None:
            raise InvalidInput("This button is not valid (any more); nothing was changed.")
        bot = bot_of(interaction)
        offer = self.offer
        # Only the author may edit: checked before the form opens, and again when it is sent.
        current = await bot.services.impressions.editable(await actor_of(interaction), str(offer.impression_id))
        custom_id = encode_edit(current.id, offer.scope, offer.episodes_watched, offer.score_changes, offer.spoiler)
        await answers.open_modal(
            interaction, render_impression_modal(custom_id, f"Edit impression #{current.id}", current.text)
        )
