"""Loading series data: the bundled starter catalog and anime-offline-database release files."""

from __future__ import annotations

import gzip
import json
import logging
import tempfile
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dt_time
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any

import aiohttp
from tqdm import tqdm

from bot.models import SERIES_EPISODES_MAX, CatalogEntry
from bot.parsing import NotUtf8, read_json, shown_text
from bot.services.airing import JST, parse_broadcast
from bot.services.title_index import is_unspaced_script
from bot.store.backfill import STARTER_BACKFILL_KEY, CatalogBackfill
from bot.store.catalog import CatalogWriter, UpsertCounts

BATCH_SIZE = 2000
DOWNLOAD_CAP_BYTES = 512 * 1024 * 1024
DOWNLOAD_TIMEOUT_S = 300

OFFLINE_FORMATS = {"TV": "TV", "MOVIE": "Movie", "OVA": "OVA", "ONA": "ONA", "SPECIAL": "Special"}
OFFLINE_STATUS = {"FINISHED": "Finished", "ONGOING": "Airing", "UPCOMING": "Upcoming"}
OFFLINE_SEASONS = {"SPRING": "Spring", "SUMMER": "Summer", "FALL": "Fall", "WINTER": "Winter"}
MAX_KEYWORDS = 12

STARTER_CREDIT_KEY = "credit:bangumi-data"
OFFLINE_CREDIT_KEY = "credit:anime-offline-database"

log = logging.getLogger(__name__)


class ImportError_(Exception):
    """The file or address cannot be imported; the message is for the operator."""


@dataclass(slots=True)
class ImportReport:
    read: int = 0
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0
    notice: str | None = None

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0


# -- the starter catalog (bangumi-data, bundled) -------------------------------------------------------


def load_starter_bundle() -> dict[str, Any]:
    data = (resources.files("bot") / "data" / "starter_catalog.json.gz").read_bytes()
    bundle: dict[str, Any] = json.loads(gzip.decompress(data))
    return bundle


def _is_latin(text: str) -> bool:
    """Written in Latin letters: no kana, no CJK ideograph, no Hangul (a Chinese or Japanese title is
    never stored as the English one)."""
    return not any(is_unspaced_script(char) for char in text)


def starter_entries(bundle: dict[str, Any]) -> Iterator[CatalogEntry]:
    templates: dict[str, str] = bundle["site_urls"]
    for title, japanese, synonyms, kind, premiered, ended, official_site, sites, *extra in bundle["items"]:
        # Since Step 11: the broadcast rule, and the romaji of the Japanese title (names to search by).
        broadcast = extra[0] if len(extra) >= 2 else None
        romaji = [name for name in (extra[-1] if extra else []) if name not in synonyms]
        if broadcast and parse_broadcast(broadcast) is None:
            log.info("Skipped the broadcast rule %r of %s: not a repetition the bot understands", broadcast, title)
            broadcast = None
        yield CatalogEntry(
            title=title,
            title_english=title if title != japanese and _is_latin(title) else None,
            title_japanese=japanese,
            synonyms=[*synonyms, *romaji],
            format=kind,
            premiered=premiered,
            year=int(premiered[:4]) if premiered else None,
            official_site=official_site,
            sources=[templates[site].replace("{{id}}", str(site_id)) for site, site_id in sites.items()],
            broadcast=broadcast,
            broadcast_end=_end_of_day_in_japan(ended),
        )


def _end_of_day_in_japan(day: str | None) -> str | None:
    """The bundle keeps the day of the last broadcast in Japan; every airing that day counts."""
    if not day:
        return None
    end = datetime.combine(date.fromisoformat(day), dt_time(23, 59, 59), JST)
    return end.astimezone(UTC).isoformat()


def import_starter_catalog(database: Path | str) -> ImportReport:
    """Fill an empty catalog from the bundled file (run in a worker thread on first start)."""
    started = time.perf_counter()
    bundle = load_starter_bundle()
    report = ImportReport(notice=bundle["notice"])
    with CatalogWriter(database) as writer:
        if writer.count() > 0:
            return report
        entries = list(starter_entries(bundle))
        report.read = len(entries)
        # Loaded with its schedules and romaji: nothing for a later start to fill in.
        meta = {STARTER_CREDIT_KEY: f"{bundle['notice']} (version {bundle['version']})", STARTER_BACKFILL_KEY: "0"}
        report.counts = writer.upsert(entries, meta)
    report.seconds = time.perf_counter() - started
    return report


def backfill_starter_catalog(database: Path | str) -> int | None:
    """A catalog loaded by an earlier release gets what the starter bundle carries since (broadcast
    rules, romaji names), once; how many series changed, None when done before (run in a thread)."""
    with CatalogBackfill(database) as backfill:
        return backfill.backfill_starter(starter_entries(load_starter_bundle()))


# -- anime-offline-database ----------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("expected a list of strings")
    return [text for text in map(shown_text, value) if text]


def entry_from_offline(item: Any) -> CatalogEntry:
    """One `data[]` element of anime-offline-database; ValueError says why it is unusable."""
    if not isinstance(item, dict):
        raise ValueError("not an object")
    sources = [s for s in _strings(item.get("sources")) if s.startswith(("https://", "http://"))]
    if not sources:
        raise ValueError("no usable sources")
    title = shown_text(item.get("title"))
    if title is None:
        raise ValueError("no title")
    episodes = item.get("episodes")
    if episodes is not None and (
        not isinstance(episodes, int) or isinstance(episodes, bool) or not 0 <= episodes <= SERIES_EPISODES_MAX
    ):
        raise ValueError(f"episodes is {episodes!r}")
    season = item.get("animeSeason") or {}
    if not isinstance(season, dict):
        raise ValueError("animeSeason is not an object")
    year = season.get("year")
    if year is not None and (not isinstance(year, int) or not 1900 <= year <= 2100):
        raise ValueError(f"animeSeason.year is {year!r}")
    return CatalogEntry(
        title=title,
        sources=sources,
        synonyms=[s for s in _strings(item.get("synonyms")) if s != title],
        format=OFFLINE_FORMATS.get(str(item.get("type"))),
        episodes=episodes or None,
        status=OFFLINE_STATUS.get(str(item.get("status"))),
        season=OFFLINE_SEASONS.get(str(season.get("season"))),
        year=year,
        studios=_strings(item.get("studios")),
        keywords=_strings(item.get("tags"))[:MAX_KEYWORDS],
        picture=shown_text(item.get("picture")),
    )


def _license_notice(header: dict[str, Any]) -> str:
    license_info = header.get("license")
    if isinstance(license_info, dict):
        license_text = f"{license_info.get('name', 'ODbL-1.0')} ({license_info.get('url', '')})".replace(" ()", "")
    else:
        license_text = str(license_info or "ODbL-1.0")
    repository = header.get("repository") or "https://github.com/manami-project/anime-offline-database"
    updated = header.get("lastUpdate")
    suffix = f", data of {updated}" if updated else ""
    return (
        f"Contains information from anime-offline-database ({repository}), made available under {license_text}{suffix}."
    )


GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
UTF8_BOM = b"\xef\xbb\xbf"


def read_release_bytes(path: Path) -> bytes:
    """The file's JSON text, decompressed by what its first bytes say (gzip, zstd or none), not its name."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportError_(f"Cannot read {path}: {error.strerror or error}.") from None
    try:
        if raw.startswith(GZIP_MAGIC):
            data = gzip.decompress(raw)
        elif raw.startswith(ZSTD_MAGIC):
            import zstandard

            unpacker = zstandard.ZstdDecompressor().decompressobj()
            data = unpacker.decompress(raw)
            if not unpacker.eof:  # a cut-off frame unpacks to what it has, silently: say so
                raise ImportError_(f"{path} is a truncated zstd file; download it again.")
        else:
            data = raw
    except (EOFError, OSError, zlib.error) as error:
        raise ImportError_(f"{path} is a damaged or truncated gzip file ({error}).") from None
    except ImportError_:
        raise
    except Exception as error:  # zstandard raises its own ZstdError
        raise ImportError_(f"{path} is a damaged or truncated zstd file ({error}).") from None
    return data.removeprefix(UTF8_BOM)


def read_offline_database(path: Path) -> tuple[dict[str, Any], Iterator[tuple[int, Any]], int]:
    """The header, an iterator of (index, raw entry), and how many entries: for .json and .jsonl releases,
    plain, gzip or zstd."""
    rest = read_release_bytes(path).lstrip()
    if not rest.startswith(b"{"):
        raise ImportError_(f"{path} is not an anime-offline-database file (it does not start with a JSON object).")
    try:
        document = read_json(rest)
    except NotUtf8 as error:
        raise ImportError_(f"{path} is {error}.") from None
    except json.JSONDecodeError:
        return _read_jsonl(rest)
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise ImportError_(f"{path} has no `data` list: is it an anime-offline-database release file?")
    header = {k: v for k, v in document.items() if k != "data"}
    return header, enumerate(document["data"]), len(document["data"])


def _read_jsonl(raw: bytes) -> tuple[dict[str, Any], Iterator[tuple[int, Any]], int]:
    lines = raw.splitlines()
    try:
        header = read_json(lines[0])
    except (json.JSONDecodeError, IndexError, UnicodeDecodeError):
        raise ImportError_("The file is neither JSON nor JSON Lines (is it truncated?).") from None
    if not isinstance(header, dict) or "sources" in header:
        header = {}
        body = lines
    else:
        body = lines[1:]

    def entries() -> Iterator[tuple[int, Any]]:
        for index, line in enumerate(body):
            if not line.strip():
                continue
            try:
                yield index, read_json(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                yield index, ValueError(f"not JSON ({error})")

    return header, entries(), sum(1 for line in body if line.strip())


def import_offline_database(path: Path, database: Path | str, *, progress: bool = True) -> ImportReport:
    started = time.perf_counter()
    header, raw_entries, total = read_offline_database(path)
    notice = _license_notice(header)
    report = ImportReport(notice=notice)
    # With a total, tqdm shows the share done and an ETA.
    bar = tqdm(desc="Importing", total=total, unit=" series", disable=not progress, dynamic_ncols=True)
    with CatalogWriter(database) as writer:
        meta = {OFFLINE_CREDIT_KEY: notice}
        while batch_raw := list(islice(raw_entries, BATCH_SIZE)):
            batch: list[CatalogEntry] = []
            for index, raw in batch_raw:
                report.read += 1
                try:
                    if isinstance(raw, Exception):
                        raise raw
                    batch.append(entry_from_offline(raw))
                except ValueError as error:
                    report.skipped.append((index, str(error)))
            counts = writer.upsert(batch, meta)
            report.counts.inserted += counts.inserted
            report.counts.updated += counts.updated
            report.counts.unchanged += counts.unchanged
            bar.update(len(batch_raw))
            bar.set_postfix(new=report.counts.inserted, updated=report.counts.updated, skipped=len(report.skipped))
    bar.close()
    report.seconds = time.perf_counter() - started
    return report


async def _stream(response: aiohttp.ClientResponse, url: str, cap_bytes: int, progress: bool) -> AsyncIterator[bytes]:
    """The body in chunks, refusing more than `cap_bytes` and saying so when it stops short."""
    declared = response.content_length
    if declared is not None and declared > cap_bytes:
        raise ImportError_(f"{url} is {declared:,} bytes, more than the {cap_bytes:,}-byte limit.")
    received = 0
    bar = tqdm(desc="Downloading", total=declared, unit="B", unit_scale=True, disable=not progress, dynamic_ncols=True)
    with bar:
        async for chunk in response.content.iter_chunked(1 << 16):
            received += len(chunk)
            if received > cap_bytes:
                raise ImportError_(f"{url} is larger than the {cap_bytes:,}-byte limit; download stopped.")
            bar.update(len(chunk))
            yield chunk
    if declared is not None and received < declared:
        raise ImportError_(f"Downloading {url} stopped after {received:,} of {declared:,} bytes.")


def _unreachable(url: str, error: Exception) -> ImportError_:
    return ImportError_(
        f"Could not download {url} ({error.__class__.__name__}: {error}). Check the address and the "
        "network, or download the file yourself and import it from disk."
    )


async def download(url: str, destination: Path, *, cap_bytes: int = DOWNLOAD_CAP_BYTES, progress: bool = False) -> Path:
    """Stream `url` to a file in `destination`, refusing anything larger than `cap_bytes`."""
    name = url.rstrip("/").rsplit("/", 1)[-1] or "download.json"
    target = destination / name
    timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_S, sock_connect=15)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
            if response.status != 200:
                raise ImportError_(f"Downloading {url} failed: the server answered HTTP {response.status}.")
            with target.open("wb") as out:
                async for chunk in _stream(response, url, cap_bytes, progress):
                    out.write(chunk)
    except (aiohttp.ClientError, TimeoutError) as error:
        raise _unreachable(url, error) from None
    return target


@dataclass(frozen=True, slots=True)
class Fetched:
    body: bytes
    etag: str | None
    last_modified: str | None


async def fetch_if_changed(
    url: str, etag: str | None, last_modified: str | None, *, cap_bytes: int, progress: bool = False
) -> Fetched | None:
    """`url`'s body, or None when the server says it has not changed since the copy these validators
    came with (a conditional GET: 304 Not Modified)."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_S, sock_connect=15)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url, headers=headers) as response:
            if response.status == 304:
                return None
            if response.status != 200:
                raise ImportError_(f"Downloading {url} failed: the server answered HTTP {response.status}.")
            body = b"".join([chunk async for chunk in _stream(response, url, cap_bytes, progress)])
            return Fetched(body, response.headers.get("ETag"), response.headers.get("Last-Modified"))
    except (aiohttp.ClientError, TimeoutError) as error:
        raise _unreachable(url, error) from None


def temporary_download_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="catalog-import-")
