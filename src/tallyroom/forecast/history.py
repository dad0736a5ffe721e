"""Earlier elections as the special-vote model reads them: night and final votes.

One row per election year, electorate, contest kind (``party`` or ``candidate``) and
*key*, with the votes counted on election night (ordinary votes) and in the final count
(ordinary plus special). A key is the party's name across elections
(:func:`~tallyroom.importers.nz_parties.canonical_party`) for party votes and for a party's
candidate; an independent candidate's key is ``candidate:`` and their name. Where an
election's files give ordinary and special votes apart, *night* is the ordinary votes of
the final count; where they do not (2020's party votes), *night* is the election-night
count and special votes are what the final count added.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import polars as pl

from tallyroom.errors import InvalidError
from tallyroom.importers.nz_parties import canonical_party
from tallyroom.model import CountType, Dataset, UnitKind

SCHEMA = {
    "year": pl.Int64,
    "electorate": pl.Int64,
    "name": pl.String,
    "contest": pl.String,
    "key": pl.String,
    "night": pl.Int64,
    "final": pl.Int64,
}
_SPECIAL = [c.value for c in CountType if c.is_special]
_LEVEL = {UnitKind.NATION: 0, UnitKind.ELECTORATE: 1}  # finer units are level 2


class HistoryError(InvalidError, ValueError):
    """A history table that does not have the expected columns."""


def choice_key(contest: str, choice: str, party: str) -> str:
    """The key of a party (``contest == "party"``) or of a candidate standing for ``party``."""
    if contest == "party":
        return canonical_party(choice)
    if party and party.casefold() != "independent":
        return canonical_party(party)
    return f"candidate:{choice}"


def place_key(name: str) -> str:
    """An electorate's name for matching across elections: no macrons, case or spacing."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(plain.casefold().replace("-", " ").split())


def votes_by_key(data: Dataset) -> pl.DataFrame:
    """Votes per electorate, contest kind, key and whether special, from one dataset.

    For each contest and electorate only the finest reporting units count (voting places
    over an electorate-wide return), as in the tally."""
    table = data.return_table()
    units = pl.DataFrame(
        {
            "unit": [u.code for u in data.units],
            "electorate": [u.electorate for u in data.units],
            "level": [_LEVEL.get(u.kind, 2) for u in data.units],
        },
        schema={"unit": pl.String, "electorate": pl.Int64, "level": pl.Int64},
    )
    keys = pl.DataFrame(
        {
            "contest": [c.contest for c in data.choices],
            "choice": [c.name for c in data.choices],
            "key": [
                choice_key("party" if c.contest == "party" else "candidate", c.name, c.party)
                for c in data.choices
            ],
        },
        schema={"contest": pl.String, "choice": pl.String, "key": pl.String},
    ).unique(["contest", "choice"])
    counts = (
        table.counts.join(units, on="unit")
        .filter(pl.col("electorate").is_not_null())
        .filter(pl.col("level") == pl.col("level").max().over("contest", "electorate"))
        .join(keys, on=["contest", "choice"], how="left")
        .with_columns(
            pl.when(pl.col("contest") == "party")
            .then(pl.lit("party"))
            .otherwise(pl.lit("candidate"))
            .alias("kind"),
            pl.col("count_type").is_in(_SPECIAL).alias("special"),
            pl.col("key").fill_null(pl.lit("candidate:") + pl.col("choice")),
        )
    )
    return counts.group_by("electorate", "kind", "key", "special").agg(pl.col("votes").sum())


def split_history(data: Dataset, year: int) -> pl.DataFrame:
    """History rows of an election whose returns give ordinary and special votes apart."""
    votes = votes_by_key(data)
    wide = votes.group_by("electorate", "kind", "key").agg(
        night=pl.col("votes").filter(~pl.col("special")).sum(),
        final=pl.col("votes").sum(),
    )
    return _named(wide, data, year)


def staged_history(night: Dataset, final: Dataset, year: int) -> pl.DataFrame:
    """History rows of an election whose election-night and final counts are two datasets."""
    on = ["electorate", "kind", "key"]
    first = votes_by_key(night).group_by(on).agg(night=pl.col("votes").sum())
    last = votes_by_key(final).group_by(on).agg(final=pl.col("votes").sum())
    wide = first.join(last, on=on, how="full", coalesce=True).fill_null(0)
    return _named(wide, final, year)


def _named(wide: pl.DataFrame, data: Dataset, year: int) -> pl.DataFrame:
    names = pl.DataFrame(
        {
            "electorate": [e.number for e in data.electorates],
            "name": [e.name for e in data.electorates],
        },
        schema={"electorate": pl.Int64, "name": pl.String},
    )
    return (
        wide.join(names, on="electorate")
        .with_columns(pl.lit(year).alias("year"), pl.col("kind").alias("contest"))
        .select(list(SCHEMA))
        .cast(SCHEMA)
        .sort("year", "electorate", "contest", "key")
    )


def read_history(path: Path) -> pl.DataFrame:
    """A history table written by :func:`write_history`."""
    frame = pl.read_csv(path, schema_overrides=SCHEMA)
    missing = set(SCHEMA) - set(frame.columns)
    if missing:
        raise HistoryError(f"{path}: missing columns {', '.join(sorted(missing))}")
    return frame.select(list(SCHEMA))


def write_history(frame: pl.DataFrame, path: Path) -> None:
    """Write a history table as CSV (the bundled form)."""
    frame.select(list(SCHEMA)).write_csv(path)
