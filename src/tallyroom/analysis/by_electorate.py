"""A referendum by general electorate, with the votes in each figure stated plainly.

New Zealand counted referendum ordinary votes by *area*: the voting places of a general
electorate, into whose ballot boxes the Māori-roll voters who voted there also put their
papers. Special votes were counted by electorate. So an electorate's figure can mean
ordinary votes by area, special votes, or both added together, as a share of all votes
(informal included, as published) or of valid votes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tallyroom.model import Roll, UnitKind, referendum_contest, referendum_slug
from tallyroom.results import ElectionTally
from tallyroom.rules.errors import UnknownChoiceError
from tallyroom.rules.referendum import Base, decide_referendum


class VoteBasis(StrEnum):
    """Which votes an electorate's referendum figure counts."""

    ORDINARY = "ordinary"
    SPECIAL = "special"
    ALL = "all"


STATEMENTS = {
    VoteBasis.ORDINARY: (
        "Ordinary votes by referendum area: the votes cast at each general electorate's "
        "voting places, including those of Māori-roll voters who voted there. Special "
        "votes are not included."
    ),
    VoteBasis.SPECIAL: "Special votes of each general electorate's voters only.",
    VoteBasis.ALL: (
        "Ordinary votes by referendum area (including Māori-roll voters who voted at the "
        "general electorate's voting places) plus the general electorate's special votes."
    ),
}


@dataclass(frozen=True)
class ElectorateFigure:
    """One general electorate's referendum counts on the chosen basis."""

    number: int
    name: str
    counts: dict[str, int]
    informal: int
    percent: dict[str, float]
    """shares rounded as published (one decimal)"""
    result: str | None
    rank: int
    exact: float
    """the first option's share in percent, unrounded (for correlations)"""


@dataclass(frozen=True)
class ReferendumByElectorate:
    """A referendum question across the general electorates, ranked by the first option."""

    contest: str
    name: str
    basis: VoteBasis
    base: Base
    statement: str
    options: tuple[str, ...]
    rows: tuple[ElectorateFigure, ...]

    @property
    def in_favour(self) -> int:
        """Electorates where the first option (Yes) has a majority of valid votes."""
        return sum(1 for r in self.rows if r.result == self.options[0])


def by_electorate(
    counted: ElectionTally,
    slug: str,
    votes: VoteBasis = VoteBasis.ORDINARY,
    base: Base = Base.TOTAL,
) -> ReferendumByElectorate:
    """The referendum ``slug`` of ``counted`` by general electorate, on the chosen votes
    and base."""
    election = counted.election
    code = referendum_contest(slug)
    if code not in counted.referendums:
        known = ", ".join(referendum_slug(c) for c in counted.referendums) or "none"
        raise UnknownChoiceError(f"{election} has no referendum {slug!r} (referendums: {known})")
    options = tuple(counted.referendums[code].counts)
    general = {n: e.name for n, e in counted.electorates.items() if e.roll is Roll.GENERAL}
    sums = {n: ({o: 0 for o in options}, [0]) for n in general}
    for part in counted.parts(code):
        special = part.count_type.is_special
        wanted = votes is VoteBasis.ALL or (votes is VoteBasis.SPECIAL) == special
        if not wanted or part.electorate not in sums or part.kind is UnitKind.NATION:
            continue
        counts, informal = sums[part.electorate]
        for option, value in part.counts.items():
            counts[option] += value
        informal[0] += part.informal
    figures = []
    for number, (counts, informal) in sums.items():
        outcome = decide_referendum(counts, informal[0])
        percent = {o: outcome.percent(o, base) for o in options}
        if base is Base.TOTAL:
            percent["informal"] = outcome.percent("informal", base)
        figures.append(
            (number, counts, informal[0], percent, outcome.result, outcome.share(options[0], base))
        )
    figures.sort(key=lambda f: (-f[5], f[0]))
    rows = tuple(
        ElectorateFigure(n, general[n], c, i, p, r, rank, float(100 * share))
        for rank, (n, c, i, p, r, share) in enumerate(figures, 1)
    )
    return ReferendumByElectorate(
        code, counted.referendums[code].name, votes, base, STATEMENTS[votes], options, rows
    )
