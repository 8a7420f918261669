"""Episode prompts and the watch list."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.render import COLOUR_CARD, persistent_view
from bot.render.text import md, plain
from bot.services.airing import Schedule, in_jst
from bot.store.watches import LivePrompt, Watch

EPISODE_POST_TEMPLATE = r"ep:post:(?P<series>\d{1,18}):(?P<episode>\d{1,5})"


def episode_post_id(series_id: int, episode: int) -> str:
    return f"ep:post:{series_id}:{episode}"


def render_episode_button(series_id: int, episode: int) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(
        label=f"Post impression (episode {episode})",
        custom_id=episode_post_id(series_id, episode),
        style=discord.ButtonStyle.success,
    )


def _when(moment: datetime) -> str:
    return f"{in_jst(moment)}, {discord.utils.format_dt(moment, 'R')}"


def render_episode_prompt(
    series_id: int, title: str, episode: int, aired_at: datetime, counts: str | None = None
) -> tuple[str, discord.ui.View]:
    """The message that invites impressions of an episode that has just aired (and, later, what came of it)."""
    content = (
        f"Episode {episode} of **{md(title, 200, newlines=False)}** has aired ({_when(aired_at)}). "
        "Seen it? Tell the others what you thought."
    )
    if counts:
        content += f"\n**{counts}**"
    return content, persistent_view(render_episode_button(series_id, episode))


def render_prompt_counts(prompt: LivePrompt) -> str | None:
    """ "12 impressions after episode 5 · average Overall 7.4", or None while there are none."""
    if not prompt.impressions:
        return None
    noun = "impression" if prompt.impressions == 1 else "impressions"
    line = f"{prompt.impressions} {noun} after episode {prompt.key.episode}"
    if prompt.rated_overall and prompt.average_overall is not None:
        line += f" · average Overall {prompt.average_overall:.1f}"
    return line


def render_episode_thread_name(title: str, episode: int) -> str:
    return plain(f"Episode {episode} · {title}", 100)


def _rule(schedule: Schedule, now: datetime) -> str:
    weekly = schedule.period.days == 7 and not schedule.period.seconds
    rhythm = f"every {in_jst(schedule.start)}" if weekly else f"every {schedule.period}"
    upcoming = schedule.next_airing(now)
    if upcoming is None:
        return f"{rhythm}; its last episode has aired"
    episode, at = upcoming
    return f"{rhythm}; next: episode {episode}, {discord.utils.format_dt(at, 'F')}"


def render_watch_added(title: str, channel_id: int, schedule: Schedule, now: datetime) -> str:
    return (
        f"Watching **{md(title, 200, newlines=False)}**: when an episode airs, a prompt is posted in "
        f"<#{channel_id}> ({_rule(schedule, now)})."
    )


def render_watch_list(watched: list[tuple[Watch, Schedule | None]], now: datetime) -> discord.Embed:
    lines = []
    for watch, schedule in watched[:40]:
        state = f"stopped: {md(watch.disabled_reason, 200)}" if watch.disabled_reason else (
            _rule(schedule, now) if schedule else "no airing schedule"
        )  # fmt: skip
        lines.append(f"• **{md(watch.title, 100, newlines=False)}** in <#{watch.channel_id}> — {state}")
    embed = discord.Embed(
        title="Watched series", description="\n".join(lines) or "No series is watched here yet.", colour=COLOUR_CARD
    )
    if len(watched) > 40:
        embed.set_footer(text=plain(f"and {len(watched) - 40} more", 100))
    return embed


def render_watch_removed(title: str) -> str:
    return f"No more prompts for **{md(title, 200, newlines=False)}**."


def render_schedule_set(title: str, schedule: Schedule | None, now: datetime, reset: bool) -> str:
    name = md(title, 200, newlines=False)
    if not reset:
        assert schedule is not None
        return f"**{name}** airs here {_rule(schedule, now)}. Prompts of watches follow this schedule."
    if schedule is None:
        return f"This server's schedule of **{name}** is gone, and the catalog has none."
    return f"This server's schedule of **{name}** is gone; the catalog's applies again: {_rule(schedule, now)}."
