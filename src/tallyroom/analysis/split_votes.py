"""Split voting: how each party's voters cast their electorate vote, from the Electoral
Commission's split-vote tables as stored (:class:`tallyroom.model.SplitVote`).

The tables are published, not computed: tallyroom reads and checks them (see
:mod:`tallyroom.importers.nz_split_votes`) and here arranges them for reading: the
nationwide summary (each party's voters who stayed with its candidate, and who split),
and each matrix (party vote by electorate vote) in the order people read it: parties
alphabetically with informal votes and the total last; a matrix's columns by party,
then independents, informal electorate votes and party votes only.
"""

from __future__ import annotations

from dataclasses import dataclass

from tallyroom.model import (
    SPLIT_INFORMAL,
    SPLIT_NATION,
    SPLIT_NATIONAL_SCOPES,
    SPLIT_OTHER,
    SPLIT_PARTY_ONLY,
    SPLIT_SAME,
    SPLIT_TOTAL,
    SplitVote,
)
from tallyroom.results import ElectionTally

INDEPENDENTS = "Independents"
"""how the national tables' column of independents (and parties without a list) begins"""


@dataclass(frozen=True)
class SummaryRow:
    """One party's voters: how many gave their electorate vote to its own candidate."""

    party: str
    party_votes: int
    same_votes: int
    same_hundredths: int
    split_votes: int
    split_hundredths: int


@dataclass(frozen=True)
class Column:
    """A matrix column: a party's candidates (nationally) or one candidate (in an
    electorate), or an electorate vote that went to no candidate."""

    name: str
    party: str


@dataclass(frozen=True)
class Matrix:
    """Party vote (rows: party, its votes, per cent to each column) by electorate vote."""

    scope: str
    name: str
    electorate: int | None
    columns: list[Column]
    rows: list[tuple[str, int, list[int]]]
    cancelled: bool = False
    """the electorate's candidate poll was cancelled: no electorate vote to split"""


@dataclass(frozen=True)
class SplitTables:
    """An election's split-vote tables: the summary and the matrices."""

    summary: list[SummaryRow]
    matrices: list[Matrix]


@dataclass(frozen=True)
class Naming:
    """What the split tables take from a count: each electorate's name, its candidates'
    parties, and the electorates whose candidate poll was cancelled. Equal namings give
    equal tables, so tables made from one can be kept while it stays the same."""

    names: tuple[tuple[int, str], ...]
    parties: tuple[tuple[int, tuple[tuple[str, str], ...]], ...]
    cancelled: frozenset[int]

    @classmethod
    def of(cls, tally: ElectionTally) -> Naming:
        """The naming of ``tally``'s electorates."""
        return cls(
            tuple((n, e.name) for n, e in tally.electorates.items()),
            tuple((n, tuple(c.party_of.items())) for n, c in tally.candidates.items()),
            frozenset(tally.cancelled_polls),
        )


def split_tables(cells: list[SplitVote], naming: Naming) -> SplitTables:
    """The stored ``cells`` of one election arranged as tables (see the module docstring),
    the electorates named by ``naming``."""
    by_scope: dict[str, list[SplitVote]] = {}
    for cell in cells:
        by_scope.setdefault(cell.scope, []).append(cell)
    summary = _summary(by_scope.pop(SPLIT_NATION, []))
    names = dict(naming.names)
    parties_of = dict(naming.parties)
    matrices = [
        _matrix(scope, SPLIT_NATIONAL_SCOPES[scope], None, by_scope[scope], {})
        for scope in SPLIT_NATIONAL_SCOPES
        if scope in by_scope
    ]
    for scope in sorted(
        (s for s in by_scope if s.startswith("electorate:")), key=lambda s: int(s.split(":")[1])
    ):
        number = int(scope.split(":")[1])
        parties = dict(parties_of.get(number, ()))
        cancelled = number in naming.cancelled
        matrices.append(
            _matrix(scope, names.get(number, scope), number, by_scope[scope], parties, cancelled)
        )
    return SplitTables(summary, matrices)


def _summary(cells: list[SplitVote]) -> list[SummaryRow]:
    parts = {(c.party, c.choice): c for c in cells}
    rows = [
        SummaryRow(
            party,
            parts[party, SPLIT_SAME].party_votes,
            parts[party, SPLIT_SAME].votes or 0,
            parts[party, SPLIT_SAME].hundredths,
            parts[party, SPLIT_OTHER].votes or 0,
            parts[party, SPLIT_OTHER].hundredths,
        )
        for party in {c.party for c in cells}
        if (party, SPLIT_OTHER) in parts
    ]
    return sorted(rows, key=lambda r: _party_order(r.party))


def _party_order(party: str) -> tuple[int, str]:
    return ({SPLIT_INFORMAL: 1, SPLIT_TOTAL: 2}.get(party, 0), party.casefold())


def _column_order(column: Column) -> tuple[int, str, str]:
    last = {SPLIT_INFORMAL: 3, SPLIT_PARTY_ONLY: 4}
    independent = column.party in ("", "Independent") or column.name.startswith(INDEPENDENTS)
    rank = last.get(column.name, 2 if independent else 1)
    return (rank, column.party.casefold(), column.name.casefold())


def _matrix(
    scope: str,
    name: str,
    number: int | None,
    cells: list[SplitVote],
    parties: dict[str, str],
    cancelled: bool = False,
) -> Matrix:
    """One matrix; ``parties`` gives a candidate's party (electorate tables)."""
    columns = sorted(
        {
            Column(c.choice, parties.get(c.choice, c.choice if number is None else ""))
            for c in cells
        },
        key=_column_order,
    )
    shares = {(c.party, c.choice): c.hundredths for c in cells}
    votes = {c.party: c.party_votes for c in cells}
    rows = [
        (party, votes[party], [shares.get((party, column.name), 0) for column in columns])
        for party in sorted(votes, key=_party_order)
    ]
    return Matrix(scope, name, number, columns, rows, cancelled)
