"""The Electoral Commission's split-vote tables: party vote × electorate vote.

Read by :mod:`tallyroom.importers.nz_official` when they lie beside the results:

* ``split-votes-summary.csv`` (2017 on): for each party, its party votes and how many of
  its voters gave their electorate vote to the party's own candidate ("Non Split") or
  to another ("Split"), as votes and per cent, with a total row. Every row's two parts
  must add up to its party votes, each per cent must be its votes' share, and the total
  row the sum of the rows.
* ``split-votes-all.csv``, ``-general.csv``, ``-maori.csv``: for each party vote, the
  per cent of its voters whose electorate vote went to each party's candidates (or to
  independents, an informal vote, no electorate vote), over all, the general or the
  Māori electorates.
* ``split-votes-electorate-N.csv`` (general electorates): the same per candidate of
  electorate N, each column headed ``SURNAME, Given (Party)``.

In a matrix every per cent lies between 0 and 100 and a row's per cents add up to 100
(to the rounding of its cells) and are stated so in its ``Total %`` column; over all or
the general electorates in 2023 they add up to less, as published, because Port
Waikato's party votes had no electorate vote to split.

The reader then checks the tables against each other and against the results
(:func:`reconcile`): each party's votes in the summary (and the national matrix) equal
its party votes counted, when the national party table is read too; the national
matrix's own-party cell equals the summary's "Non Split" share; each electorate table
names that electorate, its columns are the electorate's candidates, and each row's party
votes are the party's votes counted there.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import polars as pl

from tallyroom.importers.csvfile import count, rows
from tallyroom.importers.errors import FileFormatError, ReconciliationError
from tallyroom.model import (
    PARTY_CONTEST,
    SPLIT_INFORMAL,
    SPLIT_NATION,
    SPLIT_OTHER,
    SPLIT_PARTY_ONLY,
    SPLIT_SAME,
    SPLIT_TOTAL,
    Dataset,
    Roll,
    SplitVote,
    candidate_contest,
    electorate_unit,
)

SUMMARY = "split-votes-summary.csv"
NATIONAL = {"split-votes-all.csv": "all", "split-votes-general.csv": "general",
            "split-votes-maori.csv": "maori"}  # fmt: skip
ELECTORATE_FILE = re.compile(r"split-votes-electorate-(\d+)\.csv$")
_SCOPE_TITLES = {"all": "All Electorates", "general": "General Electorates",
                 "maori": "Māori Electorates"}  # fmt: skip
_ROW_LABELS = {"Informal Party Votes": SPLIT_INFORMAL,
               "Total Party Votes and Percentages": SPLIT_TOTAL}  # fmt: skip
_COLUMN_LABELS = {"Candidate Informals": SPLIT_INFORMAL,
                  "Informal Candidate Votes": SPLIT_INFORMAL,
                  "Party Vote Only": SPLIT_PARTY_ONLY}  # fmt: skip
_SUMMARY_HEADER = (
    ["Party", "Total Party Votes", "Non Split Candidate Votes", "", "Split Candidate Votes", ""],
    ["", "", "Votes", "%", "Votes", "%"],
)
CANCELLED = "(Poll Cancelled)"
_HUNDRED = 10_000
"""100 % in hundredths of a per cent."""


def is_split_file(path: Path) -> bool:
    """Whether ``path`` is one of the split-vote tables, by its published name."""
    return path.name == SUMMARY or path.name in NATIONAL or bool(ELECTORATE_FILE.search(path.name))


@dataclass(frozen=True)
class Table:
    """One split-vote table as read: its scope, its first header cell, its cells."""

    path: Path
    scope: str
    title: str
    cells: list[SplitVote]


def read(files: Iterable[Path]) -> list[Table]:
    """Every split-vote table among ``files``, each checked on its own."""
    found: list[Table] = []
    for path in files:
        if path.name == SUMMARY:
            found.append(Table(path, SPLIT_NATION, "", read_summary(path)))
        elif path.name in NATIONAL:
            found.append(read_matrix(path, NATIONAL[path.name]))
        elif m := ELECTORATE_FILE.search(path.name):
            found.append(read_matrix(path, electorate_unit(int(m.group(1)))))
    return found


def read_summary(path: Path) -> list[SplitVote]:
    """The nationwide summary: each party's straight and split electorate votes."""
    lines = list(rows(path))
    for (line, cells), expected in zip(lines[1:3], _SUMMARY_HEADER, strict=False):
        if [c.strip() for c in cells] != expected:
            raise FileFormatError(
                f"{path}, line {line}: expected the header {','.join(expected)!r}, "
                f"found {','.join(cells)!r}"
            )
    found: list[SplitVote] = []
    sums = [0, 0, 0]
    for line, cells in lines[3:]:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != 6:
            raise FileFormatError(f"{path}, line {line}: expected 6 fields, found {len(cells)}")
        party = _ROW_LABELS.get(cells[0].strip(), cells[0].strip())
        total, same, split = (count(cells[i], path, line, _SUMMARY_HEADER[0][i]) for i in (1, 2, 4))
        if same + split != total:
            raise ReconciliationError(
                f"{path}, line {line}: {party} has {same:,} non-split and {split:,} split "
                f"votes, {same + split:,} in all, but {total:,} party votes"
            )
        shares = [_percent(cells[i], path, line, f"{_SUMMARY_HEADER[0][i - 1]} %") for i in (3, 5)]
        for votes, stated, what in zip((same, split), shares, ("non-split", "split"), strict=True):
            if total and abs(votes * _HUNDRED / total - stated) > 1:
                raise ReconciliationError(
                    f"{path}, line {line}: {party}'s {what} share is stated as "
                    f"{stated / 100:.2f} %; {votes:,} of {total:,} is "
                    f"{votes * 100 / total:.2f} %"
                )
        if party == SPLIT_TOTAL:
            for stated, summed, column in zip((total, same, split), sums, (1, 2, 4), strict=True):
                if stated != summed:
                    raise ReconciliationError(
                        f"{path}, line {line}, column {_SUMMARY_HEADER[0][column]!r}: the "
                        f"total row says {stated:,}; the rows above add up to {summed:,}"
                    )
        else:
            sums = [sums[0] + total, sums[1] + same, sums[2] + split]
        found += [
            SplitVote(SPLIT_NATION, party, total, SPLIT_SAME, shares[0], same),
            SplitVote(SPLIT_NATION, party, total, SPLIT_OTHER, shares[1], split),
        ]
    if not any(v.party == SPLIT_TOTAL for v in found):
        raise FileFormatError(f"{path}: no 'Total Party Votes and Percentages' row; truncated?")
    return found


def read_matrix(path: Path, scope: str) -> Table:
    """A matrix of party votes (rows) by electorate vote (columns), in per cent."""
    lines = list(rows(path))
    if not lines:
        raise FileFormatError(f"{path}: empty")
    line, header = lines[0]
    title = header[0].strip() if header else ""
    expected = _SCOPE_TITLES.get(scope)
    if (
        len(header) < 4
        or header[1].strip() != "Total Party Votes"
        or header[-1].strip() != "Total %"
        or (expected is not None and title != expected)
    ):
        raise FileFormatError(
            f"{path}, line {line}: expected a header '{expected or '<NN Electorate>'},Total "
            f"Party Votes,<electorate vote columns>,Total %', found {','.join(header)!r}"
        )
    columns = [_COLUMN_LABELS.get(c.strip(), c.strip()) for c in header[2:-1]]
    partial = scope in ("all", "general") or CANCELLED in title  # see the module docstring
    found: list[SplitVote] = []
    rows_votes = 0
    for line, cells in lines[1:]:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise FileFormatError(
                f"{path}, line {line}: expected {len(header)} fields, found {len(cells)}"
            )
        party = _ROW_LABELS.get(cells[0].strip(), cells[0].strip())
        votes = count(cells[1], path, line, "Total Party Votes")
        shares = [
            _percent(c, path, line, name) for c, name in zip(cells[2:-1], columns, strict=True)
        ]
        # a cancelled poll's rows are all 0.00: no electorate vote to split
        stated_total = 0 if CANCELLED in title else _HUNDRED
        if _percent(cells[-1], path, line, "Total %") != stated_total or (
            CANCELLED in title and any(shares)
        ):
            raise FileFormatError(
                f"{path}, line {line}, column 'Total %': expected {stated_total / 100:.2f}"
                f"{' and no shares (the poll was cancelled)' if not stated_total else ''}, "
                f"found {cells[-1]!r}"
            )
        slack = len(shares)  # each cell is rounded to a hundredth of a per cent
        if sum(shares) > _HUNDRED + slack or (
            not partial and votes and sum(shares) < _HUNDRED - slack
        ):
            raise ReconciliationError(
                f"{path}, line {line}: {party}'s shares add up to {sum(shares) / 100:.2f} %, "
                "not 100 %"
            )
        if party == SPLIT_TOTAL and votes != rows_votes:
            raise ReconciliationError(
                f"{path}, line {line}, column 'Total Party Votes': the total row says "
                f"{votes:,}; the rows above add up to {rows_votes:,}"
            )
        rows_votes += 0 if party == SPLIT_TOTAL else votes
        found += [
            SplitVote(scope, party, votes, column, share)
            for column, share in zip(columns, shares, strict=True)
        ]
    if not any(v.party == SPLIT_TOTAL for v in found):
        raise FileFormatError(f"{path}: no 'Total Party Votes and Percentages' row; truncated?")
    return Table(path, scope, title, found)


def reconcile(tables: list[Table], data: Dataset, *, national: bool) -> list[SplitVote]:
    """The tables checked against each other and against the results in ``data``;
    ``national``: ``data`` holds every electorate's party votes (the national party table
    was read), so national totals can be compared."""
    counted = _party_votes(data)
    summary = {
        v.party: v
        for t in tables
        if t.scope == SPLIT_NATION
        for v in t.cells
        if v.choice == SPLIT_SAME
    }
    parties = set(summary) - {SPLIT_INFORMAL, SPLIT_TOTAL}
    for table in tables:
        for v in table.cells if table.scope in (SPLIT_NATION, "all") else ():
            expected = counted.get((None, v.party)) if national else None
            if national and expected is None:
                raise ReconciliationError(
                    f"{table.path}: {v.party!r} is not a party of the results (a party's "
                    "name must be the same in the split-vote tables and the party votes)"
                )
            if expected is not None and v.party_votes != expected:
                raise ReconciliationError(
                    f"{table.path}: {v.party} has {v.party_votes:,} party votes; the "
                    f"results count {expected:,}"
                )
            if table.scope == "all" and v.choice == v.party and v.party in parties:
                stated = summary[v.party].hundredths
                if v.hundredths != stated:
                    raise ReconciliationError(
                        f"{table.path}: {v.hundredths / 100:.2f} % of {v.party}'s party "
                        f"voters gave their electorate vote to its candidate; {SUMMARY} says "
                        f"{stated / 100:.2f} %"
                    )
        if table.scope.startswith("electorate:"):
            _check_electorate(table, data, counted)
    found: list[SplitVote] = []
    for table in tables:
        if not table.scope.startswith("electorate:"):
            found += table.cells
            continue
        names = _candidate_headings(data, _number(table.scope))
        headed = {
            c: names[_heading(c)] for c in {v.choice for v in table.cells} if _heading(c) in names
        }
        found += [  # a candidate by name, as the results name them
            SplitVote(v.scope, v.party, v.party_votes, headed[v.choice], v.hundredths, v.votes)
            if v.choice in headed
            else v
            for v in table.cells
        ]
    return found


def _number(scope: str) -> int:
    return int(scope.removeprefix("electorate:"))


def _heading(text: str) -> str:
    """A column heading ``NAME (Party)`` with the spaces before its brackets closed."""
    return re.sub(r"\s+\)", ")", " ".join(text.split()))


def _candidate_headings(data: Dataset, number: int) -> dict[str, str]:
    """Electorate ``number``'s candidates by their split-table heading, ``NAME (Party)``."""
    contest = candidate_contest(number)
    return {_heading(f"{c.name} ({c.party})"): c.name for c in data.choices if c.contest == contest}


def _check_electorate(
    table: Table, data: Dataset, counted: dict[tuple[int | None, str], int]
) -> None:
    """An electorate's table: its number, name, candidates and party votes, against the results."""
    number = _number(table.scope)
    electorate = next((e for e in data.electorates if e.number == number), None)
    if electorate is None or electorate.roll is not Roll.GENERAL:
        raise FileFormatError(f"{table.path}: no general electorate {number} in the results")
    stated = re.fullmatch(r"0*(\d+)\s+(.+?)(\s*\(Poll Cancelled\))?", table.title, re.DOTALL)
    if not stated or int(stated.group(1)) != number or stated.group(2) != electorate.name:
        raise FileFormatError(
            f"{table.path}, line 1: expected '{number:02d} {electorate.name}' as the first "
            f"cell, found {table.title!r}"
        )
    headed = _candidate_headings(data, number)
    unknown = {
        c
        for c in {v.choice for v in table.cells} - {SPLIT_INFORMAL, SPLIT_PARTY_ONLY}
        if _heading(c) not in headed
    }
    for v in table.cells:
        if v.choice in unknown:
            raise ReconciliationError(
                f"{table.path}, line 1: {v.choice!r} is not one of {electorate.name}'s "
                f"candidates ({'; '.join(headed)})"
            )
        expected = counted.get((number, v.party))
        if expected is not None and v.party_votes != expected:
            raise ReconciliationError(
                f"{table.path}: {v.party} has {v.party_votes:,} party votes; the results "
                f"count {expected:,} in {electorate.name}"
            )


def _party_votes(data: Dataset) -> dict[tuple[int | None, str], int]:
    """Party votes counted in ``data``, by (electorate number, party) and, with ``None``
    for the electorate, nationally; informal ones as :data:`SPLIT_INFORMAL`, all as
    :data:`SPLIT_TOTAL`."""
    table = data.return_table()
    electorate_of = {u.code: u.electorate for u in data.units}
    electorate = pl.col("unit").replace_strict(electorate_of, default=None, return_dtype=pl.Int64)
    party = pl.col("contest") == PARTY_CONTEST
    informal, votes = pl.collect_all(
        [
            table.returns.lazy().filter(party).group_by(electorate).agg(pl.col("informal").sum()),
            table.counts.lazy()
            .filter(party)
            .group_by(electorate, "choice")
            .agg(pl.col("votes").sum()),
        ]
    )
    by_electorate: dict[int | None, dict[str, int]] = {
        number: {SPLIT_INFORMAL: n} for number, n in informal.iter_rows()
    }
    for number, choice, n in votes.iter_rows():
        by_electorate.setdefault(number, {SPLIT_INFORMAL: 0})[choice] = n
    nation: Counter[str] = Counter()
    for bucket in by_electorate.values():
        nation.update(bucket)
    totals: dict[tuple[int | None, str], int] = {}
    for at, bucket in [*by_electorate.items(), (None, nation)]:
        totals.update({(at, party): votes for party, votes in bucket.items()})
        totals[at, SPLIT_TOTAL] = sum(bucket.values())
    return totals


def _percent(text: str, path: Path, line: int, column: str) -> int:
    """A published per cent (two decimals at most) in hundredths, from 0 to 100 %."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal(-1)
    hundredths = value * 100
    if hundredths != hundredths.to_integral_value() or not 0 <= hundredths <= _HUNDRED:
        raise FileFormatError(
            f"{path}, line {line}, column {column!r}: expected a per cent from 0 to 100 with "
            f"two decimals at most, found {text!r}"
        )
    return int(hundredths)
