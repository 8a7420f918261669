"""The bot itself: opens the store, loads every cog, owns the one error handler."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pkgutil
import re
import secrets
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, cast

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

import cogs
from bot import answers, health
from bot.config import Settings, SyncMode
from bot.errors import UserFacingError
from bot.failures import answer_unreadable, handle_interaction_error, release_response, reply_ephemeral
from bot.interactions import require_level
from bot.pages import PagerButton
from bot.parsing import storable
from bot.permissions import (
    FormHandler,
    FormRoute,
    Level,
    LevelRefused,
    OptionRefused,
    level_of,
    option_values,
    published_bounds_problem,
)
from bot.render.errors import render_user_error, user_error_text
from bot.services import Services
from bot.services.catalog_import import backfill_starter_catalog, import_starter_catalog
from bot.services.catalog_refresh import keep_refreshed
from bot.store import Store
from bot.store.backfill import STARTER_BACKFILL_KEY
from bot.web.process import SiteProcess

log = logging.getLogger(__name__)
# Namespaces of the persistent components this bot sends (series:pick:…, mod:approve:…, rep:hide:…).
OWN_COMPONENT_PREFIXES = ("series:", "mod:", "rep:", "imp:", "pg:", "ep:")
OWN_FORM_PREFIXES = ("imp:", "mod:", "rep:", "cur:")
# Interaction ids remembered to drop a second delivery of the same interaction (Discord redelivers
# after a resume); a few minutes of traffic, since a token is only valid for 15 minutes anyway.
SEEN_INTERACTIONS = 10_000
TREE_INTERACTIONS = (discord.InteractionType.application_command, discord.InteractionType.autocomplete)
completions = logging.getLogger("bot.interactions")


def log_completion(interaction: discord.Interaction, command: object) -> None:
    """One INFO line per command that ended well: which, where, for whom, how long (errors are logged
    by the error handler, with their id)."""
    if completions.isEnabledFor(logging.INFO):
        elapsed_ms = (discord.utils.utcnow() - interaction.created_at).total_seconds() * 1000
        name = getattr(command, "qualified_name", "?")
        completions.info("/%s guild=%s user=%s ok %.0f ms", name, interaction.guild_id, interaction.user.id, elapsed_ms)


def discover_cogs() -> list[str]:
    """Every module of `cogs/` whose name does not start with `_`, in a stable order."""
    return sorted(
        f"{cogs.__name__}.{module.name}"
        for module in pkgutil.iter_modules(cogs.__path__)
        if not module.name.startswith("_")
    )


DISCORD_CONNECTIONS = 100  # at once to Discord's API (aiohttp's default; discord.py sets none)


class ReviewTree(app_commands.CommandTree["ReviewBot"]):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Every command and context menu runs only at its declared level; one without a level never runs."""
        if interaction.type is not discord.InteractionType.application_command:
            return True  # autocomplete only suggests; the command it completes is checked when sent
        level = level_of(interaction.command)
        if level is None:
            raise LevelRefused("This command declares no permission level, so it does not run.")
        await require_level(interaction, level)
        problem = published_bounds_problem(interaction.command, option_values(interaction.data or {}))
        if problem is not None:
            raise OptionRefused(f"{problem} Nothing was changed.")
        return True

    async def _call(self, interaction: discord.Interaction[ReviewBot]) -> None:
        # discord.py's one path for commands, menus and keystrokes; a failure raises on to on_error, which
        # answers and then releases the response itself.
        await super()._call(interaction)
        # The completion event's listeners were scheduled inside the call and have not run yet; whether
        # the command answered stays known to them (`answers.answered`).
        release_response(interaction)

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        try:
            await handle_interaction_error(interaction, error)
        finally:
            release_response(interaction)


class ReviewBot(commands.Bot):
    def __init__(self, settings: Settings) -> None:
        # The bot uses no voice: discord.py's start-up warnings about voice libraries are noise here.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True
        # Messages that mention the bot carry their content without the privileged intent,
        # which is all the `@bot sync` fallback needs.
        intents.guild_messages = True
        intents.dm_messages = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            tree_cls=ReviewTree,
            owner_ids=set(settings.owner_ids),
            # Nothing a member writes may ever ping anyone.
            allowed_mentions=discord.AllowedMentions.none(),
            # No message cache: the bot edits its posts by id and reads no message back, and a cache of
            # 1,000 messages (discord.py's default) is tens of thousands of objects for the collector.
            max_messages=None,
            **self._shard_options(settings),
        )
        self.settings = settings
        self.started_at = datetime.now(UTC)
        self._store: Store | None = None
        self._services: Services | None = None
        self.persistent_items: list[type[discord.ui.DynamicItem[Any]]] = []
        self.own_prefixes: set[str] = set(OWN_COMPONENT_PREFIXES)  # and every dynamic item's namespace
        self._seen_interactions: OrderedDict[int, None] = OrderedDict()
        self._answering: set[asyncio.Task[None]] = set()  # answers to interactions discord.py could not read
        self.answer_clock = answers.AnswerClock()  # defers what is not answered in time
        self._heartbeat: asyncio.Task[None] | None = None
        self._index_build: asyncio.Task[None] | None = None
        self._backfill: asyncio.Task[None] | None = None
        self._refresh: asyncio.Task[None] | None = None
        self._site: SiteProcess | None = None
        self._made = time.perf_counter()
        self.last_interaction_at = float("-inf")  # monotonic: when the last interaction arrived
        self.form_routes: list[FormRoute] = []
        self._drop_redelivered_interactions()

    @staticmethod
    def _shard_options(settings: Settings) -> dict[str, Any]:
        """One shard of several (SHARD_IDS names one): discord.py's Client holds one shard by itself."""
        if settings.shard_count is None:
            return {}
        [shard_id] = settings.shard_ids
        return {"shard_id": shard_id, "shard_count": settings.shard_count}

    def _drop_redelivered_interactions(self) -> None:
        """Process each interaction once: a redelivered INTERACTION_CREATE (same id) is dropped before
        discord.py dispatches it to a command, view or listener, so nothing is written twice and the
        second delivery's answer does not fail as "already acknowledged"."""
        parsers = self._connection.parsers
        parse = parsers["INTERACTION_CREATE"]

        def parse_once(data: dict[str, Any]) -> None:
            interaction_id = int(data["id"])
            if interaction_id in self._seen_interactions:
                log.info("Ignored a second delivery of interaction %s", interaction_id)
                return
            self._seen_interactions[interaction_id] = None
            if len(self._seen_interactions) > SEEN_INTERACTIONS:
                self._seen_interactions.popitem(last=False)
            # What the member typed or chose (options, form fields, autocomplete) and their names: text
            # that may be stored. (The message a button is on is the bot's own.)
            for key in ("data", "member", "user"):
                if key in data:
                    data[key] = storable(data[key])
            try:
                parse(data)
            except Exception:  # discord.py could not read it: that one interaction fails, not the gateway
                self._answer_unreadable(data)

        parsers["INTERACTION_CREATE"] = parse_once

    def _answer_unreadable(self, data: dict[str, Any]) -> None:
        """An INTERACTION_CREATE discord.py raised on while reading: the exception would have left the
        gateway's loop and ended the bot. It is logged with an id, and the member is answered with it."""
        error_id = secrets.token_hex(4)
        log.error(
            "Error %s: could not read interaction %s (type %s) from Discord",
            error_id,
            data.get("id"),
            data.get("type"),
            exc_info=True,
        )
        if isinstance(data.get("id"), str) and isinstance(data.get("token"), str):
            task = asyncio.get_running_loop().create_task(answer_unreadable(self.http, data, error_id))
            self._answering.add(task)  # (a task nobody holds may be collected before it ends)
            task.add_done_callback(self._answering.discard)

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the store is opened in setup_hook; it is not available before")
        return self._store

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are built in setup_hook; they are not available before")
        return self._services

    @property
    def site(self) -> SiteProcess | None:
        """The public site's process, when WEB_ENABLED is on."""
        return self._site

    async def login(self, token: str) -> None:
        # discord.py's connection pool is unbounded: a burst of 1,000 answers opened 700 connections
        # (each a TLS handshake with Discord), kept alive afterwards for every full collection to walk
        # (the one after a quick `bench e2e` burst: 12 ms, against 5 ms with a bound of 64). aiohttp's
        # own default bound queues the rest; the burst's answers came no later.
        if self.http.connector is discord.utils.MISSING:
            self.http.connector = aiohttp.TCPConnector(limit=DISCORD_CONNECTIONS)
        await super().login(token)

    async def setup_hook(self) -> None:
        self._store = await Store.open(self.settings.database_path, self.settings.database_url)
        # The address is not logged: it may hold a password.
        log.info("Database ready: %s", "PostgreSQL" if self.settings.database_url else self.settings.database_path)
        if await self._store.catalog.count() == 0:
            report = await asyncio.to_thread(import_starter_catalog, self.settings.database)
            log.info("Loaded the starter catalog: %d series in %.1f s", report.counts.inserted, report.seconds)
        elif not await self._store.catalog.meta(STARTER_BACKFILL_KEY):
            self._backfill = asyncio.create_task(self._backfill_starter(), name="starter-backfill")
        self._services = Services.build(self._store, self.settings)
        # Built while discord.py logs in and waits for the servers (a large catalog is indexed in a
        # process of its own), so it is usually there before the first keystroke; a search before
        # that waits for it.
        self._index_build = asyncio.create_task(self._build_index(), name="lookup-index")
        if self.settings.catalog_refresh_hours:
            self._refresh = asyncio.create_task(self._keep_catalog_refreshed(), name="catalog-refresh")
        if self.settings.web_enabled:
            await self._serve_site()
        self.add_dynamic_items(PagerButton)  # the one pager, shared by every list
        for extension in discover_cogs():
            await self.load_extension(extension)
        await self.sync_commands(self.settings.sync_commands, only_if_changed=True)
        log.info("Set up in %.2f s (the lookup index is built in the background)", time.perf_counter() - self._made)

    async def _backfill_starter(self) -> None:
        """Once per database, in the background: schedules and romaji for a catalog loaded before them."""
        try:
            changed = await asyncio.to_thread(backfill_starter_catalog, self.settings.database)
        except Exception:  # the next start tries again
            log.exception("The starter catalog's schedules and romaji could not be added")
            return
        if changed is not None:
            log.info("Added airing schedules and romaji names to %d series of the catalog", changed)

    async def _serve_site(self) -> None:
        """The public site (read-only pages of the servers whose moderators published them), in a process
        of its own: its requests never wait in front of a Discord interaction on this loop."""
        self._site = SiteProcess.open(self.settings)  # a port that is taken stops the start-up here
        await self._site.start()

    async def _keep_catalog_refreshed(self) -> None:
        if self._index_build is not None:  # one big job at a time on a small machine
            await asyncio.wait([self._index_build])
        settings = self.settings
        await keep_refreshed(
            settings.database, settings.catalog_refresh_url, settings.catalog_refresh_hours,
            self.services.search.refresh,
        )  # fmt: skip

    async def _build_index(self) -> None:
        begun = time.perf_counter()
        try:
            index = await self.services.search.index()
        except Exception:  # the first search builds it again; this says why it is slow
            log.exception("The lookup index could not be built at start-up")
            return
        log.info("Lookup index ready: %d names in %.2f s", len(index), time.perf_counter() - begun)

    def _sync_target(self, mode: SyncMode) -> discord.Object | None:
        if mode is not SyncMode.GUILD:
            return None
        if self.settings.dev_guild_id is None:
            raise UserFacingError("DEV_GUILD_ID is not set, so there is no development server to sync to.")
        guild = discord.Object(self.settings.dev_guild_id)
        self.tree.copy_global_to(guild=guild)
        return guild

    def command_payload_hash(self, guild: discord.Object | None) -> str:
        """A hash of exactly what a sync would send, so an unchanged command list is not sent again."""
        payload = [command.to_dict(self.tree) for command in self.tree._get_all_commands(guild=guild)]
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    async def sync_commands(self, mode: SyncMode, *, only_if_changed: bool = False) -> list[app_commands.AppCommand]:
        """Publish the command tree, globally or to DEV_GUILD_ID (instant, for development).

        At start-up (`only_if_changed`) nothing is sent when the list equals the one published last.
        A refused guild sync is explained in one log line and the bot keeps running.
        """
        if mode is SyncMode.OFF:
            log.info("Slash commands are not published (SYNC_COMMANDS=off); use /admin sync or @bot sync.")
            return []
        guild = self._sync_target(mode)
        where = "globally" if guild is None else f"to server {guild.id} (DEV_GUILD_ID)"
        key = f"commands:{'global' if guild is None else guild.id}"
        digest = self.command_payload_hash(guild)
        if only_if_changed and await self.store.state.get(key) == digest:
            log.info("Slash commands unchanged since they were last published %s; not syncing.", where)
            return []
        try:
            synced = await self.tree.sync(guild=guild)
        except discord.Forbidden:
            if guild is None:
                raise
            log.warning(
                "Discord refused to publish the commands to server %s (403): the bot is not in that server, "
                "or it was invited without the applications.commands scope. Invite it again with both the bot "
                "and applications.commands scopes, or unset DEV_GUILD_ID to publish globally. Running on.",
                guild.id,
            )
            return []
        await self.store.state.set(key, digest)
        log.info("Published %d slash commands %s: %s", len(synced), where, ", ".join(sorted(c.name for c in synced)))
        return synced

    def add_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        super().add_dynamic_items(*items)
        self.persistent_items += items
        # Each item's id namespace ("chart:" of "chart:s:(?P<series>…)") is ours from now on: a forged or
        # outdated id in it gets an answer, whichever item is added later.
        for item in items:
            namespace = re.match(r"[\w-]+:", item.__discord_ui_compiled_template__.pattern)
            if namespace is not None:
                self.own_prefixes.add(namespace[0])

    def add_form(self, pattern: str, level: Level, handler: FormHandler) -> None:
        """Answer modal submissions whose custom_id fully matches `pattern`, at `level` (like a command)."""
        self.form_routes.append(FormRoute(re.compile(pattern), level, handler))

    async def _route_form(self, interaction: discord.Interaction, custom_id: str) -> None:
        """The one form router: forms are answered from their custom_id alone, after a restart too."""
        try:
            for route in self.form_routes:
                if match := route.pattern.fullmatch(custom_id):
                    await require_level(interaction, route.level)
                    await route.handler(interaction, match)
                    return
            if custom_id.startswith(OWN_FORM_PREFIXES):
                raise UserFacingError(
                    "This form is not one the bot sent (or is from an older version); nothing was saved."
                )
        except Exception as error:
            await handle_interaction_error(interaction, error)
        finally:
            release_response(interaction)  # the last use of it: freed now, not by a full collection

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Forms go to their route; a button of ours whose id no handler accepts (forged, or from an
        older version) gets an answer."""
        custom_id = str(cast(dict[str, Any], interaction.data or {}).get("custom_id", ""))
        if interaction.type is discord.InteractionType.modal_submit:
            await self._route_form(interaction, custom_id)
            return
        if interaction.type is not discord.InteractionType.component:
            return
        if not custom_id.startswith(tuple(self.own_prefixes)):
            return  # a view's own buttons (pagers, confirmations) are answered by the view
        if any(item.__discord_ui_compiled_template__.fullmatch(custom_id) for item in self.persistent_items):
            return
        await reply_ephemeral(
            interaction, render_user_error("This button is not valid (any more); nothing was changed.")
        )

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("Ready as %s (%s) in %d servers", self.user, self.user.id, len(self.guilds))
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._keep_heartbeat(), name="heartbeat")

    def connected(self) -> bool:
        """A live gateway connection: ready, not closing, and the socket open."""
        return self.is_ready() and not self.is_closed() and self.ws is not None and not self.ws.socket.closed

    async def _keep_heartbeat(self) -> None:
        """Refresh the file `python -m bot health` reads, while connected; a write error is one log line."""
        path = health.heartbeat_path(self.settings.database_path)
        while not self.is_closed():
            try:
                if self.connected():
                    await asyncio.to_thread(health.beat, path)
            except OSError as error:
                log.warning("Could not write the heartbeat file %s: %s", path, error)
            await asyncio.sleep(health.HEARTBEAT_EVERY_S)

    async def on_command_error(self, context: commands.Context[Any], error: commands.CommandError) -> None:
        if isinstance(error, commands.CommandNotFound):
            return
        if isinstance(error, commands.CheckFailure):
            await context.reply("Only the bot's owners can do that.", mention_author=False)
            return
        original = getattr(error, "original", error)
        if isinstance(original, UserFacingError):
            await context.reply(user_error_text(original), mention_author=False)
            return
        error_id = secrets.token_hex(4)
        log.error("Error %s in text command %s", error_id, context.command, exc_info=original)
        await context.reply(f"Something went wrong (error id `{error_id}`).", mention_author=False)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        # Once closing, discord.py has no loop to schedule handlers on: an event dispatched then (a
        # command finishing, the socket going away) would leave a coroutine that is never awaited.
        if self.is_closed():
            return
        if event_name == "interaction":
            self.last_interaction_at = time.monotonic()
            self.answer_clock.watch(args[0])  # dispatched as it arrives, before its handler has run
        if (
            event_name == "interaction"
            and args[0].type in TREE_INTERACTIONS
            and "on_interaction" not in self.extra_events
        ):
            # Commands and keystrokes are the tree's; on_interaction is for buttons and forms. A task
            # scheduled for it to return at once was 7% of a command's time on the loop (py-spy).
            return
        if event_name == "app_command_completion":
            log_completion(*args)  # written here, not by a listener: no task per command for a log line
        super().dispatch(event_name, *args, **kwargs)

    async def close(self) -> None:
        for task in (self._index_build, self._backfill, self._refresh):
            if task is not None:
                task.cancel()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None
        self.answer_clock.stop()
        health.stop(health.heartbeat_path(self.settings.database_path))
        if self._site is not None:
            site, self._site = self._site, None
            await site.stop()
        await super().close()
        # Taken before awaiting, so a second close() (signal and shutdown together) finds nothing to do.
        services, store = self._services, self._store
        self._services = self._store = None
        if services is not None:
            await services.close()
        if store is not None:
            await store.close()


class ShardedReviewBot(ReviewBot, commands.AutoShardedBot):
    """The bot holding several gateway shards in one process (SHARD_IDS names more than one)."""

    @staticmethod
    def _shard_options(settings: Settings) -> dict[str, Any]:
        return {"shard_count": settings.shard_count, "shard_ids": list(settings.shard_ids)}

    def connected(self) -> bool:
        """Every shard this process holds is connected (`ws` is no one connection here)."""
        shards = self.shards.values()
        return self.is_ready() and not self.is_closed() and bool(shards) and not any(s.is_closed() for s in shards)


def make_bot(settings: Settings) -> ReviewBot:
    """The bot these settings ask for: one connection (one shard, or the whole gateway), or several shards."""
    if len(settings.shard_ids) > 1:
        return ShardedReviewBot(settings)
    return ReviewBot(settings)
