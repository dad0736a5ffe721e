"""``tallyroom split ELECTION``: the split-vote tables, party vote × electorate vote."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer

from tallyroom.cli.app import ANALYSIS, DataTable, DbOption, JsonOption, app, console, guarded
from tallyroom.publish.site import Site
from tallyroom.store.database import open_store


class Scope(StrEnum):
    """The national split-vote tables."""

    ALL = "all"
    GENERAL = "general"
    MAORI = "maori"


@app.command(rich_help_panel=ANALYSIS)
def split(
    election: Annotated[str, typer.Argument(help="Election id, e.g. nz-2023.")],
    electorate: Annotated[
        int | None,
        typer.Option(help="A general electorate's number: its table, candidate by candidate."),
    ] = None,
    scope: Annotated[
        Scope, typer.Option(help="The national table to print: all, general or Māori electorates.")
    ] = Scope.ALL,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Split voting, from the Electoral Commission's split-vote tables as imported: how
    many of each party's voters also gave their electorate vote to its candidate, and
    the matrix of party vote (rows) by electorate vote (columns, in per cent) for the
    whole country, the general or Māori electorates, or one general electorate."""
    data: dict[str, Any] = guarded(lambda: Site(open_store(db)).split_votes(election))
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    summary = DataTable(
        title=f"{election}: party voters who voted for the same party's candidate",
        caption="As published by the Electoral Commission (split-votes-summary.csv)",
    )
    for header in ("Party vote", "Party voters", "Same party", "%", "Split", "%"):
        summary.add_column(header, justify="left" if header == "Party vote" else "right")
    for r in data["summary"]:
        summary.add_row(
            r["party"],
            f"{r['party_votes']:,}",
            f"{r['same_votes']:,}",
            f"{r['same_percent']:.2f}",
            f"{r['split_votes']:,}",
            f"{r['split_percent']:.2f}",
        )
    console.print(summary)
    wanted = f"electorate:{electorate}" if electorate is not None else scope.value
    table = next((t for t in data["tables"] if t["scope"] == wanted), None)
    if table is None:
        known = [str(t["electorate"]) for t in data["tables"] if t["electorate"] is not None]
        where = (
            f"electorate {electorate}"
            if electorate is not None
            else f"the {scope.value} electorates"
        )
        console.print(
            f"No split-vote matrix is stored for {where}"
            + (f" (general electorates with one: {', '.join(known)})" if known else "")
        )
        return
    _matrix(table)


SHOWN_SHARE = 1.0
"""electorate votes taking less of a party's voters than this are left out of the printed
table (``--json`` has every cell)"""


def _matrix(table: dict[str, Any]) -> None:
    """The matrix one party vote to a row: where its voters' electorate votes went, the
    largest share first (a terminal is too narrow for a column per candidate)."""
    if table["cancelled"]:
        console.print(f"{table['name']}: the candidate poll was cancelled; nothing to split.")
        return
    matrix = DataTable(
        title=f"{table['name']}: where each party's voters gave their electorate vote",
        caption=f"% of the party's voters; shares under {SHOWN_SHARE:g} % are left out (--json "
        "has all)",
    )
    matrix.add_column("Party vote")
    matrix.add_column("Voters", justify="right")
    matrix.add_column("Electorate vote")
    for r in table["rows"]:
        went = sorted(zip(r["percent"], table["columns"], strict=True), key=lambda x: -x[0])
        matrix.add_row(
            r["party"],
            f"{r['party_votes']:,}",
            " · ".join(
                f"{_label(column)} {share:.1f}" for share, column in went if share >= SHOWN_SHARE
            ),
        )
    console.print(matrix)


def _label(column: dict[str, str]) -> str:
    """A column as a reader knows it: a candidate with their party, or a party."""
    if column["party"] and column["party"] != column["name"]:
        return f"{column['display']} ({column['party']})"
    return column["display"]
