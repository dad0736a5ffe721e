"""MMP seat allocation for many simulated elections at once, in NumPy.

Row *i* of :func:`allocate_mmp_batch` equals :func:`tallyroom.rules.mmp.allocate_mmp`
on row *i*'s party votes and electorate wins (without a lot: a tie for the last shared
seat is flagged, its seats left undecided). The steps are the same: a party qualifies
by the vote threshold (compared exactly, in integers) or by the electorate lifeline;
electorates won by independents and by parties that do not qualify come off the shared
seats; the shared seats go to qualifying parties by the rule set's method; a party that
won more electorates than its share keeps them (or, with levelling, the shared seats
grow). Lists are not named: a batch counts seats, not members.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tallyroom.rules.apportion import allocate_batch
from tallyroom.rules.errors import InvalidSeatsError, InvalidVotesError
from tallyroom.rules.systems import NZ, OverhangPolicy, RuleSet

_LEVELLING_LIMIT = 10  # as allocate_mmp: a levelled House never grows beyond 10× its size
_CHUNK_ROWS = 1 << 13  # 8,192 rows × 17 parties × 8 bytes ≈ 1 MiB per array

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class BatchSeats:
    """Seat allocations of many elections (rows) over the same parties (columns).

    ``tied`` marks the parties of a row tied for its last shared seat(s) and
    ``undecided`` counts those seats; they are in no party's ``entitlement``.
    """

    qualified: BoolArray
    entitlement: IntArray
    electorate: IntArray
    list_seats: IntArray
    overhang: IntArray
    shared_seats: IntArray
    house_size: IntArray
    tied: BoolArray
    undecided: IntArray

    @property
    def seats(self) -> IntArray:
        """Members per party and row: electorate plus list seats."""
        return self.electorate + self.list_seats


def allocate_mmp_batch(
    party_votes: npt.ArrayLike,
    electorate_seats: npt.ArrayLike,
    rules: RuleSet = NZ,
    *,
    other_electorates: npt.ArrayLike = 0,
    vacant_electorates: int = 0,
    workers: int | None = None,
) -> BatchSeats:
    """Allocate the House for every row of ``party_votes`` (rows × parties, whole numbers).

    ``electorate_seats`` has the same shape (electorates won per party on the ballot);
    ``other_electorates`` (a number or one per row) counts electorates won by
    independents or by parties not on the ballot; ``vacant_electorates`` those with no
    result, which add to the House. Rows are allocated in chunks small enough to stay
    in the processor's cache, on ``workers`` threads (default: one per CPU); NumPy
    releases the interpreter lock inside its loops, so the chunks run in parallel.
    """
    votes = _counts("party votes", party_votes)
    won = _counts("electorate seats", electorate_seats)
    if won.shape != votes.shape:
        raise InvalidVotesError(
            f"electorate seats have shape {won.shape}, party votes {votes.shape}"
        )
    rows = votes.shape[0]
    other = np.broadcast_to(np.asarray(other_electorates, dtype=np.int64), (rows,))
    if (other < 0).any() or vacant_electorates < 0:
        raise InvalidVotesError("other and vacant electorates must be whole numbers ≥ 0")
    result = BatchSeats(
        qualified=np.zeros(votes.shape, dtype=bool),
        entitlement=np.zeros_like(votes),
        electorate=won,
        list_seats=np.zeros_like(votes),
        overhang=np.zeros_like(votes),
        shared_seats=np.zeros(rows, dtype=np.int64),
        house_size=np.zeros(rows, dtype=np.int64),
        tied=np.zeros(votes.shape, dtype=bool),
        undecided=np.zeros(rows, dtype=np.int64),
    )

    def run(start: int) -> None:
        chunk = slice(start, min(start + _CHUNK_ROWS, rows))
        _allocate_chunk(votes[chunk], won[chunk], other[chunk], rules, start, result, chunk)

    starts = range(0, rows, _CHUNK_ROWS)
    if len(starts) == 1:
        run(0)  # one chunk: a thread pool would cost more than it saves
    elif starts:
        with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            list(pool.map(run, starts))
    result.house_size[:] += vacant_electorates
    return result


def _allocate_chunk(
    votes: IntArray,
    won: IntArray,
    other: IntArray,
    rules: RuleSet,
    first_row: int,
    out: BatchSeats,
    rows: slice,
) -> None:
    """Allocate one chunk of rows (the first is row ``first_row``) into ``out[rows]``."""
    total = votes.sum(axis=1)
    if not total.all():
        raise InvalidVotesError(
            f"row {first_row + int(np.flatnonzero(total == 0)[0])} has no party votes"
        )
    threshold = rules.threshold
    # votes·d ≥ n·total exactly when votes ≥ ⌈n·total/d⌉; and a party needs a vote
    least = np.maximum(-(-(threshold.numerator * total) // threshold.denominator), 1)
    qualified = votes >= least[:, None]
    if rules.electorate_threshold is not None:
        qualified |= won >= rules.electorate_threshold
    shared = rules.seats - other - np.where(qualified, 0, won).sum(axis=1)
    if (shared < 0).any():
        raise InvalidSeatsError(
            f"electorate seats outside the shared allocation exceed the House of {rules.seats} "
            f"(row {first_row + int(np.flatnonzero(shared < 0)[0])})"
        )
    if rules.overhang is OverhangPolicy.LEVEL and (qualified & (votes == 0) & (won > 0)).any():
        # a party with electorates but no party votes is never entitled to a seat, so
        # levelling would grow the House to its limit (where allocate_mmp refuses)
        raise InvalidSeatsError("levelling would enlarge the House beyond ten times its size")
    entitlement = out.entitlement[rows]
    tied = out.tied[rows]
    undecided = out.undecided[rows]
    pending = np.arange(votes.shape[0])
    counted = np.where(qualified, votes, 0)
    while pending.size:
        _share(counted, shared, rules, pending, entitlement, tied, undecided, first_row)
        if rules.overhang is OverhangPolicy.KEEP:
            break
        short = (qualified[pending] & (won[pending] > entitlement[pending])).any(axis=1)
        pending = pending[short]
        shared[pending] += 1
        if (shared > _LEVELLING_LIMIT * rules.seats).any():
            raise InvalidSeatsError("levelling would enlarge the House beyond ten times its size")
    list_seats = np.maximum(entitlement - won, 0)
    out.qualified[rows] = qualified
    out.list_seats[rows] = list_seats
    out.overhang[rows] = np.where(qualified, np.maximum(won - entitlement, 0), 0)
    out.shared_seats[rows] = shared
    out.house_size[rows] = (won + list_seats).sum(axis=1) + other + undecided


def _share(
    votes: IntArray,
    shared: IntArray,
    rules: RuleSet,
    rows: IntArray,
    entitlement: IntArray,
    tied: BoolArray,
    undecided: IntArray,
    first_row: int,
) -> None:
    """Share each of ``rows``' shared seats among its qualified parties' votes, in place.

    Rows are grouped by their number of shared seats, and only the columns of parties
    that qualify somewhere in a group are allocated (the rest get nothing anyway)."""
    counts = shared[rows]
    for seats in np.unique(counts):
        group = rows if counts.min() == counts.max() else rows[counts == seats]
        part = votes[group]
        columns = np.flatnonzero(part.any(axis=0))
        if seats and not columns.size:
            raise InvalidVotesError(
                f"{seats} seats to share but no party qualifies (row {first_row + int(group[0])})"
            )
        allocation = allocate_batch(part[:, columns], int(seats), rules.method, workers=1)
        held = np.zeros(part.shape, dtype=np.int64)
        held[:, columns] = allocation.seats
        ties = np.zeros(part.shape, dtype=bool)
        ties[:, columns] = allocation.tied
        entitlement[group], tied[group], undecided[group] = held, ties, allocation.contested


def _counts(what: str, values: npt.ArrayLike) -> IntArray:
    table = np.asarray(values)
    if table.ndim != 2 or not np.issubdtype(table.dtype, np.integer):
        raise InvalidVotesError(f"{what} must be a 2-D array of whole numbers")
    if table.size and table.min() < 0:
        raise InvalidVotesError(f"{what} cannot be negative")
    return table.astype(np.int64, copy=False)
