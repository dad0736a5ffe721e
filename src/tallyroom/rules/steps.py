"""Rule sets as a pipeline of named steps: printable in words, serialisable, comparable.

A mixed-member law is a short sequence of steps, each a small frozen record:

* :class:`Qualify` — which parties share the seats (a national threshold, a number of
  district wins as an alternative, parties exempt from the threshold);
* :class:`Apportion` — share seats among the qualifying parties by a method, at a level:
  the nation, each region, or regions given seat contingents by population first;
* :class:`RegionalSplit` — share each party's seats among its regional lists by its
  regional votes (optionally never fewer than the districts it won there);
* :class:`DistrictSeats` — which district winners take a seat: all of them, or (the
  German 2023 law) only as far as the party's seats in the region cover them, in order
  of first-vote share;
* :class:`Adjust` — what happens to overhang: kept, levelled away, or levelled except for
  up to ``uncompensated`` seats.

A :class:`Pipeline` is the ordered tuple of steps plus a name. It is data only; the
engine that runs it is :mod:`tallyroom.rules.regional`. New Zealand's flat
:class:`~tallyroom.rules.systems.RuleSet` is described as a pipeline by
:func:`from_ruleset`; its seats are still computed by :func:`tallyroom.rules.mmp.allocate_mmp`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from enum import StrEnum
from fractions import Fraction
from typing import Any

from tallyroom.rules.apportion import Method
from tallyroom.rules.errors import InvalidSeatsError, InvalidThresholdError, UnknownRuleSetError
from tallyroom.rules.systems import LEVELLING, NZ, NZ_REVIEW_2023, OverhangPolicy, RuleSet


class Level(StrEnum):
    """Where an :class:`Apportion` step shares its seats."""

    NATION = "nation"
    """One national allocation of ``seats`` among the qualifying parties."""

    REGIONS_BY_POPULATION = "regions-by-population"
    """``seats`` go to the regions by population first (seat contingents), then within
    each region to the qualifying parties by their regional votes."""

    EACH_REGION = "each-region"
    """Every region shares ``seats`` seats of its own among the qualifying parties."""


class DistrictRule(StrEnum):
    """Which district (constituency) winners take a seat."""

    KEEP_ALL = "keep-all"
    """Every district winner is seated."""

    COVERAGE = "coverage"
    """A party's winners in a region are seated in order of first-vote share only as far
    as the party's seats in that region go; winners of parties that do not qualify get no
    seat (Germany since 2023, Zweitstimmendeckung)."""


class AdjustRule(StrEnum):
    """What is done about parties whose seats fall short of a minimum (overhang)."""

    NONE = "none"
    """Nothing: the House is the apportioned size."""

    KEEP_OVERHANG = "keep-overhang"
    """A party keeps district seats beyond its share; nobody else gains (New Zealand)."""

    LEVEL = "level"
    """The shared seats are increased until every party has at least its minimum, less
    at most ``uncompensated`` seats in all, which the short parties then keep as
    overhang."""


class Minimum(StrEnum):
    """A party's minimum number of seats, as levelling uses it."""

    DISTRICT_WINS = "district-wins"
    """The districts it won."""

    CONTINGENT_OR_DISTRICTS = "contingent-or-districts"
    """Summed over regions: the larger of its seats from the regional contingent and its
    district wins there (Germany 2013, BWahlG § 6(4)-(5))."""

    MEAN_OF_CONTINGENT_AND_DISTRICTS = "mean-of-contingent-and-districts"
    """Summed over regions: the larger of its district wins and the mean of district wins
    and contingent seats rounded up (Germany 2020, BWahlG § 6(5))."""


@dataclass(frozen=True)
class Qualify:
    """Parties share the seats with ``threshold`` of all valid votes nationally, or with
    ``district_wins`` district wins (``None``: wins never qualify), or when ``exempt``
    (parties of national minorities), provided they have any votes."""

    threshold: Fraction = Fraction(1, 20)
    district_wins: int | None = None
    exempt: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", Fraction(str(self.threshold)))
        object.__setattr__(self, "exempt", tuple(sorted(self.exempt)))
        if not 0 <= self.threshold < 1:
            raise InvalidThresholdError(
                f"threshold must be a share in [0, 1), not {self.threshold}"
            )

    def words(self) -> str:
        """The step in one sentence."""
        if not self.threshold and self.district_wins is None and not self.exempt:
            return "Qualify: every party with votes takes part (no threshold)."
        text = f"Qualify: a party needs {_percent(self.threshold)} of all valid votes"
        if self.district_wins is not None:
            wins = "win" if self.district_wins == 1 else "wins"
            text += f" or {self.district_wins} district {wins}"
        if self.exempt:
            text += f"; exempt from the threshold: {', '.join(self.exempt)}"
        return text + "."


@dataclass(frozen=True)
class Apportion:
    """Share ``seats`` among the qualifying parties by ``method`` at ``level``.

    Seats won in districts by independents (and, unless ``deduct_unqualified`` is off,
    by parties that do not qualify) come off first. With ``counting_district_seats`` a
    party's district wins count as seats it already holds (Scottish AMS: the divisor of
    its first list seat is its district seats plus one).
    """

    seats: int
    method: Method = Method.SAINTE_LAGUE
    level: Level = Level.NATION
    counting_district_seats: bool = False
    deduct_unqualified: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method.parse(self.method))
        object.__setattr__(self, "level", Level(self.level))
        if self.seats < 1:
            raise InvalidSeatsError(f"an apportionment needs at least one seat, not {self.seats}")

    def words(self) -> str:
        """The step in one sentence."""
        where = {
            Level.NATION: f"{self.seats} seats nationally",
            Level.REGIONS_BY_POPULATION: (
                f"{self.seats} seats to the regions by population, then in each region"
            ),
            Level.EACH_REGION: f"{self.seats} seats in each region",
        }[self.level]
        text = f"Apportion: {where} among the qualifying parties by {self.method.value}"
        if self.counting_district_seats:
            text += ", counting a party's district seats as seats already won"
        return text + "."


@dataclass(frozen=True)
class RegionalSplit:
    """Share each party's national seats among its regional lists by its regional votes;
    with ``at_least_district_wins`` a list never gets fewer seats than the districts the
    party won in that region."""

    method: Method = Method.SAINTE_LAGUE
    at_least_district_wins: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method.parse(self.method))

    def words(self) -> str:
        """The step in one sentence."""
        text = (
            "Regional split: each party's seats go to its regional lists by its regional "
            f"votes ({self.method.value})"
        )
        if self.at_least_district_wins:
            text += ", each list getting at least the districts the party won there"
        return text + "."


@dataclass(frozen=True)
class DistrictSeats:
    """Which district winners are seated (see :class:`DistrictRule`)."""

    rule: DistrictRule = DistrictRule.KEEP_ALL

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule", DistrictRule(self.rule))

    def words(self) -> str:
        """The step in one sentence."""
        if self.rule is DistrictRule.KEEP_ALL:
            return "District seats: every district winner takes a seat."
        return (
            "District seats: a party's winners in a region are seated in order of "
            "first-vote share as far as its seats there go; the rest get no seat."
        )


@dataclass(frozen=True)
class Adjust:
    """Deal with overhang (see :class:`AdjustRule`); ``minimum`` and ``method`` are used
    when levelling."""

    rule: AdjustRule = AdjustRule.NONE
    minimum: Minimum = Minimum.DISTRICT_WINS
    uncompensated: int = 0
    method: Method = Method.SAINTE_LAGUE

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule", AdjustRule(self.rule))
        object.__setattr__(self, "minimum", Minimum(self.minimum))
        object.__setattr__(self, "method", Method.parse(self.method))
        if self.uncompensated < 0:
            raise InvalidSeatsError("uncompensated overhang cannot be negative")

    def words(self) -> str:
        """The step in one sentence."""
        match self.rule:
            case AdjustRule.NONE:
                return "Adjust: none; the House is the apportioned size."
            case AdjustRule.KEEP_OVERHANG:
                return "Adjust: overhang seats are kept and the House grows by them."
        text = (
            "Adjust: the shared seats are increased until every party has at least its "
            f"minimum ({self.minimum.value}) by {self.method.value}"
        )
        if self.uncompensated:
            text += f", except up to {self.uncompensated} overhang seats left uncompensated"
        return text + "."


Step = Qualify | Apportion | RegionalSplit | DistrictSeats | Adjust
_KINDS: dict[str, type[Step]] = {
    "qualify": Qualify,
    "apportion": Apportion,
    "regional-split": RegionalSplit,
    "district-seats": DistrictSeats,
    "adjust": Adjust,
}
_KIND_OF = {cls: kind for kind, cls in _KINDS.items()}


@dataclass(frozen=True)
class Pipeline:
    """A named, ordered sequence of steps; the engine runs them in this order."""

    name: str
    steps: tuple[Step, ...]
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        kinds = [_KIND_OF[type(s)] for s in self.steps]
        for needed in ("qualify", "apportion", "district-seats", "adjust"):
            if kinds.count(needed) != 1:
                raise InvalidSeatsError(f"pipeline {self.name!r} needs exactly one {needed} step")
        if kinds.count("regional-split") > 1:
            raise InvalidSeatsError(f"pipeline {self.name!r} has more than one regional split")
        if kinds.index("qualify") != 0:
            raise InvalidSeatsError(f"pipeline {self.name!r} must start with qualify")
        apportion = self.step(Apportion)
        adjust = self.step(Adjust)
        if (
            adjust.minimum is not Minimum.DISTRICT_WINS
            and apportion.level is not Level.REGIONS_BY_POPULATION
        ):
            raise InvalidSeatsError(
                f"pipeline {self.name!r}: a {adjust.minimum.value} minimum needs regional "
                "contingents (apportion at regions-by-population)"
            )
        coverage = self.step(DistrictSeats).rule is DistrictRule.COVERAGE
        if coverage and (
            "regional-split" not in kinds
            or kinds.index("district-seats") < kinds.index("regional-split")
        ):
            raise InvalidSeatsError(
                f"pipeline {self.name!r}: coverage needs a regional split first"
            )

    def step(self, kind: type[Any]) -> Any:
        """The pipeline's step of the given class, or ``None`` when it has none."""
        for s in self.steps:
            if isinstance(s, kind):
                return s
        return None

    def words(self) -> list[str]:
        """The steps in words, numbered, as ``tallyroom rules NAME`` prints them."""
        return [f"{i}. {s.words()}" for i, s in enumerate(self.steps, 1)]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form: each step a record with its ``step`` kind."""
        return {
            "name": self.name,
            "description": self.description,
            "steps": [_step_dict(s) for s in self.steps],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pipeline:
        """Inverse of :meth:`to_dict`."""
        steps = []
        for raw in data["steps"]:
            record = dict(raw)
            kind = record.pop("step")
            if kind not in _KINDS:
                raise UnknownRuleSetError(f"unknown step {kind!r}; expected one of: {_KNOWN}")
            if "exempt" in record:
                record["exempt"] = tuple(record["exempt"])
            steps.append(_KINDS[kind](**record))
        return cls(name=data["name"], steps=tuple(steps), description=data.get("description", ""))

    def to_json(self) -> str:
        """The pipeline as a JSON document."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


_KNOWN = ", ".join(_KINDS)


def _step_dict(step: Step) -> dict[str, Any]:
    data: dict[str, Any] = {"step": _KIND_OF[type(step)]}
    for f in fields(step):
        value = getattr(step, f.name)
        if isinstance(value, Fraction):
            value = _share_text(value)
        elif isinstance(value, StrEnum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        data[f.name] = value
    return data


def _share_text(share: Fraction) -> str:
    for digits in range(1, 12):
        text = f"{float(share):.{digits}f}".rstrip("0").rstrip(".") or "0"
        if Fraction(text) == share:
            return text
    return f"{share.numerator}/{share.denominator}"


def _percent(share: Fraction) -> str:
    return f"{_share_text(share * 100)} %"


def from_ruleset(rules: RuleSet) -> Pipeline:
    """A flat New Zealand-style rule set described as a pipeline of steps."""
    level = rules.overhang is OverhangPolicy.LEVEL
    return Pipeline(
        name=rules.name,
        description=rules.description,
        steps=(
            Qualify(rules.threshold, rules.electorate_threshold),
            Apportion(rules.seats, rules.method),
            DistrictSeats(DistrictRule.KEEP_ALL),
            Adjust(AdjustRule.LEVEL if level else AdjustRule.KEEP_OVERHANG, method=rules.method),
        ),
    )


_DE_QUALIFY = Qualify(Fraction(1, 20), 3, ("SSW",))

DE_2013 = Pipeline(
    name="de-2013",
    description=(
        "German Bundestag, BWahlG as amended in 2013 (elections of 2013 and 2017): 598 seats "
        "to the Länder by German population, then to the parties' Land lists; the House is "
        "enlarged until no overhang is left uncompensated."
    ),
    steps=(
        _DE_QUALIFY,
        Apportion(598, Method.SAINTE_LAGUE, Level.REGIONS_BY_POPULATION),
        Adjust(AdjustRule.LEVEL, Minimum.CONTINGENT_OR_DISTRICTS),
        RegionalSplit(Method.SAINTE_LAGUE, at_least_district_wins=True),
        DistrictSeats(DistrictRule.KEEP_ALL),
    ),
)

DE_2020 = Pipeline(
    name="de-2020",
    description=(
        "German Bundestag, BWahlG as amended in 2020 (election of 2021): as de-2013, but "
        "the minimum is the mean of contingent and district seats, and up to three "
        "overhang seats stay uncompensated."
    ),
    steps=(
        _DE_QUALIFY,
        Apportion(598, Method.SAINTE_LAGUE, Level.REGIONS_BY_POPULATION),
        Adjust(AdjustRule.LEVEL, Minimum.MEAN_OF_CONTINGENT_AND_DISTRICTS, uncompensated=3),
        RegionalSplit(Method.SAINTE_LAGUE, at_least_district_wins=True),
        DistrictSeats(DistrictRule.KEEP_ALL),
    ),
)

DE_2023 = Pipeline(
    name="de-2023",
    description=(
        "German Bundestag, BWahlG as amended in 2023 with the Constitutional Court's 2024 "
        "judgment (election of 2025): a fixed House of 630; constituency winners are seated "
        "only as far as their party's second votes cover them (Zweitstimmendeckung)."
    ),
    steps=(
        _DE_QUALIFY,
        Apportion(630, Method.SAINTE_LAGUE, Level.NATION, deduct_unqualified=False),
        RegionalSplit(Method.SAINTE_LAGUE),
        DistrictSeats(DistrictRule.COVERAGE),
        Adjust(AdjustRule.NONE),
    ),
)

SCOTLAND_AMS = Pipeline(
    name="scotland-ams",
    description=(
        "Scottish Parliament additional member system (Scotland Act 1998 ss 6-8): 73 "
        "constituencies and 7 list seats in each of 8 regions, by D'Hondt counting a "
        "party's constituency seats in the region as seats already won; no threshold."
    ),
    steps=(
        Qualify(Fraction(0), None),
        Apportion(7, Method.DHONDT, Level.EACH_REGION, counting_district_seats=True),
        DistrictSeats(DistrictRule.KEEP_ALL),
        Adjust(AdjustRule.NONE),
    ),
)

PIPELINES: dict[str, Pipeline] = {
    p.name: p
    for p in (
        *(from_ruleset(r) for r in (NZ, NZ_REVIEW_2023, LEVELLING)),
        DE_2013,
        DE_2020,
        DE_2023,
        SCOTLAND_AMS,
    )
}


def pipeline_named(name: str) -> Pipeline:
    """The named pipeline, e.g. ``pipeline_named("de-2023")``."""
    try:
        return PIPELINES[name]
    except KeyError:
        known = ", ".join(PIPELINES)
        raise UnknownRuleSetError(f"unknown rule set {name!r}; expected one of: {known}") from None
