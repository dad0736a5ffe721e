"""Electoral systems as data: a :class:`RuleSet` can be printed, saved, compared and named.

A rule set says how party votes become seats in a mixed-member proportional House:
how many seats, which parties qualify (vote threshold, electorate-seat threshold),
which apportionment method shares the seats, what happens when a party wins more
electorates than its share (overhang), and how ties are settled. Nothing in the rules
engine branches on a country's name; it reads these fields.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from fractions import Fraction
from typing import Any

from tallyroom.rules.apportion import Method
from tallyroom.rules.errors import InvalidSeatsError, InvalidThresholdError, UnknownRuleSetError


class OverhangPolicy(StrEnum):
    """What happens when a party's electorate seats exceed its proportional entitlement."""

    KEEP = "keep"
    """The party keeps its electorate seats, every other party keeps its entitlement, and
    the House grows by the difference (New Zealand, Electoral Act 1993 ss 191-193)."""

    LEVEL = "level"
    """The House is enlarged until no party's electorate seats exceed its entitlement,
    nationally (levelling seats). Germany's Bundestag levelled too in 2013–2021, but by
    its own two-tier method with state lists; see :mod:`tallyroom.rules.regional`."""


class TiePolicy(StrEnum):
    """How a tie for the last seat is settled."""

    REPORT = "report"
    """Leave the tied seats undecided and name the tied parties."""

    LOT = "lot"
    """Draw lots between the tied parties (New Zealand law decides such ties by lot)."""


@dataclass(frozen=True)
class RuleSet:
    """The rules that turn party votes and electorate wins into seats.

    ``threshold`` is a share of all valid party votes (``Fraction(1, 20)`` is 5 %),
    compared exactly. ``electorate_threshold`` is the number of electorate seats that
    qualifies a party regardless of its vote share; ``None`` means electorate seats
    never qualify a party.
    """

    name: str
    seats: int = 120
    threshold: Fraction = Fraction(1, 20)
    electorate_threshold: int | None = 1
    method: Method = Method.SAINTE_LAGUE
    overhang: OverhangPolicy = OverhangPolicy.KEEP
    ties: TiePolicy = TiePolicy.LOT
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", Fraction(str(self.threshold)))
        object.__setattr__(self, "method", Method.parse(self.method))
        object.__setattr__(self, "overhang", OverhangPolicy(self.overhang))
        object.__setattr__(self, "ties", TiePolicy(self.ties))
        if self.seats < 1:
            raise InvalidSeatsError(f"a House needs at least one seat, not {self.seats}")
        if not 0 <= self.threshold < 1:
            raise InvalidThresholdError(
                f"threshold must be a share in [0, 1), not {self.threshold}"
            )

    def with_changes(self, **changes: Any) -> RuleSet:
        """A copy with some fields changed, e.g. ``NZ.with_changes(threshold="0.04")``."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form; the threshold is written as an exact decimal string."""
        data = asdict(self)
        data["threshold"] = _share_text(self.threshold)
        data["method"] = self.method.value
        data["overhang"] = self.overhang.value
        data["ties"] = self.ties.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuleSet:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)

    def to_json(self) -> str:
        """The rule set as a JSON document."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def _share_text(share: Fraction) -> str:
    """A fraction as the shortest decimal that equals it exactly, else ``p/q``."""
    for digits in range(1, 12):
        text = f"{float(share):.{digits}f}".rstrip("0").rstrip(".") or "0"
        if Fraction(text) == share:
            return text
    return f"{share.numerator}/{share.denominator}"


NZ = RuleSet(
    name="nz",
    description=(
        "New Zealand MMP, Electoral Act 1993 ss 191-193: 120 seats, Sainte-Laguë, "
        "5 % of party votes or one electorate seat, overhang kept, ties by lot."
    ),
)

NZ_REVIEW_2023 = NZ.with_changes(
    name="nz-review-2023",
    threshold=Fraction(35, 1000),
    electorate_threshold=None,
    description=(
        "New Zealand as the Independent Electoral Review (2023) recommended: "
        "3.5 % threshold and no electorate-seat threshold."
    ),
)

LEVELLING = NZ.with_changes(
    name="levelling",
    overhang=OverhangPolicy.LEVEL,
    description="NZ thresholds with overhang seats compensated by levelling seats.",
)

SYSTEMS: dict[str, RuleSet] = {r.name: r for r in (NZ, NZ_REVIEW_2023, LEVELLING)}


def named(name: str) -> RuleSet:
    """The named rule set, e.g. ``named("nz")``."""
    try:
        return SYSTEMS[name]
    except KeyError:
        known = ", ".join(SYSTEMS)
        raise UnknownRuleSetError(f"unknown rule set {name!r}; expected one of: {known}") from None
