"""NZ general elections 2002–2017 by voting place (``voting-place-results-2002-2017.csv.gz``).

Columns ``year, electorate_number, electorate, voting_place_id, approx_location,
voting_place, vote_type, party, candidate, votes``; one election per year. Special votes
appear as pseudo voting places and become special-vote returns of the matching kind;
"polling places where less than 6 votes were taken" is one ordinary-vote return. The
file does not say whether a place's votes were advance or election-day, and some places
appear more than once (one row each time they were used): their rows are summed into one
ordinary-vote return per place. Party names are kept as published; see
:mod:`tallyroom.importers.nz_parties` for the names the same party has had.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from tallyroom.gc_pause import paused_collection
from tallyroom.importers.errors import FileFormatError
from tallyroom.importers.nz import nz_election, roll_of
from tallyroom.importers.options import ReadOptions
from tallyroom.model import (
    NATION_UNIT,
    PARTY_CONTEST,
    RETURN_KEY,
    Choice,
    Contest,
    ContestKind,
    CountType,
    Dataset,
    Electorate,
    Party,
    ReturnTable,
    Stage,
    Unit,
    UnitKind,
    candidate_contest,
    electorate_unit,
)

HEADER = [
    "year",
    "electorate_number",
    "electorate",
    "voting_place_id",
    "approx_location",
    "voting_place",
    "vote_type",
    "party",
    "candidate",
    "votes",
]
PSEUDO_PLACES = [  # (prefix, count type, unit suffix), matched case-insensitively
    ("special votes before polling day", CountType.SPECIAL_BEFORE, "special"),
    ("special votes on polling day", CountType.SPECIAL_ON, "special"),
    ("overseas special votes", CountType.OVERSEAS, "special"),
    ("polling places where less than 6 votes were taken", CountType.ORDINARY, "small-places"),
]


@paused_collection()
def read(paths: Sequence[Path], options: ReadOptions) -> list[Dataset]:
    """One dataset per election year in the file (or only ``options.election``)."""
    if len(paths) != 1:
        raise FileFormatError("the history format reads one file")
    path = paths[0]
    frame = _load(path)
    years = sorted(frame["year"].unique().to_list())
    if options.election:
        wanted = options.election.removeprefix("nz-")
        if wanted not in years:
            raise FileFormatError(
                f"{path}: no rows for {options.election}; years: {', '.join(years)}"
            )
        years = [wanted]
    stage = options.stage or Stage.OFFICIAL
    contest = (
        pl.when(pl.col("vote_type") == "party")
        .then(pl.lit(PARTY_CONTEST))
        .otherwise(
            pl.concat_str([pl.lit("candidate:"), pl.col("electorate_number").cast(pl.String)])
        )
    )
    frame = frame.with_columns(contest.alias("contest"), pl.lit(stage.value).alias("stage"))
    by_year = {key[0]: part for key, part in frame.partition_by("year", as_dict=True).items()}
    return [_election(path, by_year[year], int(year)) for year in years]


def _returns(path: Path, rows: pl.DataFrame, year: int) -> ReturnTable:
    """One year's returns, lazily: counts summed per place and choice, informal beside them.

    Aggregating a year at a time keeps the hash tables small (about twice as fast as the
    whole file at once), and lazily lets the store write one year while the next is summed.
    """
    rows_ = rows.lazy()
    counts = (
        rows_.filter(~pl.col("informal"))
        .group_by([*RETURN_KEY, "choice"])
        .agg(pl.col("votes").sum())
    )
    informal = (
        rows_.filter(pl.col("informal"))
        .group_by(RETURN_KEY)
        .agg(pl.col("votes").sum().alias("informal"))
    )
    heads = (
        counts.select(RETURN_KEY)
        .unique()
        .join(informal, on=RETURN_KEY, how="full", coalesce=True)
        .with_columns(
            pl.col("informal").fill_null(0),
            pl.concat_str([pl.lit(f"{path} ({year}, "), pl.col("unit"), pl.lit(")")]).alias(
                "where"
            ),
        )
    )
    return ReturnTable(heads, counts)


def _load(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_csv(path, infer_schema_length=0, encoding="utf8")
    except (pl.exceptions.ComputeError, OSError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
        raise FileFormatError(
            f"{path}: not the voting-place history CSV ({first_line}); nz-history reads "
            "voting-place-results-2002-2017.csv.gz"
        ) from None
    if frame.columns != HEADER:
        raise FileFormatError(
            f"{path}, line 1: expected the columns {', '.join(HEADER)}; "
            f"found {', '.join(frame.columns)}"
        )
    frame = frame.with_row_index("line", offset=2)
    for column in ("year", "electorate_number", "votes"):
        bad = frame.filter(~pl.col(column).fill_null("").str.contains(r"^\d+$"))
        if bad.height:
            row = bad.row(0, named=True)
            raise FileFormatError(
                f"{path}, line {row['line']}, column {column!r}: expected a whole number, "
                f"found {row[column]!r}"
            )
    bad = frame.filter(~pl.col("vote_type").is_in(["party", "candidate"]))
    if bad.height:
        row = bad.row(0, named=True)
        raise FileFormatError(
            f"{path}, line {row['line']}, column 'vote_type': expected party "
            f"or candidate, found {row['vote_type']!r}"
        )
    place = pl.col("voting_place").fill_null("")
    pseudo = place.str.to_lowercase().str.extract(
        "^(" + "|".join(p for p, _, _ in PSEUDO_PLACES) + ")"
    )
    kind = pseudo.replace_strict(
        {p: k.value for p, k, _ in PSEUDO_PLACES}, default=CountType.ORDINARY.value
    )
    place_code = pl.concat_str(
        [
            pl.lit("place:"),
            pl.coalesce(
                pl.col("voting_place_id"),
                pl.concat_str([pl.col("approx_location").fill_null(""), place], separator="|"),
            ),
        ]
    )
    suffix = pseudo.replace_strict({p: u for p, _, u in PSEUDO_PLACES}, default=None)
    suffix = pl.coalesce(suffix, place_code)
    informal = pl.col("party").fill_null("").str.to_lowercase().str.starts_with("informal")
    return frame.with_columns(
        pl.col("electorate_number").cast(pl.Int64),
        pl.col("votes").cast(pl.Int64),
        kind.alias("count_type"),
        pl.concat_str(
            [pl.lit("electorate:"), pl.col("electorate_number"), pl.lit("/"), suffix]
        ).alias("unit"),
        informal.alias("informal"),
        pl.when(pl.col("vote_type") == "party")
        .then(pl.col("party"))
        .otherwise(pl.col("candidate"))
        .alias("choice"),
    )


def _election(path: Path, frame: pl.DataFrame, year: int) -> Dataset:
    """One year's definitions and returns from its rows."""
    data = Dataset(nz_election(year), table=_returns(path, frame, year))
    names = frame.select("electorate_number", "electorate").unique().sort("electorate_number")
    if names["electorate_number"].n_unique() != names.height:
        raise FileFormatError(f"{path}: an electorate number has two names in {year}")
    total = names["electorate_number"].max()
    data.electorates = [Electorate(n, name, roll_of(n, total)) for n, name in names.iter_rows()]
    data.contests = [Contest(PARTY_CONTEST, ContestKind.PARTY, "Party vote")] + [
        Contest(candidate_contest(n), ContestKind.CANDIDATE, f"{name} electorate vote", n)
        for n, name in names.iter_rows()
    ]
    units = frame.group_by("unit").agg(
        pl.col("electorate_number").first(),
        pl.col("voting_place").first(),
        pl.col("approx_location").first(),
        pl.col("count_type").first(),
    )
    data.units = [Unit(NATION_UNIT, UnitKind.NATION, "New Zealand")] + [
        Unit(electorate_unit(n), UnitKind.ELECTORATE, name, n) for n, name in names.iter_rows()
    ]
    special = {k.value for k in CountType if k.is_special}
    for code, number, place, location, count_type in units.sort("unit").iter_rows():
        if count_type in special:
            data.units.append(Unit(code, UnitKind.SPECIAL_BATCH, "Special votes", number))
        else:
            name = ", ".join(p for p in (place, location) if p)
            data.units.append(Unit(code, UnitKind.VOTING_PLACE, name, number))
    valid = frame.filter(~pl.col("informal"))
    party_rows = valid.filter(pl.col("vote_type") == "party")
    data.parties = [Party(p) for p in sorted(party_rows["party"].unique())]
    choices = valid.select("contest", "choice", "party").unique()
    data.choices = [
        Choice(c, name, party or "")
        for c, name, party in choices.sort("contest", "choice").iter_rows()
    ]
    return data
