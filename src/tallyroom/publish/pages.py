"""The website's pages: where each lives, its JSON twin, and its HTML.

Every page is rendered from the same :class:`~tallyroom.publish.site.Site` views the API
serves, and every link is relative, so the same HTML works from the live server and as
static files on any file server (see :mod:`tallyroom.publish.export`).
"""

from __future__ import annotations

import hashlib
import pickle
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from tallyroom.analysis.between import final_stage
from tallyroom.analysis.ordinary import ORDINARY_LABEL
from tallyroom.errors import NotFoundError
from tallyroom.figures import signed
from tallyroom.forecast.fitted import METHOD, model_for, track_record
from tallyroom.forecast.simulate import ProjectionError
from tallyroom.forecast.specials import NoHistoryError
from tallyroom.model import Roll, Stage, electorate_unit
from tallyroom.names import display_name
from tallyroom.publish import tables
from tallyroom.publish.charts import (
    Bar,
    Hex,
    SeatBlock,
    Spread,
    bars_svg,
    diverging_colour,
    diverging_key,
    heatmap_svg,
    hemicycle_svg,
    hex_map_svg,
    intervals_svg,
    sequential_colour,
    sequential_key,
)
from tallyroom.publish.resources import API, URLS, previous_election
from tallyroom.publish.site import Site
from tallyroom.publish.templating import TEMPLATES
from tallyroom.results.counting import district_label
from tallyroom.rules.systems import SYSTEMS
from tallyroom.store.review import HeldCorrection

STAGE_NAMES = {
    Stage.PRELIMINARY: "Election night (preliminary)",
    Stage.OFFICIAL: "Official count",
    Stage.RECOUNT: "Recount",
    Stage.BY_ELECTION: "After by-elections",
}
TERMS = {
    "electorate": "Electorate", "electorates": "Electorates", "region": "Region",
    "district": "electorate", "members": "Electorate MPs", "rolls": "yes",
    "qualify": "Parties qualify for list seats with 5 % of the party vote or one electorate "
    "seat (✓).",
    "party_vote": "Party vote", "party_votes": "party votes",
    "candidate_vote": "Candidate vote", "candidate_votes": "candidate votes",
}  # fmt: skip
"""what the pages call things, for New Zealand's law (and any flat rule set)"""
REGIONAL_TERMS = {
    "electorate": "Wahlkreis", "electorates": "Wahlkreise", "region": "Land",
    "district": "Wahlkreis", "members": "Wahlkreis members", "rolls": "",
    "qualify": "Parties qualify for seats with 5 % of the Zweitstimmen or three Wahlkreis "
    "wins; the party of a national minority is exempt (✓).",
    "party_vote": "Zweitstimme", "party_votes": "Zweitstimmen",
    "candidate_vote": "Erststimme", "candidate_votes": "Erststimmen",
}  # fmt: skip
"""what they are called under the Bundestag's law (a pipeline over regions)"""


def terms_for(rules: str) -> dict[str, str]:
    """The words the pages use for an election under rule set ``rules``."""
    return TERMS if rules in SYSTEMS else REGIONAL_TERMS


_MIN_BAR_PERCENT = 0.5  # parties below this share are summed as "Others" in the chart


class UnknownStageError(NotFoundError):
    """A page address names no stage of the count."""


def stage_named(text: str) -> Stage:
    """The stage a page address names ("official"); an error naming the stages if none."""
    try:
        return Stage(text)
    except ValueError:
        known = ", ".join(s.value for s in Stage)
        raise UnknownStageError(
            f"{text[:40]!r} is not a stage of the count; the stages are {known}"
        ) from None


class NotCountedError(NotFoundError):
    """A page exists at other stages of the count but not at this one; ``links`` are
    (label, site path) of those stages' pages."""

    def __init__(self, message: str, links: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.links = links


@dataclass(frozen=True)
class Page:
    """One page of the site: its path (ending in ``/``), JSON twin and how to render it."""

    path: str
    json: str
    template: str
    context: Callable[[], dict[str, Any]] = field(compare=False)
    election: str | None = None
    stage: Stage | None = None
    title: str = ""
    shown_at: Callable[[Stage], bool] = field(default=lambda _stage: True, compare=False)
    """whether the same page exists at another stage (for the stage switch)"""


def since_title(site: Site, earlier: str) -> str:
    """What the page against election ``earlier`` is called: "Since 2020"."""
    return f"Since {site.election(earlier)['date'][:4]}"


def relative_url(target: str, here: str) -> str:
    """``target`` (a site path) as a link from the page at ``here`` (a path ending in /)."""
    relative = posixpath.relpath(target, here)
    if target.endswith("/"):
        return "./" if relative == "." else relative + "/"
    return relative


def render(site: Site, page: Page, *, live: bool = False) -> str:
    """The HTML of ``page``.

    ``live`` pages (the server's) follow the store through the event stream and show the
    count's progress and the audit head as of their generation. The others (static files)
    read those from JSON documents instead, so a static page's bytes change only when
    its own figures do; it is rendered again only then (a new return in one electorate
    leaves the other electorates' pages as they were).
    """
    values = _template_values(site, page, live)
    template = TEMPLATES.get_template(page.template)
    if live:
        return template.render(**values)
    return site.carried(
        ("page", page.path), _fingerprint(values), lambda: template.render(**values)
    )


def _fingerprint(values: dict[str, Any]) -> bytes:
    """A digest of everything a template is given except functions (which are fixed for a
    path): equal digests render equal HTML. Pickled, as that tells ``1`` from ``1.0``."""
    page = values["page"]
    plain = {k: v for k, v in values.items() if k != "page" and not callable(v)}
    shown = (page.path, page.json, page.template, page.title, page.election, page.stage, plain)
    return hashlib.blake2b(pickle.dumps(shown, protocol=5), digest_size=16).digest()


def _template_values(site: Site, page: Page, live: bool) -> dict[str, Any]:
    """What ``page``'s template is rendered with: the page's own context and the parts
    every page shares (navigation, stage switch, status line, notes, footer)."""

    def url(target: str) -> str:
        return relative_url(target, page.path)

    context = page.context()
    nav: list[tuple[str, str]] = []
    stage_links: list[tuple[str, str, bool]] = []
    under_review: list[HeldCorrection] = []
    incomplete = None
    terms = TERMS
    if page.election is not None:
        under_review = site.under_review(page.election)
        info = site.election(page.election)
        terms = terms_for(info["rules"])
        stage = page.stage or site.latest_stage(page.election)
        at = {"election": page.election, "stage": stage}
        nav = [
            ("Overview", URLS.page("overview", **at)),
            ("Parties", URLS.page("parties", **at)),
            (terms["electorates"], URLS.page("electorates", **at)),
            *[
                (
                    r["name"].removesuffix(" referendum"),
                    URLS.page("referendum", **at, slug=r["slug"]),
                )
                for r in site.referendums(page.election, stage)
            ],
        ]
        basis = site.comparison_basis(page.election)
        if basis is not None:
            nav.append(
                (COMPARED_WITH[basis]["nav"], URLS.page("comparison", election=page.election))
            )
        if (earlier := previous_election(site, page.election)) is not None:
            since = URLS.page("since", election=page.election, earlier=earlier)
            nav.append((since_title(site, earlier), since))
        if site.split_cells(page.election):
            nav.append(("Split votes", URLS.page("split_votes", election=page.election)))
        nav.append(("Downloads", URLS.page("downloads", election=page.election)))
        if page.stage is not None:
            stage_links = [
                (
                    STAGE_NAMES[s],
                    page.path.replace(f"/{page.stage.value}/", f"/{s.value}/", 1),
                    s is page.stage,
                )
                for s in site.stages(page.election)
                if page.shown_at(s)
            ]
        incomplete = site.incomplete(page.election, page.stage) if page.stage else None
        context.setdefault("election_name", info["name"])
    shared = {
        "page": page,
        "url": url,
        "nav": nav,
        "stage_links": stage_links,
        "stage_name": STAGE_NAMES.get(page.stage, "") if page.stage else "",
        "live": live,
        "under_review": under_review,
        "incomplete": context.pop("incomplete", incomplete),
        "terms": terms,
        "urls": URLS,
    }
    if live:
        shared |= {
            "progress": site.progress(page.election, stage) if page.election else None,
            "audit_head": site.audit_head(),
            "generation": site.generation,
            "events": URLS.events(page.election) if page.election else "",
        }
    elif page.election is not None:
        shared["progress_document"] = URLS.document("progress", **at)
        shared["progress_page"] = URLS.page("overview", **at)
    return shared | context


def home(site: Site, only: str | None = None) -> Page:
    """The list of elections, newest first (only election ``only``, if given: the home
    page of a static export of one election links nothing it leaves out)."""
    listed = [e for e in site.elections() if only in (None, e["id"])]
    return Page(
        "/",
        URLS.document("elections"),
        "home.html.j2",
        lambda: {"elections": sorted(listed, key=lambda e: e["date"], reverse=True)},
        title="Elections",
    )


def overview(site: Site, election: str, stage: Stage) -> Page:
    """The national overview: party votes, seats, referendums, count progress."""

    def context() -> dict[str, Any]:
        data = site.summary(election, stage)
        palette = site.colours(election)
        seats = data["seats"]
        shown = [p for p in data["party_votes"] if p["percent"] >= _MIN_BAR_PERCENT]
        others = sum(p["percent"] for p in data["party_votes"]) - sum(p["percent"] for p in shown)
        bars = [
            Bar(p["party"], p["percent"], palette.get(p["party"], ""), f"{p['percent']:.1f} %")
            for p in shown
        ]
        if others > 0:
            bars.append(Bar("Others", round(others, 2), "#bbb", f"{others:.1f} %"))
        if seats is None:  # no party votes counted yet
            return {"data": data, "palette": palette, "holders": [], "rows": []}
        rows = seat_rows(seats)
        holders = [p for p in rows if p["total"]]
        place = site.positions(election)
        return {
            **(_projection_panel(site, election, palette) if stage is Stage.PRELIMINARY else {}),
            "data": data,
            "palette": palette,
            "holders": holders,
            "rows": rows,
            "regional": "unseated" in seats,
            "vote_chart": Markup(bars_svg(bars, title="Party vote (% of valid votes)")),
            "seat_chart": Markup(
                hemicycle_svg(
                    [
                        SeatBlock(
                            p["party"],
                            p["total"],
                            palette.get(p["party"], ""),
                            place.get(p["party"]),
                        )
                        for p in holders
                    ],
                    title=f"Seats: House of {seats['house_size']}",
                )
            ),
        }

    return Page(
        URLS.page("overview", election=election, stage=stage),
        URLS.document("summary", election=election, stage=stage),
        "overview.html.j2",
        context,
        election,
        stage,
        "Overview",
    )


def seat_rows(seats: dict[str, Any]) -> list[dict[str, Any]]:
    """Each party's row of the seats table (party, total, share, votes, electorate and list
    seats), from either seats document: a flat rule set's or a regional law's."""
    if "unseated" not in seats:
        return list(seats["parties"])
    votes = sum(p["votes"] for p in seats["parties"]) or 1
    return [
        {
            "party": p["party"],
            "total": p["seats"],
            "share": p["votes"] / votes,
            "votes": p["votes"],
            "electorate": p["districts_seated"],
            "list": p["list"],
            "overhang": p["overhang"],
        }
        for p in seats["parties"]
    ]


def _projection_panel(site: Site, election: str, palette: dict[str, str]) -> dict[str, Any]:
    """The projection panel's context: the projection and its seat chart, or why not."""
    try:
        projected = site.projection(election)
    except (NoHistoryError, ProjectionError) as error:
        return {"projection": None, "projection_missing": str(error)}
    shown = [p for p in projected["parties"] if p["seats"]["p95"][1] > 0]
    chart = intervals_svg(
        [
            Spread(
                p["party"],
                p["seats"]["most_likely"],
                tuple(p["seats"]["p80"]),
                tuple(p["seats"]["p95"]),
                palette.get(p["party"], ""),
            )
            for p in shown
        ],
        title="Projected seats: most likely, 80 % and 95 % intervals",
    )
    flips = sorted(
        (e for e in projected["electorates"] if e["flip_probability"] >= 0.05),
        key=lambda e: -e["flip_probability"],
    )
    return {"projection": projected, "projection_chart": Markup(chart), "projection_flips": flips}


def projection_method(site: Site, election: str) -> Page:
    """How the projection is made and how the same method did at past elections."""

    def context() -> dict[str, Any]:
        return {
            "method": METHOD,
            "model": model_for(election),
            "record": track_record(),
            "overview": URLS.page("overview", election=election, stage=Stage.PRELIMINARY),
        }

    return Page(
        URLS.page("projection_method", election=election),
        URLS.document("projection", election=election),
        "projection.html.j2",
        context,
        election,
        Stage.PRELIMINARY,
        "Projection method",
        shown_at=lambda stage: stage is Stage.PRELIMINARY,
    )


def parties(site: Site, election: str, stage: Stage) -> Page:
    """Every party's votes, seats and members."""
    return Page(
        URLS.page("parties", election=election, stage=stage),
        URLS.document("parties", election=election, stage=stage),
        "parties.html.j2",
        lambda: {"data": site.parties(election, stage)},
        election,
        stage,
        "Parties",
    )


def electorates(site: Site, election: str, stage: Stage) -> Page:
    """Every electorate with its winner."""
    return Page(
        URLS.page("electorates", election=election, stage=stage),
        URLS.document("electorates", election=election, stage=stage),
        "electorates.html.j2",
        lambda: {
            "data": site.electorates(election, stage),
            "palette": site.colours(election),
            "rolls": {Roll.GENERAL.value: "General", Roll.MAORI.value: "Māori"},
            "cancelled": site.tally(election, stage).cancelled_polls,
        },
        election,
        stage,
        "Electorates",
    )


def electorate(site: Site, election: str, stage: Stage, number: int) -> Page:
    """One electorate: candidates, party votes, voting places."""

    def context() -> dict[str, Any]:
        data = site.electorate(election, stage, number)
        palette = site.colours(election)
        terms = terms_for(site.election(election)["rules"])
        word = terms["candidate_vote"]
        unseated = None
        if terms is REGIONAL_TERMS and data.get("winner"):
            unseated = next(
                (d for d in site.seats(election, stage)["unseated"]
                 if d["district"] == district_label(number, data["name"])),
                None,
            )  # fmt: skip
        chart = bars_svg(
            [
                Bar(
                    display_name(c["candidate"]),
                    c["percent"],
                    palette.get(c["party"], ""),
                    f"{c['percent']:.1f} %",
                    f"{c['candidate']} ({c['party'] or 'independent'})",
                )
                for c in data["candidates"]
            ],
            title=f"{word} (% of valid votes)"
            if not data.get("shares_of")
            else f"{word} (% of the votes counted for the candidates listed)",
        )
        split = None
        if stage is final_stage(site.stages(election)) and site.split_cells(election):
            scope = electorate_unit(number)
            split = next(
                (t for t in site.split_votes(election)["tables"] if t["scope"] == scope), None
            )
        return {
            "data": data,
            "palette": palette,
            "short": site.short_names(election),
            "chart": Markup(chart),
            "split": split,
            "unseated": unseated,
            "shade": sequential_colour,
            "split_page": URLS.page("split_votes", election=election),
        }

    return Page(
        URLS.page("electorate", election=election, stage=stage, number=number),
        URLS.document("electorate", election=election, stage=stage, number=number),
        "electorate.html.j2",
        context,
        election,
        stage,
        site.tally(election, stage).electorate_name(number, f"Electorate {number}"),
    )


def referendum(site: Site, election: str, stage: Stage, slug: str) -> Page:
    """A referendum nationally, by electorate on a hex map and in a sortable table."""

    def context() -> dict[str, Any]:
        _check_counted(site, election, stage, slug)
        data = site.referendum(election, stage, slug)
        table = data["by_electorate"]
        option = table["options"][0]
        places = site.tally(election, stage).electorates
        cells = [
            Hex(
                places[r["number"]].hex_u,
                places[r["number"]].hex_v,
                places[r["number"]].code,
                r["name"],
                r["exact"],
                diverging_colour(r["exact"]),
            )
            for r in table["rows"]
            if places[r["number"]].hex_u is not None
        ]
        hex_map = None
        if len(cells) > 1:
            hex_map = Markup(
                hex_map_svg(
                    cells,
                    title=f"{option} by general electorate",
                    legend=f"% {option} of all votes counted, informal included: purple "
                    "from 50 %, orange below; hover a hexagon for its name",
                    key=diverging_key(),
                )
            )
        national = data["national"]
        bars = [
            Bar(o, p, "#5e3c99" if i == 0 else "#e66101" if i == 1 else "#bbb", f"{p:.1f} %")
            for i, (o, p) in enumerate(national["percent_of_total"].items())
        ]
        return {
            "data": data,
            "table": table,
            "hex_map": hex_map,
            "codes": sorted((c.code, c.name) for c in cells),
            "national_chart": Markup(bars_svg(bars, title="Nationally (% of all votes)")),
        }

    return Page(
        URLS.page("referendum", election=election, stage=stage, slug=slug),
        URLS.document("referendum", election=election, stage=stage, slug=slug),
        "referendum.html.j2",
        context,
        election,
        stage,
        next(
            (r["name"] for r in site.referendums(election, stage) if r["slug"] == slug),
            "Referendum",
        ),
        lambda other: slug in {r["slug"] for r in site.referendums(election, other)},
    )


def _check_counted(site: Site, election: str, stage: Stage, slug: str) -> None:
    """Raise :class:`NotCountedError` if referendum ``slug`` was counted at other stages
    but not at ``stage`` (2020's referendums were not counted on election night)."""
    if slug in {r["slug"] for r in site.referendums(election, stage)}:
        return
    counted = [
        (other, r["name"])
        for other in site.stages(election)
        for r in site.referendums(election, other)
        if r["slug"] == slug
    ]
    if not counted:
        return
    name = counted[0][1]
    when = "on election night" if stage is Stage.PRELIMINARY else f"at the {stage.value} stage"
    raise NotCountedError(
        f"The {name} was not counted {when}: its votes were first counted in the "
        f"{', '.join(STAGE_NAMES[s].lower() for s, _ in counted)}.",
        [
            (
                f"{name}: {STAGE_NAMES[s].lower()}",
                URLS.page("referendum", election=election, stage=s, slug=slug),
            )
            for s, _ in counted
        ],
    )


COMPARED_WITH = {
    Stage.PRELIMINARY.value: {
        "nav": "Night vs official",
        "title": "Election night",
        "short": "night",
        "when": "on the night",
    },
    "ordinary": {
        "nav": "Ordinary vs official",
        "title": ORDINARY_LABEL[0].upper() + ORDINARY_LABEL[1:],
        "short": "ordinary",
        "when": "on ordinary votes",
    },
}
"""how the comparison page names what the official count is compared with, by
:func:`~tallyroom.analysis.ordinary.comparison_basis`"""


def comparison(site: Site, election: str) -> Page:
    """Election night (or, without one, the ordinary votes alone) against the official
    count."""
    compared = COMPARED_WITH[site.comparison_basis(election) or Stage.PRELIMINARY.value]

    def context() -> dict[str, Any]:
        data = site.comparison(election)
        palette = site.colours(election)
        moved = [p for p in data["parties"] if max(p["percent"]) >= _MIN_BAR_PERCENT]
        bars = [
            Bar(
                p["party"],
                round(p["percent"][1] - p["percent"][0], 2),
                palette.get(p["party"], ""),
                signed(p["percent"][1] - p["percent"][0], 1),
            )
            for p in moved
        ]
        return {
            "data": data,
            "palette": palette,
            "compared": compared,
            "chart": Markup(bars_svg(bars, title="Change in party vote share (points)")),
            "incomplete": data.get("incomplete"),
        }

    return Page(
        URLS.page("comparison", election=election),
        URLS.document("comparison", election=election),
        "compare.html.j2",
        context,
        election,
        None,
        f"{compared['title']} against the official count",
    )


def since(site: Site, election: str, earlier: str) -> Page:
    """``election`` against the earlier election ``earlier``: swing, seats, electorates
    that changed party (the figures of ``tallyroom compare EARLIER ELECTION``)."""

    def context() -> dict[str, Any]:
        data = site.since(election, earlier)
        palette = site.colours(election)
        short = site.short_names(election)
        seated = [p["party"] for p in data["parties"] if any(p["seats"])]
        bars = [
            Bar(p["party"], p["swing"], palette.get(p["party"], ""), signed(p["swing"], 1))
            for p in data["parties"]
            if max(p["percent"]) >= _MIN_BAR_PERCENT
        ]
        return {
            "data": data,
            "palette": palette,
            "seated": [(p, short.get(p) or p) for p in seated],
            "years": tuple(site.election(e)["date"][:4] for e in (earlier, election)),
            "chart": Markup(bars_svg(bars, title="Change in party vote share (points)")),
        }

    return Page(
        URLS.page("since", election=election, earlier=earlier),
        URLS.document("since", election=election, earlier=earlier),
        "between.html.j2",
        context,
        election,
        None,
        since_title(site, earlier),
    )


def split_votes(site: Site, election: str) -> Page:
    """Split voting: how each party's voters cast their electorate vote, nationally (a
    bar chart of straight-ticket shares, heat maps of party vote by electorate vote)."""

    def context() -> dict[str, Any]:
        data = site.split_votes(election)
        palette = site.colours(election)
        short = site.short_names(election)
        parties = [r for r in data["summary"] if r["party"] in palette]
        chart = bars_svg(
            [
                Bar(
                    short.get(r["party"]) or r["party"],
                    r["same_percent"],
                    palette.get(r["party"], ""),
                    f"{r['same_percent']:.1f} %",
                    f"{r['party']}: {r['same_votes']:,} of {r['party_votes']:,} party voters",
                )
                for r in parties
                if r["party_votes"] >= _MIN_SPLIT_VOTERS
            ],
            title="Party voters who also voted for the party's candidate (%)",
        )
        national = [t for t in data["tables"] if t["electorate"] is None]
        maps = [
            Markup(
                heatmap_svg(
                    [short.get(r["party"]) or r["party"] for r in t["rows"]],
                    [short.get(c["name"]) or c["display"] for c in t["columns"]],
                    [r["percent"] for r in t["rows"]],
                    title=f"{t['name']}: party vote (rows) by electorate vote (columns), %",
                )
            )
            for t in national
        ]
        return {
            "data": data,
            "palette": palette,
            "chart": Markup(chart),
            "national": list(zip(national, maps, strict=True)),
            "electorates": [t for t in data["tables"] if t["electorate"] is not None],
            "key": sequential_key(),
            "shade": sequential_colour,
            "stage": final_stage(site.stages(election)),
        }

    return Page(
        URLS.page("split_votes", election=election),
        URLS.document("split_votes", election=election),
        "split_votes.html.j2",
        context,
        election,
        None,
        "Split votes",
    )


_MIN_SPLIT_VOTERS = 1_000
"""parties with fewer party voters are left out of the straight-ticket chart (the table
lists them all)"""


def downloads(site: Site, election: str) -> Page:
    """Every table of every stage as CSV and Parquet, and the API documents."""
    return Page(
        URLS.page("downloads", election=election),
        URLS.document("election", election=election),
        "downloads.html.j2",
        lambda: {
            "tables": {
                stage: tables.table_names(site, election, stage) for stage in site.stages(election)
            },
            "descriptions": {
                name: text
                for stage in site.stages(election)
                for name, text in tables.table_names(site, election, stage).items()
            },
            "stages": site.stages(election),
            "formats": tables.FORMATS,
            "election": election,
        },
        election,
        None,
        "Downloads",
    )


def page(site: Site, name: str, params: dict[str, Any]) -> Page:
    """The page ``name`` (a row of :data:`~tallyroom.publish.resources.PAGES`, named after
    the function of this module that makes it) with the address's ``params``."""
    return globals()[name](site, **params)


def not_found(
    site: Site, path: str, message: str, links: list[tuple[str, str]] | None = None
) -> Page:
    """The page for a path that names nothing in the store: what is wrong, ``links``
    (label, site path) to what the reader may have wanted, and the elections."""
    return Page(
        path if path.endswith("/") else path.rsplit("/", 1)[0] + "/",
        URLS.document("elections"),
        "error.html.j2",
        lambda: {"message": message, "links": links or [], "elections": site.elections()},
        title="Not found",
    )


def api_index(schema: dict[str, Any]) -> Page:
    """A readable list of the API's endpoints, from its OpenAPI schema."""
    endpoints: dict[str, list[dict[str, str]]] = {"GET": [], "POST": []}  # reads first
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            endpoints.setdefault(method.upper(), []).append(
                {"path": path, "summary": op.get("summary", ""), "doc": op.get("description", "")}
            )
    return Page(
        f"{API}/",
        f"{API}/openapi.json",
        "api.html.j2",
        lambda: {"endpoints": {m: e for m, e in endpoints.items() if e}, "schema": schema},
        title="API",
    )
