"""The page and JSON of one election against the one before it (``/elections/LATER/since/
EARLIER/``): party-vote swing nationally and by electorate, seats gained and lost, and the
electorates that changed party. The figures are ``tallyroom compare EARLIER LATER --json``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict

from tallyroom.analysis.between import compare_elections
from tallyroom.figures import signed
from tallyroom.publish.charts import Bar, bars_svg
from tallyroom.publish.pages import API, Page, api_path, since_path, since_title
from tallyroom.publish.schemas import Problem
from tallyroom.publish.site import Site

_MIN_PERCENT = 0.5
"""parties below this share at both elections are left out of the chart"""


def between(site: Site, earlier: str, later: str) -> dict[str, Any]:
    """What changed from ``earlier`` to ``later``, computed once per store generation."""
    return site.memo(
        ("between", earlier, later),
        lambda: compare_elections(site.engine, earlier, later).to_dict(),
    )


def json_path(later: str, earlier: str) -> str:
    """The API path of ``later`` against ``earlier``."""
    return f"{api_path(later)}/since/{earlier}.json"


def since_page(site: Site, later: str, earlier: str) -> Page:
    """``later`` against ``earlier``: swing, seats, electorates that changed party."""

    def context() -> dict[str, Any]:
        data = between(site, earlier, later)
        palette = site.colours(later)
        short = site.short_names(later)
        seated = [p["party"] for p in data["parties"] if any(p["seats"])]
        bars = [
            Bar(p["party"], p["swing"], palette.get(p["party"], ""), signed(p["swing"], 1))
            for p in data["parties"]
            if max(p["percent"]) >= _MIN_PERCENT
        ]
        return {
            "data": data,
            "palette": palette,
            "seated": [(p, short.get(p) or p) for p in seated],
            "years": tuple(site.election(e)["date"][:4] for e in (earlier, later)),
            "chart": Markup(bars_svg(bars, title="Change in party vote share (points)")),
        }

    return Page(
        since_path(later, earlier),
        json_path(later, earlier),
        "between.html.j2",
        context,
        later,
        None,
        since_title(site, earlier),
    )


class PartySwing(BaseModel):
    """A party at both elections, named as at the later one."""

    model_config = ConfigDict(extra="forbid")
    party: str
    votes: tuple[int, int]
    percent: tuple[float, float]
    seats: tuple[int, int]
    swing: float
    seat_change: int


class ElectorateSwing(BaseModel):
    """An electorate's party-vote shares and swing, and its winner's party at each."""

    model_config = ConfigDict(extra="forbid")
    number: int
    name: str
    percent: dict[str, tuple[float, float]]
    winner_party: tuple[str | None, str | None]
    swing: dict[str, float]


class PartyChangeOfSeat(BaseModel):
    """An electorate won by another party: (winner, party, majority) at each election."""

    model_config = ConfigDict(extra="forbid")
    number: int
    name: str
    before: tuple[str, str, int]
    after: tuple[str, str, int]


class BetweenElections(BaseModel):
    """One election against an earlier one (``tallyroom compare EARLIER LATER --json``)."""

    model_config = ConfigDict(extra="forbid")
    elections: tuple[str, str]
    names: tuple[str, str]
    stages: tuple[str, str]
    valid_party_votes: tuple[int, int]
    house_size: tuple[int, int]
    parties: list[PartySwing]
    electorates: list[ElectorateSwing]
    changed: list[PartyChangeOfSeat]
    no_result: list[tuple[str, str]]
    unmatched: list[str]


def routes(
    site: Site,
    serve_json: Callable[[tuple, Callable[[], Any]], Awaitable[Response]],
    page: Callable[..., Awaitable[HTMLResponse]],
) -> APIRouter:
    """The page and its JSON twin, served through the app's own ``serve_json`` and
    ``page`` (so they share its cache and validators)."""
    router = APIRouter()

    @router.get(
        f"{API}/elections/{{election}}/since/{{earlier}}.json",
        summary="Against an earlier election",
        response_class=Response,
        responses={200: {"model": BetweenElections}, 404: {"model": Problem}},
        tags=["results"],
    )
    async def since_json(
        election: Annotated[str, Path(description="The later election.", examples=["nz-2023"])],
        earlier: Annotated[str, Path(description="The earlier election.", examples=["nz-2020"])],
    ) -> Response:
        """Party-vote swing nationally and by electorate, seats gained and lost, and the
        electorates that changed party, from `earlier` to `election` at their official
        counts: the figures of `tallyroom compare EARLIER ELECTION --json`."""
        return await serve_json(("since", election, earlier),
                                lambda: between(site, earlier, election))  # fmt: skip

    @router.get("/elections/{election}/since/{earlier}/", include_in_schema=False)
    async def since_html(election: str, earlier: str) -> HTMLResponse:
        return await page(since_page, election, earlier)

    return router
