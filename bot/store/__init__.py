"""The only layer that speaks SQL."""

from __future__ import annotations

from pathlib import Path

from bot.store.backend import Backend
from bot.store.cards import CardStore
from bot.store.catalog import CatalogStore
from bot.store.charts import ChartStore
from bot.store.curation import CurationStore
from bot.store.database import Database
from bot.store.impressions import ImpressionStore
from bot.store.migrate import SchemaTooNewError
from bot.store.moderation import ModerationStore
from bot.store.queue import QueueStore
from bot.store.reports import ReportStore
from bot.store.season import SeasonStore
from bot.store.state import StateStore
from bot.store.stats import StatsStore, StoreCounts
from bot.store.watches import WatchStore
from bot.store.web import WebStore

__all__ = ["Database", "SchemaTooNewError", "Store", "StoreCounts"]


class Store:
    """One database and the per-table stores built on it."""

    def __init__(self, db: Backend) -> None:
        self.db = db
        self.stats = StatsStore(db)
        self.catalog = CatalogStore(db)
        self.cards = CardStore(db)
        self.curation = CurationStore(db)
        self.impressions = ImpressionStore(db)
        self.moderation = ModerationStore(db)
        self.queue = QueueStore(db)
        self.reports = ReportStore(db)
        self.state = StateStore(db)
        self.watches = WatchStore(db)
        self.season = SeasonStore(db)
        # The public site and the charts read beside members' commands, never in front of them.
        self.charts = ChartStore(db.aside)
        self.web = WebStore(db.aside)

    @classmethod
    async def open(cls, path: Path, url: str = "", *, few_connections: bool = False) -> Store:
        """The store on PostgreSQL at `url` when one is given, else on the SQLite file at `path`.
        `few_connections`: one PostgreSQL connection per pool, for a process that reads little (the
        public site's), instead of the bot's seven."""
        if url:
            from bot.store.postgresql_database import PostgresDatabase  # psycopg only when it is used

            pools = {"readers": 1, "writers": 1} if few_connections else {}
            store = cls(await PostgresDatabase.open(url, path, **pools))
        else:
            store = cls(await Database.open(path))
        await store.moderation.preload_settings()
        return store

    async def close(self) -> None:
        await self.db.close()
