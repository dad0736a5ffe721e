"""Analysis commands: compare stages, referendums by electorate, disproportionality."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.text import Text
from sqlalchemy import select

from tallyroom.analysis.by_electorate import STATEMENTS, VoteBasis, by_electorate
from tallyroom.analysis.claims import ClaimsFileError, Verdict, check, load_claims
from tallyroom.analysis.compare import compare as compare_stages
from tallyroom.analysis.crosstab import Correlation, CrossTab, correlations
from tallyroom.analysis.crosstab import crosstab as cross
from tallyroom.analysis.indices import indices as measures
from tallyroom.analysis.ordinary import ORDINARY_LABEL
from tallyroom.analysis.specials import special_split
from tallyroom.cli.app import ANALYSIS, DataTable, DbOption, JsonOption, app, console, guarded
from tallyroom.cli.between import show_between
from tallyroom.figures import signed
from tallyroom.model import Stage
from tallyroom.publish import views
from tallyroom.publish.charts import Point, scatter_svg
from tallyroom.publish.report import write_report
from tallyroom.publish.site import Site, dumped
from tallyroom.results import stages, tally
from tallyroom.rules.referendum import Base
from tallyroom.store import schema as t
from tallyroom.store.database import open_store

ElectionArgument = Annotated[str, typer.Argument(help="Election id, e.g. nz-2020.")]
VotesOption = Annotated[VoteBasis, typer.Option(help="ordinary, special or all votes.")]
BaseOption = Annotated[Base, typer.Option(help="total: % of all votes (as published); valid.")]


@app.command(rich_help_panel=ANALYSIS)
def compare(
    election: ElectionArgument,
    later: Annotated[
        str | None,
        typer.Argument(help="A later election (e.g. nz-2023): compare the two elections."),
    ] = None,
    before: Annotated[Stage, typer.Option("--from", help="Earlier stage.")] = Stage.PRELIMINARY,
    after: Annotated[Stage, typer.Option("--to", help="Later stage.")] = Stage.OFFICIAL,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """What changed between two stages: votes, shares, seats, electorates that changed
    hands, special votes, and referendums on ordinary votes only against all votes.
    Without an election-night count, the official count's ordinary votes alone stand in
    for it. Given a LATER election: the party-vote swing nationally and by electorate,
    seats gained and lost, and the electorates that changed party."""
    if later is not None:
        show_between(election, later, db, as_json)
        return
    site = guarded(lambda: Site(open_store(db)))
    ordinary = before is Stage.PRELIMINARY and guarded(
        lambda: site.comparison_basis(election) == "ordinary"
    )
    earlier_tally = None if ordinary else guarded(lambda: site.tally(election, before))
    result = guarded(lambda: compare_stages(earlier_tally, site.tally(election, after)))
    gaps = views.incomplete(earlier_tally) if earlier_tally is not None else None
    if as_json:
        found = asdict(result)
        if gaps is not None:  # candidates the earlier returns leave out, as the API says
            found["incomplete"] = dumped(gaps)
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2, default=str))
        return
    if gaps is not None:
        console.print(escape(f"Note ({before} count): {gaps.statement}"))
    earlier, column = (ORDINARY_LABEL, "ordinary") if ordinary else (before, before)
    table = DataTable(title=f"{election}: {earlier} → {after}")
    for header in ("Party", f"Votes\n{column}", f"Votes\n{after}", "Share %", "Points", "Seats"):
        table.add_column(
            header, justify="left" if header == "Party" else "right", no_wrap=header != "Party"
        )
    for p in result.parties:
        if p.seats == (0, 0) and p.percent[1] < 1:
            continue
        change = p.seats[1] - p.seats[0]
        table.add_row(
            p.party,
            f"{p.votes[0]:,}",
            f"{p.votes[1]:,}",
            f"{p.percent[0]:.2f} → {p.percent[1]:.2f}",
            signed(p.percent[1] - p.percent[0]),
            f"{p.seats[0]} → {p.seats[1]}" + (f" ({change:+d})" if change else ""),
        )
    console.print(table)
    for flip in result.flips:
        (w0, p0, m0), (w1, p1, m1) = flip.before, flip.after
        console.print(
            f"{flip.name} changed hands: {w0} ({p0}) led by {m0:,}; {w1} ({p1}) won by {m1:,}"
        )
    console.print(
        f"Special votes counted ({after}, candidate vote, informal included): "
        f"{result.special_votes:,} ({result.special_share:.1f} % of all)"
    )
    if result.turnout_change is not None:
        night, final = result.turnout
        when = "in ordinary votes" if ordinary else "on election night"
        console.print(
            f"Turnout of {result.electors:,} enrolled electors: {night:.2f} % counted {when}, "
            f"{final:.2f} % cast in the official count "
            f"({signed(result.turnout_change)} points)"
        )
    for r in result.referendums:
        console.print(
            f"{r.name}: {r.option} {r.ordinary_percent:.1f} % on ordinary votes, "
            f"{r.all_percent:.1f} % with special votes ({r.all_result or 'no majority'})"
        )


class Breakdown(StrEnum):
    """How a referendum is broken down."""

    ELECTORATE = "electorate"


@app.command(rich_help_panel=ANALYSIS)
def referendum(
    election: ElectionArgument,
    slug: Annotated[str, typer.Argument(help="Referendum, e.g. cannabis or end-of-life-choice.")],
    by: Annotated[Breakdown, typer.Option(help="Breakdown (electorate).")] = Breakdown.ELECTORATE,
    votes: VotesOption = VoteBasis.ORDINARY,
    base: BaseOption = Base.TOTAL,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """A referendum by general electorate: shares, rank, and how many were in favour.

    The ordinary-vote figures are by referendum area: a general electorate's voting places,
    where Māori-roll voters also voted. The output says which votes are in each figure.
    """
    result = guarded(
        lambda: by_electorate(tally(open_store(db), election, Stage.OFFICIAL), slug, votes, base)
    )
    if as_json:
        typer.echo(json.dumps(asdict(result), ensure_ascii=False, indent=2, default=str))
        return
    table = DataTable(
        title=f"{result.name}, by general electorate ({votes} votes, % of {base})",
        caption=result.statement,
    )
    for header in (
        "Rank",
        "Electorate",
        *result.options,
        *(["Informal"] if base is Base.TOTAL else []),
    ):
        table.add_column(header, justify="left" if header == "Electorate" else "right")
    for row in result.rows:
        shares = [f"{row.percent[o]:.1f}" for o in result.options]
        if base is Base.TOTAL:
            shares.append(f"{row.percent['informal']:.1f}")
        table.add_row(str(row.rank), row.name, *shares)
    console.print(table)
    console.print(
        f"{result.options[0]} had a majority in {result.in_favour} of {len(result.rows)} "
        "general electorates."
    )


@app.command("indices", rich_help_panel=ANALYSIS)
def indices_command(
    elections: Annotated[
        list[str] | None, typer.Argument(help="Election ids (default: all).")
    ] = None,
    stage: Annotated[Stage | None, typer.Option(help="Stage (default: the latest).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Disproportionality: Gallagher, Loosemore–Hanby, effective number of parties by
    votes and by seats, and the share of party votes wasted on parties without a seat."""

    def run() -> list[dict[str, Any]]:
        engine = open_store(db)
        with engine.connect() as conn:
            chosen = elections or list(
                conn.execute(select(t.election.c.id).order_by(t.election.c.date)).scalars()
            )
        found = []
        for election in chosen:
            counted = stages(engine, election)
            at = stage or (counted[-1] if counted else Stage.OFFICIAL)
            found.append(
                {
                    "election": election,
                    "stage": at.value,
                    **asdict(measures(tally(engine, election, at).seats())),
                }
            )
        return found

    rows = guarded(run)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = DataTable(title="Disproportionality and fragmentation")
    for header in (
        "Election",
        "Stage",
        "Gallagher",
        "Loosemore–\nHanby",
        "ENP\nvotes",
        "ENP\nseats",
        "Wasted\n%",
    ):
        table.add_column(
            header,
            justify="left" if header in ("Election", "Stage") else "right",
            no_wrap=True,
        )
    for r in rows:
        table.add_row(
            r["election"],
            r["stage"],
            f"{r['gallagher']:.2f}",
            f"{r['loosemore_hanby']:.2f}",
            f"{r['enp_votes']:.2f}",
            f"{r['enp_seats']:.2f}",
            f"{r['wasted_votes']:.2f}",
        )
    console.print(table)


@app.command(rich_help_panel=ANALYSIS)
def crosstab(
    election: ElectionArgument,
    slug: Annotated[str, typer.Argument(help="Referendum, e.g. cannabis.")],
    votes: VotesOption = VoteBasis.ORDINARY,
    base: BaseOption = Base.TOTAL,
    winners_at: Annotated[
        Stage, typer.Option(help="Stage of the electorate winners.")
    ] = Stage.OFFICIAL,
    plot: Annotated[
        Path | None,
        typer.Option(help="Write a scatter plot (SVG) against the most correlated party."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """A referendum by general electorate against the electorate winner's party and the
    party-vote leader, with Pearson and Spearman correlations against each party's share."""

    def run() -> tuple[CrossTab, list[Correlation]]:
        engine = open_store(db)
        official = tally(engine, election, Stage.OFFICIAL)
        winners = official if winners_at is Stage.OFFICIAL else tally(engine, election, winners_at)
        table = cross(official, winners, slug, votes, base)
        return table, correlations(official, table)

    table, found = guarded(run)
    if plot is not None:
        _scatter(table, found[0], plot, db, election)
    if as_json:
        data = {
            **asdict(table),
            "by_winner_party": table.by_winner_party(),
            "correlations": [asdict(c) for c in found],
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    summary = DataTable(
        title=f"{table.option} majority by the party that won the electorate ({winners_at})",
        caption=STATEMENTS[votes],
    )
    for header in ("Winning party", "In favour", "Not in favour"):
        summary.add_column(header, justify="left" if header == "Winning party" else "right")
    for party, counts in table.by_winner_party().items():
        summary.add_row(party, str(counts.get("in favour", 0)), str(counts.get("not in favour", 0)))
    console.print(summary)
    strongest = DataTable(
        title=f"Correlation across electorates: {table.option} % against party-vote %"
    )
    for header in ("Party", "Pearson", "Spearman", "Electorates"):
        strongest.add_column(header, justify="left" if header == "Party" else "right")
    for c in found[:8]:
        strongest.add_row(c.party, signed(c.pearson), signed(c.spearman), str(c.electorates))
    console.print(strongest)
    if plot is not None:
        console.print(f"Scatter plot written to {plot}")


def _scatter(
    table: CrossTab, strongest: Correlation, path: Path, db: str | None, election: str
) -> None:
    counts = tally(open_store(db), election, Stage.OFFICIAL).party_by_electorate
    points = [
        Point(
            100 * counts[r.number].counts.get(strongest.party, 0) / counts[r.number].valid,
            r.percent,
            r.name,
        )
        for r in table.rows
    ]
    path.write_text(
        scatter_svg(
            points,
            title=f"{table.option} % against {strongest.party} party vote %, by electorate",
            x_label=f"{strongest.party} party vote (%)",
            y_label=f"{table.option} (% of {table.base} votes)",
        ),
        encoding="utf-8",
    )


@app.command(rich_help_panel=ANALYSIS)
def specials(
    election: ElectionArgument,
    contest: Annotated[
        str, typer.Option(help="party, candidate (candidate votes by party) or referendum:SLUG.")
    ] = "party",
    electorate: Annotated[
        int | None, typer.Option(help="One electorate (default: nationally).")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """How special votes split compared with ordinary votes, choice by choice."""
    result = guarded(
        lambda: special_split(tally(open_store(db), election, Stage.OFFICIAL), contest, electorate)
    )
    if as_json:
        typer.echo(json.dumps(asdict(result), ensure_ascii=False, indent=2))
        return
    where = f"electorate {electorate}" if electorate else "nationally"
    table = DataTable(
        title=f"{election} {contest}: special against ordinary votes, {where}",
        caption=f"Special votes: {result.special_valid:,} of "
        f"{result.ordinary_valid + result.special_valid:,} valid votes "
        f"({result.special_percent:.1f} %)",
    )
    for header in ("Choice", "Ordinary", "% ordinary", "Special", "% special", "Difference"):
        table.add_column(header, justify="left" if header == "Choice" else "right")
    for row in result.rows:
        if row.ordinary_percent < 0.5 and row.special_percent < 0.5:
            continue
        table.add_row(
            row.choice,
            f"{row.ordinary:,}",
            f"{row.ordinary_percent:.2f}",
            f"{row.special:,}",
            f"{row.special_percent:.2f}",
            signed(row.difference),
        )
    console.print(table)


@app.command("check", rich_help_panel=ANALYSIS)
def check_claims(
    election: ElectionArgument,
    claims: Annotated[
        Path, typer.Argument(help="Claims file (YAML); see examples/claims-nz2020.yaml.")
    ],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a results report's statements: each is confirmed, off by how much, or
    contradicted, with the stage and votes under which it would hold."""

    def run() -> list[Verdict]:
        named, listed = load_claims(claims)
        if named != election:
            raise ClaimsFileError(f"{claims} is about {named}, not {election}")
        site = Site(open_store(db))
        return check(lambda stage: site.tally(election, stage), listed)

    verdicts = guarded(run)
    if as_json:
        typer.echo(
            json.dumps([asdict(v) for v in verdicts], ensure_ascii=False, indent=2, default=str)
        )
        return
    table = DataTable(title=f"Claims about {election}", show_lines=True)
    for header in ("Claim", "Verdict", "Figures", "Would hold with"):
        table.add_column(header)
    styles = {"confirmed": "green", "off": "yellow", "contradicted": "red"}
    for v in verdicts:
        holds = "; ".join(c.describe(v.dimensions) for c in v.holds_under) or "—"
        figures = f"{v.found}\n({v.context.describe(v.dimensions)})"
        table.add_row(v.text, Text(v.verdict, style=styles[v.verdict]), figures, holds)
    console.print(table)


@app.command(rich_help_panel=ANALYSIS)
def report(
    election: ElectionArgument,
    out: Annotated[Path, typer.Option(help="Folder to write index.html and charts/ into.")] = Path(
        "report"
    ),
    db: DbOption = None,
) -> None:
    """Write a self-contained HTML report: seats, what changed, referendums by electorate
    (hex map, scatter plot, table) and proportionality, with the charts as SVG files."""
    page = guarded(lambda: write_report(open_store(db), election, out))
    console.print(f"Report written to {page}")
