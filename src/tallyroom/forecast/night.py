"""What has been counted so far on election night, as plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from tallyroom.forecast.history import SCHEMA, choice_key
from tallyroom.results import ElectionTally
from tallyroom.rules.systems import NZ, RuleSet


@dataclass(frozen=True)
class Candidate:
    """A candidate's ordinary votes counted so far; ``party`` as on their nomination."""

    name: str
    party: str
    votes: int

    @property
    def key(self) -> str:
        """The key the special-vote model knows the candidate by (their party's)."""
        return choice_key("candidate", self.name, self.party)


@dataclass(frozen=True)
class ElectorateNight:
    """One electorate's count: party votes, candidate votes, and how much is counted.

    ``counted`` is the share of its voting places that have reported (1 when all have);
    the votes of the rest are projected from those counted.
    """

    number: int
    name: str
    party_votes: Mapping[str, int]
    candidates: tuple[Candidate, ...]
    counted: float = 1.0

    def leader(self) -> Candidate | None:
        """The candidate ahead now (``None`` before any candidate votes)."""
        ahead = max(self.candidates, key=lambda c: (c.votes, c.name), default=None)
        return ahead if ahead is not None and ahead.votes > 0 else None


@dataclass(frozen=True)
class NightCount:
    """An election's ordinary votes as counted so far.

    ``parties`` are the parties on the party ballot; ``vacant`` counts electorates with no
    candidate poll (they add to the House and count for no party).
    """

    election: str
    year: int
    parties: tuple[str, ...]
    electorates: tuple[ElectorateNight, ...]
    rules: RuleSet = NZ
    vacant: int = 0
    stage: str = "preliminary"

    def frame(self) -> pl.DataFrame:
        """The counted votes as history rows (``night`` projected to all voting places,
        ``final`` equal to it), for the special-vote model."""
        rows = []
        for e in self.electorates:
            scale = 1 / e.counted if e.counted > 0 else 0.0
            for party, votes in e.party_votes.items():
                key = choice_key("party", party, party)
                rows.append((self.year, e.number, e.name, "party", key, round(votes * scale)))
            for c in e.candidates:
                rows.append(
                    (self.year, e.number, e.name, "candidate", c.key, round(c.votes * scale))
                )
        frame = pl.DataFrame(rows, schema=list(SCHEMA)[:-1], orient="row").cast(
            {k: v for k, v in SCHEMA.items() if k != "final"}
        )
        # sorted: the model's sums then run in one order, so one seed gives one projection
        frame = frame.group_by(list(SCHEMA)[:-2]).agg(pl.col("night").sum()).sort(list(SCHEMA)[:-2])
        return frame.with_columns(final=pl.col("night")).select(list(SCHEMA))


def from_tally(
    counted: ElectionTally, year: int, rules: RuleSet, shares: Mapping[int, float]
) -> NightCount:
    """The night count of a tally; ``shares`` is each electorate's share of voting places
    counted (:func:`tallyroom.results.counted_shares`)."""
    electorates = []
    for number, electorate in sorted(counted.electorates.items()):
        party = counted.party_by_electorate.get(number)
        contest = counted.candidates.get(number)
        candidates = (
            tuple(Candidate(c, contest.party_of.get(c, ""), v) for c, v in contest.counts.items())
            if contest
            else ()
        )
        electorates.append(
            ElectorateNight(
                number,
                electorate.name,
                dict(party.counts) if party else {},
                candidates,
                shares.get(number, 1.0) or 1.0,
            )
        )
    vacant = sum(1 for e in electorates if e.leader() is None)
    return NightCount(
        counted.election,
        year,
        tuple(counted.party_votes()),
        tuple(electorates),
        rules,
        vacant,
        counted.stage.value,
    )
