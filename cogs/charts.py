"""Charts: the buttons that answer with one (the card's Charts, /impression mine's My scores chart).
/series charts lives with the series commands; all of them answer through cogs/_charts.py."""

from __future__ import annotations

from bot.client import ReviewBot
from cogs._charts import MemberChartButton, SeriesChartButton


async def setup(bot: ReviewBot) -> None:
    bot.add_dynamic_items(SeriesChartButton, MemberChartButton)
