"""The public site, served by aiohttp in a process of its own when WEB_ENABLED is on (`python -m bot.web`,
started by the bot: bot/web/process.py). Read-only: GET and HEAD only; anything it cannot show is a 404
page, never a traceback. Pages are Jinja2 templates with autoescape on, behind a strict
Content-Security-Policy, with ETags."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from aiohttp import web
from markupsafe import Markup

from bot.errors import NotFound
from bot.models import CATEGORIES
from bot.parsing import SLUG, number_below
from bot.render.impressions import scope_line
from bot.render.series import premiere_line, site_links
from bot.render.text import visible
from bot.services.charts import ChartService
from bot.services.web import WebService

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' https:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
SERVICES: web.AppKey[WebService] = web.AppKey("services", WebService)
TEMPLATES: web.AppKey[jinja2.Environment] = web.AppKey("templates", jinja2.Environment)
BASE: web.AppKey[str] = web.AppKey("base", str)
BASE_URL: web.AppKey[str] = web.AppKey("base_url", str)
CHARTS: web.AppKey[ChartService] = web.AppKey("charts", ChartService)
STARTED: web.AppKey[str] = web.AppKey("started", str)
GATE: web.AppKey[asyncio.Semaphore] = web.AppKey("gate", asyncio.Semaphore)
PAGES_AT_ONCE = 4
KEPT_PAGES = 64
RENDERED: web.AppKey[dict[tuple[str, str], bytes]] = web.AppKey("rendered", dict)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _page(
    request: web.Request, template: str, code: int = 200, tag: str | None = None, **values: object
) -> web.Response:
    base = request.app[BASE]
    chosen = request.app[TEMPLATES].get_template(template)
    # Rendered beside the event loop, not on it: a page of 20 impressions is milliseconds of Python, and
    # the loop keeps accepting and answering (a 304, the health check) meanwhile.
    body = (await asyncio.to_thread(chosen.render, base=base, **values)).encode()
    tag = tag or '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if code == 200 and tag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers={"ETag": tag})
    return web.Response(body=body, status=code, content_type="text/html", charset="utf-8", headers={"ETag": tag})


async def _error(request: web.Request, status: int, reason: str, message: str) -> web.Response:
    return await _page(request, "error.html", status, status=status, reason=reason, message=message)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read-only, headers on everything, and every failure a page: 404 for what is not there (or not
    published), 405 for writes, 500 with the traceback in the log only."""
    if request.method not in ("GET", "HEAD"):
        response: web.StreamResponse = await _error(request, 405, "Method not allowed", "This site is read-only.")
        response.headers["Allow"] = "GET, HEAD"
    else:
        try:
            async with request.app[GATE]:  # a few pages at a time: one database reader, one render each
                response = await handler(request)
        except (NotFound, web.HTTPNotFound, ValueError):
            response = await _error(request, 404, "Not found", "There is nothing here.")
        except web.HTTPException as error:
            response = await _error(request, error.status, error.reason, "That cannot be shown.")
        except Exception:
            log.exception("The page %s failed", request.path_qs)
            response = await _error(request, 500, "Something went wrong", "Try again in a moment.")
    response.headers.update(SECURITY_HEADERS)
    return response


async def health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def no_icon(request: web.Request) -> web.Response:
    return web.Response(status=204)  # browsers ask for one; a 404 would be an error in their console


async def robots(request: web.Request) -> web.Response:
    sitemap_at = f"{request.app[BASE_URL]}{request.app[BASE]}/sitemap.xml"
    return web.Response(text=f"User-agent: *\nAllow: /\nSitemap: {sitemap_at}\n")


async def index(request: web.Request) -> web.Response:
    found = await request.app[SERVICES].index(request.match_info["slug"])
    return await _page(
        request,
        "index.html",
        slug=found.slug,
        reviewed=found.reviewed,
        best=found.best_rated,
        reviewers=found.reviewers,
    )


async def reviewer(request: web.Request) -> web.Response:
    slug = request.match_info["slug"]
    who, written = await request.app[SERVICES].reviewer(slug, request.match_info["token"])
    return await _page(request, "reviewer.html", slug=slug, who=who, written=written, scope_line=scope_line)


async def feed(request: web.Request) -> web.Response:
    """Atom: the newest published impressions of the server, or of one series. A spoiler's text stays out."""
    slug, series_id = request.match_info["slug"], request.match_info.get("series")
    entries = await request.app[SERVICES].feed(slug, int(series_id) if series_id else None)
    site = request.app[BASE_URL]
    response = await _page(request, "feed.atom", slug=slug, entries=entries, site=site, scope_line=scope_line,
                     series_id=series_id)  # fmt: skip
    response.content_type = "application/atom+xml"
    return response


async def sitemap(request: web.Request) -> web.Response:
    """The sitemap index: one sitemap per published server, so no file outgrows the protocol's 50,000."""
    slugs = await request.app[SERVICES].published()
    response = await _page(request, "sitemap_index.xml", slugs=slugs, site=request.app[BASE_URL])
    response.content_type = "application/xml"
    return response


async def server_sitemap(request: web.Request) -> web.Response:
    """A server's index page and the pages of the series it reviewed, the most recently reviewed first."""
    slug = request.match_info["slug"]
    reviewed = await request.app[SERVICES].sitemap(slug)
    response = await _page(request, "sitemap.xml", slug=slug, reviewed=reviewed, site=request.app[BASE_URL])
    response.content_type = "application/xml"
    return response


async def charts(request: web.Request) -> web.Response:
    """The series' charts of Step 12, as an image for its page (drawn once, then kept)."""
    guild_id = await request.app[SERVICES].guild(request.match_info["slug"])
    chart = await request.app[CHARTS].series(guild_id, int(request.match_info["series"]))
    if not chart.png:
        raise NotFound("No impressions, no chart.")
    tag = '"' + hashlib.sha256(chart.png).hexdigest()[:32] + '"'
    if tag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers={"ETag": tag})
    return web.Response(body=chart.png, content_type="image/png", headers={"ETag": tag})


async def series(request: web.Request) -> web.Response:
    slug = request.match_info["slug"]
    page_text = request.query.get("page", "1")
    page_number = number_below(page_text, 100_001)
    if not page_number:
        raise NotFound("No such page.")
    services, series_id = request.app[SERVICES], int(request.match_info["series"])
    # Known before anything is read or rendered: the version of what the page shows, the page, the day
    # (the premiere line says "premieres" until it has), and this process (its templates).
    version = await services.series_version(slug, series_id)
    tag = f'"{version}.{page_text}.{datetime.now(UTC).date()}.{request.app[STARTED]}"'
    if tag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers={"ETag": tag})
    kept = request.app[RENDERED].get((slug, tag))
    if kept is not None:  # a popular page asked for by many at once is rendered once
        return web.Response(body=kept, content_type="text/html", charset="utf-8", headers={"ETag": tag})
    page = await services.series_page(slug, series_id, page_number - 1)
    s = page.series
    names = tuple(s.studios)
    response = await _page(
        request, "series.html",
        tag=tag, s=s, page=page, slug=slug, categories=[name for _, name, _ in CATEGORIES], scope_line=scope_line,
        notables=s.notables or tuple(f"Animation - {studio.upper()}" for studio in names),
        premiere=premiere_line(s, datetime.now(UTC).date()),
        studios=", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names),
        links=site_links(s),  # http(s) addresses only (link_url), which autoescaping keeps in their attribute
    )  # fmt: skip
    rendered = request.app[RENDERED]
    rendered[(slug, tag)] = bytes(response.body)  # type: ignore[arg-type]  # a page body is bytes
    while len(rendered) > KEPT_PAGES:
        rendered.pop(next(iter(rendered)))
    return response


def _shown(value: object) -> object:
    """Every value a template prints, before it is escaped: text made `visible` (a macro's output is
    the template's own markup, made of values that passed here)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def make_app(services: WebService, chart_service: ChartService, base: str) -> web.Application:
    """The site; `base` is the address its absolute links start with (Settings.site_address)."""
    app = web.Application(middlewares=[guard])
    app[SERVICES] = services
    app[CHARTS] = chart_service
    address = urlsplit(base)
    app[BASE_URL] = f"{address.scheme}://{address.netloc}"  # templates add BASE (the path) after it
    app[STARTED] = secrets.token_hex(4)  # a new process may serve new templates: its tags are new too
    app[GATE] = asyncio.Semaphore(PAGES_AT_ONCE)
    app[RENDERED] = {}  # series pages by (slug, tag): the tag moves with everything a page shows
    # Links between pages are root-relative: the path PUBLIC_BASE_URL puts the site under ("/reviews"
    # behind a proxy), never its host (a page must not load its styles from another origin).
    app[BASE] = urlsplit(base).path.rstrip("/")
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_shown,
    )
    app.router.add_get("/health", health)
    app.router.add_get("/robots.txt", robots)
    app.router.add_get("/favicon.ico", no_icon)
    app.router.add_static("/static", HERE / "static")
    server = "/{slug:" + SLUG + "}"
    one_series = server + r"/series/{series:\d{1,18}}"
    app.router.add_get(server + "/", index)
    app.router.add_get(one_series, series)
    app.router.add_get(one_series + "/charts.png", charts)
    app.router.add_get(one_series + "/feed.atom", feed)
    app.router.add_get(server + "/feed.atom", feed)
    app.router.add_get(server + "/sitemap.xml", server_sitemap)
    app.router.add_get("/sitemap.xml", sitemap)
    app.router.add_get(server + r"/reviewer/{token:[0-9a-f]{16}}", reviewer)
    return app
