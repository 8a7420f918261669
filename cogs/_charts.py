"""Answering with a chart: deferred first (a cold chart worker may take longer than Discord's 3 s), then
the picture as an attachment with its alt text, and its numbers in words. Shared by /series charts, the
card's Charts button and the member's own chart (the underscore keeps it from loading as a cog)."""

from __future__ import annotations

import io
import re
from typing import Self

import discord

from bot import answers
from bot.errors import NotFound
from bot.interactions import PersistentButton, bot_of, guild_of
from bot.permissions import Level
from bot.render.charts import (
    MEMBER_CHART_ID,
    SERIES_CHART_TEMPLATE,
    describe_member_chart,
    describe_series_chart,
    render_charts_button,
    render_member_chart_button,
    render_member_chart_embed,
    render_no_member_chart,
    render_series_chart_embed,
)


async def send_series_chart(interaction: discord.Interaction, series_id: int, *, private: bool) -> None:
    await answers.defer(interaction, private=private)
    chart = await bot_of(interaction).services.charts.series(guild_of(interaction), series_id)
    if not chart.data.reviewers:
        raise NotFound("No impressions of {} in this server yet, so there is no chart.", chart.data.title)
    name = f"series-{chart.data.series_id}.png"
    picture = discord.File(io.BytesIO(chart.png), filename=name, description=describe_series_chart(chart.data))
    await answers.send(interaction, embed=render_series_chart_embed(chart.data, name), file=picture, ephemeral=private)


async def send_member_chart(interaction: discord.Interaction) -> None:
    await answers.defer(interaction, private=True)
    chart = await bot_of(interaction).services.charts.member(guild_of(interaction), interaction.user.id)
    if not chart.data.series:
        await answers.send(interaction, embed=render_no_member_chart(), ephemeral=True)
        return
    name = "my-scores.png"
    picture = discord.File(io.BytesIO(chart.png), filename=name, description=describe_member_chart(chart.data))
    await answers.send(interaction, embed=render_member_chart_embed(chart.data, name), file=picture, ephemeral=True)


class SeriesChartButton(PersistentButton, template=SERIES_CHART_TEMPLATE):
    """The card's Charts button: this server's charts of the series, to the member who clicked."""

    level = Level.MEMBER

    def __init__(self, series_id: int) -> None:
        super().__init__(render_charts_button(series_id))
        self.series_id = series_id

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        return cls(int(match["series"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        await send_series_chart(interaction, self.series_id, private=True)


class MemberChartButton(PersistentButton, template=MEMBER_CHART_ID):
    """ "My scores chart" under /impression mine: the clicker's own scores, whoever listed them."""

    level = Level.MEMBER

    def __init__(self) -> None:
        super().__init__(render_member_chart_button())

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        return cls()

    async def handle(self, interaction: discord.Interaction) -> None:
        await send_member_chart(interaction)
