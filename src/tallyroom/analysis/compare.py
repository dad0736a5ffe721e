"""What changed from one stage of the count to the next (election night → official), or
from the official count's ordinary votes alone to all its votes where there is no
election-night count (see :mod:`tallyroom.analysis.ordinary`).

Party votes, shares and seats; electorates whose winner changed, with both winners and
majorities; how many special votes the later stage added; and for each referendum its
result on ordinary votes alone against all votes.
"""

from __future__ import annotations

from dataclasses import dataclass

from tallyroom.analysis.ordinary import ordinary_votes
from tallyroom.model import ContestKind, Stage, candidate_contest
from tallyroom.results import ElectionTally
from tallyroom.rules.referendum import Base, decide_referendum


@dataclass(frozen=True)
class PartyChange:
    """One party at both stages."""

    party: str
    votes: tuple[int, int]
    percent: tuple[float, float]
    seats: tuple[int, int]


@dataclass(frozen=True)
class Flip:
    """An electorate whose winner changed between the stages."""

    number: int
    name: str
    before: tuple[str, str, int]
    """winner, party, majority at the earlier stage"""
    after: tuple[str, str, int]


@dataclass(frozen=True)
class ReferendumChange:
    """A referendum's first option (Yes) on ordinary votes only and on all votes."""

    contest: str
    name: str
    option: str
    ordinary_percent: float
    all_percent: float
    ordinary_result: str | None
    all_result: str | None


@dataclass(frozen=True)
class Comparison:
    """Everything that changed between two stages of one election."""

    election: str
    stages: tuple[Stage, Stage]
    valid_party_votes: tuple[int, int]
    parties: tuple[PartyChange, ...]
    flips: tuple[Flip, ...]
    special_votes: int
    """candidate-vote ballots counted as special votes at the later stage (informal included)"""
    special_share: float
    """special votes as a percentage of all candidate-vote ballots at the later stage"""
    referendums: tuple[ReferendumChange, ...]
    electors: int | None = None
    """electors on the roll, where the store holds enrolment for every electorate"""
    turnout: tuple[float | None, float | None] = (None, None)
    """per stage, votes as a percentage of electors: for the official count all votes cast
    (disallowed included, as published); for election night the party votes counted then"""
    ordinary_only: bool = False
    """the earlier side is the later stage's ordinary votes alone ("ordinary votes only
    (official count)"), where no election-night count is stored; ``stages`` then names
    the later stage twice"""

    @property
    def turnout_change(self) -> float | None:
        """Official minus election-night turnout, in percentage points."""
        before, after = self.turnout
        return None if before is None or after is None else round(after - before, 2)


def compare(first: ElectionTally | None, second: ElectionTally) -> Comparison:
    """Compare one election's count at two stages, ``first`` (election night) and
    ``second`` (the official count); with no ``first``, ``second``'s ordinary votes alone
    against all its votes."""
    ordinary_only = first is None
    if first is None:
        first = ordinary_votes(second)
    election, after = second.election, second.stage
    electors, cast = _enrolment(second)
    counted = [sum(t.party_votes().values()) + t.informal_party_votes() for t in (first, second)]
    turnout: tuple[float | None, float | None] = (None, None)
    if electors:
        final = cast if after is Stage.OFFICIAL and cast else counted[1]
        turnout = (round(100 * counted[0] / electors, 2), round(100 * final / electors, 2))
    return Comparison(
        election=election,
        stages=(after if ordinary_only else first.stage, after),
        valid_party_votes=(sum(first.party_votes().values()), sum(second.party_votes().values())),
        parties=_parties(first, second),
        flips=_flips(first, second),
        special_votes=(special := _special_votes(second))[0],
        special_share=special[1],
        referendums=_referendums(second),
        electors=electors,
        turnout=turnout,
        ordinary_only=ordinary_only,
    )


def _enrolment(counted: ElectionTally) -> tuple[int | None, int | None]:
    """Electors and official votes cast, summed, if every electorate has them."""
    rows = list(counted.electorates.values())
    electors = [r.electors for r in rows]
    cast = [r.votes_cast for r in rows]
    return (
        sum(electors) if rows and None not in electors else None,
        sum(cast) if rows and None not in cast else None,
    )


def _parties(first: ElectionTally, second: ElectionTally) -> tuple[PartyChange, ...]:
    votes = (first.party_votes(), second.party_votes())
    totals = [sum(v.values()) for v in votes]
    seats = (first.seats().seats(), second.seats().seats())
    names = sorted(set(votes[0]) | set(votes[1]), key=lambda p: -votes[1].get(p, 0))
    return tuple(
        PartyChange(
            p,
            (votes[0].get(p, 0), votes[1].get(p, 0)),
            tuple(
                round(100 * v.get(p, 0) / t, 2) if t else 0.0
                for v, t in zip(votes, totals, strict=True)
            ),
            (seats[0].get(p, 0), seats[1].get(p, 0)),
        )
        for p in names
    )


def _flips(first: ElectionTally, second: ElectionTally) -> tuple[Flip, ...]:
    before, after = first.outcomes(), second.outcomes()
    flips = []
    for number in sorted(set(before) & set(after)):
        a, b = before[number], after[number]
        party_a = first.candidates[number].party_of.get(a.winner or "", "")
        party_b = second.candidates[number].party_of.get(b.winner or "", "")
        if (a.winner, party_a) != (b.winner, party_b):
            name = second.electorate_name(number)
            flips.append(
                Flip(
                    number,
                    name,
                    (a.winner or "", party_a, a.majority),
                    (b.winner or "", party_b, b.majority),
                )
            )
    return tuple(flips)


def _special_votes(counted: ElectionTally) -> tuple[int, float]:
    special = total = 0
    for number in counted.candidates:
        for part in counted.parts(candidate_contest(number)):
            total += part.total
            if part.count_type.is_special:
                special += part.total
    return special, round(100 * special / total, 2) if total else 0.0


def _referendums(counted: ElectionTally) -> tuple[ReferendumChange, ...]:
    changes = []
    for code, contest in counted.referendums.items():
        if contest.kind is not ContestKind.REFERENDUM or not contest.counts:
            continue
        option = next(iter(contest.counts))
        ordinary = {o: 0 for o in contest.counts}
        informal = 0
        for part in counted.parts(code):
            if not part.count_type.is_special:
                for o, v in part.counts.items():
                    ordinary[o] += v
                informal += part.informal
        only = decide_referendum(ordinary, informal)
        full = decide_referendum(contest.counts, contest.informal)
        changes.append(
            ReferendumChange(
                code,
                contest.name,
                option,
                only.percent(option, Base.TOTAL),
                full.percent(option, Base.TOTAL),
                only.result,
                full.result,
            )
        )
    return tuple(changes)
