"""Commands on a results store: import returns, list elections, show results and seats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from sqlalchemy import Engine

from tallyroom import results as counts
from tallyroom.cli.app import (
    RESULTS,
    DataTable,
    DbOption,
    JsonOption,
    app,
    console,
    guarded,
    progress_bar,
)
from tallyroom.cli.bundestag import show_regional
from tallyroom.cli.calculator import seat_notes, seat_table
from tallyroom.datasets import BUNDLED, load_bundled
from tallyroom.errors import TallyroomError
from tallyroom.gc_pause import paused_collection
from tallyroom.importers.formats import FORMATS, format_named
from tallyroom.importers.options import ReadOptions
from tallyroom.model import Stage
from tallyroom.publish import views
from tallyroom.publish.site import dumped
from tallyroom.store.database import open_store
from tallyroom.store.imports import ImportReport, SourceFile, import_datasets

StageOption = Annotated[
    Stage | None,
    typer.Option(help="preliminary, official or recount (default: the latest with returns)."),
]


@app.command("import", rich_help_panel=RESULTS)
def import_(
    format: Annotated[str, typer.Argument(help=f"Format: {', '.join(FORMATS)}.")],
    paths: Annotated[list[Path], typer.Argument(help="Files to import (one source).")],
    stage: StageOption = None,
    election: Annotated[
        str | None, typer.Option(help="Election id, e.g. nz-2020, where the files do not say.")
    ] = None,
    population: Annotated[
        Path | None,
        typer.Option(help="de-bundeswahl: population by Land (strukturdaten CSV)."),
    ] = None,
    replace: Annotated[
        bool, typer.Option(help="Store differing returns as new versions (needs --reason).")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why returns are being replaced.")] = "",
    force: Annotated[
        bool, typer.Option(help="Import into a closed stage (the audit log records it).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Import published result files into the store, all or nothing.

    Every file's own total rows are checked; any error names file, line and field and
    leaves the store unchanged. Importing the same files again changes nothing.
    """

    @paused_collection()  # reading and storing: one pause, no collection between them
    def run() -> ImportReport:
        reader = format_named(format)
        with progress_bar() as bar:
            reading = bar.add_task("reading", total=None)
            options = ReadOptions(stage, election, population)
            datasets = reader.read(paths, options)
            bar.update(reading, total=1, completed=1)
            engine = open_store(db)
            counts = [d.return_count() for d in datasets]
            total = None if None in counts else sum(counts)
            storing = bar.add_task("storing returns", total=total)
            source = SourceFile.of(reader.name, reader.files(paths, options))
            return import_datasets(
                engine,
                datasets,
                source,
                replace=replace,
                reason=reason,
                force=force,
                progress=lambda n: bar.advance(storing, n),
            )

    report = guarded(run)
    if report.already_imported:
        console.print(f"{report.election}: these files were imported before; nothing changed.")
    else:
        lists = f", {report.list_places:,} new list places" if report.list_places else ""
        console.print(
            f"{report.election}: {report.new:,} new returns, {report.replaced:,} replaced, "
            f"{report.unchanged:,} unchanged{lists}."
        )
        if report.renamed_candidates:
            console.print(
                f"{report.renamed_candidates} candidates the files name in another form were "
                "stored under the names the store has for them (the party's candidate in "
                "the electorate)."
            )
        _report_gaps(open_store(db), report.election)


def _report_gaps(engine: Engine, election: str) -> None:
    """Say which stages' returns leave candidates out, now that the store holds them
    (the official files' candidate list shows what the election-night file lacks)."""
    for stage in counts.stages(engine, election):
        try:
            found = views.incomplete(counts.tally(engine, election, stage))
        except TallyroomError as error:  # the import is stored; say what could not be checked
            console.print(escape(f"Note ({stage} count): not checked for gaps: {error}"))
            continue
        if found is not None:
            console.print(escape(f"Note ({stage} count): {found.statement}"))


@app.command(rich_help_panel=RESULTS)
def load(
    name: Annotated[str, typer.Argument(help=f"Bundled election: {', '.join(BUNDLED)}.")],
    db: DbOption = None,
) -> None:
    """Load a bundled election into the store; works offline.

    nz-2020 holds the 2020 general election by electorate (preliminary and official
    party and candidate votes) and both referendums; nz-2023 the 2023 general election's
    official count by electorate (ordinary and special votes) with the party lists; both
    derived from the official files.
    """
    report = guarded(lambda: load_bundled(open_store(db), name))
    if report.already_imported:
        console.print(f"{name} is already loaded.")
    else:
        console.print(f"{name}: loaded {report.new:,} returns.")
        _report_gaps(open_store(db), report.election)


@app.command(rich_help_panel=RESULTS)
def elections(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the elections in the store and the stages counted."""
    found = guarded(lambda: dumped(views.election_list(counts.elections(open_store(db)))))
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    table = DataTable(title="Elections")
    for header in ("Id", "Name", "Date", "Rules", "Stages"):
        table.add_column(header)
    for e in found:
        table.add_row(e["id"], e["name"], e["date"], e["rules"], ", ".join(e["stages"]))
    console.print(table if found else "No elections yet: try `tallyroom load nz-2020`.")


@app.command(rich_help_panel=RESULTS)
def seats(
    election: Annotated[str, typer.Argument(help="Election id, e.g. nz-2020.")],
    stage: StageOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The seat allocation from the stored party votes and electorate winners.

    For an election whose law apportions by region (the Bundestag): every party's seats
    per region, district and list seats, and the district winners not seated.
    """
    counted = guarded(lambda: counts.latest_tally(open_store(db), election, stage))
    if counted.regional:
        regional = guarded(counted.regional_seats)
        if as_json:
            typer.echo(json.dumps(regional.to_dict(), ensure_ascii=False, indent=2))
        else:
            show_regional(regional, counted.name)
        return
    result = guarded(counted.seats)
    if as_json:
        typer.echo(json.dumps(dumped(views.seats_document(result)), ensure_ascii=False, indent=2))
        return
    console.print(seat_table(result))
    for note in seat_notes(result):
        console.print(note)
    vacant = counted.vacant_electorates()
    if vacant:
        console.print(
            escape(f"Vacant electorate seat(s), no candidate result: {', '.join(vacant)}")
        )
    for p in result.parties:
        if p.list_short:
            console.print(
                escape(
                    f"{p.party}: the stored list names {p.list_seats - p.list_short} of its "
                    f"{p.list_seats} list MPs; it runs short (it may be incomplete)"
                )
            )


@app.command(rich_help_panel=RESULTS)
def results(
    election: Annotated[str, typer.Argument(help="Election id, e.g. nz-2020.")],
    stage: StageOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Party votes and shares, electorate winners and majorities, and the seats."""

    def run() -> dict[str, Any]:
        return dumped(views.summary(counts.latest_tally(open_store(db), election, stage)))

    data = guarded(run)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    parties = DataTable(title=f"{election} — party vote ({data['stage']})")
    for header in ("Party", "Votes", "%", "Seats"):
        parties.add_column(header, justify="left" if header == "Party" else "right")
    seats_won = data["seats"]["seats"] if data["seats"] else {}
    for row in data["party_votes"]:
        parties.add_row(
            row["party"],
            f"{row['votes']:,}",
            f"{row['percent']:.2f}",
            str(seats_won.get(row["party"], "")),
        )
    parties.add_section()
    parties.add_row("Valid party votes", f"{data['valid_party_votes']:,}", "", "")
    parties.add_row("Informal", f"{data['informal_party_votes']:,}", "", "")
    console.print(parties)
    winners = DataTable(title=f"{election} — electorate winners ({data['stage']})")
    for header in ("No.", "Electorate", "Winner", "Party", "Majority"):
        winners.add_column(header, justify="right" if header in ("No.", "Majority") else "left")
    missing = {e["number"]: len(e["candidates"]) for e in data.get("incomplete", {}).get(
        "electorates", [])}  # fmt: skip
    for e in data["electorates"]:
        winner = e["winner"] or "TIE: " + " / ".join(e["tied"])
        if e["number"] in missing:
            winner += f" ({missing[e['number']]} candidate(s) not in the returns)"
        winners.add_row(str(e["number"]), e["name"], winner, e["party"], f"{e['majority']:,}")
    console.print(winners)
    if "incomplete" in data:
        console.print(escape(data["incomplete"]["statement"]))
    for ref in data["referendums"]:
        shares = ", ".join(f"{o} {p:.1f} %" for o, p in ref["percent_of_total"].items())
        result = ref["result"] or "no majority"
        console.print(
            escape(f"{ref['name']}: {shares} of {ref['total']:,} votes; result: {result}")
        )
    if data["seats"]:
        console.print(
            f"House of {data['seats']['house_size']}: "
            + ", ".join(f"{p} {n}" for p, n in seats_won.items())
        )
    else:
        console.print(
            f"No party votes at the {data['stage']} stage, so no seats: import the party-vote "
            "table (or party votes by voting place) to allocate them."
        )


@app.command(rich_help_panel=RESULTS)
def electorate(
    election: Annotated[str, typer.Argument(help="Election id, e.g. nz-2020.")],
    which: Annotated[str, typer.Argument(metavar="NAME|NUMBER", help="Electorate name or number.")],
    stage: StageOption = None,
    places_shown: Annotated[
        int, typer.Option("--places", min=0, help="Voting places to list (largest first).")
    ] = 15,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """One electorate: candidates, votes, winner and majority, and its voting places."""

    def run() -> dict[str, Any]:
        counted = counts.latest_tally(open_store(db), election, stage)
        return dumped(views.electorate(counted, which))

    data = guarded(run)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = DataTable(title=f"{data['name']} ({data['number']}) — {data['stage']}")
    for header in ("Candidate", "Party", "Votes", "%"):
        table.add_column(header, justify="right" if header in ("Votes", "%") else "left")
    for c in data["candidates"]:
        table.add_row(c["candidate"], c["party"], f"{c['votes']:,}", f"{c['percent']:.2f}")
    for c in data.get("missing_candidates", []):
        table.add_row(c["name"], c["party"], "not in the returns", "")
    if data["candidates"]:
        table.add_section()
        table.add_row("Informal", "", f"{data['informal']:,}", "")
    console.print(table)
    if data.get("shares_of"):
        console.print(escape(f"Shares are of {data['shares_of']}."))
    if data["winner"]:
        console.print(
            f"Winner: {data['winner']}, majority {data['majority']:,} over {data['runner_up']}"
        )
    else:
        console.print(escape(data["no_result"]))
    if data["voting_places"]:
        places = DataTable(title=f"Where the votes were counted ({len(data['voting_places'])})")
        for header in ("Place", "Votes counted", "Where", "Valid", "Informal"):
            places.add_column(
                header, justify="right" if header in ("Valid", "Informal") else "left"
            )
        for p in data["voting_places"][:places_shown]:
            places.add_row(
                p["place"], p["count_type"], p["kind"], f"{p['valid']:,}", f"{p['informal']:,}"
            )
        console.print(places)
        hidden = len(data["voting_places"]) - places_shown
        if hidden > 0:
            console.print(f"… and {hidden} more (--places N to show more, --json for all)")
