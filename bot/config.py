"""Settings from the environment and a `.env` file, checked once at start-up.

Every problem is reported as one sentence naming the variable, so an operator
never has to read a traceback to fix their configuration.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from dotenv import dotenv_values

from bot.parsing import LINK_MAX, host_name, link_url, number_below

DEFAULT_DATABASE_PATH = Path("data") / "reviews.sqlite3"
PUBLIC_BASE_URL_MAX = 400  # its longest page link (slug, series id) then stays within a link button's 512
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is meant for the operator."""


DEFAULT_REFRESH_URL = "https://unpkg.com/bangumi-data@0.3/dist/data.json"  # bangumi-data's latest 0.3 release


class SyncMode(StrEnum):
    OFF = "off"
    GUILD = "guild"
    GLOBAL = "global"


@dataclass(frozen=True, slots=True)
class Settings:
    token: str
    database_path: Path
    owner_ids: frozenset[int]
    curator_guild_ids: frozenset[int]
    dev_guild_id: int | None
    sync_commands: SyncMode
    log_level: str
    anilist_enabled: bool = True
    anilist_url: str = "https://graphql.anilist.co"
    anilist_timeout_s: float = 1.5
    login_timeout_s: float = 60.0
    catalog_refresh_url: str = DEFAULT_REFRESH_URL
    catalog_refresh_hours: float = 24.0  # 0: no refresh while the bot runs
    chart_timeout_s: float = 10.0  # a chart not drawn by then: its worker is replaced
    web_enabled: bool = False  # the public site (Step 13)
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    public_base_url: str = ""  # what links to the site use (behind a reverse proxy); "" until set
    database_url: str = ""  # postgresql://…: the store runs on PostgreSQL (Step 14), else SQLite
    shard_count: int | None = None  # SHARD_COUNT: the gateway is split this many ways, across processes
    shard_ids: tuple[int, ...] = ()  # SHARD_IDS: the shards this process holds (all of them when unset)
    catalog_check_s: float = 30.0  # how often the lookup index asks whether another process edited the catalog

    @property
    def site_address(self) -> str:
        """What the public site's absolute links (feeds, sitemap) start with: PUBLIC_BASE_URL, else the
        address the site listens on (a wildcard as localhost). Never a request's Host header: whoever
        asks chooses that, and a feed or sitemap kept by a proxy would then send readers elsewhere."""
        if self.public_base_url:
            return self.public_base_url
        host = "localhost" if self.web_host in ("0.0.0.0", "::") else self.web_host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.web_port}"

    @property
    def database(self) -> Path | str:
        """Where the data is: the PostgreSQL address when one is set, else the SQLite file."""
        return self.database_url or self.database_path


SNOWFLAKE_END = 2**64  # Discord's ids are 64-bit numbers


def _parse_ids(name: str, raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        number = number_below(part, SNOWFLAKE_END)
        if number is None:
            raise ConfigError(
                f"{name} must be a comma-separated list of numeric Discord ids, but {part!r} is not a number."
            )
        ids.add(number)
    return frozenset(ids)


def _parse_id(name: str, raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    number = number_below(raw, SNOWFLAKE_END)
    if number is None:
        raise ConfigError(f"{name} must be a numeric Discord id, but it is {raw!r}.")
    return number


def _sync_mode(raw: str, dev_guild_id: int | None) -> SyncMode:
    # Commands are published at start-up whenever they changed since the last time (a hash is kept
    # in the database): to the dev guild while developing (instant), else globally. off opts out.
    chosen = raw.lower() or ("guild" if dev_guild_id else "global")
    try:
        mode = SyncMode(chosen)
    except ValueError:
        raise ConfigError(f"SYNC_COMMANDS must be one of off, guild, global, but it is {chosen!r}.") from None
    if mode is SyncMode.GUILD and dev_guild_id is None:
        raise ConfigError("SYNC_COMMANDS=guild needs DEV_GUILD_ID, the id of the server to sync to.")
    return mode


def _shards(count_raw: str, ids_raw: str) -> tuple[int | None, tuple[int, ...]]:
    """SHARD_COUNT and SHARD_IDS ("0-3", "0,2", "4-5,7"): which gateway shards this process holds."""
    if not count_raw:
        if ids_raw:
            raise ConfigError("SHARD_IDS needs SHARD_COUNT, the number of shards the bot is split into.")
        return None, ()
    count = number_below(count_raw, 10_001) or 0
    if not count:
        raise ConfigError(f"SHARD_COUNT must be a whole number of shards from 1, but it is {count_raw!r}.")
    ids: set[int] = set()
    for part in filter(None, (p.strip() for p in ids_raw.split(","))):
        low, _, high = part.partition("-")
        first, last = number_below(low.strip(), SNOWFLAKE_END), number_below((high or low).strip(), SNOWFLAKE_END)
        if first is None or last is None:
            raise ConfigError(f"SHARD_IDS must list shard numbers and ranges like 0-3,5, but it has {part!r}.")
        if first > last or last >= count:
            raise ConfigError(
                f"SHARD_IDS must name shards from 0 to {count - 1} (SHARD_COUNT is {count}), but it has {part!r}."
            )
        ids.update(range(first, last + 1))
    return count, tuple(sorted(ids)) or tuple(range(count))


def _web_address(name: str, raw: str) -> str:
    if link_url(raw) is None:
        raise ConfigError(
            f"{name} must be an http(s) address with a host and no spaces (at most {LINK_MAX} characters), "
            f"but it is {raw!r}."
        )
    return raw


def _seconds(name: str, raw: str, default: float, low: float, high: float) -> float:
    try:
        value = float(raw or default)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, but it is {raw!r}.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g} seconds, but it is {value:g}.")
    return value


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: Path | None = Path(".env"),
    *,
    require_token: bool = True,
) -> Settings:
    """Read settings; real environment variables win over the `.env` file.

    Offline tools (catalog import) pass `require_token=False`.
    """
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        try:
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        except UnicodeDecodeError as error:
            raise ConfigError(
                f"{env_file} is not UTF-8 text (byte {error.start + 1:,} cannot be read): save it as UTF-8."
            ) from None
        except OSError as error:
            raise ConfigError(f"Cannot read {env_file}: {error.strerror or error}.") from None
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str:
        return values.get(name, "").strip()

    token = get("DISCORD_TOKEN")
    if not token and require_token:
        raise ConfigError(
            "DISCORD_TOKEN is not set: put DISCORD_TOKEN=<your bot token> in a .env file in the directory "
            "you start the bot from (copy .env.example), or export it in the environment."
        )
    if not (token.isascii() and token.isprintable()):  # (it goes into an HTTP header; never shown here)
        raise ConfigError(
            "DISCORD_TOKEN holds a character no Discord token has (they are ASCII letters, digits and "
            "punctuation): copy it again from the Developer Portal."
        )

    dev_guild_id = _parse_id("DEV_GUILD_ID", get("DEV_GUILD_ID"))
    sync_commands = _sync_mode(get("SYNC_COMMANDS"), dev_guild_id)

    log_level = get("LOG_LEVEL").upper() or "INFO"
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, but it is {log_level!r}.")

    anilist_raw = get("ANILIST_ENABLED").lower() or "true"
    if anilist_raw not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        raise ConfigError(f"ANILIST_ENABLED must be true or false, but it is {anilist_raw!r}.")
    anilist_url = _web_address("ANILIST_URL", get("ANILIST_URL") or "https://graphql.anilist.co")
    # Interactions must be answered within 3 s; AniList enrichment has to fit inside that.
    anilist_timeout_s = _seconds("ANILIST_TIMEOUT", get("ANILIST_TIMEOUT"), 1.5, 0.1, 2.5)
    login_timeout_s = _seconds("LOGIN_TIMEOUT", get("LOGIN_TIMEOUT"), 60, 1, 600)
    chart_timeout_s = _seconds("CHART_TIMEOUT", get("CHART_TIMEOUT"), 10, 1, 60)
    web_raw = get("WEB_ENABLED").lower() or "false"
    if web_raw not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        raise ConfigError(f"WEB_ENABLED must be true or false, but it is {web_raw!r}.")
    web_port_raw = get("WEB_PORT") or "8080"
    web_port = number_below(web_port_raw, 65536)
    if not web_port:  # (port 0 is no port either)
        raise ConfigError(f"WEB_PORT must be a port number (1-65535), but it is {web_port_raw!r}.")
    public_base_url = get("PUBLIC_BASE_URL").rstrip("/")
    if public_base_url:
        _web_address("PUBLIC_BASE_URL", public_base_url)
        if len(public_base_url) > PUBLIC_BASE_URL_MAX or "?" in public_base_url or "#" in public_base_url:
            raise ConfigError(
                f"PUBLIC_BASE_URL must be the site's address without a query or fragment, at most "
                f"{PUBLIC_BASE_URL_MAX} characters (pages' paths follow it), but it is {public_base_url!r}."
            )
    web_host = get("WEB_HOST") or "127.0.0.1"
    if host_name(web_host) is None:
        raise ConfigError(
            "WEB_HOST must be a host name or an IP address to listen on (0.0.0.0 for every one), "
            f"but it is {web_host!r}."
        )
    database_url = get("DATABASE_URL")
    if database_url and not database_url.startswith(("postgresql://", "postgres://")):
        raise ConfigError("DATABASE_URL must be a postgresql:// address.")  # not repeated: it may hold a password
    shard_count, shard_ids = _shards(get("SHARD_COUNT"), get("SHARD_IDS"))
    catalog_check_s = _seconds("CATALOG_CHECK_SECONDS", get("CATALOG_CHECK_SECONDS"), 30, 1, 3600)
    refresh_url = _web_address("CATALOG_REFRESH_URL", get("CATALOG_REFRESH_URL") or DEFAULT_REFRESH_URL)
    refresh_raw = get("CATALOG_REFRESH_HOURS") or "24"
    try:
        refresh_hours = float(refresh_raw)
    except ValueError:
        raise ConfigError(f"CATALOG_REFRESH_HOURS must be a number of hours, but it is {refresh_raw!r}.") from None
    if not (refresh_hours == 0 or 1 <= refresh_hours <= 24 * 30):
        raise ConfigError(f"CATALOG_REFRESH_HOURS must be 0 (off) or 1 to 720 hours, but it is {refresh_hours:g}.")

    return Settings(
        login_timeout_s=login_timeout_s,
        catalog_refresh_url=refresh_url,
        catalog_refresh_hours=refresh_hours,
        chart_timeout_s=chart_timeout_s,
        web_enabled=web_raw in ("true", "1", "yes", "on"),
        web_host=web_host,
        web_port=web_port,
        public_base_url=public_base_url,
        database_url=database_url,
        shard_count=shard_count,
        shard_ids=shard_ids,
        catalog_check_s=catalog_check_s,
        anilist_enabled=anilist_raw in ("true", "1", "yes", "on"),
        anilist_url=anilist_url,
        anilist_timeout_s=anilist_timeout_s,
        token=token,
        database_path=Path(get("DATABASE_PATH") or DEFAULT_DATABASE_PATH),
        owner_ids=_parse_ids("OWNER_IDS", get("OWNER_IDS")),
        curator_guild_ids=_parse_ids("CURATOR_GUILD_IDS", get("CURATOR_GUILD_IDS")),
        dev_guild_id=dev_guild_id,
        sync_commands=sync_commands,
        log_level=log_level,
    )
