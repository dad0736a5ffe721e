"""Stateless calculators: ``tallyroom allocate`` and ``tallyroom rules``."""

from __future__ import annotations

import json
import random
from typing import Annotated

import typer

from tallyroom.cli.app import ANALYSIS, DataTable, JsonOption, app, console, guarded
from tallyroom.countlist import parse_counts
from tallyroom.publish.site import dumped
from tallyroom.publish.views import seats_document
from tallyroom.rules.mmp import MMPResult, allocate_mmp
from tallyroom.rules.steps import PIPELINES, pipeline_named
from tallyroom.rules.systems import SYSTEMS, named


@app.command(rich_help_panel=ANALYSIS)
def allocate(
    votes: Annotated[
        str,
        typer.Option(
            help='Party votes: "Party=votes,Party=votes,…" or @file.csv (name,votes rows).',
        ),
    ],
    electorates: Annotated[
        str | None,
        typer.Option(help='Electorate seats won per party: "Party=seats,…" or @file.csv.'),
    ] = None,
    independents: Annotated[
        int,
        typer.Option(
            min=0, help="Electorate seats won by independents or parties not on the party ballot."
        ),
    ] = 0,
    vacant: Annotated[
        int, typer.Option(min=0, help="Electorates with no result (cancelled poll, by-election).")
    ] = 0,
    rules: Annotated[str, typer.Option(help=f"Named rule set: {', '.join(SYSTEMS)}.")] = "nz",
    seats: Annotated[
        int | None, typer.Option(min=1, help="Seats in the House (default: the rule set's).")
    ] = None,
    threshold: Annotated[
        str | None,
        typer.Option(help="Party-vote threshold as a share, e.g. 0.05 (default: the rule set's)."),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            help="Apportionment method: sainte-lague, modified-sainte-lague, dhondt, "
            "huntington-hill, adams, hare, droop (default: the rule set's)."
        ),
    ] = None,
    lot: Annotated[
        int | None,
        typer.Option(help="Seed for drawing lots if parties tie for the last seat."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Allocate the seats of an MMP House from party votes and electorate wins.

    A stateless calculator: nothing is read from or written to a results store.
    Names must match exactly between --votes and --electorates.

    Example, with votes.csv holding "party,votes" rows for every party on the party
    ballot and won.csv "party,seats" rows for the electorates each party won:

    tallyroom allocate --votes @votes.csv --electorates @won.csv --json
    """

    def run() -> MMPResult:
        ruleset = named(rules)
        changes = {
            k: v
            for k, v in {"seats": seats, "threshold": threshold, "method": method}.items()
            if v is not None
        }
        if changes:
            ruleset = ruleset.with_changes(**changes)
        return allocate_mmp(
            parse_counts(votes, "--votes"),
            parse_counts(electorates, "--electorates") if electorates else {},
            ruleset,
            other_electorates=independents,
            vacant_electorates=vacant,
            lot=random.Random(lot) if lot is not None else None,
        )

    result = guarded(run)
    if as_json:
        document = dumped(seats_document(result))
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        console.print(seat_table(result))
        for note in seat_notes(result):
            console.print(note)


def seat_table(result: MMPResult) -> DataTable:
    """A Rich table of an MMP allocation: one row per party and a total row."""
    rules = result.rules
    table = DataTable(
        title=f"Seat allocation — {rules.name}: {rules.seats} seats, {rules.method.value}, "
        f"threshold {float(rules.threshold):.1%}",
    )
    for header in ("Party", "Votes", "%", "Electorate", "List", "Total"):
        table.add_column(header, justify="left" if header == "Party" else "right")
    for p in result.parties:
        mark = "✓ " if p.qualified else "  "
        table.add_row(
            mark + p.party,
            f"{p.votes:,}",
            f"{p.share:.2%}",
            str(p.electorate),
            str(p.list_seats),
            str(p.total),
            style=None if p.qualified else "dim",
        )
    table.add_section()
    table.add_row("Total", f"{result.total_votes:,}", "100.00%", "", "", str(result.house_size))
    return table


def seat_notes(result: MMPResult) -> list[str]:
    """Lines to print under the seat table: the House, then one line per tie."""
    house = [f"✓ qualifies · House of {result.house_size}"]
    if result.overhang:
        house.append(f"overhang {result.overhang}")
    if result.other_electorates:
        house.append(f"{result.other_electorates} other electorate seat(s)")
    if result.vacant:
        house.append(f"{result.vacant} vacant")
    lines = [" · ".join(house)]
    for tie in result.ties:
        if tie.lot_winners:
            winners = ", ".join(tie.lot_winners)
            lines.append(f"Tie for {tie.seats} seat(s) drawn by lot: {winners}")
        else:
            names = " / ".join(tie.parties)
            lines.append(f"TIE for {tie.seats} seat(s) between {names} (use --lot to draw)")
    return lines


@app.command("rules", rich_help_panel=ANALYSIS)
def show_rules(
    name: Annotated[str | None, typer.Argument(help="A rule set to show in full.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the named rule sets, or show one step by step (in words, or as JSON)."""
    if name:
        pipeline = guarded(lambda: pipeline_named(name))
        if as_json:
            data = pipeline.to_dict()
            if name in SYSTEMS:  # the flat New Zealand record, as before, plus its steps
                data = {**SYSTEMS[name].to_dict(), "steps": data["steps"]}
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        console.print(f"[bold]{pipeline.name}[/bold]: {pipeline.description}")
        for line in pipeline.words():
            console.print(line)
        return
    if as_json:
        data = [p.to_dict() for p in PIPELINES.values()]
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = DataTable(title="Rule sets")
    for header in ("Name", "Steps", "Description"):
        table.add_column(header)
    for p in PIPELINES.values():
        table.add_row(p.name, str(len(p.steps)), p.description)
    console.print(table)
