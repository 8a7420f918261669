"""The one error path: every failure of a command, button, select or form becomes one ephemeral sentence
(and a bug is logged with an id the member can quote)."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bot import answers
from bot.errors import UserFacingError
from bot.permissions import LevelRefused, OptionRefused
from bot.render.errors import render_internal_error, render_user_error
from bot.store.connection import is_busy

log = logging.getLogger("bot.client")


DATABASE_BUSY = (
    "The database is busy with other work (an import or a restore, perhaps), so nothing was changed. "
    "Please try again in a minute."
)


def describe_check_failure(error: app_commands.AppCommandError) -> str | UserFacingError | None:
    """A sentence for the errors discord.py raises before a command runs, or None if it is a bug."""
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works inside a server."
    if isinstance(error, LevelRefused | OptionRefused):
        return str(error)
    if isinstance(error, app_commands.MissingPermissions | app_commands.BotMissingPermissions):
        return str(error)
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CheckFailure):
        return "You are not allowed to use this command."
    if isinstance(error, app_commands.TransformerError):
        return UserFacingError("“{}” is not a valid value here.", error.value)
    return None


async def reply_ephemeral(
    interaction: discord.Interaction, embed: discord.Embed, file: discord.File = discord.utils.MISSING
) -> None:
    if interaction.type is discord.InteractionType.autocomplete:
        return  # an autocomplete cannot carry a message; the member simply sees no choices
    try:
        # After a public "thinking…", `send` takes it away first: it would become the error itself, for
        # everyone to see (Discord keeps a deferral's visibility).
        await answers.send(interaction, embed=embed, file=file, ephemeral=True)
    except discord.HTTPException:
        log.warning("Could not deliver an error reply for interaction %s", interaction.id, exc_info=True)


async def handle_interaction_error(interaction: discord.Interaction, error: Exception) -> None:
    """The one place that turns any failure of a command, button or modal into a reply."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, UserFacingError):
        await reply_ephemeral(interaction, render_user_error(original))
        return
    if is_busy(original):
        # Another process held SQLite's one writer longer than a write waits (BUSY_TIMEOUT_MS): not a bug.
        log.warning("Interaction %s: the database stayed busy with another writer; nothing was changed", interaction.id)
        await reply_ephemeral(interaction, render_user_error(DATABASE_BUSY))
        return
    if isinstance(original, app_commands.AppCommandError):
        sentence = describe_check_failure(original)
        if sentence is not None:
            await reply_ephemeral(interaction, render_user_error(sentence))
            return
    error_id = secrets.token_hex(4)
    command = interaction.command.qualified_name if interaction.command else interaction.data
    log.error(
        "Error %s in interaction %s (%s) from user %s in guild %s",
        error_id,
        interaction.id,
        command,
        interaction.user.id,
        interaction.guild_id,
        exc_info=original,
    )
    await reply_ephemeral(interaction, render_internal_error(error_id))


async def answer_unreadable(http: discord.http.HTTPClient, data: dict[str, Any], error_id: str) -> None:
    """Answer an interaction discord.py could not read (no `Interaction` exists for it) through Discord's
    callback endpoint: the member sees the error id instead of "The application did not respond"."""
    if data.get("type") == discord.InteractionType.autocomplete.value:
        callback: dict[str, Any] = {"type": 8, "data": {"choices": []}}
    else:
        embed = render_internal_error(error_id).to_dict()
        callback = {"type": 4, "data": {"embeds": [embed], "flags": 64, "allowed_mentions": {"parse": []}}}
    route = discord.http.Route(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        interaction_id=data["id"],
        interaction_token=data["token"],
    )
    try:
        await http.request(route, json=callback)
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError):
        log.warning("Could not answer the unreadable interaction %s", data["id"], exc_info=True)


def release_response(interaction: discord.Interaction[Any]) -> None:
    """Breaks the cycle between a finished interaction and its response object, and stops its clock.

    discord.py's `Interaction` and its `InteractionResponse` refer to each other, so every interaction,
    with its member, user, namespace and payload, outlived its answer until a full collection found it:
    14 objects an interaction, 12,000 in the one collection a quick `bench e2e` burst set off. Released,
    reference counting frees it as soon as the last task holding it ends.
    """
    answers.stop_watching(interaction)
    if getattr(interaction, "_cs_response", None) is not None:  # (not asked for, or released already)
        del interaction._cs_response  # type: ignore[attr-defined]
