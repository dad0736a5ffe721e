"""Simulated final counts from election night: draw the special votes, add them, decide
every electorate and allocate the House, many times over.

Each draw takes the number of special votes (the expected number times a log-normal
error), each party's national shift away from its expected special-vote share, each
electorate's share of the special votes, and each candidate's own shift in their
electorate, with the spreads the special-vote model learned from past elections. The
shifts of a party's list and of its candidates are the same draw. Draws are seeded:
the same inputs and seed give the same projection.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from tallyroom.errors import InvalidError
from tallyroom.forecast.batch import allocate_mmp_batch
from tallyroom.forecast.history import choice_key
from tallyroom.forecast.night import NightCount
from tallyroom.forecast.specials import SpecialModel, Spreads, predict

DEFAULT_DRAWS = 100_000
MAX_DRAWS = 1_000_000
"""The most draws one projection makes (its figures are kept in memory, ~200 bytes each)."""
SPECIALS_SPREAD = 0.05
"""Relative error assumed for a given number of special votes (the Commission's
election-night estimate has been within a few per cent of the final number)."""
BLOCS = (
    ("National Party", "ACT New Zealand"),
    ("National Party", "ACT New Zealand", "New Zealand First Party"),
    ("Labour Party", "Green Party"),
    ("Labour Party", "Green Party", "Te Pāti Māori"),
)
"""Default blocs, by the parties' names across elections."""
_CANDIDATES = 3  # candidates per electorate simulated one by one (the rest cannot win)
_CHUNK = 5_000
_INTERVALS = {"p80": (0.10, 0.90), "p95": (0.025, 0.975)}


class ProjectionError(InvalidError, ValueError):
    """A projection that cannot be made from these inputs."""


@dataclass(frozen=True)
class Range:
    """A projected figure: most likely value and 80 % and 95 % intervals."""

    most_likely: float
    p80: tuple[float, float]
    p95: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a projected figure."""
        return {"most_likely": self.most_likely, "p80": list(self.p80), "p95": list(self.p95)}


@dataclass(frozen=True)
class PartyProjection:
    """A party's projected share of the party vote and seats."""

    party: str
    share: Range
    """percent of valid party votes"""
    seats: Range


@dataclass(frozen=True)
class ElectorateProjection:
    """An electorate's candidate ahead now, the chance the lead changes hands, and the
    candidate who wins most draws."""

    number: int
    name: str
    leader_now: str
    leader_party: str
    flip_probability: float
    likely_winner: str


@dataclass(frozen=True)
class BlocProjection:
    """The chance that a bloc of parties holds more than half the House."""

    parties: tuple[str, ...]
    majority_probability: float


@dataclass(frozen=True)
class Projection:
    """Where the seats land over all draws."""

    election: str
    stage: str
    parties: tuple[PartyProjection, ...]
    electorates: tuple[ElectorateProjection, ...]
    blocs: tuple[BlocProjection, ...]
    house: Range
    likely_house: dict[str, int]
    """the seat allocation drawn most often"""
    draws: int
    seed: int
    specials: float
    """special votes expected"""
    specials_spread: float
    model_year: int
    tied_draws: float
    """share of draws with a seat left tied"""

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``tallyroom project --json`` and the projection API."""
        return {
            "election": self.election,
            "stage": self.stage,
            "parties": [
                {"party": p.party, "share": p.share.to_dict(), "seats": p.seats.to_dict()}
                for p in self.parties
            ],
            "electorates": [
                {
                    "number": e.number,
                    "name": e.name,
                    "leader_now": e.leader_now,
                    "leader_party": e.leader_party,
                    "flip_probability": e.flip_probability,
                    "likely_winner": e.likely_winner,
                }
                for e in self.electorates
            ],
            "blocs": [
                {"parties": list(b.parties), "majority_probability": b.majority_probability}
                for b in self.blocs
            ],
            "house": {**self.house.to_dict(), "likely_seats": self.likely_house},
            "draws": self.draws,
            "seed": self.seed,
            "specials": {"expected": round(self.specials), "spread": self.specials_spread},
            "model": {"fitted_to": self.model_year},
            "tied_draws": self.tied_draws,
        }


@dataclass(frozen=True)
class _Field:
    """The candidates simulated in each electorate (rows), padded to one width."""

    numbers: list[int]
    names: list[str]
    ordinary: npt.NDArray[np.float64]
    log_share: npt.NDArray[np.float64]
    specials: npt.NDArray[np.float64]
    party: npt.NDArray[np.int64]
    """party-ballot index of each candidate's party, -1 for none"""
    real: npt.NDArray[np.bool_]
    people: list[list[str]]
    parties_of: list[list[str]]


def project(
    count: NightCount,
    model: SpecialModel,
    *,
    specials: float | None = None,
    specials_spread: float | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    blocs: Sequence[Sequence[str]] = BLOCS,
) -> Projection:
    """Project the final count of ``count`` with special votes drawn from ``model``.

    ``specials`` is the number of special votes expected (the model's estimate when
    ``None``); its relative error is ``specials_spread`` (default
    :data:`SPECIALS_SPREAD` for a given number, the model's learned spread otherwise).
    """
    if not 1 <= draws <= MAX_DRAWS:
        raise ProjectionError(f"draws must be from 1 to {MAX_DRAWS:,}, not {draws:,}")
    if seed < 0:
        raise ProjectionError(f"the seed must be a whole number ≥ 0, not {seed}")
    if specials is not None and specials < 0:
        raise ProjectionError(f"special votes expected cannot be negative ({specials})")
    if not count.parties:
        raise ProjectionError(f"{count.election}: no party votes counted yet")
    expected = predict(model, count.frame(), specials)
    keys = [choice_key("party", p, p) for p in count.parties]
    party_rows = expected.filter(pl.col("contest") == "party")
    by_key = party_rows.group_by("key").agg(
        pl.col("night").sum(), (pl.col("share") * pl.col("specials")).sum().alias("special")
    )
    night = dict(zip(by_key["key"], by_key["night"], strict=True))
    special = dict(zip(by_key["key"], by_key["special"], strict=True))
    ordinary = np.array([night.get(k, 0) for k in keys], dtype=np.float64)
    if not ordinary.sum():
        raise ProjectionError(f"{count.election}: no party votes counted yet")
    total = float(party_rows.unique("electorate")["specials"].sum())
    base = np.array([special.get(k, 0.0) for k in keys]) + 1e-9
    base_log = np.log(base / base.sum())
    if specials_spread is None:
        specials_spread = SPECIALS_SPREAD if specials is not None else model.spreads.volume
    field = _field(count, expected, keys)
    inputs = _DrawInputs(
        ordinary=ordinary,
        base_log=base_log,
        total=total,
        specials_spread=specials_spread,
        field=field,
        spreads=model.spreads,
        count=count,
    )
    sizes = [min(_CHUNK, draws - start) for start in range(0, draws, _CHUNK)]
    streams = np.random.SeedSequence(seed).spawn(len(sizes))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        chunks = list(pool.map(inputs.draw, streams, sizes))
    share_all = np.concatenate([c.shares for c in chunks])
    seat_all = np.concatenate([c.seats for c in chunks])
    house_all = np.concatenate([c.houses for c in chunks])
    ties = sum(c.ties for c in chunks)
    flips = sum(c.flips for c in chunks)
    wins = sum(c.wins for c in chunks)
    parties = tuple(
        PartyProjection(
            party,
            _continuous(100 * share_all[:, i]),
            _discrete(seat_all[:, i]),
        )
        for i, party in enumerate(count.parties)
    )
    parties = tuple(sorted(parties, key=lambda p: (-p.seats.most_likely, -p.share.most_likely)))
    electorates = tuple(
        ElectorateProjection(
            number,
            field.names[e],
            field.people[e][0],
            field.parties_of[e][0],
            round(float(flips[e] / draws), 4),
            field.people[e][int(wins[e].argmax())],
        )
        for e, number in enumerate(field.numbers)
    )
    index = {k: i for i, k in enumerate(keys)}
    bloc_results = []
    for bloc in blocs:
        members = [index[b] for b in bloc if b in index]
        if members:
            held = seat_all[:, members].sum(axis=1)
            bloc_results.append(
                BlocProjection(
                    tuple(count.parties[i] for i in members),
                    round(float((2 * held > house_all).mean()), 4),
                )
            )
    likely = _likely_house(seat_all)
    return Projection(
        election=count.election,
        stage=count.stage,
        parties=parties,
        electorates=electorates,
        blocs=tuple(bloc_results),
        house=_discrete(house_all),
        likely_house={p: int(s) for p, s in zip(count.parties, likely, strict=True) if s},
        draws=draws,
        seed=seed,
        specials=total,
        specials_spread=specials_spread,
        model_year=model.year,
        tied_draws=round(ties / draws, 4),
    )


@dataclass(frozen=True)
class _Chunk:
    """One chunk of draws: shares and seats per draw, and tallies over its draws."""

    shares: npt.NDArray[np.float32]
    seats: npt.NDArray[np.int32]
    houses: npt.NDArray[np.int64]
    ties: int
    flips: npt.NDArray[np.float64]
    """draws in which each electorate's leader lost"""
    wins: npt.NDArray[np.float64]
    """draws won by each simulated candidate"""


@dataclass(frozen=True)
class _DrawInputs:
    """What every draw starts from: the count, the expected special votes and spreads."""

    ordinary: npt.NDArray[np.float64]
    base_log: npt.NDArray[np.float64]
    total: float
    specials_spread: float
    field: _Field
    spreads: Spreads
    count: NightCount

    def draw(self, stream: np.random.SeedSequence, n: int) -> _Chunk:
        """``n`` draws from their own random stream, so chunks can run on any thread
        in any order and still give the seed's projection."""
        rng = np.random.default_rng(stream)
        spread = self.specials_spread
        volume = self.total * np.exp(spread * rng.standard_normal(n) - spread**2 / 2)
        shift = rng.normal(0.0, self.spreads.national, (n, len(self.ordinary)))
        logits = self.base_log + shift
        split = np.exp(logits - logits.max(axis=1, keepdims=True))
        split /= split.sum(axis=1, keepdims=True)
        votes = np.rint(self.ordinary + volume[:, None] * split).astype(np.int64)
        scale = volume / self.total if self.total else np.zeros(n)
        winners = _winners(self.field, scale, shift, self.spreads, rng)
        won, other = _electorate_seats(self.field, winners, len(self.ordinary))
        batch = allocate_mmp_batch(
            votes,
            won,
            self.count.rules,
            other_electorates=other,
            vacant_electorates=self.count.vacant,
            workers=1,
        )
        columns = self.field.real.shape[1]
        return _Chunk(
            shares=(votes / votes.sum(axis=1, keepdims=True)).astype(np.float32),
            seats=batch.seats.astype(np.int32),
            houses=batch.house_size,
            ties=int((batch.undecided > 0).sum()),
            flips=(winners != 0).sum(axis=0).astype(np.float64),
            wins=np.stack([(winners == c).sum(axis=0) for c in range(columns)], axis=1).astype(
                np.float64
            ),
        )


def _likely_house(seats: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
    """The most frequent whole House (seats of every party) among the draws.

    Each draw's seats are packed into one integer (mixed radix) so the modal House is
    one sort of whole numbers; a House too wide to pack is compared row by row."""
    top = seats.max(axis=0).astype(np.int64) + 1
    if float(np.prod(top.astype(np.float64))) < 2**62:
        radix = np.concatenate([[1], np.cumprod(top[:-1])])
        keys, counts = np.unique(seats @ radix, return_counts=True)
        key = int(keys[counts.argmax()])
        return (key // radix) % top
    rows, counts = np.unique(seats, axis=0, return_counts=True)
    return rows[counts.argmax()].astype(np.int64)


def _field(count: NightCount, expected: pl.DataFrame, keys: list[str]) -> _Field:
    """The leading candidates of each electorate with candidate votes, leader first, and
    everyone else as one more column that cannot win."""
    rows = expected.filter(pl.col("contest") == "candidate")
    share = {(e, k): s for e, k, s in rows.select("electorate", "key", "share").iter_rows()}
    specials = dict(rows.group_by("electorate").agg(pl.col("specials").first()).iter_rows())
    index = {k: i for i, k in enumerate(keys)}
    ballot = set(count.parties)
    chosen = [e for e in count.electorates if e.leader() is not None]
    width = _CANDIDATES + 1
    shape = (len(chosen), width)
    ordinary, log_share = np.zeros(shape), np.full(shape, -np.inf)
    party, real = np.full(shape, -1, dtype=np.int64), np.zeros(shape, dtype=bool)
    people, parties_of = [], []
    for row, e in enumerate(chosen):
        ranked = sorted(e.candidates, key=lambda c: (-c.votes, c.name))
        top, rest = ranked[:_CANDIDATES], ranked[_CANDIDATES:]
        scale = 1 / e.counted if e.counted > 0 else 0.0
        for col, c in enumerate(top):
            ordinary[row, col] = c.votes * scale
            log_share[row, col] = np.log(share.get((e.number, c.key), 0.0) + 1e-12)
            real[row, col] = True
            if c.party in ballot:
                party[row, col] = index[c.key]
        if rest:
            ordinary[row, -1] = sum(c.votes for c in rest) * scale
            log_share[row, -1] = np.log(
                sum(share.get((e.number, c.key), 0.0) for c in rest) + 1e-12
            )
        people.append([c.name for c in top])
        parties_of.append([c.party for c in top])
    return _Field(
        numbers=[e.number for e in chosen],
        names=[e.name for e in chosen],
        ordinary=ordinary,
        log_share=log_share,
        specials=np.array([specials.get(e.number, 0.0) for e in chosen]),
        party=party,
        real=real,
        people=people,
        parties_of=parties_of,
    )


def _winners(
    field: _Field,
    scale: npt.NDArray[np.float64],
    shift: npt.NDArray[np.float64],
    spreads: Spreads,
    rng: np.random.Generator,
) -> npt.NDArray[np.int64]:
    """Each draw's winning column in every electorate of ``field``.

    Only electorates whose leader's margin is smaller than their most special votes in
    the draws are simulated candidate by candidate: elsewhere no split of the special
    votes can overturn the lead, so the leader (column 0) wins every draw."""
    n, (electorates, width) = scale.shape[0], field.real.shape
    winners = np.zeros((n, electorates), dtype=np.int64)
    if not electorates:
        return winners
    spread = spreads.electorate_volume
    local = field.specials * np.exp(spread * rng.standard_normal((n, electorates)))
    local *= (scale * field.specials.sum() / local.sum(axis=1).clip(1e-12))[:, None]
    margin = field.ordinary[:, 0] - np.where(field.real[:, 1], field.ordinary[:, 1], -np.inf)
    close = np.flatnonzero(margin <= local.max(axis=0))
    if not close.size:
        return winners
    # single precision from here: the shares need no more, and it halves the work
    party = field.party[close]
    logits = rng.standard_normal((n, close.size, width), dtype=np.float32)
    logits *= np.float32(spreads.electorate)
    logits += field.log_share[close].astype(np.float32)
    party_shift = shift.astype(np.float32)[:, party.clip(0)]
    party_shift *= party >= 0
    logits += party_shift
    np.exp(logits, out=logits)
    logits *= (local[:, close] / logits.sum(axis=2)).astype(np.float32)[:, :, None]
    logits += np.where(field.real[close], field.ordinary[close], -np.inf).astype(np.float32)
    winners[:, close] = logits.argmax(axis=2)
    return winners


def _electorate_seats(
    field: _Field, winners: npt.NDArray[np.int64], parties: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Electorates won per party and draw, and electorates won outside the party ballot."""
    n = winners.shape[0]
    party = field.party[np.arange(field.party.shape[0]), winners]
    on_ballot = party >= 0
    rows = np.broadcast_to(np.arange(n)[:, None], party.shape)
    flat = (rows * parties + party)[on_ballot]
    won = np.bincount(flat, minlength=n * parties).reshape(n, parties).astype(np.int64)
    return won, (~on_ballot).sum(axis=1).astype(np.int64)


def _continuous(values: npt.NDArray[np.float64]) -> Range:
    """Median and central intervals of a continuous figure, to two decimals."""
    q = np.quantile(values, [0.5, 0.1, 0.9, 0.025, 0.975])
    r = [round(float(x), 2) for x in q]
    return Range(r[0], (r[1], r[2]), (r[3], r[4]))


def _discrete(values: npt.NDArray[np.integer]) -> Range:
    """Mode and central intervals of a count (seats, House size)."""
    low = int(values.min())
    mode = int(np.bincount(values - low).argmax()) + low
    q = np.quantile(values, [0.1, 0.9, 0.025, 0.975], method="inverted_cdf")
    return Range(mode, (int(q[0]), int(q[1])), (int(q[2]), int(q[3])))
