"""What goes around a chart: the embed that says its key numbers in words, the attachment's alt text (so a
screen reader or a text-only client loses nothing), and the Charts buttons."""

from __future__ import annotations

import discord

from bot.models import CATEGORIES
from bot.render import COLOUR_CARD
from bot.render.text import md, plain
from bot.store.charts import CategoryAverage, MemberChartData, SeasonPoint, SeriesChartData

SERIES_CHART_TEMPLATE = r"chart:s:(?P<series>\d{1,18})"
MEMBER_CHART_ID = "chart:m"
ALT_TEXT_LIMIT = 1024  # Discord's limit for an attachment's description
NAMES = {field: name for field, name, _ in CATEGORIES}


def render_charts_button(series_id: int) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(label="Charts", custom_id=f"chart:s:{series_id}", style=discord.ButtonStyle.secondary)


def render_member_chart_button() -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(label="My scores chart", custom_id=MEMBER_CHART_ID, style=discord.ButtonStyle.secondary)


def _averages(averages: tuple[CategoryAverage, ...]) -> str:
    rated = [f"{NAMES[a.field]} {a.average:.1f} ({a.rated})" for a in averages if a.average is not None]
    unrated = [NAMES[a.field] for a in averages if a.average is None]
    text = ", ".join(rated) or "no category rated"
    return text + (f"; not rated: {', '.join(unrated)}" if unrated else "")


def _point(point: SeasonPoint) -> str:
    where = {"completed": "completed", "dropped": f"dropped after episode {point.episodes}"}.get(
        point.scope, f"after episode {point.episodes}"
    )
    average = f", average Overall {point.average_overall:.1f}" if point.average_overall is not None else ""
    return f"{where}: {point.impressions}{average}"


def describe_series_chart(data: SeriesChartData) -> str:
    """The chart in words: every number it draws, within Discord's 1,024 characters."""
    given = [f"{score}: {count}" for score, count in enumerate(data.overall, 1) if count]
    parts = [
        f"Charts of {plain(data.title, 100)} in this server, {data.reviewers} reviewers.",
        f"Category averages (how many rated): {_averages(data.categories)}.",
        f"Overall scores given: {', '.join(given) or 'none'}.",
        f"Over the season (impressions): {'; '.join(_point(p) for p in data.season) or 'none'}.",
    ]
    text = " ".join(parts)
    return text if len(text) <= ALT_TEXT_LIMIT else text[: ALT_TEXT_LIMIT - 1] + "…"


def _season_words(data: SeriesChartData) -> str | None:
    points = [p for p in data.season if p.scope == "episodes" and p.average_overall is not None]
    if len(points) < 2:
        return None
    first, last = points[0], points[-1]
    return (
        f"Over the season, the average Overall went from {first.average_overall:.1f} after episode "
        f"{first.episodes} to {last.average_overall:.1f} after episode {last.episodes}."
    )


def render_series_chart_embed(data: SeriesChartData, filename: str) -> discord.Embed:
    rated = [a for a in data.categories if a.average is not None]
    lines = [f"{data.reviewers} reviewer{'s' if data.reviewers != 1 else ''} in this server."]
    overall = data.categories[0]
    if overall.average is not None:
        common = max(range(10), key=lambda n: data.overall[n]) + 1
        lines.append(
            f"Overall {overall.average:.1f} on average ({overall.rated} rated it); "
            f"the most given score is {common} ({data.overall[common - 1]} times)."
        )
    if len(rated) > 1:
        best, worst = max(rated, key=lambda a: a.average or 0), min(rated, key=lambda a: a.average or 0)
        lines.append(
            f"Highest category: {NAMES[best.field]} {best.average:.1f}; "
            f"lowest: {NAMES[worst.field]} {worst.average:.1f}."
        )
    season = _season_words(data)
    if season:
        lines.append(season)
    title = f"Charts: {md(data.title, 240, newlines=False)}"  # embed titles render markdown too
    embed = discord.Embed(title=title, description="\n".join(lines), colour=COLOUR_CARD)
    embed.set_image(url=f"attachment://{filename}")
    embed.set_footer(text=f"series:{data.series_id} · each reviewer's latest published impression")
    return embed


def describe_member_chart(data: MemberChartData) -> str:
    text = (
        f"Your category averages over your latest impression of {data.series} series: {_averages(data.mine)}. "
        f"This server's averages of the same series: {_averages(data.server)}."
    )
    return text if len(text) <= ALT_TEXT_LIMIT else text[: ALT_TEXT_LIMIT - 1] + "…"


def render_member_chart_embed(data: MemberChartData, filename: str) -> discord.Embed:
    differences = [
        (mine.average - server.average, NAMES[mine.field])
        for mine, server in zip(data.mine, data.server, strict=True)
        if mine.average is not None and server.average is not None
    ]
    lines = [f"Your scores over {data.series} series, beside this server's averages of the same series."]
    if differences:
        gap, name = max(differences, key=lambda item: abs(item[0]))
        lines.append(f"You differ most in {name}: {gap:+.1f} against the server.")
    embed = discord.Embed(title="Your scores", description="\n".join(lines), colour=COLOUR_CARD)
    embed.set_image(url=f"attachment://{filename}")
    return embed


def render_no_member_chart() -> discord.Embed:
    text = "You have no published impressions in this server yet, so there is no chart."
    return discord.Embed(description=text, colour=COLOUR_CARD)
