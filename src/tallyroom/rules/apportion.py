"""Apportionment: share a number of seats among parties in proportion to their votes.

Two kinds of method are implemented:

* **divisor (highest averages)** methods — Sainte-Laguë (divisors 1, 3, 5, …; the New
  Zealand method), modified Sainte-Laguë (first divisor 1.4), D'Hondt, Huntington–Hill
  and Adams. Each seat goes to the party with the highest ``votes / divisor(seats held)``.
* **largest remainder** methods — Hare and Droop quotas.

Every method is available as one exact allocation (:func:`allocate`) and as a NumPy
batch over many vote vectors (:func:`allocate_batch`). The single allocation compares
priorities by integer cross-multiplication, so no floating-point rounding ever decides a
seat. The batch computes in float64 and sends every row whose deciding comparison is
tied or too close to call back to the exact allocation, so both always agree.

A tie for the last seat(s) is never broken silently: the result names the tied parties
and the number of seats between them. New Zealand law decides such ties by lot; pass a
seeded :class:`random.Random` as ``lot`` to draw it.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from tallyroom.rules.errors import (
    InvalidSeatsError,
    InvalidVotesError,
    UnknownMethodError,
    require_count,
)


class Method(StrEnum):
    """An apportionment method, named as on the command line."""

    SAINTE_LAGUE = "sainte-lague"
    MODIFIED_SAINTE_LAGUE = "modified-sainte-lague"
    DHONDT = "dhondt"
    HUNTINGTON_HILL = "huntington-hill"
    ADAMS = "adams"
    HARE = "hare"
    DROOP = "droop"

    @classmethod
    def parse(cls, name: str | Method) -> Method:
        """Look a method up by its name or a common alias (``webster``, ``jefferson``, …)."""
        if isinstance(name, Method):
            return name
        key = name.strip().lower().replace("_", "-").replace(" ", "-").replace("'", "")
        key = _ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            known = ", ".join(m.value for m in cls)
            raise UnknownMethodError(
                f"unknown apportionment method {name!r}; expected one of: {known}"
            ) from None

    @property
    def is_divisor(self) -> bool:
        """True for highest-averages methods, False for largest-remainder methods."""
        return self not in (Method.HARE, Method.DROOP)


_ALIASES = {
    "saintelague": "sainte-lague",
    "sainte-laguë": "sainte-lague",
    "webster": "sainte-lague",
    "modified-saintelague": "modified-sainte-lague",
    "d-hondt": "dhondt",
    "jefferson": "dhondt",
    "huntington": "huntington-hill",
    "hill": "huntington-hill",
    "equal-proportions": "huntington-hill",
    "hamilton": "hare",
    "largest-remainder": "hare",
}


@dataclass(frozen=True)
class Tie:
    """Parties tied for the last seat(s): ``seats`` seats remain to be shared among them."""

    parties: tuple[int, ...]
    seats: int


@dataclass(frozen=True)
class Allocation:
    """Seats per party, in the order the votes were given.

    With an unresolved tie, ``seats`` holds only the seats that are decided and
    ``tie`` names the parties and the number of seats still between them. When a lot
    was drawn, ``lot_winners`` names the parties it gave a seat and ``seats`` includes
    those seats; ``tie`` still records what the lot decided.
    """

    seats: tuple[int, ...]
    tie: Tie | None = None
    lot_winners: tuple[int, ...] = ()

    @property
    def decided(self) -> bool:
        """True when every seat has a party (no tie, or a tie settled by lot)."""
        return self.tie is None or bool(self.lot_winners)

    @property
    def total(self) -> int:
        """Number of seats given to parties."""
        return sum(self.seats)


# --- divisor methods: exact priorities -----------------------------------------------
#
# A party holding s seats bids for its next seat with priority votes**power / divisor(s).
# Divisors are scaled to integers (modified Sainte-Laguë: 1.4, 3, 5, … ×5 = 7, 15, 25, …;
# Huntington–Hill compares squares: votes² / (s(s+1))). A zero divisor means an infinite
# priority: Adams and Huntington–Hill give every party with votes a first seat before any
# party a second.


@dataclass(frozen=True)
class _Divisor:
    """Everything that makes one divisor method what it is, for the exact and the batch
    allocations alike."""

    exact: Callable[[int], int]
    """the divisor of a party's next seat when it holds ``s``, scaled to an integer"""
    floating: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.floating[Any]]]
    """the same divisor in floating point, over arrays of seats held (for batches); a
    zero first divisor is :data:`_TINY_DIVISOR`"""
    rounded: Callable[[Any], Any]
    """quotas rounded at the method's signposts: the starting allocation"""
    power: int = 1
    """priorities compare ``votes ** power`` (Huntington–Hill compares squares)"""
    house: Callable[[int, int], float] = lambda seats, _parties: float(seats)
    """the House size (from the seats and the parties with votes) whose natural divisor
    starts the method near its answer: rounding quotas down (D'Hondt) or up (Adams) is
    biased by about half a seat per party, and a larger or smaller start cancels that.
    Any start gives the same final allocation."""


_TINY_DIVISOR = 1e-300  # stands in for Adams' and Huntington–Hill's zero first divisor


def _geometric_signposts(quotas: Any) -> Any:
    """Huntington–Hill's signposts: a quota rounds up past √(s(s+1))."""
    floor = np.floor(quotas)
    return floor + (quotas > np.sqrt(floor * (floor + 1)))


_DIVISORS: dict[Method, _Divisor] = {
    Method.SAINTE_LAGUE: _Divisor(
        exact=lambda s: 2 * s + 1,
        floating=lambda held: 2.0 * held + 1.0,
        rounded=lambda q: np.floor(q + 0.5),
    ),
    Method.MODIFIED_SAINTE_LAGUE: _Divisor(
        exact=lambda s: 7 if s == 0 else 5 * (2 * s + 1),
        floating=lambda held: np.where(held == 0, 1.4, 2.0 * held + 1.0),
        rounded=lambda q: np.where(q < 0.7, 0.0, np.floor(q + 0.5)),
    ),
    Method.DHONDT: _Divisor(
        exact=lambda s: s + 1,
        floating=lambda held: held + 1.0,
        rounded=np.floor,
        house=lambda seats, parties: seats + parties / 2,
    ),
    Method.ADAMS: _Divisor(
        exact=lambda s: s,
        floating=lambda held: np.where(held == 0, _TINY_DIVISOR, held.astype(np.float64)),
        rounded=np.ceil,
        house=lambda seats, parties: max(seats - parties / 2, 0.5),
    ),
    Method.HUNTINGTON_HILL: _Divisor(
        exact=lambda s: s * (s + 1),
        floating=lambda held: np.where(held == 0, _TINY_DIVISOR, np.sqrt(held * (held + 1.0))),
        rounded=_geometric_signposts,
        power=2,
    ),
}
"""One spec per divisor method."""


def allocate(
    votes: Sequence[int],
    seats: int,
    method: Method | str = Method.SAINTE_LAGUE,
    *,
    lot: random.Random | None = None,
) -> Allocation:
    """Share ``seats`` among parties with the given ``votes`` by ``method``, exactly.

    Parties with no votes receive no seats. A tie for the last seat(s) is returned in
    :attr:`Allocation.tie`, or settled by drawing from ``lot`` when one is given.
    """
    method = Method.parse(method)
    counts = _checked_votes(votes)
    _check_seats(seats)
    if seats and not any(counts):
        raise InvalidVotesError(f"{seats} seats to allocate but no party has any votes")
    if method.is_divisor:
        held, tie = _divisor_exact(counts, seats, method)
    else:
        held, tie = _largest_remainder_exact(counts, seats, method)
    if tie is None or lot is None:
        return Allocation(tuple(held), tie)
    winners = tuple(sorted(lot.sample(tie.parties, tie.seats)))
    for party in winners:
        held[party] += 1
    return Allocation(tuple(held), tie, winners)


def _checked_votes(votes: Sequence[int]) -> list[int]:
    if all(type(count) is int and count >= 0 for count in votes):
        return list(votes)
    return [require_count(f"votes of party {i + 1}", count) for i, count in enumerate(votes)]


def _check_seats(seats: int) -> None:
    try:
        require_count("seats", seats)
    except InvalidVotesError as error:
        raise InvalidSeatsError(str(error)) from None


def _divisor_exact(votes: list[int], seats: int, method: Method) -> tuple[list[int], Tie | None]:
    """Divisor-method allocation by exact integer comparison of priorities.

    Starts from rounding each party's quota at the natural divisor (which is already the
    answer or within a seat or two of it), then moves seats one at a time: add to the
    highest next-seat priority while seats are missing, take from the lowest last-seat
    priority while there are too many, and swap while some party's next seat outbids
    another's last. The result is the divisor-method allocation (max next ≤ min last).
    """
    spec = _DIVISORS[method]
    divisor = spec.exact
    weight = [v**spec.power for v in votes]
    total = sum(votes)
    bidders = [i for i, v in enumerate(votes) if v > 0]
    held = [0] * len(votes)
    if seats == 0:
        return held, None
    scale = spec.house(seats, len(bidders)) / total
    for i in bidders:
        held[i] = int(spec.rounded(votes[i] * scale))
    # next[i] / last[i]: divisor of party i's next seat and of the last seat it holds
    # (None when it holds none); party i outbids j when weight[i]·d_j > weight[j]·d_i.
    nxt = {i: divisor(held[i]) for i in bidders}
    last = {i: divisor(held[i] - 1) if held[i] else None for i in bidders}

    def move(i: int, step: int) -> None:
        held[i] += step
        nxt[i] = divisor(held[i])
        last[i] = divisor(held[i] - 1) if held[i] else None

    def best_next() -> int:
        best = bidders[0]
        for i in bidders[1:]:
            if weight[i] * nxt[best] > weight[best] * nxt[i]:
                best = i
        return best

    def worst_last() -> int:
        worst = -1
        for i in bidders:
            d = last[i]
            if d is not None and (worst < 0 or weight[worst] * d > weight[i] * last[worst]):
                worst = i
        return worst

    short = seats - sum(held)
    for _ in range(short):
        move(best_next(), 1)
    for _ in range(-short):
        move(worst_last(), -1)
    while True:
        gainer, loser = best_next(), worst_last()
        gain, lose = weight[gainer] * last[loser], weight[loser] * nxt[gainer]
        if gain <= lose:
            break
        move(gainer, 1)
        move(loser, -1)
    if gain < lose:
        return held, None
    # a tie: the best next bid equals the worst last bid (weight[loser] / last[loser])
    level_w, level_d = weight[loser], last[loser]
    holders = [
        i for i in bidders if last[i] is not None and weight[i] * level_d == level_w * last[i]
    ]
    bidding = {i for i in bidders if weight[i] * level_d == level_w * nxt[i]}
    for i in holders:
        held[i] -= 1
    return held, Tie(tuple(sorted(set(holders) | bidding)), len(holders))


def _largest_remainder_exact(
    votes: list[int], seats: int, method: Method
) -> tuple[list[int], Tie | None]:
    """Largest-remainder allocation with integer remainders.

    Hare: quota = total / seats, compared as votes × seats against total. Droop: quota =
    ⌊total / (seats + 1)⌋ + 1. Each party gets its whole quotas; the seats left go to the
    largest remainders, one each. Parties with no votes never receive a remainder seat.
    """
    total = sum(votes)
    if method is Method.HARE:
        scaled = [v * seats for v in votes]
        held = [x // total for x in scaled] if total else [0] * len(votes)
        remainder = [x - h * total for x, h in zip(scaled, held, strict=True)]
    else:
        quota = total // (seats + 1) + 1
        held = [v // quota for v in votes]
        remainder = [v - h * quota for v, h in zip(votes, held, strict=True)]
    remainder = [r if v > 0 else -1 for r, v in zip(remainder, votes, strict=True)]
    left = seats - sum(held)
    if left == 0:
        return held, None
    with_votes = sum(1 for v in votes if v > 0)
    if left > with_votes:
        raise InvalidSeatsError(
            f"the {method.value} quota leaves {left} seats after whole quotas but only "
            f"{with_votes} part{'y has' if with_votes == 1 else 'ies have'} votes: "
            "too few votes for this many seats"
        )
    cutoff = sorted(remainder, reverse=True)[left - 1]
    above = [i for i, r in enumerate(remainder) if r > cutoff]
    level = [i for i, r in enumerate(remainder) if r == cutoff]
    for i in above:
        held[i] += 1
    if len(above) + len(level) == left:
        for i in level:
            held[i] += 1
        return held, None
    return held, Tie(tuple(level), left - len(above))


# --- batches --------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchAllocation:
    """Allocations for many vote vectors at once (one row each).

    ``seats`` (rows × parties) holds the decided seats; ``tied`` marks the parties of a
    row that are tied for its last seat(s) and ``contested`` counts those seats (zero
    where there is no tie). Row *i* equals ``allocate(votes[i], …)`` without a lot.
    """

    seats: npt.NDArray[np.int64]
    tied: npt.NDArray[np.bool_]
    contested: npt.NDArray[np.int64]

    def row(self, i: int) -> Allocation:
        """Row ``i`` as an :class:`Allocation`."""
        tie = None
        if self.contested[i]:
            parties = tuple(int(p) for p in np.flatnonzero(self.tied[i]))
            tie = Tie(parties, int(self.contested[i]))
        return Allocation(tuple(int(s) for s in self.seats[i]), tie)


_CHUNK_ROWS = 1 << 15
# A row is sent to the exact allocation when its highest next-seat priority comes within
# this relative distance of its lowest last-seat priority (a tie or a near tie). float64
# priorities are within about 1e-16 of the exact ones, so every other row is decided.
_NEAR_TIE = 1e-9


def allocate_batch(
    votes: npt.ArrayLike,
    seats: int,
    method: Method | str = Method.SAINTE_LAGUE,
    *,
    workers: int | None = None,
) -> BatchAllocation:
    """Allocate ``seats`` for every row of ``votes`` (rows × parties, whole numbers ≥ 0).

    Rows are processed in chunks on ``workers`` threads (default: one per CPU); NumPy
    releases the interpreter lock inside its loops, so the chunks run in parallel.
    """
    method = Method.parse(method)
    _check_seats(seats)
    table = np.asarray(votes)
    if table.ndim != 2 or not np.issubdtype(table.dtype, np.integer):
        raise InvalidVotesError(
            f"batch votes must be a 2-D array of whole numbers, not {table.ndim}-D {table.dtype}"
        )
    table = table.astype(np.int64, copy=False)
    if table.size and table.min() < 0:
        row = int(np.flatnonzero((table < 0).any(axis=1))[0])
        raise InvalidVotesError(f"votes cannot be negative (row {row})")
    if seats and table.shape[0] and not table.sum(axis=1).all():
        row = int(np.flatnonzero(table.sum(axis=1) == 0)[0])
        raise InvalidVotesError(f"{seats} seats to allocate but row {row} has no votes")
    if table.size and int(table.max()) >= 2**53 // max(seats, 1):
        raise InvalidVotesError("vote counts are too large for exact batch arithmetic")

    rows, parties = table.shape
    held = np.zeros((rows, parties), dtype=np.int64)
    tied = np.zeros((rows, parties), dtype=bool)
    contested = np.zeros(rows, dtype=np.int64)
    kernel = _divisor_chunk if method.is_divisor else _largest_remainder_chunk

    def run(start: int) -> None:
        stop = min(start + _CHUNK_ROWS, rows)
        part = table[start:stop]
        held[start:stop], unsure = kernel(part, seats, method)
        for r in np.flatnonzero(unsure):
            exact = allocate(part[r].tolist(), seats, method)
            held[start + r] = exact.seats
            if exact.tie:
                tied[start + r, list(exact.tie.parties)] = True
                contested[start + r] = exact.tie.seats

    starts = range(0, rows, _CHUNK_ROWS)
    if seats and len(starts) == 1:
        run(0)  # one chunk: a thread pool would cost more than it saves
    elif seats and rows:
        with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            list(pool.map(run, starts))
    return BatchAllocation(held, tied, contested)


@np.errstate(divide="ignore", invalid="ignore")
def _divisor_chunk(
    votes: npt.NDArray[np.int64], seats: int, method: Method
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Float64 divisor allocation of a chunk; also returns the rows to redo exactly.

    Last-seat priorities of parties holding no seat are computed and then masked, hence
    the silenced division warnings.
    """
    spec = _DIVISORS[method]
    divisor = spec.floating
    weight = votes.astype(np.float64)
    scale = spec.house(seats, votes.shape[1]) / weight.sum(axis=1, keepdims=True)
    held = spec.rounded(weight * scale).astype(np.int64)
    short = seats - held.sum(axis=1)
    active = np.flatnonzero(short)
    while active.size:
        w, h, s = weight[active], held[active], short[active]
        grow = s > 0
        nxt = w / divisor(h)
        last = np.where(h > 0, w / divisor(h - 1), np.inf)
        col = np.where(grow, nxt.argmax(axis=1), last.argmin(axis=1))
        step = np.where(grow, 1, -1)
        held[active, col] += step
        short[active] -= step
        active = active[short[active] != 0]
    top_next = (weight / divisor(held)).max(axis=1)
    last = np.where(held > 0, weight / divisor(held - 1), np.inf)
    unsure = top_next >= last.min(axis=1) * (1.0 - _NEAR_TIE)
    if spec.exact(0) == 0:
        # a zero first divisor and fewer seats than parties with votes: the first seats
        # themselves are contested
        unsure |= (votes > 0).sum(axis=1) > seats
    return held, unsure


def _largest_remainder_chunk(
    votes: npt.NDArray[np.int64], seats: int, method: Method
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Integer largest-remainder allocation of a chunk; also returns rows to redo exactly."""
    totals = votes.sum(axis=1, keepdims=True)
    if method is Method.HARE:
        scaled = votes * seats
        held = scaled // totals
        remainder = scaled - held * totals
    else:
        quota = totals // (seats + 1) + 1
        held = votes // quota
        remainder = votes - held * quota
    remainder = np.where(votes > 0, remainder, -1)
    left = seats - held.sum(axis=1)
    parties = votes.shape[1]
    order = np.argsort(-remainder, axis=1, kind="stable")
    ranked = np.take_along_axis(remainder, order, axis=1)
    unsure = left > np.minimum((votes > 0).sum(axis=1), parties - 1)
    inner = np.flatnonzero(~unsure & (left > 0))
    unsure[inner] = ranked[inner, left[inner]] == ranked[inner, left[inner] - 1]
    extra = (np.arange(parties) < np.clip(left, 0, parties)[:, None]).astype(np.int64)
    extra[unsure] = 0
    np.put_along_axis(held, order, np.take_along_axis(held, order, axis=1) + extra, axis=1)
    return held, unsure


def quota_bounds(votes: Sequence[int], seats: int) -> list[tuple[int, int]]:
    """Lower and upper Hare quota (⌊v·S/V⌋, ⌈v·S/V⌉) for each party."""
    total = sum(votes)
    return [(v * seats // total, -(-v * seats // total)) for v in votes]


__all__ = [
    "Allocation",
    "BatchAllocation",
    "Method",
    "Tie",
    "allocate",
    "allocate_batch",
    "quota_bounds",
]
