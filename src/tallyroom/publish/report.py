"""A self-contained HTML report of one election, with its charts as SVG files beside it.

National summary and seat chart, election night against the official count, each
referendum nationally and by general electorate (hex map, ranked table, scatter plot
against the most correlated party), and disproportionality. Every chart has its numbers
in a table too. Figures come from the same analysis functions as the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy import Engine

from tallyroom.analysis.by_electorate import by_electorate
from tallyroom.analysis.compare import compare
from tallyroom.analysis.crosstab import correlations, crosstab
from tallyroom.analysis.indices import indices
from tallyroom.model import Stage, both_counts, referendum_slug
from tallyroom.publish import views
from tallyroom.publish.charts import (
    Hex,
    Point,
    SeatBlock,
    diverging_colour,
    diverging_key,
    hemicycle_svg,
    hex_map_svg,
    scatter_svg,
)
from tallyroom.publish.templating import TEMPLATES
from tallyroom.results import ContestTally, ElectionTally, stages, tally
from tallyroom.results.queries import parties
from tallyroom.rules.mmp import MMPResult
from tallyroom.rules.referendum import Base, decide_referendum


@dataclass(frozen=True)
class Chart:
    """An SVG chart: its file name in the report folder and its markup."""

    name: str
    svg: str

    @property
    def inline(self) -> Markup:
        """The SVG for embedding (built with every text escaped)."""
        return Markup(self.svg)


def write_report(engine: Engine, election: str, out: Path) -> Path:
    """Write ``index.html`` and ``charts/*.svg`` for ``election`` into ``out``."""
    context = report_context(engine, election)
    out.mkdir(parents=True, exist_ok=True)
    (out / "charts").mkdir(exist_ok=True)
    for chart in context["charts"].values():
        (out / "charts" / chart.name).write_text(chart.svg, encoding="utf-8")
    page = out / "index.html"
    page.write_text(TEMPLATES.get_template("report.html.j2").render(**context), encoding="utf-8")
    return page


def report_context(engine: Engine, election: str) -> dict[str, Any]:
    """Everything the report shows, computed from the store: the furthest stage's House,
    election night against the official count, and each referendum."""
    counted = stages(engine, election)
    final = tally(engine, election, counted[-1])
    official = final if final.stage is Stage.OFFICIAL else tally(engine, election, Stage.OFFICIAL)
    stored = parties(engine, election)
    colours, place = views.colours(stored), views.positions(stored)
    result = final.seats()
    holders = [p for p in result.parties if p.total]
    charts = {"seats": _seat_chart(final, result, colours, place)}
    comparison = None
    if both_counts(counted):
        comparison = compare(tally(engine, election, Stage.PRELIMINARY), official)
    referendums = []
    for code, contest in final.referendums.items():
        section, figures = _referendum(official, referendum_slug(code), contest, colours)
        referendums.append(section)
        charts.update(figures)
    return {
        "election": final.name,
        "election_id": election,
        "stage": final.stage.value,
        "result": result,
        "holders": holders,
        "colours": colours,
        "valid": result.total_votes,
        "comparison": comparison,
        "referendums": referendums,
        "indices": indices(result),
        "charts": charts,
    }


def _seat_chart(
    final: ElectionTally,
    result: MMPResult,
    colours: dict[str, str],
    place: dict[str, float | None],
) -> Chart:
    """The House as a hemicycle, parties placed left to right."""
    return Chart(
        "seats.svg",
        hemicycle_svg(
            [
                SeatBlock(p.party, p.total, colours.get(p.party, ""), place.get(p.party))
                for p in result.parties
                if p.total
            ],
            title=f"{final.name}: {result.house_size} seats ({final.stage})",
        ),
    )


def _referendum(
    official: ElectionTally, slug: str, contest: ContestTally, colours: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Chart]]:
    """One referendum's section (national result, by-electorate table, the party most
    correlated with it) and its charts: a hex map and a scatter plot."""
    outcome = decide_referendum(contest.counts, contest.informal)
    table = by_electorate(official, slug)
    option = table.options[0]
    charts: dict[str, Chart] = {}
    places = official.electorates
    cells = [
        Hex(
            places[r.number].hex_u,
            places[r.number].hex_v,
            places[r.number].code,
            r.name,
            r.exact,
            diverging_colour(r.exact),
        )
        for r in table.rows
        if places[r.number].hex_u is not None
    ]
    if cells:
        charts[f"{slug}-map"] = Chart(
            f"{slug}-map.svg",
            hex_map_svg(
                cells,
                title=f"{option} by general electorate",
                legend=f"% {option} of all ordinary votes; purple above 50 %, orange below",
                key=diverging_key(),
            ),
        )
    cross = crosstab(official, official, slug)
    strongest = correlations(official, cross)[0]
    parties = official.party_by_electorate
    charts[f"{slug}-scatter"] = Chart(
        f"{slug}-scatter.svg",
        scatter_svg(
            [
                Point(
                    100
                    * parties[r.number].counts.get(strongest.party, 0)
                    / parties[r.number].valid,
                    r.percent,
                    r.name,
                    colours.get(strongest.party) or "#4a6fa5",
                )
                for r in cross.rows
            ],
            title=f"{option} % against {strongest.party} party vote %",
            x_label=f"{strongest.party} party vote (%)",
            y_label=f"{option} (% of all votes)",
        ),
    )
    section = {
        "slug": slug,
        "name": contest.name,
        "options": table.options,
        "total": outcome.total,
        "percent": {o: outcome.percent(o, Base.TOTAL) for o in [*contest.counts, "informal"]},
        "result": outcome.result,
        "table": table,
        "strongest": strongest,
    }
    return section, charts
