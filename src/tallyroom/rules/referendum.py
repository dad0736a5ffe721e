"""Referendum outcomes: counts per option, informal votes, shares and the result.

New Zealand publishes referendum percentages of *all* votes cast, informal included
(2020 cannabis referendum: 48.4 % yes, 50.7 % no); the decision itself rests on a
majority of the *valid* votes. Both bases are available.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from tallyroom.rules.errors import InvalidVotesError, UnknownChoiceError, require_count


class Base(StrEnum):
    """What a referendum percentage is a share of."""

    TOTAL = "total"
    """All votes cast, informal included (how New Zealand publishes results)."""

    VALID = "valid"
    """Votes for one of the options."""


@dataclass(frozen=True)
class ReferendumOutcome:
    """The counts of one referendum question and what they decide.

    ``result`` is the option with more than half of the valid votes, or ``None`` when no
    option has a majority (a tie, or several options with none above half).
    """

    counts: Mapping[str, int]
    informal: int
    result: str | None

    @property
    def valid(self) -> int:
        """Votes for one of the options."""
        return sum(self.counts.values())

    @property
    def total(self) -> int:
        """All votes cast, informal included."""
        return self.valid + self.informal

    def share(self, option: str, base: Base | str = Base.TOTAL) -> Fraction:
        """Exact share of ``option`` (or ``"informal"`` on the total base) of the base."""
        base = Base(base)
        if option == "informal" and base is Base.TOTAL:
            count = self.informal
        elif option in self.counts:
            count = self.counts[option]
        else:
            raise UnknownChoiceError(f"{option!r} is not an option ({', '.join(self.counts)})")
        denominator = self.total if base is Base.TOTAL else self.valid
        return Fraction(count, denominator) if denominator else Fraction(0)

    def percent(self, option: str, base: Base | str = Base.TOTAL, digits: int = 1) -> float:
        """The share as a percentage rounded half away from zero, as results are published."""
        scaled = self.share(option, base) * 100 * 10**digits
        return float(Fraction(int(scaled + Fraction(1, 2)), 10**digits))


def decide_referendum(counts: Mapping[str, int], informal: int = 0) -> ReferendumOutcome:
    """Tally a referendum question: the option with a majority of valid votes wins."""
    for name, count in [*counts.items(), ("informal", informal)]:
        require_count(f"votes for {name!r}", count)
    if len(counts) < 2:
        raise InvalidVotesError("a referendum needs at least two options")
    valid = sum(counts.values())
    winners = [name for name, count in counts.items() if 2 * count > valid]
    return ReferendumOutcome(dict(counts), informal, winners[0] if winners else None)
