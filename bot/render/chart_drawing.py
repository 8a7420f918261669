"""The charts themselves, drawn with matplotlib's Agg backend. Runs in the chart worker process only
(bot/render/chart_worker.py): the bot process never imports matplotlib, so its memory stays as it was.

The pictures carry no series title (titles are in the embed, which renders every script; the image
fonts may not): only panel titles, axes and numbers. Colours are dark on a light card, readable in
Discord's dark and light themes alike."""

from __future__ import annotations

import gc
import io
from typing import TYPE_CHECKING

from bot.lifeline import become_worker
from bot.models import CATEGORIES
from bot.store.charts import CategoryAverage, MemberChartData, SeriesChartData

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 12, 7, 100  # 1200 × 700 pixels
BACKGROUND, INK, MUTED, GRID = "#FBFBFD", "#1F2430", "#6B7280", "#E3E5EA"
BLUE, ORANGE, GREEN, RED = "#2E6DB4", "#E07B24", "#2E8B57", "#C0392B"
NAMES = {field: name for field, name, _ in CATEGORIES}
BACKLOG = 50_000  # objects allocated since the last collection: about five charts' worth


def warm_up() -> None:
    """Run once when the worker starts: the first chart need not pay for the imports. The worker's
    collector is then left to `collect_garbage`, between charts: a collection in the middle of one was
    most of the slowest charts' time (p99 180 ms, 108 ms without)."""
    import matplotlib

    become_worker()
    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # noqa: F401

    gc.collect()
    gc.freeze()  # the libraries stay for good: no collection need walk them again
    gc.disable()


def collect_garbage() -> int:
    """A figure is a web of reference cycles: collected after each chart, while nobody waits for one."""
    return gc.collect()


def _figure() -> Figure:
    from matplotlib.figure import Figure

    if gc.get_count()[0] > BACKLOG:  # charts queued back to back: no pause came to collect in
        gc.collect()
    # Fixed margins, not a layout engine: the constrained layout drew every chart twice to measure it.
    return Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor=BACKGROUND)


def _style(axes: Axes, title: str) -> None:
    axes.set_facecolor(BACKGROUND)
    # y given: matplotlib then places the title without measuring every tick label to dodge them (there
    # are none above the axes), a sixth of a chart's time.
    axes.set_title(title, loc="left", fontsize=15, color=INK, fontweight="bold", pad=12, y=1.0)
    axes.tick_params(colors=INK, labelsize=11, length=0)  # no tick marks: the grid says where
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(MUTED)
    axes.grid(axis="x", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    # zlib level 1: a few KB larger than the default 6, in a third of the time.
    figure.savefig(out, format="png", facecolor=BACKGROUND, pil_kwargs={"compress_level": 1})
    return out.getvalue()


def _profile(axes: Axes, averages: tuple[CategoryAverage, ...], title: str) -> None:
    """Category averages as horizontal bars, with how many rated each; Unevaluated ones get no bar."""
    _style(axes, title)
    labels = [NAMES[a.field] for a in averages][::-1]
    values = [a.average or 0.0 for a in averages][::-1]
    bars = axes.barh(labels, values, color=[BLUE if a.rated else GRID for a in averages][::-1], height=0.6)
    for bar, average in zip(bars, averages[::-1], strict=True):
        text = f"{average.average:.1f}  ({average.rated})" if average.average is not None else "not rated"
        axes.text(bar.get_width() + 0.15, bar.get_y() + bar.get_height() / 2, text, va="center", color=INK, fontsize=12)
    axes.set_xlim(0, 11.5)
    # Each bar is labelled with its value: the axis would repeat it (and drawing ticks is most of a chart's cost).
    axes.set_xticks([])
    axes.grid(False)
    axes.spines["bottom"].set_visible(False)


def _distribution(axes: Axes, counts: tuple[int, ...]) -> None:
    _style(axes, "Overall scores")
    bars = axes.bar(range(1, 11), counts, color=ORANGE, width=0.7)
    for bar, count in zip(bars, counts, strict=True):
        if count:
            axes.text(bar.get_x() + bar.get_width() / 2, count, str(count), ha="center", va="bottom", color=INK)
    axes.set_xticks(range(1, 11))
    axes.set_ylim(0, max(counts) * 1.25 + 0.5)
    axes.set_yticks([])  # each bar carries its count
    axes.grid(False)
    axes.spines["left"].set_visible(False)


def _season(axes: Axes, data: SeriesChartData) -> None:
    """Average Overall by episodes watched (a line, each point with its count); completed and dropped
    impressions drawn apart, as their own markers."""
    _style(axes, "Opinion over the season (average Overall)")
    points = [p for p in data.season if p.scope == "episodes" and p.average_overall is not None]
    if points:
        xs = [p.episodes or 0 for p in points]
        ys = [p.average_overall or 0.0 for p in points]
        axes.plot(xs, ys, color=BLUE, marker="o", linewidth=2, label="after episode N")
        for x, y, point in zip(xs, ys, points, strict=True):
            axes.annotate(f"n={point.impressions}", (x, y), textcoords="offset points", xytext=(0, 8),
                          ha="center", fontsize=9, color=MUTED)  # fmt: skip
    last = max([p.episodes or 0 for p in data.season] + [data.episodes or 0, 1])
    for scope, colour, marker, label in (("completed", GREEN, "*", "completed"), ("dropped", RED, "X", "dropped")):
        marks = [p for p in data.season if p.scope == scope and p.average_overall is not None]
        xs = [last + 1 if scope == "completed" else (p.episodes or 0) for p in marks]
        if marks:
            axes.scatter(xs, [p.average_overall or 0.0 for p in marks], color=colour, marker=marker, s=160, zorder=3,
                         label=f"{label} ({sum(p.impressions for p in marks)})")  # fmt: skip
    axes.set_ylim(0.5, 10.9)
    axes.set_yticks((2, 4, 6, 8, 10))
    axes.set_xlim(0.5, last + 1.5)
    axes.set_xticks(range(1, last + 1, max(1, (last + 9) // 10)))
    axes.set_xlabel("episodes watched", color=MUTED)
    axes.grid(axis="y", color=GRID, linewidth=0.8)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="lower left", frameon=False, fontsize=10)


def draw_series_chart(data: SeriesChartData) -> bytes:
    figure = _figure()
    grid = figure.add_gridspec(
        2, 2, width_ratios=(1, 1.25), left=0.125, right=0.985, top=0.93, bottom=0.08, wspace=0.18, hspace=0.42
    )
    _profile(figure.add_subplot(grid[:, 0]), data.categories, f"Category averages ({data.reviewers} reviewers)")
    _distribution(figure.add_subplot(grid[0, 1]), data.overall)
    _season(figure.add_subplot(grid[1, 1]), data)
    return _png(figure)


def draw_member_chart(data: MemberChartData) -> bytes:
    """Your averages beside this server's, over the same series: where your taste differs."""
    figure = _figure()
    axes = figure.add_axes((0.14, 0.07, 0.83, 0.85))
    _style(axes, f"Your category averages and this server's, over the same {data.series} series")
    rows = range(len(data.mine))
    mine = [a.average or 0.0 for a in data.mine][::-1]
    theirs = [a.average or 0.0 for a in data.server][::-1]
    axes.barh([r + 0.2 for r in rows], mine, height=0.38, color=BLUE, label="you")
    axes.barh([r - 0.2 for r in rows], theirs, height=0.38, color=ORANGE, label="this server")
    for r, (you, server) in enumerate(zip(data.mine[::-1], data.server[::-1], strict=True)):
        for offset, average in ((0.2, you), (-0.2, server)):
            text = f"{average.average:.1f} ({average.rated})" if average.average is not None else "not rated"
            axes.text((average.average or 0) + 0.12, r + offset, text, va="center", fontsize=10, color=INK)
    axes.set_yticks(list(rows), [NAMES[a.field] for a in data.mine][::-1])
    axes.set_xlim(0, 11.5)
    axes.legend(loc="lower right", frameon=False, fontsize=11)
    return _png(figure)
