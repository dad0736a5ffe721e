"""The special-vote model: how an electorate's special votes will split, from its night.

At each earlier election, a party's (or a party's candidate's) share of special votes is
compared with its share of ordinary votes, as a log ratio, nationally and per electorate.
The electorate's ratio is shrunk towards the national one by how noisy it is (few votes,
a large correction; empirical Bayes with the spread between electorates estimated from
the same election). Tonight's special votes in an electorate then split like its
ordinary votes, each party scaled by its ratio, and their number is the electorate's
special-to-ordinary rate at the last election (national rate for new boundaries).

How wrong this has been is measured the same way: the method is run on every earlier
pair of elections (fit on one, predict the next from its night) and the errors of the
national party shares, of each electorate's candidate shares, and of the number of
special votes, nationally and per electorate, become the spreads the simulation draws
from. Only elections before the one projected are read.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import polars as pl

from tallyroom.errors import NotFoundError
from tallyroom.forecast.history import place_key

_PRIOR = 0.5  # votes added to each count in a log ratio (no log of zero)
_MIN_SHARE = 0.01  # errors are measured on parties and candidates with this share at least
FLOORS = {"national": 0.03, "electorate": 0.05, "volume": 0.05, "electorate_volume": 0.05}
"""Smallest spreads (log scale) drawn; also used when no earlier pair of elections exists."""


class NoHistoryError(NotFoundError):
    """No earlier election to fit the special-vote model to."""


@dataclass(frozen=True)
class Spreads:
    """Standard deviations (log scale) of the model's errors at past elections.

    ``national``: a party's national special-vote share; ``electorate``: a candidate's
    share of an electorate's special votes, beyond its party's national error;
    ``volume``: the national number of special votes; ``electorate_volume``: an
    electorate's share of them. ``pairs`` counts the pairs of elections measured.
    """

    national: float
    electorate: float
    volume: float
    electorate_volume: float
    pairs: int


@dataclass(frozen=True)
class SpecialModel:
    """Ratios fitted to one earlier election (``year``) and spreads from all before it."""

    year: int
    ratios: pl.DataFrame
    """contest, place, key → ``ratio`` (log, shrunk towards the national one)"""
    national: pl.DataFrame
    """contest, key → ``ratio`` (log)"""
    rates: pl.DataFrame
    """place → ``rate``: special votes per ordinary vote"""
    rate: float
    """the national special-to-ordinary rate"""
    spreads: Spreads


def fit(history: pl.DataFrame, year: int) -> SpecialModel:
    """The model for projecting election ``year``, from the elections before it only."""
    earlier = history.filter(pl.col("year") < year)
    years = sorted(earlier["year"].unique().to_list())
    if not years:
        raise NoHistoryError(f"no election before {year} to learn special votes from")
    errors = [
        _errors(
            _relations(earlier.filter(pl.col("year") <= a)), earlier.filter(pl.col("year") == b)
        )
        for a, b in itertools.pairwise(years)
    ]
    return _relations(earlier, _spreads(errors))


def predict(
    model: SpecialModel, night: pl.DataFrame, specials: float | None = None
) -> pl.DataFrame:
    """Expected special votes for every electorate, contest and key of ``night`` (history
    columns; ``night`` is the ordinary vote, counted or projected).

    Adds ``share`` (of the electorate's special votes in that contest), ``specials`` (the
    electorate's expected special votes) and ``ratio``. ``specials`` scales the national
    total to a given number."""
    rows = night.with_columns(place=pl.col("name").map_elements(place_key, pl.String))
    rows = (
        rows.join(model.ratios, on=["contest", "place", "key"], how="left")
        .join(model.national.rename({"ratio": "national"}), on=["contest", "key"], how="left")
        .join(model.rates, on="place", how="left")
        .with_columns(
            ratio=pl.coalesce("ratio", "national", pl.lit(0.0)),
            rate=pl.col("rate").fill_null(model.rate),
        )
    )
    weight = (pl.col("night") + _PRIOR) * pl.col("ratio").exp()
    group = ["electorate", "contest"]
    rows = rows.with_columns(
        share=weight / weight.sum().over(group),
        specials=pl.col("rate") * pl.col("night").sum().over(group),
    )
    if specials is not None:
        party = rows.filter(pl.col("contest") == "party").unique("electorate")
        expected = float(party["specials"].sum())
        scale = specials / expected if expected else 0.0
        rows = rows.with_columns(specials=pl.col("specials") * scale)
    return rows.drop("place", "national", "rate")


def _relations(history: pl.DataFrame, spreads: Spreads | None = None) -> SpecialModel:
    """Ratios and rates of the latest election of ``history``. (Averaging the ratios of
    several elections, older ones weighted less, did worse in the backtest.)"""
    year = int(history["year"].max())
    latest = history.filter(pl.col("year") == year)
    ratios, national = _ratios(latest)
    party = (
        _with_specials(latest)
        .filter(pl.col("contest") == "party")
        .group_by("place")
        .agg(pl.col("night").sum(), pl.col("special").sum())
    )
    rates = party.select("place", rate=pl.col("special") / pl.col("night"))
    rate = float(party["special"].sum() / party["night"].sum())
    return SpecialModel(year, ratios, national, rates, rate, spreads or _spreads([]))


def _with_specials(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.with_columns(
        special=(pl.col("final") - pl.col("night")).clip(lower_bound=0),
        place=pl.col("name").map_elements(place_key, pl.String),
    )


def _ratios(election: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One election's shrunk electorate ratios and its national ratios."""
    rows = _with_specials(election)
    national = (
        rows.group_by("contest", "key")
        .agg(pl.col("night").sum(), pl.col("special").sum())
        .sort("contest", "key")
    )
    national = national.with_columns(ratio=_log_ratio("contest")).select("contest", "key", "ratio")
    local = rows.with_columns(raw=_log_ratio("contest", "electorate")).join(
        national, on=["contest", "key"]
    )
    local = local.with_columns(
        noise=1 / (pl.col("special") + _PRIOR) + 1 / (pl.col("night") + _PRIOR),
        gap=pl.col("raw") - pl.col("ratio"),
    )
    between = local.group_by("contest").agg(
        tau=((pl.col("gap") ** 2 - pl.col("noise")) * pl.col("night")).sum() / pl.col("night").sum()
    )
    local = local.join(between, on="contest").with_columns(tau=pl.col("tau").clip(lower_bound=1e-4))
    ratios = local.select(
        "contest",
        "place",
        "key",
        ratio=pl.col("ratio") + pl.col("gap") * pl.col("tau") / (pl.col("tau") + pl.col("noise")),
    )
    return ratios, national


def _log_ratio(*over: str) -> pl.Expr:
    """log(special share / ordinary share) of each row within ``over``."""
    special = (pl.col("special") + _PRIOR) / pl.col("special").sum().over(over)
    night = (pl.col("night") + _PRIOR) / pl.col("night").sum().over(over)
    return (special / night).log()


def _errors(model: SpecialModel, actual: pl.DataFrame) -> dict[str, list[float]]:
    """Log errors of ``model`` predicting election ``actual`` from its night."""
    rows = predict(model, actual).with_columns(
        special=(pl.col("final") - pl.col("night")).clip(lower_bound=0)
    )
    electorate_specials = (
        rows.group_by("electorate", "contest")
        .agg(pl.col("special").sum().alias("actual_total"), pl.col("specials").first())
        .sort("electorate", "contest")  # sums below in one order: the same result every run
    )
    rows = rows.join(electorate_specials.drop("specials"), on=["electorate", "contest"])
    national = rows.group_by("contest", "key", maintain_order=True).agg(
        predicted=(pl.col("share") * pl.col("specials")).sum(), actual=pl.col("special").sum()
    )
    national = national.with_columns(
        predicted=pl.col("predicted") / pl.col("predicted").sum().over("contest"),
        actual=pl.col("actual") / pl.col("actual").sum().over("contest"),
    ).with_columns(error=(pl.col("actual") / pl.col("predicted")).log())
    big = national.filter(pl.col("actual") >= _MIN_SHARE, pl.col("predicted") > 0)
    local = (
        rows.join(national.select("contest", "key", shift="error"), on=["contest", "key"])
        .filter(pl.col("contest") == "candidate", pl.col("actual_total") > 0)
        .with_columns(actual_share=pl.col("special") / pl.col("actual_total"))
        .filter(pl.col("actual_share") >= 5 * _MIN_SHARE, pl.col("share") >= 5 * _MIN_SHARE)
        .with_columns(
            error=(pl.col("actual_share") / pl.col("share")).log() - pl.col("shift").fill_nan(0.0)
        )
    )
    volumes = electorate_specials.filter(pl.col("contest") == "party", pl.col("actual_total") > 0)
    total = math.log(volumes["actual_total"].sum() / volumes["specials"].sum())
    spread = (volumes["actual_total"] / volumes["specials"]).log() - total
    return {
        "national": big.filter(pl.col("contest") == "party")["error"].to_list(),
        "electorate": local["error"].drop_nans().to_list(),
        "volume": [total],
        "electorate_volume": spread.to_list(),
    }


def _spreads(errors: list[dict[str, list[float]]]) -> Spreads:
    """Root mean square of each kind of error over the pairs of elections, floored."""

    def rms(kind: str) -> float:
        values = [v for e in errors for v in e[kind] if math.isfinite(v)]
        found = math.sqrt(math.fsum(v * v for v in values) / len(values)) if values else 0.0
        return max(found, FLOORS[kind])

    return Spreads(
        national=rms("national"),
        electorate=rms("electorate"),
        volume=rms("volume"),
        electorate_volume=rms("electorate_volume"),
        pairs=len(errors),
    )
