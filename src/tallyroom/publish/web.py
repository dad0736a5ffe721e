"""The results website and JSON API (FastAPI), served from one store.

Every route reads, except the authenticated writes of :mod:`tallyroom.publish.routes.returns`
(returns and stages). HTML pages live under ``/elections/…`` and each has a JSON twin
under ``/api/v1/…``; both come from the same :class:`~tallyroom.publish.site.Site`
views. A background task watches the store for new returns: it drops what was computed
for the old generation and tells every open event stream, so open pages update live.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator
from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tallyroom import __version__
from tallyroom.errors import NotFoundError, TallyroomError, http_status
from tallyroom.publish import pages
from tallyroom.publish.follow import follow
from tallyroom.publish.guard import BODY_LIMIT, Refusals, WriteGuard
from tallyroom.publish.health import StoreDown, add_health_routes
from tallyroom.publish.logs import RequestLog
from tallyroom.publish.metrics import add_metrics
from tallyroom.publish.resources import API
from tallyroom.publish.routes import documents, html, live, returns, service
from tallyroom.publish.routes.live import Watcher
from tallyroom.publish.routes.returns import audit_write_refusal, private_reads, write_routes
from tallyroom.publish.routes.shared import NO_STORE, etag
from tallyroom.publish.site import Site
from tallyroom.store.database import open_store
from tallyroom.store.users import authenticate
from tallyroom.store.versions import UNIT_CEILING

ROUTERS = (returns.router, documents.router, live.router, service.router, html.router)
"""The site's routes, in the order they are matched (and the API documents them)."""
UNAVAILABLE = (
    "The results store is busy or unavailable. Send the same request again in a moment: "
    "a return sent twice is stored once."
)
_RETRY = {"Retry-After": "1"}

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
"""On every response: no inline script may run, nothing may frame a page."""


class ReadHeaders:
    """ASGI middleware for what every response shares: the security headers; HEAD
    answered as GET without the body; and 304 to a GET whose If-None-Match is the store's
    generation, for the site's own routes only (every document changes exactly when the
    store does)."""

    def __init__(self, app: ASGIApp, site: Site, router: Router) -> None:
        self.app = app
        self.site = site
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                         if k.lower().encode() not in present]  # fmt: skip
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        if scope["method"] == "GET" and self._unchanged(scope):
            tag = etag(self.site)
            response = Response(status_code=304, headers={"ETag": tag, **NO_STORE})
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _unchanged(self, scope: Scope) -> bool:
        """Whether the client holds this generation of a document one of our routes serves."""
        if (b"if-none-match", etag(self.site).encode()) not in scope["headers"]:
            return False
        return any(
            _versioned(route) and route.matches(scope)[0] is Match.FULL
            for route in self.router.routes
        )


def _versioned(route: BaseRoute) -> bool:
    """Whether ``route`` serves documents that change with the store: the site's own API
    routes and routers of them, not the static files (a ``Mount``) or the OpenAPI
    document (a plain ``Route``)."""
    return isinstance(route, APIRoute) or not isinstance(route, Mount | Route)


def create_app(
    engine: Engine, body_limit: int = BODY_LIMIT, unit_ceiling: int = UNIT_CEILING
) -> FastAPI:
    """The web application over ``engine``'s store; write bodies are limited to
    ``body_limit`` bytes, and a return below the nation to ``unit_ceiling`` votes."""
    site = Site(engine)
    watcher = Watcher(site)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(follow(engine, watcher.check))
        yield
        task.cancel()

    app = FastAPI(
        title="tallyroom results API",
        version=__version__,
        description="Election results as counted from the store: party votes, electorates, "
        "seats, referendums and the change from election night to the official count. "
        "Every HTML page of the site has a JSON twin here.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.site = site
    app.state.watcher = watcher
    app.state.refusals = Refusals()
    app.state.unit_ceiling = unit_ceiling
    app.mount("/static", StaticFiles(directory=str(files("tallyroom.publish") / "static")))

    _add_error_handlers(app, site)
    app.add_middleware(
        WriteGuard,
        write_routes=write_routes(API),
        private_reads=private_reads(API),
        authenticate=lambda token: run_in_threadpool(authenticate, engine, token),
        audit=lambda user, path, status, why: audit_write_refusal(engine, user, path, status, why),
        refusals=app.state.refusals,
        body_limit=body_limit,
    )
    app.add_middleware(GZipMiddleware, minimum_size=1000)  # inside ReadHeaders: HEAD stays empty
    app.add_middleware(ReadHeaders, site=site, router=app.router)
    # operations (tallyroom.publish.health, .metrics, .logs): readiness, metrics, request ids
    app.add_middleware(StoreDown, answer=_unavailable)
    add_health_routes(app, engine)
    add_metrics(app, site, ROUTERS, f"{API}/elections/{{election}}/returns")
    app.add_middleware(RequestLog)
    # end of operations

    for router in ROUTERS:
        app.include_router(router)

    return app


def _add_error_handlers(app: FastAPI, site: Site) -> None:
    """Answer every :class:`~tallyroom.errors.TallyroomError` with its kind's status: the
    site's HTML page for a page address not found, JSON with ``detail`` for the API; and
    a store that does not answer with 503 and Retry-After."""

    async def refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, TallyroomError)
        status = http_status(error)
        if request.url.path.startswith(f"{API}/") or status != 404:
            headers = {401: {"WWW-Authenticate": "Bearer"}, 503: _RETRY}.get(status)
            return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)
        links = getattr(error, "links", None)
        missing = pages.not_found(site, request.url.path, str(error), links)
        html = await run_in_threadpool(pages.render, site, missing)
        return HTMLResponse(html, status_code=404)

    async def no_route(request: Request, error: Exception) -> Response:
        """No route: the site's HTML page for a page address, JSON for the API's."""
        assert isinstance(error, StarletteHTTPException)
        if request.url.path.startswith(f"{API}/") or error.status_code != 404:
            return await http_exception_handler(request, error)
        return await refused(request, NotFoundError(f"there is no page at {request.url.path}"))

    app.add_exception_handler(TallyroomError, refused)
    app.add_exception_handler(OperationalError, _unavailable)
    app.add_exception_handler(StarletteHTTPException, no_route)
    app.add_exception_handler(RequestValidationError, returns.invalid)


async def _unavailable(request: Request, error: Exception) -> Response:
    """The store did not answer (busy past its timeout, or down): 503 and Retry-After,
    and the connection stays open for the client to send the same request again."""
    why = getattr(error, "orig", error)
    _LOG.error("store unavailable: %s %s: %s", request.method, request.url.path, why)
    if request.url.path.startswith(f"{API}/"):
        return JSONResponse({"detail": UNAVAILABLE}, status_code=503, headers=_RETRY)
    return PlainTextResponse(UNAVAILABLE, status_code=503, headers=_RETRY)


_LOG = logging.getLogger(__name__)


def app_from_environment() -> FastAPI:
    """The app over the store named by ``TALLYROOM_DB`` (for ``uvicorn --factory``), in
    a server process of its own.

    Once the app is built, everything the process holds (its modules, schemas, routes:
    some 165,000 objects, none of them ever garbage) is moved out of the cyclic garbage
    collector's sight (:func:`gc.freeze`). Otherwise every full collection walks them
    all, 150 to 190 ms during which no request is answered: the slowest moments of a
    server on election night."""
    app = create_app(
        open_store(os.environ.get("TALLYROOM_DB")),
        body_limit=int(os.environ.get("TALLYROOM_BODY_LIMIT", BODY_LIMIT)),
        unit_ceiling=int(os.environ.get("TALLYROOM_UNIT_CEILING", UNIT_CEILING)),
    )
    gc.collect()  # what is garbage already is freed, not frozen
    gc.freeze()
    return app
