"""Leave-future-out backtest: project each past election's final count from its night.

For every election with an earlier one to learn from, the special-vote model is fitted
to the elections before it only, the final count is projected from its election-night
(ordinary) votes, and the projection is scored against the declared result, beside two
baselines scored the same way: *night = final* (the count does not change) and the
*ratio method* (each party's and candidate's special-vote share is its ordinary share
times its national special/ordinary ratio at the previous election; the number of
special votes is the previous election's national rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from tallyroom.forecast.night import Candidate, ElectorateNight, NightCount
from tallyroom.forecast.simulate import Projection, project
from tallyroom.forecast.specials import SpecialModel, fit, predict
from tallyroom.rules.mmp import allocate_mmp
from tallyroom.rules.systems import NZ

METHODS = ("model", "night", "ratio")


@dataclass(frozen=True)
class Declared:
    """The final count's outcome: seats per party key, electorate winners' keys, shares."""

    seats: dict[str, int]
    winners: dict[int, str]
    shares: dict[str, float]


@dataclass(frozen=True)
class Score:
    """One method on one election."""

    year: int
    method: str
    seat_error: int
    """sum over parties of the distance between most likely and declared seats"""
    house_equal: bool
    covered80: tuple[int, int]
    """(party seat figures inside the 80 % interval, party seat figures)"""
    covered95: tuple[int, int]
    share80: tuple[int, int]
    """(vote shares inside the 80 % interval, vote shares of parties with ≥ 1 %)"""
    share95: tuple[int, int]
    brier: float
    electorates: int
    flips: int
    seats: dict[str, int]


def night_count(history: pl.DataFrame, year: int, column: str = "night") -> NightCount:
    """Election ``year`` of ``history`` as counted on the night (or finally: ``final``)."""
    rows = history.filter(pl.col("year") == year)
    if rows.is_empty():
        raise LookupError(f"no election {year} in the history")
    parties = tuple(
        rows.filter(pl.col("contest") == "party")
        .group_by("key")
        .agg(pl.col(column).sum())
        .sort(column, "key", descending=[True, False])["key"]
    )
    electorates = []
    vacant = 0
    for (number, name), part in rows.sort("electorate").group_by(
        "electorate", "name", maintain_order=True
    ):
        party = part.filter(pl.col("contest") == "party")
        candidates = tuple(
            Candidate(k, "" if k.startswith("candidate:") else k, v)
            for k, v in part.filter(pl.col("contest") == "candidate")
            .select("key", column)
            .iter_rows()
        )
        if not any(c.votes for c in candidates):
            vacant += 1
        electorates.append(
            ElectorateNight(number, name, dict(party.select("key", column).iter_rows()), candidates)
        )
    return NightCount(f"nz-{year}", year, parties, tuple(electorates), NZ, vacant)


def declared(history: pl.DataFrame, year: int) -> Declared:
    """The declared result of election ``year``, allocated from its final count."""
    return _outcome(night_count(history, year, "final"))


def _outcome(count: NightCount) -> Declared:
    """Seats, winners and shares of a count taken as final."""
    votes = {p: 0 for p in count.parties}
    for e in count.electorates:
        for p, v in e.party_votes.items():
            votes[p] += v
    winners = {
        e.number: e.leader().party or e.leader().name for e in count.electorates if e.leader()
    }
    won = {p: 0 for p in votes}
    other = 0
    for key in winners.values():
        if key in won:
            won[key] += 1
        else:
            other += 1
    result = allocate_mmp(
        votes, won, count.rules, other_electorates=other, vacant_electorates=count.vacant
    )
    total = sum(votes.values())
    return Declared(result.seats(), winners, {p: 100 * v / total for p, v in votes.items()})


def ratio_method(count: NightCount, model: SpecialModel) -> Declared:
    """The ratio baseline: national ratios and rate only, no electorate detail, no spread."""
    national = replace(model, ratios=model.ratios.clear(), rates=model.rates.clear())
    expected = predict(national, count.frame())
    final = expected.with_columns(
        night=(pl.col("night") + pl.col("share") * pl.col("specials")).round().cast(pl.Int64)
    )
    return _outcome(night_count(final.with_columns(year=pl.lit(count.year)), count.year))


def score_projection(
    year: int, projection: Projection, truth: Declared, leaders: dict[int, str]
) -> Score:
    """How a simulated projection did against the declared result."""
    seats = {p.party: p for p in projection.parties}
    names = set(seats) | set(truth.seats)
    error = sum(abs(int(seats[p].seats.most_likely) - truth.seats.get(p, 0)) for p in seats)
    error += sum(n for p, n in truth.seats.items() if p not in seats)
    counted = [
        p for p in names if p in seats and (truth.seats.get(p) or seats[p].seats.most_likely)
    ]
    shares = [p for p in seats if truth.shares.get(p, 0) >= 1]

    def inside(p: str, level: str, kind: str) -> bool:
        low, high = getattr(getattr(seats[p], kind), level)
        value = truth.seats.get(p, 0) if kind == "seats" else truth.shares[p]
        return low - 0.005 <= value <= high + 0.005

    flips = [
        int(truth.winners.get(e.number) != leaders.get(e.number)) for e in projection.electorates
    ]
    brier = [
        (e.flip_probability - f) ** 2 for e, f in zip(projection.electorates, flips, strict=True)
    ]
    return Score(
        year,
        "model",
        error,
        projection.likely_house == truth.seats,
        (sum(inside(p, "p80", "seats") for p in counted), len(counted)),
        (sum(inside(p, "p95", "seats") for p in counted), len(counted)),
        (sum(inside(p, "p80", "share") for p in shares), len(shares)),
        (sum(inside(p, "p95", "share") for p in shares), len(shares)),
        float(np.mean(brier)) if brier else 0.0,
        len(brier),
        sum(flips),
        {p: int(s.seats.most_likely) for p, s in seats.items() if s.seats.most_likely},
    )


def score_point(
    year: int, method: str, point: Declared, truth: Declared, leaders: dict[int, str]
) -> Score:
    """How a point forecast (no intervals; flips certain or impossible) did."""
    names = set(point.seats) | set(truth.seats)
    error = sum(abs(point.seats.get(p, 0) - truth.seats.get(p, 0)) for p in names)
    numbers = sorted(leaders)
    flips = [int(truth.winners.get(n) != leaders[n]) for n in numbers]
    said = [int(point.winners.get(n) != leaders[n]) for n in numbers]
    brier = [(s - f) ** 2 for s, f in zip(said, flips, strict=True)]
    counted = [p for p in names if point.seats.get(p) or truth.seats.get(p)]
    shares = [p for p in point.shares if truth.shares.get(p, 0) >= 1]
    exact = sum(point.seats.get(p, 0) == truth.seats.get(p, 0) for p in counted)
    near = sum(abs(point.shares[p] - truth.shares[p]) < 0.005 for p in shares)
    return Score(
        year,
        method,
        error,
        point.seats == truth.seats,
        (exact, len(counted)),
        (exact, len(counted)),
        (near, len(shares)),
        (near, len(shares)),
        float(np.mean(brier)) if brier else 0.0,
        len(brier),
        sum(flips),
        dict(point.seats),
    )


def backtest(
    history: pl.DataFrame, years: Sequence[int] | None = None, *, draws: int = 2_000, seed: int = 0
) -> list[Score]:
    """Scores of the model and both baselines for every election of ``history`` that has
    an earlier one (or only ``years``), each fitted to the elections before it."""
    available = sorted(history["year"].unique().to_list())
    targets = [y for y in available[1:] if years is None or y in years]
    scores = []
    for year in targets:
        model = fit(history.filter(pl.col("year") < year), year)
        count = night_count(history, year)
        truth = declared(history, year)
        now = _outcome(count)
        leaders = now.winners
        scores.append(
            score_projection(year, project(count, model, draws=draws, seed=seed), truth, leaders)
        )
        scores.append(score_point(year, "night", now, truth, leaders))
        scores.append(score_point(year, "ratio", ratio_method(count, model), truth, leaders))
    return scores


def pooled(scores: Sequence[Score], method: str) -> dict[str, Any]:
    """One method's scores over all elections."""
    mine = [s for s in scores if s.method == method]

    def rate(field: str) -> float:
        inside = sum(getattr(s, field)[0] for s in mine)
        total = sum(getattr(s, field)[1] for s in mine)
        return round(inside / total, 3) if total else 0.0

    electorates = sum(s.electorates for s in mine)
    return {
        "method": method,
        "elections": len(mine),
        "seat_error": sum(s.seat_error for s in mine),
        "mean_seat_error": round(sum(s.seat_error for s in mine) / len(mine), 2) if mine else 0.0,
        "house_equal": sum(s.house_equal for s in mine),
        "seats_in_80": rate("covered80"),
        "seats_in_95": rate("covered95"),
        "shares_in_80": rate("share80"),
        "shares_in_95": rate("share95"),
        "brier": round(sum(s.brier * s.electorates for s in mine) / electorates, 4)
        if electorates
        else 0.0,
    }


def document(scores: list[Score], draws: int, seed: int) -> dict[str, Any]:
    """The backtest as JSON: every election and method, and each method pooled."""
    return {
        "draws": draws,
        "seed": seed,
        "elections": [
            {
                "year": s.year,
                "method": s.method,
                "seat_error": s.seat_error,
                "house_equal": s.house_equal,
                "seats_in_80": list(s.covered80),
                "seats_in_95": list(s.covered95),
                "shares_in_80": list(s.share80),
                "shares_in_95": list(s.share95),
                "brier": round(s.brier, 4),
                "flips": s.flips,
                "seats": s.seats,
            }
            for s in scores
        ],
        "pooled": [pooled(scores, m) for m in METHODS],
    }
