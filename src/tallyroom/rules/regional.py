"""Run a :class:`~tallyroom.rules.steps.Pipeline` on an election with regions and districts.

The input is pure data: each region's party (second/list) votes and population, and each
district's winning party with the winner's votes and the district's valid votes. The
steps run in the pipeline's order, each reading and updating one working state, and each
leaves a line in :attr:`RegionalResult.trace` saying what it did. Seats are decided by
integer arithmetic only (:func:`tallyroom.rules.apportion.allocate` and the exact
highest-averages loop :func:`allocate_from`); first-vote shares are compared as
:class:`~fractions.Fraction`.

A tie for a seat is never broken silently: without a ``lot`` the run stops with
:class:`UndecidedTieError`; with a seeded :class:`random.Random` the tie is drawn and
the trace says so.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from tallyroom.rules.apportion import Method, allocate
from tallyroom.rules.errors import (
    InvalidSeatsError,
    InvalidVotesError,
    RulesError,
    UnknownChoiceError,
    require_count,
)
from tallyroom.rules.steps import (
    Adjust,
    AdjustRule,
    Apportion,
    DistrictRule,
    DistrictSeats,
    Level,
    Minimum,
    Pipeline,
    Qualify,
    RegionalSplit,
)

_LEVELLING_LIMIT = 10  # a levelled House never grows beyond this many times its size
_DIVISOR_STEP = {Method.SAINTE_LAGUE: (1, 2), Method.DHONDT: (1, 1)}
"""The exact divisor after ``s`` seats is ``first + step * s``: Sainte-Laguë 1, 3, 5, ...
(the priorities ``v / (s + 1/2)`` doubled), D'Hondt 1, 2, 3, ..."""


class UndecidedTieError(RulesError):
    """Parties are tied for a seat and no lot was given to settle it."""


@dataclass(frozen=True)
class Region:
    """One region (a German Land, a Scottish region): its list votes per party and, where
    the law gives regions seat contingents, its population."""

    name: str
    votes: Mapping[str, int]
    population: int | None = None


@dataclass(frozen=True)
class District:
    """One district (Wahlkreis, constituency): the winner's party (``None`` for an
    independent), the winner's first votes and the district's valid first votes."""

    name: str
    region: str
    winner: str | None
    winner_votes: int
    valid_votes: int

    @property
    def share(self) -> Fraction:
        """The winner's share of the district's valid first votes, exactly."""
        return Fraction(self.winner_votes, self.valid_votes) if self.valid_votes else Fraction(0)


@dataclass(frozen=True)
class RegionalPartySeats:
    """One party's seats: in all and per region, split into district and list seats."""

    party: str
    votes: int
    qualified: bool
    seats: int
    districts_won: int
    districts_seated: int
    overhang: int
    by_region: Mapping[str, int]
    districts_by_region: Mapping[str, int] = field(default_factory=dict)
    """district winners seated, per region"""

    @property
    def list_seats(self) -> int:
        """Seats filled from the party's lists."""
        return self.seats - self.districts_seated


@dataclass(frozen=True)
class RegionalResult:
    """The outcome of a pipeline run; ``trace`` is one line per step, in order."""

    pipeline: Pipeline
    parties: tuple[RegionalPartySeats, ...]
    independents: int
    unseated: tuple[District, ...]
    trace: tuple[str, ...] = field(default=())

    @property
    def house_size(self) -> int:
        """Every seat in the House: party seats, seated independents and seated winners
        of parties that take no part in the apportionment."""
        return sum(p.seats for p in self.parties) + self.independents

    def seats(self) -> dict[str, int]:
        """Total seats per party that holds any, largest first."""
        return {p.party: p.seats for p in self.parties if p.seats}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the result."""
        return {
            "rules": self.pipeline.to_dict(),
            "house_size": self.house_size,
            "seats": self.seats(),
            "independents": self.independents,
            "parties": [
                {
                    "party": p.party,
                    "votes": p.votes,
                    "qualified": p.qualified,
                    "seats": p.seats,
                    "districts_won": p.districts_won,
                    "districts_seated": p.districts_seated,
                    "list": p.list_seats,
                    "overhang": p.overhang,
                    "by_region": dict(p.by_region),
                    "districts_by_region": dict(p.districts_by_region),
                }
                for p in self.parties
            ],
            "unseated": [
                {
                    "district": d.name,
                    "region": d.region,
                    "party": d.winner,
                    "share": float(d.share),
                }
                for d in self.unseated
            ],
            "trace": list(self.trace),
        }


def allocate_from(
    votes: Sequence[int],
    held: Sequence[int],
    seats: int,
    method: Method,
    *,
    lot: random.Random | None = None,
    what: str = "a seat",
) -> list[int]:
    """Give ``seats`` more seats, one at a time, to the highest ``votes / divisor(held)``.

    ``held`` are seats each party already has (district seats counted as won, or a
    minimum it is guaranteed): D'Hondt or Sainte-Laguë then continues from there. Exact:
    priorities are compared by integer cross-multiplication. A tie for the last seats
    is drawn from ``lot`` or raises :class:`UndecidedTieError`.

    The seat-by-seat loop starts from :func:`_below_result`, seats every party is sure
    to reach, so it runs only for the last few seats; the result is the same.
    """
    step = _DIVISOR_STEP.get(method)
    if step is None:
        raise InvalidSeatsError(
            f"only sainte-lague and dhondt can continue from seats held, not {method.value}"
        )
    first, every = step
    bidders = [i for i, v in enumerate(votes) if v > 0]
    if seats and not bidders:
        raise InvalidVotesError(f"{seats} seats to give but no party has any votes")
    now = _below_result(votes, held, seats, first, every) if seats else list(held)
    left = sum(held) + seats - sum(now)
    divisor = [first + every * n for n in now]
    while left > 0:
        best = bidders[0]
        level = [best]
        for i in bidders[1:]:
            ahead = votes[i] * divisor[best] - votes[best] * divisor[i]
            if ahead > 0:
                best = i
                level = [i]
            elif ahead == 0:
                level.append(i)
        if len(level) > left:
            if lot is None:
                raise UndecidedTieError(
                    f"tie for {what}: {left} seat(s) among {len(level)} parties"
                )
            level = lot.sample(level, left)
        for i in level:
            now[i] += 1
            divisor[i] += every
        left -= len(level)
    return now


def _below_result(
    votes: Sequence[int], held: Sequence[int], seats: int, first: int, every: int
) -> list[int]:
    """Seats no party will fall below when ``seats`` more are given from ``held``.

    Continuing a highest-averages loop from ``held`` gives each party
    ``max(held, n(x))`` for the right threshold ``x``, where ``n(x)`` counts the party's
    priorities ``votes / (first + every * s)`` above ``x``. Such allocations are nested,
    so any threshold whose allocation does not exceed the seats to fill is at or below
    the result for every party. ``x = P / Q`` starts near the average priority and
    rises until the allocation fits; all in integers.
    """
    total = sum(held) + seats
    p, q = max(sum(votes), 1), every * total
    while True:
        below = [
            max(h, (v * q - p * first + p * every - 1) // (p * every) if v * q > p * first else 0)
            for v, h in zip(votes, held, strict=True)
        ]
        if sum(below) <= total:
            return below
        p += p // 8 + 1


def run_pipeline(
    pipeline: Pipeline,
    regions: Sequence[Region],
    districts: Sequence[District],
    *,
    lot: random.Random | None = None,
) -> RegionalResult:
    """Allocate the House by ``pipeline`` from regional list votes and district winners."""
    run = _Run(pipeline, regions, districts, lot)
    for step in pipeline.steps:
        match step:
            case Qualify():
                run.qualify(step)
            case Apportion():
                run.apportion(step)
            case Adjust():
                run.adjust(step)
            case RegionalSplit():
                run.split(step)
            case DistrictSeats():
                run.district_seats(step)
    return run.result()


class _Run:
    """The working state of one pipeline run."""

    def __init__(
        self,
        pipeline: Pipeline,
        regions: Sequence[Region],
        districts: Sequence[District],
        lot: random.Random | None,
    ) -> None:
        self.pipeline = pipeline
        self.lot = lot
        self.regions = sorted(regions, key=lambda r: r.name)
        names = [r.name for r in self.regions]
        if len(set(names)) != len(names):
            raise UnknownChoiceError("region names must be distinct")
        self.districts = sorted(districts, key=lambda d: (d.region, d.name))
        votes: dict[str, int] = {}
        for r in self.regions:
            for party, n in r.votes.items():
                if type(n) is not int or n < 0:
                    n = require_count(f"votes for {party!r}", n)
                votes[party] = votes.get(party, 0) + n
        self.parties = sorted(votes)
        self.votes = votes
        self.total = sum(votes.values())
        if not self.total:
            raise InvalidVotesError("no party has any votes")
        self.wins: dict[str, dict[str, int]] = {p: {} for p in self.parties}
        self.independents = 0
        known = set(names)
        for d in self.districts:
            if d.region not in known:
                raise UnknownChoiceError(f"district {d.name!r} is in unknown region {d.region!r}")
            if type(d.winner_votes) is not int or d.winner_votes < 0:
                require_count(f"winner's votes in {d.name!r}", d.winner_votes)
            if type(d.valid_votes) is not int or d.valid_votes < 0:
                require_count(f"valid votes in {d.name!r}", d.valid_votes)
            if d.winner is None:
                self.independents += 1
            elif d.winner in self.wins:
                self.wins[d.winner][d.region] = self.wins[d.winner].get(d.region, 0) + 1
            else:
                raise UnknownChoiceError(
                    f"district {d.name!r} won by {d.winner!r}, which has no list votes; "
                    "give it as an independent (winner None)"
                )
        self.qualified: list[str] = []
        self.contingent: dict[str, dict[str, int]] = {}
        self.seats: dict[str, int] = {}
        self.by_region: dict[str, dict[str, int]] = {}
        self.seated: dict[str, dict[str, int]] = {}
        self.overhang: dict[str, int] = {}
        self.unseated: list[District] = []
        self.trace: list[str] = []

    def won(self, party: str) -> int:
        return sum(self.wins[party].values())

    def qualify(self, step: Qualify) -> None:
        t = step.threshold
        out = []
        for p in self.parties:
            v = self.votes[p]
            wins = self.won(p)
            if v > 0 and v * t.denominator >= t.numerator * self.total:
                self.qualified.append(p)
            elif step.district_wins is not None and wins >= step.district_wins:
                self.qualified.append(p)
                out.append(f"{p} by {wins} district win{'s' if wins > 1 else ''}")
            elif v > 0 and p in step.exempt:
                self.qualified.append(p)
                out.append(f"{p} exempt from the threshold")
        line = f"Qualify: {len(self.qualified)} parties ({', '.join(self.qualified)})"
        self.trace.append(line + (f"; {'; '.join(out)}" if out else "") + ".")

    def _outside(self, step: Apportion) -> int:
        """District seats that come off the apportioned seats."""
        unqualified = sum(self.won(p) for p in self.parties if p not in self.qualified)
        return self.independents + (unqualified if step.deduct_unqualified else 0)

    def _allocate(self, votes: list[int], seats: int, method: Method, what: str) -> list[int]:
        result = allocate(votes, seats, method, lot=self.lot)
        if result.tie and not result.lot_winners:
            raise UndecidedTieError(f"tie for {what}: {result.tie.seats} seat(s)")
        if result.lot_winners:
            self.trace.append(f"Tie for {what} drawn by lot.")
        return list(result.seats)

    def apportion(self, step: Apportion) -> None:
        q = self.qualified
        if step.level is Level.NATION:
            shared = step.seats - self._outside(step)
            if shared < 0:
                raise InvalidSeatsError(
                    f"more district seats outside the apportionment than {step.seats}"
                )
            votes = [self.votes[p] for p in q]
            if step.counting_district_seats:
                got = allocate_from(
                    votes,
                    [self.won(p) for p in q],
                    shared - sum(self.won(p) for p in q),
                    step.method,
                    lot=self.lot,
                    what="the national seats",
                )
            else:
                got = self._allocate(votes, shared, step.method, "the national seats")
            self.seats = dict(zip(q, got, strict=True))
            self.trace.append(
                f"Apportion: {shared} seats nationally by {step.method.value}: "
                + _listing(self.seats)
                + "."
            )
            return
        if step.level is Level.REGIONS_BY_POPULATION:
            if any(r.population is None for r in self.regions):
                raise InvalidVotesError("seat contingents need every region's population")
            sizes = self._allocate(
                [r.population or 0 for r in self.regions],
                step.seats,
                step.method,
                "the regional contingents",
            )
            outside = {r.name: 0 for r in self.regions}
            for d in self.districts:
                if d.winner is None or (step.deduct_unqualified and d.winner not in q):
                    outside[d.region] += 1
            self.contingent = {p: {} for p in q}
            for region, size in zip(self.regions, sizes, strict=True):
                got = self._allocate(
                    [region.votes.get(p, 0) for p in q],
                    size - outside[region.name],
                    step.method,
                    f"the seats of {region.name}",
                )
                for p, n in zip(q, got, strict=True):
                    self.contingent[p][region.name] = n
            self.seats = {p: sum(self.contingent[p].values()) for p in q}
            self.by_region = {p: dict(self.contingent[p]) for p in q}
            self.trace.append(
                f"Apportion: {step.seats} seats to the regions by population ("
                + ", ".join(f"{r.name} {n}" for r, n in zip(self.regions, sizes, strict=True))
                + "), then to the parties in each region: "
                + _listing(self.seats)
                + "."
            )
            return
        self.by_region = {p: {} for p in q}
        for region in self.regions:
            votes = [region.votes.get(p, 0) for p in q]
            if step.counting_district_seats:
                held = [self.wins[p].get(region.name, 0) for p in q]
                got = allocate_from(
                    votes,
                    held,
                    step.seats,
                    step.method,
                    lot=self.lot,
                    what=f"the seats of {region.name}",
                )
            else:
                got = self._allocate(votes, step.seats, step.method, f"the seats of {region.name}")
            for p, n in zip(q, got, strict=True):
                self.by_region[p][region.name] = n
        self.seats = {p: sum(self.by_region[p].values()) for p in q}
        self.trace.append(
            f"Apportion: {step.seats} seats in each region by {step.method.value}: "
            + _listing(self.seats)
            + "."
        )

    def _minimum(self, rule: Minimum) -> dict[str, int]:
        if rule is Minimum.DISTRICT_WINS:
            return {p: self.won(p) for p in self.qualified}
        out = {}
        for p in self.qualified:
            total = 0
            for region in self.regions:
                wins = self.wins[p].get(region.name, 0)
                contingent = self.contingent[p].get(region.name, 0)
                if rule is Minimum.CONTINGENT_OR_DISTRICTS:
                    total += max(wins, contingent)
                else:
                    total += max(wins, -(-(wins + contingent) // 2))
            out[p] = total
        return out

    def adjust(self, step: Adjust) -> None:
        q = self.qualified
        if step.rule is AdjustRule.NONE:
            self.trace.append("Adjust: none.")
            return
        if step.rule is AdjustRule.KEEP_OVERHANG:
            self.overhang = {p: max(self.won(p) - self.seats[p], 0) for p in q}
            self.seats = {p: max(self.seats[p], self.won(p)) for p in q}
            self.trace.append(f"Adjust: overhang kept: {sum(self.overhang.values())} seat(s).")
            return
        minimum = self._minimum(step.minimum)
        votes = [self.votes[p] for p in q]
        shared = sum(self.seats.values())
        start = shared
        limit = _LEVELLING_LIMIT * max(shared, 1)
        while True:
            trial = allocate(votes, shared, step.method)
            if trial.tie and self.lot is None:
                shared += 1  # a tie below the final size decides nothing; grow past it
                if shared > limit:
                    raise InvalidSeatsError("levelling would enlarge the House too far")
                continue
            got = dict(
                zip(
                    q, self._allocate(votes, shared, step.method, "the levelled seats"), strict=True
                )
            )
            short = {p: max(minimum[p] - got[p], 0) for p in q}
            if sum(short.values()) <= step.uncompensated:
                break
            shared += 1
            if shared > limit:
                raise InvalidSeatsError(
                    "levelling would enlarge the House beyond ten times its size"
                )
        self.overhang = short
        self.seats = {p: got[p] + short[p] for p in q}
        self.by_region = {}
        text = (
            f"Adjust: minimum seats {_listing(minimum)}; the shared seats grow from {start} "
            f"to {shared}: {_listing(got)}"
        )
        if any(short.values()):
            text += f"; uncompensated overhang {_listing({p: n for p, n in short.items() if n})}"
        self.trace.append(text + ".")

    def split(self, step: RegionalSplit) -> None:
        names = [r.name for r in self.regions]
        for p in self.qualified:
            votes = [next(r.votes.get(p, 0) for r in self.regions if r.name == n) for n in names]
            floor = [self.wins[p].get(n, 0) if step.at_least_district_wins else 0 for n in names]
            seats = self.seats[p]
            if sum(floor) >= seats:
                got = floor
                self.seats[p] = sum(floor)
            else:
                got = allocate_from(
                    votes,
                    floor,
                    seats - sum(floor),
                    step.method,
                    lot=self.lot,
                    what=f"{p}'s regional seats",
                )
            self.by_region[p] = {n: k for n, k in zip(names, got, strict=True) if k}
        self.trace.append(
            f"Regional split by {step.method.value}"
            + (" with district wins as minimum" if step.at_least_district_wins else "")
            + "."
        )

    def district_seats(self, step: DistrictSeats) -> None:
        q = set(self.qualified)
        if step.rule is DistrictRule.KEEP_ALL:
            self.seated = {p: dict(self.wins[p]) for p in self.parties}
            self.trace.append(f"District seats: all {len(self.districts)} winners seated.")
            return
        by_list: dict[tuple[str, str], list[District]] = {}
        for d in self.districts:
            if d.winner is None:
                continue
            if d.winner not in q:
                self.unseated.append(d)
                continue
            by_list.setdefault((d.winner, d.region), []).append(d)
        for (party, region), winners in by_list.items():
            cover = self.by_region.get(party, {}).get(region, 0)
            ranked = _by_share(winners)
            if 0 < cover < len(ranked) and ranked[cover - 1].share == ranked[cover].share:
                raise UndecidedTieError(f"{party} winners in {region} tie on first-vote share")
            self.seated.setdefault(party, {})[region] = min(cover, len(ranked))
            self.unseated.extend(ranked[cover:])
        self.unseated.sort(key=lambda d: (d.region, -d.share, d.name))
        self.trace.append(f"District seats by coverage: {len(self.unseated)} winner(s) not seated.")

    def result(self) -> RegionalResult:
        q = set(self.qualified)
        parties = []
        for p in self.parties:
            seated = {r: n for r, n in self.seated.get(p, {}).items() if n}
            seats = self.seats.get(p, 0) if p in q else sum(seated.values())
            parties.append(
                RegionalPartySeats(
                    party=p,
                    votes=self.votes[p],
                    qualified=p in q,
                    seats=seats,
                    districts_won=self.won(p),
                    districts_seated=sum(seated.values()),
                    overhang=self.overhang.get(p, 0),
                    by_region=dict(self.by_region.get(p, {})),
                    districts_by_region=seated,
                )
            )
        parties.sort(key=lambda r: (-r.seats, -r.votes, r.party))
        return RegionalResult(
            pipeline=self.pipeline,
            parties=tuple(parties),
            independents=self.independents,
            unseated=tuple(self.unseated),
            trace=tuple(self.trace),
        )


def _by_share(winners: list[District]) -> list[District]:
    """Winners by first-vote share, highest first, exactly; ties keep their order.

    Float division is correctly rounded and so never reverses two shares; only when two
    floats are equal are the shares compared as fractions.
    """
    ranked = sorted(winners, key=_float_share, reverse=True)
    if any(_float_share(a) == _float_share(b) for a, b in itertools.pairwise(ranked)):
        ranked = sorted(winners, key=lambda d: d.share, reverse=True)
    return ranked


def _float_share(d: District) -> float:
    return d.winner_votes / d.valid_votes if d.valid_votes else 0.0


def _listing(seats: Mapping[str, int]) -> str:
    return ", ".join(f"{p} {n}" for p, n in sorted(seats.items(), key=lambda x: (-x[1], x[0])))
