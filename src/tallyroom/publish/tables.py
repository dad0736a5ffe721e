"""The downloadable tables of an election at one stage, as CSV and Parquet.

Every table is built from the same views as the pages. CSV cells that a spreadsheet
would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return) are written with a leading apostrophe, so a download can never run code.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import polars as pl

from tallyroom.errors import NotFoundError
from tallyroom.model import Stage

if TYPE_CHECKING:
    from tallyroom.publish.site import Site

DESCRIPTIONS = {
    "party-votes": "Party votes, shares and seats (electorate, list, total) per party.",
    "party-votes-by-electorate": "Party votes per electorate and party.",
    "electorates": "Each electorate's winner, party, majority, valid and informal votes.",
    "candidates": "Candidate votes per electorate and candidate (empty where the returns "
    "leave a candidate out: unknown, not zero).",
    "voting-places": "Candidate votes counted at each voting place and special-vote batch.",
}
"""table name → what it holds; each referendum adds ``referendum-SLUG``."""

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
FORMATS = tuple(MEDIA_TYPES)
_FORMULA = r"^[=+\-@\t\r]"


class UnknownTableError(NotFoundError):
    """No downloadable table by that name."""


def table_names(site: Site, election: str, stage: Stage) -> dict[str, str]:
    """Every table of ``election`` at ``stage`` with its description; ``voting-places``
    only where votes are stored by voting place (it would be empty)."""
    names = dict(DESCRIPTIONS)
    if not site.tally(election, stage).has_place_returns():
        del names["voting-places"]
    for ref in site.referendums(election, stage):
        names[f"referendum-{ref['slug']}"] = (
            f"{ref['name']}: votes and shares per general electorate (ordinary votes by area)."
        )
    return names


def table(site: Site, election: str, stage: Stage, name: str) -> pl.DataFrame:
    """The table ``name`` of ``election`` at ``stage``."""
    if name not in table_names(site, election, stage):
        raise UnknownTableError(
            f"no table {name!r}; tables: {', '.join(table_names(site, election, stage))}"
        )
    if name.startswith("referendum-"):
        return _referendum(site, election, stage, name.removeprefix("referendum-"))
    if name == "party-votes":
        return pl.DataFrame(
            [
                {
                    "party": p["party"],
                    "votes": p["votes"],
                    "percent": p["percent"],
                    "electorate_seats": p["electorate_seats"],
                    "list_seats": p["list_seats"],
                    "seats": p["total"],
                }
                for p in site.parties(election, stage)["parties"]
            ]
        )
    if name == "electorates":  # candidates_missing: only where the returns leave some out
        return pl.from_dicts(site.electorates(election, stage)["electorates"],
                             infer_schema_length=None)  # fmt: skip
    counted = site.tally(election, stage)
    if name == "party-votes-by-electorate":
        rows = [
            (n, counted.electorates[n].name, party, votes)
            for n, contest in sorted(counted.party_by_electorate.items())
            if n is not None
            for party, votes in contest.counts.items()
        ]
        return _frame(rows, ["number", "electorate", "party", "votes"])
    if name == "candidates":
        missing = counted.missing_candidates()
        rows: list[tuple] = []
        for n, contest in sorted(counted.candidates.items()):
            name = counted.electorates[n].name
            rows += [
                (n, name, c, contest.party_of.get(c, ""), v) for c, v in contest.counts.items()
            ]
            # left out of these returns: votes unknown (empty), not zero
            rows += [(n, name, c, party, None) for c, party in missing.get(n, ())]
        return _frame(rows, ["number", "electorate", "candidate", "party", "votes"])
    return pl.DataFrame(
        [
            {"number": n, "electorate": counted.electorates[n].name, **place}
            for n in sorted(counted.electorates)
            for place in site.electorate(election, stage, n)["voting_places"]
        ],
        schema=["number", "electorate", "place", "kind", "count_type", "valid", "informal"],
    )


def _frame(rows: list[tuple], columns: list[str]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=columns, orient="row")


def _referendum(site: Site, election: str, stage: Stage, slug: str) -> pl.DataFrame:
    data = site.referendum(election, stage, slug)["by_electorate"]
    options = data["options"]
    return pl.DataFrame(
        [
            {
                "number": r["number"],
                "electorate": r["name"],
                **{o: r["counts"][o] for o in options},
                "informal": r["informal"],
                **{f"percent_{o}": r["percent"][o] for o in r["percent"]},
                "result": r["result"] or "",
            }
            for r in data["rows"]
        ]
    )


def to_csv(frame: pl.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV with formula-like text cells neutralised."""
    safe = frame.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c, dtype in frame.schema.items()
        if dtype == pl.String
    )
    return safe.write_csv().encode()


def to_parquet(frame: pl.DataFrame) -> bytes:
    """``frame`` as a Parquet file."""
    out = io.BytesIO()
    frame.write_parquet(out)
    return out.getvalue()


def encode(frame: pl.DataFrame, suffix: str) -> bytes:
    """``frame`` as the file a download of that suffix (csv or parquet) holds."""
    return to_csv(frame) if suffix == "csv" else to_parquet(frame)
