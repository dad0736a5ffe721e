"""``tallyroom seats-de``: Bundestag seats straight from a returning officer's file.

A stateless calculator like ``tallyroom allocate``: it reads a gesamtergebnis XML or
kerg CSV (and, for the laws with seat contingents, a strukturdaten population table),
runs a step pipeline and prints the result. Nothing is stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tallyroom.cli.app import ANALYSIS, DataTable, JsonOption, app, console, guarded
from tallyroom.importers.de_bundeswahl import read, read_population
from tallyroom.rules.errors import InvalidVotesError
from tallyroom.rules.regional import RegionalResult, run_pipeline
from tallyroom.rules.steps import Apportion, Level, pipeline_named


@app.command("seats-de", rich_help_panel=ANALYSIS)
def seats_de(
    file: Annotated[Path, typer.Argument(help="gesamtergebnis XML or kerg CSV.")],
    rules: Annotated[
        str, typer.Option(help="Rule set: de-2013 (2013, 2017), de-2020 (2021), de-2023 (2025).")
    ] = "de-2023",
    population: Annotated[
        Path | None,
        typer.Option(help="strukturdaten CSV (needed by de-2013 and de-2020)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Allocate the Bundestag from the Federal Returning Officer's published file.

    tallyroom seats-de 2025-gesamtergebnis.xml --rules de-2023
    """

    def run() -> RegionalResult:
        pipeline = pipeline_named(rules)
        election = read(file)
        people = read_population(population) if population else None
        if people is None and pipeline.step(Apportion).level is Level.REGIONS_BY_POPULATION:
            raise InvalidVotesError(f"{rules} needs --population (a strukturdaten file)")
        return run_pipeline(pipeline, election.regions(people), election.districts())

    result = guarded(run)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    show_regional(result, "Bundestag")


def show_regional(result: RegionalResult, title: str) -> None:
    """Print a regional allocation under ``title``: the parties, their seats per region
    (district and list), what each step did, and the district winners left without a
    seat."""
    table = DataTable(title=f"{title} — {result.pipeline.name}: House of {result.house_size}")
    for header in ("Party", "List votes", "Districts won", "seated", "List", "Total"):
        table.add_column(header, justify="left" if header == "Party" else "right")
    holders = [p for p in result.parties if p.seats or p.districts_won]
    for p in holders:
        table.add_row(
            p.party,
            f"{p.votes:,}",
            str(p.districts_won),
            str(p.districts_seated),
            str(p.list_seats),
            str(p.seats),
        )
    console.print(table)
    regions = sorted({r for p in holders for r in (*p.by_region, *p.districts_by_region)})
    if regions:
        by_region = DataTable(title="Seats per region")
        for header in ("Region", "Party", "Districts seated", "List", "Total"):
            by_region.add_column(header, justify="right" if header[0] in "DLT" else "left")
        for region in regions:
            shown = region
            for p in holders:
                total = p.by_region.get(region, 0)
                district = p.districts_by_region.get(region, 0)
                if total or district:
                    by_region.add_row(
                        shown, p.party, str(district), str(total - district), str(total)
                    )
                    shown = ""
        console.print(by_region)
    for line in result.trace:
        console.print(escape(line))
    if result.unseated:
        console.print(f"District winners without a seat ({len(result.unseated)}):")
        for d in result.unseated:
            console.print(escape(f"  {d.name} ({d.region}): {d.winner}, {float(d.share):.1%}"))
