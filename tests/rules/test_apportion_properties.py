"""Properties of the apportionment methods, checked on generated elections.

The oracle is the textbook procedure itself: give seats one at a time to the highest
exact priority (``Fraction``), with a tie wherever more parties share the top priority
than seats remain. The `apportionment` package is a second, independent oracle.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from apportionment import methods as reference
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tallyroom.rules.apportion import (
    Allocation,
    Method,
    Tie,
    allocate,
    allocate_batch,
    quota_bounds,
)
from tallyroom.rules.errors import InvalidSeatsError
from tests.support.strategies import divisor_methods, methods, seat_counts, vote_vectors

FIRST_DIVISOR = {Method.MODIFIED_SAINTE_LAGUE: Fraction(7, 5)}


def textbook_priority(method: Method, votes: int, held: int) -> Fraction | float:
    """votes / divisor(held), as the textbooks define each method (∞ for a zero divisor)."""
    match method:
        case Method.DHONDT:
            divisor = Fraction(held + 1)
        case Method.SAINTE_LAGUE:
            divisor = Fraction(2 * held + 1)
        case Method.MODIFIED_SAINTE_LAGUE:
            divisor = FIRST_DIVISOR[method] if held == 0 else Fraction(2 * held + 1)
        case Method.ADAMS:
            divisor = Fraction(held)
        case _:  # Huntington–Hill: compare squares, votes² / (s(s+1))
            return math.inf if held == 0 else Fraction(votes * votes, held * (held + 1))
    return math.inf if divisor == 0 else votes / divisor


def textbook_allocation(votes: list[int], seats: int, method: Method) -> Allocation:
    held = [0] * len(votes)
    left = seats
    while left:
        bids = {i: textbook_priority(method, v, held[i]) for i, v in enumerate(votes) if v > 0}
        top = max(bids.values())
        leaders = sorted(i for i, bid in bids.items() if bid == top)
        if len(leaders) > left:
            return Allocation(tuple(held), Tie(tuple(leaders), left))
        for i in leaders:
            held[i] += 1
        left -= len(leaders)
    return Allocation(tuple(held))


@settings(max_examples=400)
@given(vote_vectors(max_parties=8), st.integers(0, 60), divisor_methods)
def test_divisor_methods_equal_the_textbook_procedure(votes, seats, method) -> None:
    assert allocate(votes, seats, method) == textbook_allocation(votes, seats, method)


@given(vote_vectors(), seat_counts(), methods)
def test_seats_sum_to_house_size(votes, seats, method) -> None:
    try:
        result = allocate(votes, seats, method)
    except InvalidSeatsError:  # Droop may leave more seats than parties on tiny counts
        if method is not Method.DROOP:
            raise
        assume(False)
    contested = result.tie.seats if result.tie else 0
    assert result.total + contested == seats
    if result.tie:
        assert 0 < result.tie.seats < len(result.tie.parties)


@given(vote_vectors(), seat_counts(), divisor_methods)
def test_divisor_methods_are_house_monotone(votes, seats, method) -> None:
    smaller, larger = allocate(votes, seats, method), allocate(votes, seats + 1, method)
    assume(smaller.tie is None and larger.tie is None)
    assert all(a <= b for a, b in zip(smaller.seats, larger.seats, strict=True))


@given(vote_vectors(min_parties=2), seat_counts(), methods, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_party_order(votes, seats, method, rnd) -> None:
    order = list(range(len(votes)))
    rnd.shuffle(order)
    try:
        straight = allocate(votes, seats, method)
    except InvalidSeatsError:  # Droop on tiny counts, tested above
        if method is not Method.DROOP:
            raise
        assume(False)
    shuffled = allocate([votes[i] for i in order], seats, method)
    assert [shuffled.seats[order.index(i)] for i in range(len(votes))] == list(straight.seats)
    tied = sorted(order[j] for j in shuffled.tie.parties) if shuffled.tie else None
    assert tied == (list(straight.tie.parties) if straight.tie else None)


@given(vote_vectors(), seat_counts())
def test_hare_stays_within_quota(votes, seats) -> None:
    result = allocate(votes, seats, Method.HARE)
    tied = set(result.tie.parties) if result.tie else set()
    for i, (low, high) in enumerate(quota_bounds(votes, seats)):
        assert low <= result.seats[i] <= high
        if i in tied:
            assert result.seats[i] + 1 <= high


@settings(max_examples=150)
@given(
    st.integers(1, 10).flatmap(
        lambda parties: st.lists(vote_vectors(parties, parties), min_size=1, max_size=40)
    ),
    seat_counts(),
    methods,
)
def test_batch_equals_single_on_every_row(rows, seats, method) -> None:
    try:
        singles = [allocate(row, seats, method) for row in rows]
    except InvalidSeatsError as error:  # Droop on tiny counts: the batch refuses alike
        with pytest.raises(InvalidSeatsError, match=str(error)):
            allocate_batch(np.array(rows, dtype=np.int64), seats, method)
        return
    batch = allocate_batch(np.array(rows, dtype=np.int64), seats, method)
    for i, single in enumerate(singles):
        assert batch.row(i) == single


def test_batch_on_a_large_sample_equals_single() -> None:
    rng = np.random.default_rng(2020)
    votes = (rng.dirichlet(np.ones(10), size=3_000) * 2_900_000).astype(np.int64)
    votes[::50] = votes[::50] // 1000  # small counts: ties and near ties
    for method in Method:
        batch = allocate_batch(votes, 120, method)
        for i in range(len(votes)):
            assert batch.row(i) == allocate(votes[i].tolist(), 120, method), (method, i)


REFERENCE_NAME = {
    Method.SAINTE_LAGUE: "saintelague",
    Method.MODIFIED_SAINTE_LAGUE: "modified_saintelague",
    Method.DHONDT: "dhondt",
    Method.HUNTINGTON_HILL: "huntington",
    Method.ADAMS: "adams",
    Method.HARE: "largest_remainder",
}


@given(
    st.lists(st.integers(1, 3_000_000), min_size=1, max_size=10),
    st.integers(1, 150),
    st.sampled_from(list(REFERENCE_NAME)),
)
def test_agrees_with_the_apportionment_package(votes, seats, method) -> None:
    ours = allocate(votes, seats, method)
    assume(ours.tie is None)
    assume(method not in (Method.ADAMS, Method.HUNTINGTON_HILL) or seats >= len(votes))
    theirs = reference.compute(REFERENCE_NAME[method], votes, seats, fractions=True)
    assert list(ours.seats) == [int(s) for s in theirs]
