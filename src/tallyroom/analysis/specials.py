"""How special votes split compared with ordinary votes.

Special votes (cast before or on polling day outside the voter's electorate, or from
overseas) are counted weeks after election night and lean differently from ordinary
votes. This compares each choice's share of ordinary and of special votes, nationally
or in one electorate, for any contest whose returns say which votes are special.
Candidate votes are grouped by the candidate's party.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tallyroom.errors import NotFoundError
from tallyroom.results import ElectionTally


class NoSpecialSplitError(NotFoundError):
    """The stored returns of a contest do not say which votes were special."""


@dataclass(frozen=True)
class SpecialShare:
    """One choice's votes and shares among ordinary and special votes."""

    choice: str
    ordinary: int
    special: int
    ordinary_percent: float
    special_percent: float

    @property
    def difference(self) -> float:
        """Special minus ordinary share, in percentage points."""
        return round(self.special_percent - self.ordinary_percent, 2)


@dataclass(frozen=True)
class SpecialSplit:
    """A contest's special votes against its ordinary votes."""

    election: str
    contest: str
    electorate: int | None
    ordinary_valid: int
    special_valid: int
    rows: tuple[SpecialShare, ...]

    @property
    def special_percent(self) -> float:
        """Special votes as a share of all valid votes."""
        total = self.ordinary_valid + self.special_valid
        return round(100 * self.special_valid / total, 2) if total else 0.0


def special_split(
    counted: ElectionTally, contest: str = "party", electorate: int | None = None
) -> SpecialSplit:
    """Shares of ordinary and special votes in ``counted`` for ``contest``: ``party``,
    ``candidate`` (all electorates' candidate votes by party) or ``referendum:SLUG``."""
    election = counted.election
    ordinary, special = _sums(counted, contest, electorate)
    if not special:
        others = [
            other
            for other in ["party", "candidate", *counted.referendums]
            if other != contest and _sums(counted, other, electorate)[1]
        ]
        instead = (
            "these do: " + ", ".join(f"--contest {c}" for c in others)
            if others
            else "import voting-place or special-vote returns to compare them"
        )
        raise NoSpecialSplitError(
            f"{election} {contest}: the stored returns do not separate special votes; {instead}"
        )
    totals = (sum(ordinary.values()), sum(special.values()))
    choices = sorted(set(ordinary) | set(special), key=lambda c: -(ordinary[c] + special[c]))
    rows = tuple(
        SpecialShare(
            c,
            ordinary[c],
            special[c],
            round(100 * ordinary[c] / totals[0], 2) if totals[0] else 0.0,
            round(100 * special[c] / totals[1], 2),
        )
        for c in choices
    )
    return SpecialSplit(election, contest, electorate, totals[0], totals[1], rows)


def _sums(
    counted: ElectionTally, contest: str, electorate: int | None
) -> tuple[dict[str, int], dict[str, int]]:
    """Votes per choice among ordinary and among special votes (candidate votes by party)."""
    if contest == "candidate":
        codes = [
            f"candidate:{n}"
            for n in sorted(counted.candidates)
            if electorate is None or n == electorate
        ]
    else:
        codes = [contest]
    sums: dict[bool, dict[str, int]] = {False: defaultdict(int), True: defaultdict(int)}
    for code in codes:
        for part in counted.parts(code):
            if electorate is not None and part.electorate != electorate:
                continue
            for choice, votes in part.counts.items():
                key = part.party_of.get(choice) or choice if contest == "candidate" else choice
                sums[part.count_type.is_special][key] += votes
    return sums[False], sums[True]
