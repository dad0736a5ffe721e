"""The results website and JSON API (FastAPI), served from one store.

Every route reads, except the authenticated writes of :mod:`tallyroom.publish.intake`
(returns and stages). HTML pages live under ``/elections/…`` and each has a JSON twin
under ``/api/v1/…``; both come from the same :class:`~tallyroom.publish.site.Site`
views. A background task watches the store for new returns: it drops what was computed
for the old generation and tells every open event stream, so open pages update live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Hashable
from importlib.resources import files
from typing import Annotated, Any

from fastapi import FastAPI, Path, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import StreamingResponse
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tallyroom import __version__
from tallyroom.analysis.specials import NoSpecialSplitError
from tallyroom.forecast.specials import NoHistoryError
from tallyroom.model import Stage
from tallyroom.publish import between, pages, schemas, tables, views
from tallyroom.publish.guard import BODY_LIMIT, Refusals, WriteGuard
from tallyroom.publish.intake import (
    add_write_routes,
    audit_write_refusal,
    private_reads,
    write_routes,
)
from tallyroom.publish.site import Site, to_json
from tallyroom.publish.views import UnknownElectorateError
from tallyroom.rules.errors import UnknownChoiceError
from tallyroom.store.database import open_store
from tallyroom.store.signing import public_key, signed_head
from tallyroom.store.users import authenticate
from tallyroom.store.versions import UNIT_CEILING
from tallyroom.tally import NoReturnsError, UnknownElectionError

API = pages.API
WATCH_SECONDS = 0.1
"""How often the server looks for returns written by others (its own writes it sees at
once)."""
HEARTBEAT_SECONDS = 15.0
UNAVAILABLE = (
    "The results store is busy or unavailable. Send the same request again in a moment: "
    "a return sent twice is stored once."
)
_RETRY = {"Retry-After": "1"}

_NOT_FOUND = (
    NoHistoryError,
    NoSpecialSplitError,
    UnknownElectionError,
    NoReturnsError,
    UnknownElectorateError,
    UnknownChoiceError,
    tables.UnknownTableError,
    pages.UnknownStageError,
    pages.NotCountedError,
)
ELECTION_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
ElectionId = Annotated[
    str,
    Path(
        description="Election id, e.g. nz-2020.",
        max_length=64,
        pattern=ELECTION_ID,
        examples=["nz-2020"],
    ),
]
Slug = Annotated[
    str, Path(description="Referendum slug, e.g. cannabis.", max_length=100, examples=["cannabis"])
]
Number = Annotated[int, Path(description="Electorate number.", ge=1, le=10_000, examples=[32])]
PageElection = Annotated[str, Path(description="Election id, e.g. nz-2020.")]
PageStage = Annotated[str, Path(description="Stage of the count, e.g. official.")]
"""Page addresses are read as text and looked up, so a wrong one gets the site's HTML
"not found" page saying what is wrong, not a validation error in JSON."""
TableName = Annotated[
    str,
    Path(
        description="Table name; see the downloads page.", max_length=100, examples=["candidates"]
    ),
]


class Watcher:
    """Polls the store for new returns and wakes the event streams when there are some."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.changed = asyncio.Event()

    async def run(self) -> None:
        """Watch until cancelled."""
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            await self.check()

    async def check(self) -> None:
        """Look at the store now; wake the event streams if it changed."""
        try:
            changed = await asyncio.to_thread(self.site.refresh)
        except Exception as error:  # a busy or restarting store: say so, try again later
            _LOG.warning("cannot read the store's generation: %s", error)
            return
        if changed:
            self.changed.set()
            self.changed = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        """Wait for the next change; ``False`` if none came within ``timeout`` seconds."""
        try:
            await asyncio.wait_for(self.changed.wait(), timeout)
        except TimeoutError:
            return False
        return True


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
            tag = _etag(self.site)
            response = Response(status_code=304, headers={"ETag": tag, **_NO_STORE})
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _unchanged(self, scope: Scope) -> bool:
        """Whether the client holds this generation of a document one of our routes serves."""
        if (b"if-none-match", _etag(self.site).encode()) not in scope["headers"]:
            return False
        return any(
            isinstance(route, APIRoute) and route.matches(scope)[0] is Match.FULL
            for route in self.router.routes
        )


def create_app(
    engine: Engine, body_limit: int = BODY_LIMIT, unit_ceiling: int = UNIT_CEILING
) -> FastAPI:
    """The web application over ``engine``'s store; write bodies are limited to
    ``body_limit`` bytes, and a return below the nation to ``unit_ceiling`` votes."""
    site = Site(engine)
    watcher = Watcher(site)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(watcher.run())
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
    app.state.refusals = Refusals()
    app.mount("/static", StaticFiles(directory=str(files("tallyroom.publish") / "static")))

    async def not_found(request: Request, error: Exception) -> Response:
        if request.url.path.startswith(f"{API}/"):
            return JSONResponse({"detail": str(error)}, status_code=404)
        missing = pages.not_found(site, request.url.path, str(error), getattr(error, "links", None))
        html = await run_in_threadpool(pages.render, site, missing)
        return HTMLResponse(html, status_code=404)

    for failure in _NOT_FOUND:
        app.add_exception_handler(failure, not_found)

    async def unavailable(request: Request, error: Exception) -> Response:
        """The store did not answer (busy past its timeout, or down): 503 and Retry-After,
        and the connection stays open for the client to send the same request again."""
        why = getattr(error, "orig", error)
        logging.getLogger(__name__).error("store unavailable: %s %s: %s",
                                          request.method, request.url.path, why)  # fmt: skip
        if request.url.path.startswith(f"{API}/"):
            return JSONResponse({"detail": UNAVAILABLE}, status_code=503, headers=_RETRY)
        return PlainTextResponse(UNAVAILABLE, status_code=503, headers=_RETRY)

    app.add_exception_handler(OperationalError, unavailable)

    add_write_routes(app, engine, watcher.check, API, unit_ceiling)
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

    async def serve(key: Hashable, compute: Callable[[], bytes], media_type: str) -> Response:
        tag = _etag(site)
        body = site.cached(("body", key))
        if body is None:
            body = await run_in_threadpool(site.memo, ("body", key), compute)
        return Response(body, media_type=media_type, headers={"ETag": tag, **_NO_STORE})

    async def serve_json(key: Hashable, view: Callable[[], Any]) -> Response:
        return await serve(("json", *key), lambda: to_json(view()), "application/json")

    async def download(election: str, stage: Stage, name: str, suffix: str) -> Response:
        response = await serve(
            (suffix, election, stage, name),
            lambda: tables.encode(site.table(election, stage, name), suffix),
            tables.MEDIA_TYPES[suffix],
        )
        response.headers["Content-Disposition"] = _attachment(election, stage, name, suffix)
        return response

    def api_get(path: str, model: Any, summary: str) -> Callable:
        return app.get(
            path,
            summary=summary,
            response_class=Response,
            responses={200: {"model": model}, 404: {"model": schemas.Problem}},
            tags=["results"],
        )

    @api_get(f"{API}/elections.json", list[schemas.ElectionBrief], "Elections in the store")
    async def elections() -> Response:
        """Every election with the stages counted."""
        return await serve_json(("elections",), site.elections)

    @api_get(f"{API}/elections/{{election}}.json", schemas.ElectionInfo, "One election")
    async def election(election: ElectionId) -> Response:
        """An election's stages, electorate count and referendums."""
        return await serve_json(("election", election), lambda: site.election(election))

    @api_get(f"{API}/elections/{{election}}/{{stage}}/summary.json", schemas.Summary, "Summary")
    async def summary(election: ElectionId, stage: Stage) -> Response:
        """Party votes and shares, electorate winners, seats, referendums and count progress
        at one stage: the figures of `tallyroom results --json`."""
        return await serve_json(("summary", election, stage), lambda: site.summary(election, stage))

    @api_get(f"{API}/elections/{{election}}/{{stage}}/parties.json", schemas.Parties, "Parties")
    async def parties(election: ElectionId, stage: Stage) -> Response:
        """Each party's votes, seats, electorate MPs and list MPs."""
        return await serve_json(("parties", election, stage), lambda: site.parties(election, stage))

    @api_get(
        f"{API}/elections/{{election}}/{{stage}}/electorates.json",
        schemas.Electorates,
        "Electorates",
    )
    async def electorates(election: ElectionId, stage: Stage) -> Response:
        """Every electorate's winner and majority."""
        return await serve_json(
            ("electorates", election, stage), lambda: site.electorates(election, stage)
        )

    @api_get(
        f"{API}/elections/{{election}}/{{stage}}/electorates/{{number}}.json",
        schemas.ElectorateDetail,
        "One electorate",
    )
    async def electorate(election: ElectionId, stage: Stage, number: Number) -> Response:
        """Candidates, votes, majority, party votes and voting places: the figures of
        `tallyroom electorate --json`."""
        return await serve_json(
            ("electorate", election, stage, number),
            lambda: site.electorate(election, stage, number),
        )

    @api_get(f"{API}/elections/{{election}}/{{stage}}/seats.json", schemas.Seats, "Seats")
    async def seats(election: ElectionId, stage: Stage) -> Response:
        """The seat allocation: the JSON of `tallyroom seats --json`."""
        return await serve_json(("seats", election, stage), lambda: site.seats(election, stage))

    @api_get(
        f"{API}/elections/{{election}}/{{stage}}/referendums.json",
        list[schemas.ReferendumResult],
        "Referendums",
    )
    async def referendums(election: ElectionId, stage: Stage) -> Response:
        """Every referendum's national counts, shares and result."""
        return await serve_json(
            ("referendums", election, stage), lambda: site.referendums(election, stage)
        )

    @api_get(
        f"{API}/elections/{{election}}/{{stage}}/referendums/{{slug}}.json",
        schemas.ReferendumDetail,
        "One referendum by electorate",
    )
    async def referendum(election: ElectionId, stage: Stage, slug: Slug) -> Response:
        """A referendum nationally and by general electorate, with the vote basis stated:
        the by-electorate figures of `tallyroom referendum --json`."""
        return await serve_json(
            ("referendum", election, stage, slug),
            lambda: site.referendum(election, stage, slug),
        )

    @api_get(
        f"{API}/elections/{{election}}/preliminary/projection.json",
        schemas.Projection,
        "Projected final count",
    )
    async def projection(election: ElectionId) -> Response:
        """The final count projected from election night's ordinary votes: each party's
        share and seats (most likely, 80 % and 95 % intervals), electorates that may
        change hands, House size and bloc majorities (`tallyroom project --json`, with
        the site's number of draws and seed 0)."""
        return await serve_json(("projection", election), lambda: site.projection(election))

    @api_get(
        f"{API}/elections/{{election}}/comparison.json",
        schemas.Comparison,
        "Election night against the official count",
    )
    async def comparison(election: ElectionId) -> Response:
        """Shares, seats and winners at the preliminary and official counts: the figures of
        `tallyroom compare --json`."""
        return await serve_json(("comparison", election), lambda: site.comparison(election))

    @app.get(
        f"{API}/elections/{{election}}/{{stage}}/tables/{{name}}.csv",
        tags=["downloads"],
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}, 404: {"model": schemas.Problem}},
    )
    async def table_csv(election: ElectionId, stage: Stage, name: TableName) -> Response:
        """A table as CSV, formula-like cells neutralised."""
        return await download(election, stage, name, "csv")

    @app.get(
        f"{API}/elections/{{election}}/{{stage}}/tables/{{name}}.parquet",
        tags=["downloads"],
        response_class=Response,
        responses={
            200: {"content": {"application/vnd.apache.parquet": {}}},
            404: {"model": schemas.Problem},
        },
    )
    async def table_parquet(election: ElectionId, stage: Stage, name: TableName) -> Response:
        """A table as Parquet."""
        return await download(election, stage, name, "parquet")

    @app.get(
        f"{API}/elections/{{election}}/events",
        tags=["live"],
        response_class=Response,
        responses={200: {"content": {"text/event-stream": {}}}, 404: {"model": schemas.Problem}},
    )
    async def events(election: ElectionId, request: Request) -> Response:
        """Server-sent events: a `count` event now and whenever new returns arrive, with the
        store generation and the count progress at each stage."""
        await run_in_threadpool(site.election, election)  # 404 for an unknown election

        async def stream() -> AsyncIterator[str]:
            while True:
                data = await run_in_threadpool(_progress, site, election)
                yield f"event: count\ndata: {to_json(data).decode()}\n\n"
                while not await watcher.wait(HEARTBEAT_SECONDS):
                    if await request.is_disconnected():
                        return
                    yield ": still here\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream", headers=_NO_STORE)

    @app.get(f"{API}/audit/head", tags=["audit"], response_model=schemas.AuditHead)
    async def audit_head() -> Response:
        """The audit log's head now, signed. Observers save it; a later
        `tallyroom audit verify --against` proves the log was not rewritten or cut short."""
        head = await run_in_threadpool(signed_head, engine)
        return JSONResponse(head.to_dict(), headers=_NO_STORE)

    @app.get(f"{API}/audit/key", tags=["audit"], response_model=schemas.AuditKey)
    async def audit_key() -> dict[str, str]:
        """The public key that signs the audit head."""
        return await run_in_threadpool(public_key, engine)

    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict[str, str]:
        """Liveness: the server answers (no store access)."""
        return {"status": "ok"}

    async def page(factory: Callable[..., pages.Page], *args: Any) -> HTMLResponse:
        made = await serve(
            ("page", factory.__name__, *args),
            lambda: pages.render(site, factory(site, *args), live=True).encode(),
            "text/html",
        )
        return HTMLResponse(made.body, headers=dict(made.headers))

    app.include_router(between.routes(site, serve_json, page))

    @app.get("/", include_in_schema=False)
    async def home() -> HTMLResponse:
        return await page(pages.home)

    @app.get(f"{API}/", include_in_schema=False)
    async def api_index() -> HTMLResponse:
        return HTMLResponse(pages.render(site, pages.api_index(app.openapi())))

    @app.get("/elections/", include_in_schema=False)
    async def election_index() -> RedirectResponse:
        return RedirectResponse("/")

    @app.get("/elections/{election}/", include_in_schema=False)
    async def latest(election: PageElection) -> RedirectResponse:
        stage = await run_in_threadpool(site.latest_stage, election)
        return RedirectResponse(pages.election_path(election, stage))

    @app.get("/elections/{election}/compare/", include_in_schema=False)
    async def compare_page(election: PageElection) -> HTMLResponse:
        return await page(pages.comparison, election)

    @app.get("/elections/{election}/downloads/", include_in_schema=False)
    async def downloads_page(election: PageElection) -> HTMLResponse:
        return await page(pages.downloads, election)

    @app.get("/elections/{election}/preliminary/projection/", include_in_schema=False)
    async def projection_page(election: ElectionId) -> HTMLResponse:
        return await page(pages.projection_method, election)

    @app.get("/elections/{election}/{stage}/", include_in_schema=False)
    async def overview_page(election: PageElection, stage: PageStage) -> HTMLResponse:
        return await page(pages.overview, election, pages.stage_named(stage))

    @app.get("/elections/{election}/{stage}/parties/", include_in_schema=False)
    async def parties_page(election: PageElection, stage: PageStage) -> HTMLResponse:
        return await page(pages.parties, election, pages.stage_named(stage))

    @app.get("/elections/{election}/{stage}/electorates/", include_in_schema=False)
    async def electorates_page(election: PageElection, stage: PageStage) -> HTMLResponse:
        return await page(pages.electorates, election, pages.stage_named(stage))

    @app.get("/elections/{election}/{stage}/electorates/{which}/", include_in_schema=False)
    async def electorate_page(election: PageElection, stage: PageStage, which: str) -> Response:
        """An electorate by number; by name or slug ("northland", "Mt Albert") it
        redirects to its numbered address."""
        at = pages.stage_named(stage)
        number = await run_in_threadpool(
            lambda: views.electorate_number(site.tally(election, at), which)
        )
        if str(number) != which:
            return RedirectResponse(pages.election_path(election, at) + f"electorates/{number}/")
        return await page(pages.electorate, election, at, number)

    @app.get("/elections/{election}/{stage}/referendums/{slug}/", include_in_schema=False)
    async def referendum_page(election: PageElection, stage: PageStage, slug: str) -> HTMLResponse:
        return await page(pages.referendum, election, pages.stage_named(stage), slug)

    async def page_not_found(request: Request, error: StarletteHTTPException) -> Response:
        """No route: the site's HTML page for a page address, JSON for the API's."""
        if request.url.path.startswith(f"{API}/") or error.status_code != 404:
            return await http_exception_handler(request, error)
        return await not_found(request, LookupError(f"there is no page at {request.url.path}"))

    app.add_exception_handler(StarletteHTTPException, page_not_found)

    return app


_NO_STORE = {"Cache-Control": "no-cache"}
_LOG = logging.getLogger(__name__)


def _etag(site: Site) -> str:
    """The validator of every document: they all change exactly when the store does."""
    return f'W/"{site.generation}"'


def _attachment(election: str, stage: Stage, name: str, suffix: str) -> str:
    """A Content-Disposition that saves a download under a descriptive name."""
    return f'attachment; filename="{election}-{stage.value}-{name}.{suffix}"'


def _progress(site: Site, election: str) -> dict[str, Any]:
    """What an event carries: the store generation and the progress at each stage."""
    return {
        "generation": site.generation,
        "progress": {s.value: site.progress(election, s) for s in site.stages(election)},
    }


def app_from_environment() -> FastAPI:
    """The app over the store named by ``TALLYROOM_DB`` (for ``uvicorn --factory``)."""
    return create_app(
        open_store(os.environ.get("TALLYROOM_DB")),
        body_limit=int(os.environ.get("TALLYROOM_BODY_LIMIT", BODY_LIMIT)),
        unit_ceiling=int(os.environ.get("TALLYROOM_UNIT_CEILING", UNIT_CEILING)),
    )
