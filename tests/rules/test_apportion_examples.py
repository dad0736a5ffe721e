"""Apportionment methods against published worked examples, and their errors."""

from __future__ import annotations

import random

import pytest

from tallyroom.rules.apportion import Allocation, Method, Tie, allocate
from tallyroom.rules.errors import InvalidSeatsError, InvalidVotesError, UnknownMethodError

# Wikipedia, "D'Hondt method" and "Sainte-Laguë method": 230,000 votes, 8 seats.
FOUR_PARTIES = [100_000, 80_000, 30_000, 20_000]
# Wikipedia, "Largest remainder method": 100,000 votes, 10 seats.
SIX_PARTIES = [47_000, 16_000, 15_800, 12_000, 6_100, 3_100]
# 1790 United States census, apportionment populations (Balinski & Young, "Fair
# Representation"), in the order CT DE GA KY MD MA NH NJ NY NC PA RI SC VT VA.
STATES_1790 = [
    "CT",
    "DE",
    "GA",
    "KY",
    "MD",
    "MA",
    "NH",
    "NJ",
    "NY",
    "NC",
    "PA",
    "RI",
    "SC",
    "VT",
    "VA",
]
POPULATION_1790 = [
    236_841, 55_540, 70_835, 68_705, 278_514, 475_327, 141_822, 179_570,
    331_591, 353_523, 432_879, 68_446, 206_236, 85_533, 630_560,
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "votes", "seats", "expected"),
    [
        (Method.DHONDT, FOUR_PARTIES, 8, (4, 3, 1, 0)),
        (Method.SAINTE_LAGUE, FOUR_PARTIES, 8, (3, 3, 1, 1)),
        (Method.HARE, SIX_PARTIES, 10, (5, 2, 1, 1, 1, 0)),
        (Method.DROOP, SIX_PARTIES, 10, (5, 2, 2, 1, 0, 0)),
    ],
)
def test_textbook_examples(method: Method, votes: list[int], seats: int, expected: tuple) -> None:
    assert allocate(votes, seats, method) == Allocation(expected)


def test_dhondt_reproduces_the_1792_apportionment_act() -> None:
    """Jefferson's method (D'Hondt) gave the House of 105 seats after the 1790 census."""
    act_1792 = dict(CT=7, DE=1, GA=2, KY=2, MD=8, MA=14, NH=4, NJ=5, NY=10, NC=10, PA=13,
                    RI=2, SC=6, VT=2, VA=19)  # fmt: skip
    result = allocate(POPULATION_1790, 105, Method.DHONDT)
    assert dict(zip(STATES_1790, result.seats, strict=True)) == act_1792


def test_huntington_hill_1790_published_seats() -> None:
    """Huntington–Hill for 1790 (Aufmann et al., Mathematical Excursions, 4.1 ex. 4)."""
    seats = dict(zip(STATES_1790, allocate(POPULATION_1790, 105, "huntington-hill").seats,
                     strict=True))  # fmt: skip
    assert sum(seats.values()) == 105
    assert {s: seats[s] for s in ("CT", "DE", "GA", "MD", "MA", "KY")} == dict(
        CT=7, DE=2, GA=2, MD=8, MA=14, KY=2
    )


def test_adams_gives_every_state_a_seat_first() -> None:
    result = allocate([1_000_000, 10, 1], 3, Method.ADAMS)
    assert result.seats == (1, 1, 1)
    assert allocate([1_000_000, 10, 1], 3, Method.DHONDT).seats == (3, 0, 0)


def test_modified_sainte_lague_raises_the_bar_for_a_first_seat() -> None:
    # 1 seat for C under Sainte-Laguë (C's 1st quotient 7,000 beats A's 4th 6,857) but
    # under the 1.4 first divisor C bids 5,000 and A's 4th seat wins.
    votes = [48_000, 40_000, 7_000]
    assert allocate(votes, 8, Method.SAINTE_LAGUE).seats == (4, 3, 1)
    assert allocate(votes, 8, Method.MODIFIED_SAINTE_LAGUE).seats == (4, 4, 0)


def test_tie_for_last_seat_is_named_not_broken() -> None:
    result = allocate([10, 10, 10], 2, Method.SAINTE_LAGUE)
    assert result == Allocation((0, 0, 0), Tie((0, 1, 2), 2))
    assert not result.decided


def test_tie_for_last_seat_between_two_of_three() -> None:
    # quotients 90, 45, 40, 40, 30: the third seat is between B and C
    result = allocate([90, 40, 40], 3, Method.DHONDT)
    assert result.seats == (2, 0, 0)
    assert result.tie == Tie((1, 2), 1)
    # A's third quotient (300/3) ties with B and C: three parties for two seats
    assert allocate([300, 100, 100], 4, Method.DHONDT).tie == Tie((0, 1, 2), 2)


def test_seeded_lot_settles_a_tie_reproducibly() -> None:
    first = allocate([10, 10, 10], 2, lot=random.Random(7))
    again = allocate([10, 10, 10], 2, lot=random.Random(7))
    assert first == again
    assert first.decided and first.total == 2
    assert len(first.lot_winners) == 2 and set(first.lot_winners) <= {0, 1, 2}
    assert first.tie == Tie((0, 1, 2), 2)


def test_largest_remainder_tie() -> None:
    assert allocate([1, 1, 1, 1], 2, Method.HARE).tie == Tie((0, 1, 2, 3), 2)


def test_parties_without_votes_get_nothing() -> None:
    for method in Method:
        result = allocate([0, 5_000, 0, 3_000], 5, method)
        assert result.seats[0] == result.seats[2] == 0, method


def test_zero_seats() -> None:
    assert allocate([5, 3], 0).seats == (0, 0)


@pytest.mark.parametrize(
    ("votes", "seats", "error", "message"),
    [
        ([5, -1], 3, InvalidVotesError, "votes of party 2 must be a whole number ≥ 0, not -1"),
        ([5, 2.5], 3, InvalidVotesError, "votes of party 2"),
        ([5, True], 3, InvalidVotesError, "votes of party 2"),
        ([0, 0], 3, InvalidVotesError, "no party has any votes"),
        ([5, 3], -1, InvalidSeatsError, "seats must be a whole number"),
    ],
)
def test_bad_input_is_named(votes: list, seats: int, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        allocate(votes, seats)


def test_method_names_and_aliases() -> None:
    assert Method.parse("Webster") is Method.SAINTE_LAGUE
    assert Method.parse("d'hondt") is Method.DHONDT
    assert Method.parse("hamilton") is Method.HARE
    with pytest.raises(UnknownMethodError, match="expected one of: sainte-lague"):
        Method.parse("borda")
