"""A referendum by electorate against who won the electorate and the party vote there.

For each general electorate: the referendum figure (on the chosen votes and base), the
party of the electorate's winner at a stage, and the party with most party votes. Then
how those line up (yes-majority electorates by winning party) and the correlation across
electorates between the first option's share and each party's party-vote share.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import polars as pl

from tallyroom.analysis.by_electorate import VoteBasis, by_electorate
from tallyroom.model import Stage
from tallyroom.results import ElectionTally
from tallyroom.rules.referendum import Base


@dataclass(frozen=True)
class CrossRow:
    """One general electorate: the referendum figure and who won there."""

    number: int
    name: str
    percent: float
    """the first option's share (Yes) in percent, unrounded, on the chosen votes and base"""
    result: str | None
    winner: str
    winner_party: str
    party_vote_leader: str


@dataclass(frozen=True)
class Correlation:
    """Across electorates: the first option's share against one party's party-vote share."""

    party: str
    pearson: float
    spearman: float
    electorates: int


@dataclass(frozen=True)
class CrossTab:
    """A referendum by electorate against electorate winners and party votes."""

    contest: str
    option: str
    basis: VoteBasis
    base: Base
    winner_stage: Stage
    rows: tuple[CrossRow, ...]

    def by_winner_party(self) -> dict[str, dict[str, int]]:
        """For each winning party: electorates where the first option won, and the rest."""
        table: dict[str, Counter[str]] = {}
        for row in self.rows:
            outcome = "in favour" if row.result == self.option else "not in favour"
            table.setdefault(row.winner_party, Counter())[outcome] += 1
        return {party: dict(counts) for party, counts in sorted(table.items())}


def crosstab(
    official: ElectionTally,
    winners: ElectionTally,
    slug: str,
    votes: VoteBasis = VoteBasis.ORDINARY,
    base: Base = Base.TOTAL,
) -> CrossTab:
    """Referendum ``slug`` by general electorate (from the ``official`` count) with each
    electorate's winner in ``winners`` (the official count, or election night's) and its
    party-vote leader in the official count."""
    referendum = by_electorate(official, slug, votes, base)
    option = referendum.options[0]
    outcomes = winners.outcomes()
    party_votes = official.party_by_electorate
    rows = []
    for r in referendum.rows:
        winner = outcomes[r.number].winner or "" if r.number in outcomes else ""
        party = winners.candidates[r.number].party_of.get(winner, "") if winner else ""
        leader = party_votes[r.number].counts if r.number in party_votes else {}
        rows.append(
            CrossRow(
                r.number,
                r.name,
                r.percent[option],
                r.result,
                winner,
                party,
                max(leader, key=leader.get) if leader else "",
            )
        )
    return CrossTab(referendum.contest, option, votes, base, winners.stage, tuple(rows))


def correlations(official: ElectionTally, table: CrossTab) -> list[Correlation]:
    """Pearson and Spearman correlations of the first option's share with each party's
    party-vote share in the ``official`` count, across the electorates of ``table``;
    strongest first."""
    party_votes = official.party_by_electorate
    records = []
    for row in table.rows:
        counts = party_votes[row.number].counts
        valid = sum(counts.values())
        records.extend(
            (row.number, row.percent, party, 100 * votes / valid) for party, votes in counts.items()
        )
    frame = pl.DataFrame(
        records, schema=["electorate", "referendum", "party", "share"], orient="row"
    )
    found = (
        frame.group_by("party")
        .agg(
            pl.corr("referendum", "share", method="pearson").alias("pearson"),
            pl.corr("referendum", "share", method="spearman").alias("spearman"),
            pl.len().alias("electorates"),
        )
        .drop_nulls()
        .sort(pl.col("pearson").abs(), descending=True)
    )
    return [Correlation(*row) for row in found.iter_rows()]
