"""`python -m bot` runs the bot; `python -m bot --help` lists the other tools."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import functools
import logging
import signal
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import discord

from bot import __version__
from bot.client import make_bot
from bot.collector import QuietCollector
from bot.config import ConfigError, Settings, load_settings
from bot.log_writer import LogWriter
from bot.store import Database, SchemaTooNewError
from bot.store.connection import BUSY_TIMEOUT_MS, is_busy
from bot.store.preflight import DatabaseUnusable, check_database_path

log = logging.getLogger("bot")

EXIT_CONFIG = 2


class LoginTimeout(Exception):
    pass


def _fail(message: str, status: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


def one_sentence(tool: Callable[..., int]) -> Callable[..., int]:
    """Every failure of a command-line tool ends in one sentence: 2 for configuration, 1 otherwise."""

    @functools.wraps(tool)
    def run(*args: Any, **kwargs: Any) -> int:
        try:
            return tool(*args, **kwargs)
        except (ConfigError, DatabaseUnusable) as error:
            return _fail(str(error), EXIT_CONFIG)
        except SchemaTooNewError as error:
            return _fail(str(error), 1)
        except sqlite3.DatabaseError as error:
            if is_busy(error):
                return _fail(
                    f"Another process held the database's writer for more than {BUSY_TIMEOUT_MS // 1000} s "
                    "(another import or restore?); try again once it is done.",
                    1,
                )
            return _fail(f"The database cannot be used: {error}.", 1)
        except FileExistsError as error:
            return _fail(f"{error.filename} exists already; give a new name so nothing is overwritten.", 1)
        except OSError as error:
            if error.filename:
                return _fail(f"Cannot use {error.filename}: {error.strerror or error}.", 1)
            return _fail(f"{error.strerror or error}.", 1)
        except Exception as error:  # last: only PostgreSQL's driver's failures are sentences here
            if (sentence := _postgresql_failure(error)) is None:
                raise
            return _fail(sentence, 1)

    return run


def log_beside_the_loop() -> LogWriter:
    """Log records are written by a thread of their own (bot/log_writer.py), so a write to a slow
    terminal, pipe or disk never holds the event loop."""
    writer = LogWriter()
    # The lines name no thread, process or source line (discord.py's format): not looking them up for
    # each record (the logging HOWTO's "Optimization"; the caller's frame was a walk up the stack).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None
    writer.start()
    return writer


def tool_settings(*, database_must_exist: bool = False) -> Settings:
    """Settings for an offline tool (no token needed), with DATABASE_PATH checked (when the data is in
    SQLite: with DATABASE_URL set, the tools work on PostgreSQL)."""
    settings = load_settings(require_token=False)
    if not settings.database_url:
        check_database_path(settings.database_path, must_exist=database_must_exist)
    return settings


async def _run(settings: Settings) -> None:
    bot = make_bot(settings)
    stop = asyncio.Event()
    # A container stop (SIGTERM) closes the gateway and the database cleanly, like Ctrl+C. The close
    # runs here, not in the signal handler, so nothing is cancelled half-way when the loop ends.
    with contextlib.suppress(NotImplementedError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    # Full collections wait for a quiet process, not a burst's middle.
    collector = QuietCollector(last_arrival=lambda: bot.last_interaction_at)
    collector.start()
    try:
        async with bot:
            try:
                # start() is login() then connect(); the login alone gets a bound, so a network that
                # swallows packets ends in a sentence instead of a bot that never starts.
                await asyncio.wait_for(bot.login(settings.token), settings.login_timeout_s)
            except TimeoutError:
                raise LoginTimeout from None
            running = asyncio.create_task(bot.connect())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if running.done():
                running.result()  # a refused token or another fatal error surfaces here
            else:
                log.info("Stopping on SIGTERM")
                await bot.close()
                await running
    finally:
        await collector.stop()


def run_bot() -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        return _fail(str(error), EXIT_CONFIG)
    try:
        check_database_path(settings.database_path)
    except DatabaseUnusable as error:
        return _fail(str(error), EXIT_CONFIG)
    discord.utils.setup_logging(level=logging.getLevelName(settings.log_level), root=True)
    listener = log_beside_the_loop()
    log.info("Starting anime-impressions-bot %s", __version__)
    try:
        try:
            asyncio.run(_run(settings))
        finally:
            listener.stop()  # every record is written before the last sentence
    except ConfigError as error:  # found while starting (the public site's port taken)
        return _fail(str(error), EXIT_CONFIG)
    except discord.LoginFailure:
        return _fail(
            "Discord refused the token (401 Unauthorized): DISCORD_TOKEN is wrong or was reset. "
            "Copy a fresh token from the Bot page of your application in the Discord developer portal.",
            1,
        )
    except discord.PrivilegedIntentsRequired:
        return _fail("Discord refused the gateway intents this bot asked for.", 1)
    except LoginTimeout:
        return _fail(
            f"Discord did not answer the login within {settings.login_timeout_s:.0f} s: the network is down or "
            "blocks discord.com. Check the connection (and any proxy or firewall) and start again.",
            1,
        )
    except (aiohttp.ClientConnectionError, discord.GatewayNotFound, OSError) as error:
        return _fail(
            f"Cannot reach Discord ({error.__class__.__name__}: {error}): check the network, DNS and any "
            "proxy or firewall, then start again.",
            1,
        )
    except discord.HTTPException as error:
        return _fail(f"Discord answered the start-up with an error ({error.status}): {error.text or error}.", 1)
    except SchemaTooNewError as error:
        return _fail(str(error), 1)
    except KeyboardInterrupt:
        pass
    except Exception as error:  # DATABASE_URL's server did not let the bot in, or refused its schema
        if (sentence := _postgresql_failure(error)) is None:
            raise
        return _fail(sentence, 1)
    return 0


def _postgresql_failure(error: BaseException) -> str | None:
    """The sentence for a failure of PostgreSQL's driver; None for any other. The driver is looked up, not
    imported: a bot on SQLite never loads it (8 MB of memory)."""
    psycopg = sys.modules.get("psycopg")
    if psycopg is None:
        return None
    if isinstance(error, psycopg.OperationalError):
        return f"Cannot use the PostgreSQL database at DATABASE_URL: {_reason(error)}"
    if isinstance(error, psycopg.Error):
        return f"The PostgreSQL database at DATABASE_URL cannot be used: {_reason(error)}"
    return None


def _reason(error: Exception) -> str:
    """A driver's message on one line, bounded (PostgreSQL's messages never repeat the password)."""
    return " ".join(str(error).split())[:300]


async def _migrate(settings: Settings) -> None:
    if settings.database_url:
        from bot.store.postgresql_database import PostgresDatabase

        await (await PostgresDatabase.open(settings.database_url, settings.database_path)).close()
    else:
        await (await Database.open(settings.database_path)).close()


async def _migrate_with_starter(settings: Settings) -> None:
    """A database ready for data: migrated, and holding the starter catalog if its catalog is empty
    (an import into a fresh database would otherwise keep the starter catalog from ever loading)."""
    from bot.services.catalog_import import import_starter_catalog

    await _migrate(settings)
    await asyncio.to_thread(import_starter_catalog, settings.database)


@one_sentence
def import_catalog(source: str, *, progress: bool = True) -> int:
    # Imported lazily: the bot's start-up does not need the importer's dependencies loaded.
    from bot.services.catalog_import import (
        ImportError_,
        download,
        import_offline_database,
        temporary_download_dir,
    )

    settings = tool_settings()
    try:
        asyncio.run(_migrate_with_starter(settings))
        with temporary_download_dir() as scratch:
            if source.startswith(("http://", "https://")):
                print(f"Downloading {source} …", file=sys.stderr)
                path = asyncio.run(download(source, Path(scratch), progress=progress))
            else:
                path = Path(source)
                if not path.is_file():
                    return _fail(f"{source} is not a file (give a path or an http(s) URL).", 1)
            report = import_offline_database(path, settings.database, progress=progress)
    except (ImportError_, SchemaTooNewError) as error:
        return _fail(str(error), 1)
    counts = report.counts
    print(
        f"Read {report.read:,} entries in {report.seconds:.1f} s ({report.rate:,.0f}/s): "
        f"{counts.inserted:,} new, {counts.updated:,} updated, {counts.unchanged:,} unchanged, "
        f"{len(report.skipped):,} skipped."
    )
    for index, reason in report.skipped[:20]:
        print(f"  skipped entry {index}: {reason}")
    if len(report.skipped) > 20:
        print(f"  … and {len(report.skipped) - 20:,} more skipped entries.")
    print(report.notice)
    return 0


@one_sentence
def refresh_catalog(url: str | None, *, progress: bool = True) -> int:
    from bot.services.catalog_import import ImportError_
    from bot.services.catalog_refresh import refresh_catalog as refresh

    settings = tool_settings()
    source = url or settings.catalog_refresh_url
    if not source.startswith(("http://", "https://")):
        return _fail(f"{source} is not an http(s) URL (for a file on disk, use catalog import).", 1)
    try:
        asyncio.run(_migrate_with_starter(settings))
        print(f"Fetching {source} …", file=sys.stderr)
        report = asyncio.run(refresh(settings.database, source, progress=progress))
    except (ImportError_, SchemaTooNewError) as error:
        return _fail(str(error), 1)
    if not report.changed:
        print(f"The catalog is up to date: {source} has not changed since the last refresh.")
        return 0
    counts = report.counts
    print(
        f"Read {report.read:,} series in {report.seconds:.1f} s: {counts.inserted:,} new, {counts.updated:,} "
        f"updated, {counts.unchanged:,} unchanged, {report.unusable:,} unusable."
    )
    return 0


def new_target(target: str) -> Path:
    """A file or folder to create: never one that exists, so nothing is overwritten."""
    path = Path(target)
    if path.exists():
        raise FileExistsError(errno.EEXIST, "exists", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@one_sentence
def backup_database(target: str) -> int:
    """An online, consistent copy through SQLite's backup API; safe while the bot runs."""
    settings = tool_settings(database_must_exist=True)
    if settings.database_url:
        return _fail(
            "The data is in PostgreSQL (DATABASE_URL), which `backup` does not copy: use PostgreSQL's own "
            'pg_dump, e.g. pg_dump --format=custom --file=reviews.dump "$DATABASE_URL" (README, "Scaling out").',
            EXIT_CONFIG,
        )
    destination = new_target(target)
    from bot.store.bulk import backup_database as copy_database

    verdict = copy_database(settings.database_path, destination)
    if verdict != "ok":
        return _fail(f"The copy failed its integrity check: {verdict}", 1)
    print(f"Backed up {settings.database_path} to {destination} ({destination.stat().st_size:,} bytes, integrity ok).")
    return 0


@one_sentence
def export_data(guild_id: int, kind: str, out: str | None) -> int:
    import csv
    import json
    from datetime import UTC, datetime

    from bot.render.text import spreadsheet_cell
    from bot.store.export import GUILD_TABLES, export_guild

    settings = tool_settings(database_must_exist=True)
    target = new_target(out or (f"export-{guild_id}.json" if kind == "json" else f"export-{guild_id}"))
    document = export_guild(settings.database, guild_id, datetime.now(UTC).isoformat(timespec="seconds"))
    if not any(document[table] for table in GUILD_TABLES):
        return _fail(
            f"This database holds nothing of server {guild_id}: check the id (a server's id, not a user's).", 1
        )
    if kind == "json":
        target.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        target.mkdir()
        for table in (*GUILD_TABLES, "series"):
            rows = document[table]
            with (target / f"{table}.csv").open("w", newline="", encoding="utf-8") as handle:
                if rows:
                    writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                    writer.writeheader()
                    writer.writerows(
                        {k: spreadsheet_cell(json.dumps(v) if isinstance(v, list) else v) for k, v in r.items()}
                        for r in rows
                    )
    print(f"Exported {len(document['impressions']):,} impressions of server {guild_id} to {target}.")
    return 0


@one_sentence
def import_export(source: str) -> int:
    from bot.parsing import NotUtf8, read_json
    from bot.services.catalog_import import ImportError_, read_release_bytes
    from bot.store.export import ExportError, import_guild

    settings = tool_settings()
    try:
        # Read as the catalog importer reads: plain, gzip or zstd by content, a BOM tolerated.
        document = read_json(read_release_bytes(Path(source)))
    except ImportError_ as error:
        return _fail(f"Cannot restore: {error}", 1)
    except NotUtf8 as error:
        return _fail(f"Cannot restore {source}: it is {error}.", 1)
    except ValueError as error:
        return _fail(f"Cannot restore {source}: it is not a readable JSON export ({error}).", 1)
    try:
        asyncio.run(_migrate_with_starter(settings))
        counts = import_guild(settings.database, document)
    except ExportError as error:
        return _fail(f"Cannot restore {source}: {error}", 1)
    print("Restored " + ", ".join(f"{n:,} {table}" for table, n in counts.items()) + ".")
    return 0


@one_sentence
def migrate_to_postgresql(url: str) -> int:
    """Copy the SQLite database at DATABASE_PATH into an empty PostgreSQL database, and prove it."""
    import psycopg

    from bot.store.postgresql import migrate_to

    settings = load_settings(require_token=False)
    check_database_path(settings.database_path, must_exist=True)  # the source is SQLite, whatever DATABASE_URL says
    asyncio.run(_migrate(replace(settings, database_url="")))  # the copy is of the current schema
    try:
        copies = migrate_to(settings.database_path, url)
    except psycopg.OperationalError as error:
        return _fail(f"Cannot use the PostgreSQL database: {_reason(error)}", 1)
    except (psycopg.Error, RuntimeError) as error:
        return _fail(f"The copy to PostgreSQL failed, and nothing was kept: {_reason(error)}", 1)
    width = max(len(copy.table) for copy in copies)
    for copy in copies:
        print(f"{copy.table:<{width}}  {copy.rows:>10,} rows  checksum {copy.checksum[:16]}")
    total = sum(copy.rows for copy in copies)
    print(
        f"Copied {len(copies)} tables, {total:,} rows, from {settings.database_path} to PostgreSQL; each table's "
        "row count and checksum, read back from PostgreSQL, equal the SQLite file's."
    )
    return 0


@one_sentence
def health_check() -> int:
    """Exit 0 while the running bot is connected to Discord and its public site (when on) answers (for the
    Docker healthcheck), else 1."""
    from bot import health

    settings = load_settings(require_token=False)
    healthy, sentence = health.check(health.heartbeat_path(settings.database_path))
    if healthy and settings.web_enabled:
        healthy, site = health.check_site(health.site_address(settings.web_host, settings.web_port))
        sentence = f"{sentence.removesuffix('.')}, and {site}." if healthy else site
    if not healthy:
        return _fail(sentence, 1)
    print(sentence)
    return 0


def _server_id(text: str) -> int:
    """--guild: a Discord server's id, as the database holds ids (64-bit signed: 10**30 was an
    OverflowError traceback from SQLite)."""
    from bot.parsing import stored_id

    number = stored_id(text)
    if number is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a server's id (in Discord: Copy Server ID)")
    return number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Community anime reviews bot.")
    parser.add_argument("--version", action="version", version=__version__)
    tools = parser.add_subparsers(dest="tool", metavar="{catalog,backup,export,import-export,migrate-to,health}")
    tools.add_parser("health", help="exit 0 while the running bot is connected to Discord and its site answers")
    exporting = tools.add_parser("export", help="write one server's impressions, revisions, audit log …")
    exporting.add_argument("--guild", type=_server_id, required=True, help="the server's id")
    exporting.add_argument("--format", choices=["json", "csv"], default="json")
    exporting.add_argument("--out", help="file (json) or folder (csv) to write")
    restoring = tools.add_parser("import-export", help="restore a JSON export into a database without that server")
    restoring.add_argument("path")
    backup = tools.add_parser("backup", help="copy the database, consistently, while the bot runs")
    backup.add_argument("path", help="the new file to write")
    moving = tools.add_parser("migrate-to", help="copy the database into an empty PostgreSQL one, and verify it")
    moving.add_argument("url", help="postgresql://user:password@host:5432/database")
    catalog = tools.add_parser("catalog", help="manage the series catalog").add_subparsers(dest="action", required=True)
    importing = catalog.add_parser(
        "import", help="merge an anime-offline-database release file (.json, .jsonl, .gz) from a path or URL"
    )
    importing.add_argument("source", help="a path or an http(s) URL")
    importing.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    refreshing = catalog.add_parser("refresh", help="merge bangumi-data's latest release (fetched only if it changed)")
    refreshing.add_argument("url", nargs="?", help="the release's data.json (default: CATALOG_REFRESH_URL)")
    refreshing.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    args = parser.parse_args(argv)
    if args.tool == "health":
        return health_check()
    if args.tool == "export":
        return export_data(args.guild, args.format, args.out)
    if args.tool == "import-export":
        return import_export(args.path)
    if args.tool == "backup":
        return backup_database(args.path)
    if args.tool == "migrate-to":
        return migrate_to_postgresql(args.url)
    if args.tool == "catalog" and args.action == "refresh":
        return refresh_catalog(args.url, progress=not args.no_progress)
    if args.tool == "catalog":
        return import_catalog(args.source, progress=not args.no_progress)
    return run_bot()


if __name__ == "__main__":
    sys.exit(main())
