"""Every address the site publishes, declared once.

A :class:`Document` is a JSON document of the API, a :class:`PageRoute` a page of the
website. Each is declared here with its path, what computes it and, for documents, the
schema it follows; the live server's routes (:mod:`tallyroom.publish.routes`), the
static export (:mod:`tallyroom.publish.export`), the API index and every link in the
pages (:class:`Urls`) are built from these tables, so they cannot drift apart. Adding a
page or a document is one row here and the function that computes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from string import Formatter
from typing import Any

from tallyroom.forecast.fitted import projectable
from tallyroom.model import Stage
from tallyroom.publish import schemas
from tallyroom.publish.site import Site

API = "/api/v1"
"""Where the API lives; every :class:`Document` path is below it."""

Params = dict[str, Any]
Each = Callable[[Site, str], Iterator[Params]]
"""The parameters of every instance of a resource in one election (for the export)."""


def previous_election(site: Site, election: str) -> str | None:
    """The newest election in the store before ``election`` under the same rule set, for
    the page comparing the two."""
    known = {e["id"]: e for e in site.elections()}
    this = known[election]
    before = [e for e in known.values() if e["rules"] == this["rules"] and e["stages"]
              and e["date"] < this["date"]]  # fmt: skip
    return max(before, key=lambda e: e["date"])["id"] if before else None


def _once(_site: Site, _election: str) -> Iterator[Params]:
    yield {}


def _home(_site: Site, election: str) -> Iterator[Params]:
    yield {"only": election}  # a one-election export's home page lists that election only


def _election(_site: Site, election: str) -> Iterator[Params]:
    yield {"election": election}


def _counted(site: Site, election: str) -> Iterator[Params]:
    if site.stages(election):
        yield {"election": election}


def _stages(site: Site, election: str) -> Iterator[Params]:
    for stage in site.stages(election):
        yield {"election": election, "stage": stage}


def _electorates(site: Site, election: str) -> Iterator[Params]:
    for at in _stages(site, election):
        for row in site.electorates(election, at["stage"])["electorates"]:
            yield {**at, "number": row["number"]}


def _referendums(site: Site, election: str) -> Iterator[Params]:
    for at in _stages(site, election):
        for referendum in site.referendums(election, at["stage"]):
            yield {**at, "slug": referendum["slug"]}


def _compared(site: Site, election: str) -> Iterator[Params]:
    if site.comparison_basis(election) is not None:
        yield {"election": election}


def _since(site: Site, election: str) -> Iterator[Params]:
    if (earlier := previous_election(site, election)) is not None:
        yield {"election": election, "earlier": earlier}


def _split(site: Site, election: str) -> Iterator[Params]:
    if site.stages(election) and site.split_cells(election):
        yield {"election": election}


def _projected(site: Site, election: str) -> Iterator[Params]:
    if Stage.PRELIMINARY in site.stages(election) and projectable(election):
        yield {"election": election}


@dataclass(frozen=True)
class Document:
    """A JSON document of the API, computed by the :class:`Site` method ``name`` called
    with the path's parameters."""

    name: str
    path: str
    """below :data:`API`, with ``{election}``, ``{stage}``, ``{number}`` or ``{slug}``"""
    schema: Any
    summary: str
    doc: str
    each: Each


@dataclass(frozen=True)
class PageRoute:
    """A page of the website, rendered from the :mod:`~tallyroom.publish.pages` function
    ``name`` called with the site and the path's parameters."""

    name: str
    path: str
    each: Each


DOCUMENTS: tuple[Document, ...] = (
    Document(
        "elections", "/elections.json", list[schemas.ElectionBrief], "Elections in the store",
        "Every election with the stages counted.", _once,
    ),
    Document(
        "election", "/elections/{election}.json", schemas.ElectionInfo, "One election",
        "An election's stages, electorate count and referendums.", _election,
    ),
    Document(
        "since", "/elections/{election}/since/{earlier}.json", schemas.BetweenElections,
        "Against an earlier election",
        "Party-vote swing nationally and by electorate, seats gained and lost, and the\n"
        "electorates that changed party, from `earlier` to `election` at their official\n"
        "counts: the figures of `tallyroom compare EARLIER ELECTION --json`.", _since,
    ),
    Document(
        "split_votes", "/elections/{election}/split-votes.json", schemas.SplitVotes,
        "Split votes",
        "The Electoral Commission's split-vote tables: of each party's voters, how many\n"
        "gave their electorate vote to its own candidate and how many split, and the\n"
        "matrices of party vote by electorate vote (nationally, general and Māori\n"
        "electorates, each general electorate), as published: the figures of\n"
        "`tallyroom split --json`.", _split,
    ),
    Document(
        "summary", "/elections/{election}/{stage}/summary.json", schemas.Summary, "Summary",
        "Party votes and shares, electorate winners, seats, referendums and count progress\n"
        "at one stage: the figures of `tallyroom results --json`.", _stages,
    ),
    Document(
        "progress", "/elections/{election}/{stage}/progress.json", schemas.Progress,
        "Progress", "How many reporting places (voting places, or electorates where the\n"
        "store has no voting places) have returns at one stage: what the static site's\n"
        "pages show in their status line.", _stages,
    ),
    Document(
        "parties", "/elections/{election}/{stage}/parties.json", schemas.Parties, "Parties",
        "Each party's votes, seats, electorate MPs and list MPs.", _stages,
    ),
    Document(
        "electorates", "/elections/{election}/{stage}/electorates.json", schemas.Electorates,
        "Electorates", "Every electorate's winner and majority.", _stages,
    ),
    Document(
        "electorate", "/elections/{election}/{stage}/electorates/{number}.json",
        schemas.ElectorateDetail, "One electorate",
        "Candidates, votes, majority, party votes and voting places: the figures of\n"
        "`tallyroom electorate --json`.", _electorates,
    ),
    Document(
        "seats", "/elections/{election}/{stage}/seats.json",
        schemas.Seats | schemas.RegionalSeats, "Seats",
        "The seat allocation: the JSON of `tallyroom seats --json` (for a law that\n"
        "apportions by region, such as the Bundestag's, seats per region and the trace).",
        _stages,
    ),
    Document(
        "referendums", "/elections/{election}/{stage}/referendums.json",
        list[schemas.ReferendumResult], "Referendums",
        "Every referendum's national counts, shares and result.", _stages,
    ),
    Document(
        "referendum", "/elections/{election}/{stage}/referendums/{slug}.json",
        schemas.ReferendumDetail, "One referendum by electorate",
        "A referendum nationally and by general electorate, with the vote basis stated:\n"
        "the by-electorate figures of `tallyroom referendum --json`.", _referendums,
    ),
    Document(
        "projection", "/elections/{election}/preliminary/projection.json", schemas.Projection,
        "Projected final count",
        "The final count projected from election night's ordinary votes: each party's\n"
        "share and seats (most likely, 80 % and 95 % intervals), electorates that may\n"
        "change hands, House size and bloc majorities (`tallyroom project --json`, with\n"
        "the site's number of draws and seed 0).", _projected,
    ),
    Document(
        "comparison", "/elections/{election}/comparison.json", schemas.Comparison,
        "Election night against the official count",
        "Shares, seats and winners at the preliminary and official counts: the figures of\n"
        "`tallyroom compare --json`.", _compared,
    ),
)  # fmt: skip
"""In the order the API matches and documents them (``since`` before the stages: a
stage is a pattern, ``since`` a fixed segment)."""

DOWNLOADS = "/elections/{election}/{stage}/tables/{name}.{suffix}"
"""Where a table is downloaded, below :data:`API`; see :mod:`tallyroom.publish.tables`."""

PAGES: tuple[PageRoute, ...] = (
    PageRoute("home", "/", _home),
    PageRoute("comparison", "/elections/{election}/compare/", _compared),
    PageRoute("since", "/elections/{election}/since/{earlier}/", _since),
    PageRoute("downloads", "/elections/{election}/downloads/", _counted),
    PageRoute("split_votes", "/elections/{election}/split-votes/", _split),
    PageRoute("projection_method", "/elections/{election}/preliminary/projection/", _projected),
    PageRoute("overview", "/elections/{election}/{stage}/", _stages),
    PageRoute("parties", "/elections/{election}/{stage}/parties/", _stages),
    PageRoute("electorates", "/elections/{election}/{stage}/electorates/", _stages),
    PageRoute("electorate", "/elections/{election}/{stage}/electorates/{number}/", _electorates),
    PageRoute("referendum", "/elections/{election}/{stage}/referendums/{slug}/", _referendums),
)
"""Fixed addresses before patterns ("compare" is not a stage), as the server matches."""

_DOCUMENTS = {d.name: d for d in DOCUMENTS}
_PAGES = {p.name: p for p in PAGES}


def parameters(path: str) -> list[str]:
    """The names of a path's ``{parameters}``, in order."""
    return [name for _, name, _, _ in Formatter().parse(path) if name]


def fill(path: str, params: Params) -> str:
    """``path`` with its parameters filled in (a stage by its value)."""
    return path.format(**{k: getattr(v, "value", v) for k, v in params.items()})


class Urls:
    """The address of every page and document: what pages and templates link to."""

    @staticmethod
    def page(name: str, **params: Any) -> str:
        """The site path of the page ``name`` (a :data:`PAGES` row) with ``params``."""
        return fill(_PAGES[name].path, params)

    @staticmethod
    def document(name: str, **params: Any) -> str:
        """The API path of the document ``name`` (a :data:`DOCUMENTS` row)."""
        return API + fill(_DOCUMENTS[name].path, params)

    @staticmethod
    def download(election: str, stage: Stage, name: str, suffix: str) -> str:
        """The API path of a table download."""
        return API + fill(DOWNLOADS, locals())

    @staticmethod
    def election(election: str, stage: Stage | None = None) -> str:
        """The site path of an election, or of one stage of it."""
        return f"/elections/{election}/" + (f"{stage.value}/" if stage else "")

    @staticmethod
    def events(election: str) -> str:
        """The API path of an election's live event stream."""
        return f"{API}/elections/{election}/events"


URLS = Urls()
