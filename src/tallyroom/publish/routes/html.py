"""The website's pages, one route per row of :data:`~tallyroom.publish.resources.PAGES`,
plus the addresses that only redirect.

Page addresses are read as text and looked up, so a wrong one gets the site's HTML "not
found" page saying what is wrong, not a validation error in JSON; an electorate named
rather than numbered ("northland", "Mt Albert") redirects to its numbered address.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tallyroom.publish import pages, views
from tallyroom.publish.resources import API, PAGES, URLS, PageRoute, fill
from tallyroom.publish.routes.shared import SiteDep, serve
from tallyroom.publish.site import Site

router = APIRouter(include_in_schema=False)


def _resolve(site: Site, raw: dict[str, str]) -> dict[str, Any]:
    """A page address's parameters as the page functions take them."""
    params: dict[str, Any] = dict(raw)
    if "stage" in params:
        params["stage"] = pages.stage_named(params["stage"])
    if "number" in params:
        counted = site.tally(params["election"], params["stage"])
        params["number"] = views.electorate_number(counted, params["number"])
    return params


def _endpoint(route: PageRoute) -> Callable[..., Awaitable[Response]]:
    """The route function of the page ``route``."""

    async def endpoint(request: Request, site: SiteDep) -> Response:
        raw = dict(request.path_params)
        # only an electorate's address needs the tally (and so a worker thread) to resolve
        params = (
            await run_in_threadpool(_resolve, site, raw) if "number" in raw else _resolve(site, raw)
        )
        if fill(route.path, params) != fill(route.path, raw):
            return RedirectResponse(fill(route.path, params))
        made = await serve(
            site,
            ("page", route.name, *params.values()),
            lambda: pages.render(site, pages.page(site, route.name, params), live=True).encode(),
            "text/html",
        )
        return HTMLResponse(made.body, headers=dict(made.headers))

    endpoint.__name__ = f"{route.name}_page"
    return endpoint


@router.get(f"{API}/")
async def api_index(request: Request, site: SiteDep) -> HTMLResponse:
    return HTMLResponse(pages.render(site, pages.api_index(request.app.openapi())))


@router.get("/elections/")
async def election_index() -> RedirectResponse:
    return RedirectResponse("/")


@router.get("/elections/{election}/")
async def latest(election: str, site: SiteDep) -> RedirectResponse:
    stage = await run_in_threadpool(site.latest_stage, election)
    return RedirectResponse(URLS.election(election, stage))


for _route in PAGES:
    router.add_api_route(_route.path, _endpoint(_route), methods=["GET"])
