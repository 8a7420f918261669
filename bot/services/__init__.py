"""Rules: who may do what, scopes, aggregates, moderation states. No SQL, no embeds."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.render.chart_worker import ChartWorker
from bot.services.anilist import AniListClient
from bot.services.charts import ChartService
from bot.services.curation import CurationService
from bot.services.impressions import ImpressionService
from bot.services.moderation import ModerationService
from bot.services.search import SeriesSearch
from bot.services.season import SeasonService
from bot.services.series import SeriesService
from bot.services.watches import WatchService
from bot.services.web import WebService
from bot.store import Store


@dataclass(slots=True)
class Services:
    """The service instances cogs share (one lookup index, one AniList client)."""

    search: SeriesSearch
    series: SeriesService
    impressions: ImpressionService
    moderation: ModerationService
    curation: CurationService
    watches: WatchService
    season: SeasonService
    charts: ChartService
    web: WebService
    anilist: AniListClient | None

    @classmethod
    def build(cls, store: Store, settings: Settings) -> Services:
        # Another process's catalog edits (shards, a command-line import) reach this index within this.
        search = SeriesSearch(store.catalog, settings.catalog_check_s)
        anilist = AniListClient(settings.anilist_url, settings.anilist_timeout_s) if settings.anilist_enabled else None
        series = SeriesService(store.catalog, store.cards, search, anilist)
        return cls(
            search=search,
            series=series,
            impressions=ImpressionService(store.impressions, store.catalog),
            moderation=ModerationService(store.moderation, store.impressions, store.queue, store.reports),
            curation=CurationService(
                store.catalog, store.curation, search, settings.owner_ids, settings.curator_guild_ids
            ),
            watches=WatchService(store.watches, series),
            season=SeasonService(store.season),
            charts=ChartService(store.charts, ChartWorker(settings.chart_timeout_s)),
            web=WebService(store.web, store.state),
            anilist=anilist,
        )

    async def close(self) -> None:
        self.charts.close()
        if self.anilist is not None:
            await self.anilist.close()
