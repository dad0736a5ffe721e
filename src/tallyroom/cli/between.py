"""``tallyroom compare EARLIER LATER``: what changed from one election to the next."""

from __future__ import annotations

import json

import typer

from tallyroom.analysis.between import BetweenElections, compare_elections, final_stage
from tallyroom.cli.app import DataTable, console, guarded
from tallyroom.figures import signed
from tallyroom.results import stages, tally
from tallyroom.store.database import open_store

SHOWN_PERCENT = 1.0
"""parties below this share at both elections, and without seats, are left out of the
printed table (the JSON has them all)"""


def show_between(earlier: str, later: str, db: str | None, as_json: bool) -> None:
    """Print the national swing, seats gained and lost, the electorates that changed
    party and each electorate's swing (or all of it as JSON)."""

    def run() -> BetweenElections:
        engine = open_store(db)
        first, second = (tally(engine, e, final_stage(stages(engine, e))) for e in (earlier, later))
        return compare_elections(first, second)

    result = guarded(run)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str))
        return
    first, second = result.elections
    table = DataTable(
        title=f"{first} → {second}: party vote and seats",
        caption=f"Valid party votes {result.valid_party_votes[0]:,} → "
        f"{result.valid_party_votes[1]:,}; House of {result.house_size[0]} → "
        f"{result.house_size[1]}",
    )
    for header in ("Party", f"% {first}", f"% {second}", "Swing", "Seats"):
        table.add_column(header, justify="left" if header == "Party" else "right")
    for p in result.parties:
        if not any(p.seats) and max(p.percent) < SHOWN_PERCENT:
            continue
        change = f" ({p.seat_change:+d})" if p.seat_change else ""
        table.add_row(
            p.party,
            f"{p.percent[0]:.2f}",
            f"{p.percent[1]:.2f}",
            signed(p.swing),
            f"{p.seats[0]} → {p.seats[1]}{change}",
        )
    console.print(table)
    console.print(f"{len(result.changed)} electorates changed party:")
    for c in result.changed:
        console.print(f"  {c.name}: {c.before[1]} → {c.after[1]} ({c.after[0]}, by {c.after[2]:,})")
    for election, name in result.no_result:
        console.print(f"{name} has no candidate result in {election}: not compared.")
    for name in result.unmatched:
        console.print(f"Not in both elections (boundaries redrawn): {name}")
    _by_electorate(result)


def _by_electorate(result: BetweenElections) -> None:
    """Each shared electorate's party-vote swing for the parties with seats."""
    seated = [p.party for p in result.parties if any(p.seats)]
    table = DataTable(title="Party-vote swing by electorate (points)")
    table.add_column("Electorate")
    table.add_column("Won by")
    for party in seated:
        table.add_column(party, justify="right")
    for e in result.electorates:
        won = " → ".join(p or "independent" if p is not None else "no result"
                         for p in e.winner_party)  # fmt: skip
        table.add_row(e.name, won, *(signed(e.swing(p)) for p in seated))
    console.print(table)
