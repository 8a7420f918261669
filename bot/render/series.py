"""The series card (styled after the community review card), lookup choices and the pick list."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

import discord
from discord import app_commands

from bot.models import Ratings, Series
from bot.parsing import is_blank, link_url
from bot.render import COLOUR_CARD, kept_views, persistent_view
from bot.render.charts import render_charts_button
from bot.render.errors import render_user_error
from bot.render.impressions import render_ratings_field
from bot.render.text import md, plain
from bot.services.series import SeriesCard, Suggestion, series_ref

CHOICE_MAX = 100
MAX_LINK_BUTTONS = 10  # two rows; the first row is kept for the card's action buttons
SYNOPSIS_MAX = 2800

FORMAT_PHRASES = {
    "TV": "TV anime",
    "Movie": "Anime film",
    "OVA": "OVA",
    "ONA": "Web anime (ONA)",
    "Special": "Anime special",
}
# Source hosts we can name on a button, in the order the card lists them.
SITE_LABELS = (
    ("anilist.co", "AniList"),
    ("myanimelist.net", "MyAnimeList"),
    ("anidb.net", "AniDB"),
    ("kitsu.app", "Kitsu"),
    ("kitsu.io", "Kitsu"),
    ("anime-planet.com", "Anime-Planet"),
    ("animenewsnetwork.com", "Anime News Network"),
    ("livechart.me", "LiveChart"),
    ("anisearch.com", "aniSearch"),
    ("simkl.com", "Simkl"),
    ("notify.moe", "Notify.moe"),
    ("bangumi.tv", "Bangumi"),
)
CREDIT_SHORT = {
    "bangumi-data": "bangumi-data (CC BY 4.0)",
    "anime-offline-database": "anime-offline-database (ODbL)",
}


def describe_label(year: int | None, kind: str | None) -> str:
    detail = ", ".join(str(part) for part in (year, kind) if part)
    return f"({detail})" if detail else ""


def render_loading_choice(typed: str) -> app_commands.Choice[str]:
    """The one suggestion while the series list loads (just after start): picking it sends what was typed."""
    return app_commands.Choice(
        name="The series list is still loading: type once more in a moment", value=typed.strip()[:CHOICE_MAX] or "?"
    )


# A keystroke's suggestions mostly come back on the next one: 5 µs each to write, up to 25 a keystroke.
@lru_cache(maxsize=4096)
def render_choice_name(suggestion: Suggestion) -> str:
    """ "Hunter x Hunter (2011, TV)", with the name the member matched when it is not the title."""
    label = suggestion.label
    suffix = describe_label(label.year, label.format)
    title = plain(label.title, CHOICE_MAX)
    if is_blank(title):  # stored before such titles were refused: an empty choice fails the whole answer
        title = series_ref(label.series_id)
    matched = suggestion.matched_name
    also = f" · {plain(matched, CHOICE_MAX)}" if matched and not is_blank(matched) else ""
    budget = CHOICE_MAX - len(suffix) - 1
    if also and len(title) + len(also) > budget:
        also = plain(also, max(0, budget - len(title))) if budget - len(title) > 8 else ""
    head = plain(title + also, budget)
    return f"{head} {suffix}".strip()


def premiere_line(series: Series, today: date) -> str | None:
    kind = FORMAT_PHRASES.get(series.format or "", "Anime")
    if series.premiered is not None:
        verb = "premiered" if series.premiered <= today else "premieres"
        when = f"{series.premiered:%B} {series.premiered.day}, {series.premiered.year}"
        return f"{kind} that {verb} on {when}."
    if series.year:
        return f"{kind} from {series.season + ' ' if series.season else ''}{series.year}."
    return None


def _join_names(names: tuple[str, ...]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def site_links(series: Series) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    if series.official_site:
        links.append(("Official site", series.official_site))
    links += [(link.label, link.url) for link in series.links]
    # Only readable addresses are parsed: urlparse raises on some ("https://[::1"), which every lookup of
    # the series would then meet.
    by_host = {urlparse(url).netloc.removeprefix("www."): url for url in series.sources if link_url(url)}
    for host, label in SITE_LABELS:
        if host in by_host and all(label != existing for existing, _ in links):
            links.append((label, by_host[host]))
    seen: set[str] = set()
    unique = []
    for label, url in links:
        if url not in seen and link_url(url):
            seen.add(url)
            unique.append((plain(label, 80) or "Link", url))
    return unique[:MAX_LINK_BUTTONS]


def series_impressions_id(series_id: int) -> str:
    return f"series:impressions:{series_id}"


def series_post_id(series_id: int) -> str:
    return f"series:post:{series_id}"


@dataclass(frozen=True, slots=True)
class _CardText:
    """What a card shows of its series, whoever reviewed it: the same for every lookup until it changes."""

    title: str
    url: str | None
    description: str | None
    fields: tuple[tuple[str, str, bool], ...]
    footer: str
    thumbnail: str | None


def render_series_card(card: SeriesCard, ratings: Ratings, today: date) -> discord.Embed:
    text = _card_text(card.series, tuple(card.credits), today)
    embed = discord.Embed(title=text.title, url=text.url, description=text.description, colour=COLOUR_CARD)
    for name, value, inline in text.fields:
        embed.add_field(name=name, value=value, inline=inline)
    name, value = render_ratings_field(ratings)
    embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=text.footer)
    if text.thumbnail:
        embed.set_thumbnail(url=text.thumbnail)
    return embed


@lru_cache(maxsize=256)  # keyed by the series itself (frozen): an edited series is a new key
def _card_text(series: Series, credit_keys: tuple[str, ...], today: date) -> _CardText:
    parts = []
    if series.synopsis:
        parts.append(md(series.synopsis, SYNOPSIS_MAX))
        if series.synopsis_credit:
            parts.append(f"*(Summary courtesy of {md(series.synopsis_credit, 200, newlines=False)})*")
    facts = [line for line in (premiere_line(series, today),) if line]
    if series.studios:
        facts.append(f"Animated by {md(_join_names(series.studios), 300, newlines=False)}.")
    if facts:
        parts.append("\n".join(facts))
    fields: list[tuple[str, str, bool]] = []
    if series.title_japanese and series.title_japanese != series.title:
        fields.append(("Japanese title", md(series.title_japanese, 1024, newlines=False), True))
    if series.keywords:
        fields.append(("Keywords", md(", ".join(series.keywords), 1024, newlines=False), False))
    notables = series.notables or tuple(f"Animation - {studio.upper()}" for studio in series.studios)
    if notables:
        fields.append(("Notables", md("\n".join(notables), 1024), True))
    format_bits = [series.format or "Format unknown"]
    if series.episodes:
        format_bits.append(f"{series.episodes} episode{'s' if series.episodes != 1 else ''}")
    if series.status:
        format_bits.append(series.status)
    fields.append(("Format", md(" · ".join(format_bits), 1024, newlines=False), True))  # (a dataset's words)
    credits = " · ".join(CREDIT_SHORT.get(key, key) for key in credit_keys)
    footer = series_ref(series.id) + (f" · Data: {credits}" if credits else "")
    return _CardText(
        title=md(series.title, 256, newlines=False),
        url=link_url(series.official_site),
        description="\n\n".join(parts) or None,
        fields=tuple(fields),
        footer=plain(footer, 2048),
        thumbnail=link_url(series.picture, https_only=True),
    )


# What the series card's persistent buttons accept: the inverse of series_impressions_id and series_post_id.
SERIES_IMPRESSIONS_TEMPLATE = r"series:impressions:(?P<series>\d{1,18})"
SERIES_POST_TEMPLATE = r"series:post:(?P<series>\d{1,18})"


def render_impressions_button(series_id: int) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(
        label="Impressions", custom_id=series_impressions_id(series_id), style=discord.ButtonStyle.primary, row=0
    )


def render_post_button(series_id: int) -> discord.ui.Button[discord.ui.View]:
    return discord.ui.Button(
        label="Post impression", custom_id=series_post_id(series_id), style=discord.ButtonStyle.success, row=0
    )


@kept_views(maxsize=256)  # the same series, the same buttons: the view is stopped, so sharing it is safe
def render_series_buttons(series: Series, web_page: str | None = None) -> discord.ui.View:
    """Row 0: Impressions, Post impression, Charts (persistent) and the server's web page when it is
    published; rows 1-2: links to other sites."""
    links: list[discord.ui.Button[discord.ui.View]] = [
        discord.ui.Button(label=label, url=url, row=1 + n // 5) for n, (label, url) in enumerate(site_links(series))
    ]
    buttons = [render_impressions_button(series.id), render_post_button(series.id), render_charts_button(series.id)]
    if link_url(web_page):
        buttons.append(discord.ui.Button(label="Web page", url=web_page, row=0))
    return persistent_view(*buttons, *links)


def render_no_match(typed: str, suggestions: list[Suggestion]) -> discord.Embed:
    shown = md(typed, 80, newlines=False)
    lines = [f"No series matches “{shown}”."]
    if suggestions:
        lines.append("Did you mean:")
        lines += [f"• {md(render_choice_name(s))}" for s in suggestions[:5]]
    lines.append("Tip: start typing and pick a title from the list.")
    return discord.Embed(description="\n".join(lines), colour=COLOUR_CARD)


def render_pick_prompt(typed: str, count: int) -> discord.Embed:
    shown = md(typed, 80, newlines=False)
    return discord.Embed(
        description=f"{count} series match “{shown}”. Pick one:",
        colour=COLOUR_CARD,
    )


def render_pick_view(pick: discord.ui.Item[Any]) -> discord.ui.View:
    """The pick list in a message of its own (the select is a persistent item owned by the series cog)."""
    return persistent_view(pick)


def pick_options(suggestions: list[Suggestion]) -> list[discord.SelectOption]:
    options = []
    for suggestion in suggestions[:25]:
        label = suggestion.label
        options.append(
            discord.SelectOption(
                label=plain(label.title, 100) or f"series:{label.series_id}",
                value=str(label.series_id),
                description=plain(
                    " ".join(p for p in (describe_label(label.year, label.format), suggestion.matched_name or "") if p),
                    100,
                )
                or None,
            )
        )
    return options


CURATION_INPUTS = ("synopsis", "synopsis_credit", "keywords", "notables", "links")
TEXT_NAMES = {"synopsis_credit": "synopsis credit"}  # as a sentence names an input (else its custom_id)
DIGEST_LENGTH = 6  # hex digits of each text's digest in the form's custom_id
CURATION_FORM_ID = rf"cur:edit:(?P<id>\d{{1,18}})(?::(?P<shown>[0-9a-f]{{{DIGEST_LENGTH * len(CURATION_INPUTS)}}}))?"


def _links_text(series: Series) -> str:
    return "\n".join(f"{link.label} | {link.url}" for link in series.links)


def _curation_inputs(series: Series) -> tuple[tuple[str, str, discord.TextStyle, str, int], ...]:
    """The curation form's inputs: custom_id, label, style, the text it shows, and how much it holds."""
    return (
        ("synopsis", "Synopsis", discord.TextStyle.paragraph, series.synopsis or "", 3000),
        (
            "synopsis_credit",
            "Synopsis credit (e.g. AniList)",
            discord.TextStyle.short,
            series.synopsis_credit or "",
            100,
        ),
        ("keywords", "Keywords, comma-separated", discord.TextStyle.short, ", ".join(series.keywords), 400),
        ("notables", "Notables, one per line", discord.TextStyle.paragraph, "\n".join(series.notables), 1000),
        ("links", "Links: Label | https://… per line", discord.TextStyle.paragraph, _links_text(series), 2000),
    )


def render_curation_modal(series: Series) -> discord.ui.Modal:
    """The texts of a series: synopsis and credit, keywords, notables, links (Label | URL per line)."""
    # The custom_id carries a digest of each text as shown, so a submission can tell which texts someone
    # else changed meanwhile (see `curation_form_changes`); 5 × 6 hex digits fit beside the id in 100.
    digests = "".join(_digest(text) for text in _shown_texts(series).values())
    modal = discord.ui.Modal(
        title=plain(f"Edit {series.title}", 45), custom_id=f"cur:edit:{series.id}:{digests}", timeout=None
    )
    for custom_id, label, style, value, limit in _curation_inputs(series):
        modal.add_item(
            discord.ui.TextInput(
                label=label,
                custom_id=custom_id,
                style=style,
                default=value[:limit] or None,
                required=False,
                max_length=limit,
            )
        )
    modal.stop()  # answered from its custom_id by the series cog's listener
    return modal


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST_LENGTH]


def _shown_texts(series: Series) -> dict[str, str]:
    """What each input of the form shows: its text cut to what the input holds."""
    return {custom_id: value[:limit] for custom_id, _, _, value, limit in _curation_inputs(series)}


@dataclass(frozen=True, slots=True)
class FormChanges:
    changes: dict[str, str]  # input → the text to save
    conflicts: tuple[str, ...]  # inputs this curator changed that someone else changed too, since the form opened


def curation_form_changes(series: Series, submitted: dict[str, str], shown: str | None) -> FormChanges:
    """What a submitted curation form changes in `series` as it is now, merged three ways with what the
    form showed (`shown`: the digests in its custom_id; None for a form sent before they were).

    An input sent back as it was shown changes nothing, even if the text has changed since: a second
    curator's edit, or AniList's, stays (whoever submitted last used to overwrite it). An input the
    curator changed is saved if nobody else changed that text meanwhile, and is a conflict if they did.
    Each input showed its text cut to what it holds, so a long synopsis sent back as shown is not cut."""
    now = _shown_texts(series)
    if shown is None:
        then = {key: _digest(text) for key, text in now.items()}
    else:
        then = {key: shown[n * DIGEST_LENGTH : (n + 1) * DIGEST_LENGTH] for n, key in enumerate(now)}
    changes: dict[str, str] = {}
    conflicts: list[str] = []
    for key, sent in submitted.items():
        if key not in now or sent == now[key] or _digest(sent) == then[key]:
            continue
        if _digest(now[key]) == then[key]:
            changes[key] = sent
        else:
            conflicts.append(key)
    return FormChanges(changes, tuple(conflicts))


def render_edit_conflict(
    series: Series, conflicts: tuple[str, ...], submitted: dict[str, str]
) -> tuple[discord.Embed, discord.File]:
    """The answer to a curation form whose texts someone else changed meanwhile: nothing was saved, and
    what the curator typed comes back as a file, so none of it is lost."""
    names = [TEXT_NAMES.get(key, key) for key in conflicts]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    sentence = (
        f"Someone else changed the {listed} of {md(series.title, 200, newlines=False)} ({series_ref(series.id)}) "
        "since you opened the form, so nothing was saved. What you typed is attached: "
        "run `/series edit` again to see their text, and add yours."
    )
    shown = {custom_id: label for custom_id, label, _, _, _ in _curation_inputs(series)}
    typed = "\n\n".join(f"{shown[key]}:\n{text}" for key, text in submitted.items() if key in shown)
    attached = discord.File(io.BytesIO(typed.encode("utf-8", "replace")), f"your-edit-series-{series.id}.txt")
    return render_user_error(sentence), attached
