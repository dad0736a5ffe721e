"""Hand-made cases for each rule of New Zealand MMP (Electoral Act 1993 ss 191-193)."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from tallyroom.rules.errors import InvalidSeatsError, UnknownChoiceError
from tallyroom.rules.mmp import SeatTie, allocate_mmp
from tallyroom.rules.systems import LEVELLING, NZ, NZ_REVIEW_2023

# Sainte-Laguë of 120 seats on 60/30/10 gives 72/36/12.
VOTES = {"Red": 600_000, "Blue": 300_000, "Green": 100_000}


def by_party(result):
    return {p.party: p for p in result.parties}


def test_list_seats_top_up_electorate_seats() -> None:
    result = allocate_mmp(VOTES, {"Red": 40, "Blue": 30})
    parties = by_party(result)
    assert result.seats() == {"Red": 72, "Blue": 36, "Green": 12}
    assert (parties["Red"].electorate, parties["Red"].list_seats) == (40, 32)
    assert (parties["Green"].electorate, parties["Green"].list_seats) == (0, 12)


def test_overhang_is_kept_and_the_house_grows() -> None:
    votes = {**VOTES, "Local": 10_000}  # 1 % of the votes: 1 seat by Sainte-Laguë
    result = allocate_mmp(votes, {"Red": 40, "Blue": 30, "Local": 4})
    parties = by_party(result)
    assert parties["Local"].entitlement == 1
    assert (parties["Local"].total, parties["Local"].overhang) == (4, 3)
    assert result.overhang == 3 and result.house_size == 123
    others = {p: result.seats()[p] for p in ("Red", "Blue", "Green")}
    assert others == {"Red": 71, "Blue": 36, "Green": 12}  # unchanged by the overhang


def test_levelling_enlarges_the_house_instead() -> None:
    votes = {**VOTES, "Local": 10_000}
    result = allocate_mmp(votes, {"Red": 40, "Blue": 30, "Local": 4}, LEVELLING)
    assert result.overhang == 0
    assert by_party(result)["Local"].total == 4
    assert result.house_size == result.shared_seats > 123


def test_independent_electorate_seat_comes_off_the_shared_seats() -> None:
    result = allocate_mmp(VOTES, {"Red": 40}, other_electorates=1)
    assert result.shared_seats == 119
    assert sum(result.seats().values()) == 119
    assert result.house_size == 120 and result.other_electorates == 1


def test_party_under_threshold_with_an_electorate_qualifies() -> None:
    votes = {**VOTES, "Small": 30_000}  # 2.9 %
    result = allocate_mmp(votes, {"Small": 1})
    small = by_party(result)["Small"]
    assert small.qualified and small.total == 3
    assert (small.electorate, small.list_seats) == (1, 2)


def test_party_under_threshold_without_an_electorate_gets_nothing() -> None:
    votes = {**VOTES, "Small": 30_000}
    small = by_party(allocate_mmp(votes))["Small"]
    assert not small.qualified and small.total == 0


def test_threshold_is_exact_at_five_percent() -> None:
    at = {"Big": 95, "Edge": 5}
    below = {"Big": 951, "Edge": 49}
    assert by_party(allocate_mmp(at))["Edge"].qualified
    assert not by_party(allocate_mmp(below))["Edge"].qualified


def test_without_electorate_threshold_an_electorate_does_not_qualify() -> None:
    votes = {**VOTES, "Small": 30_000}
    result = allocate_mmp(votes, {"Small": 1}, NZ_REVIEW_2023)
    small = by_party(result)["Small"]
    assert not small.qualified and small.total == 1  # keeps its electorate only
    assert result.shared_seats == 119 and result.house_size == 120


def test_list_seats_skip_electorate_winners_and_vacate_when_exhausted() -> None:
    result = allocate_mmp(
        VOTES,
        {"Red": 70, "Blue": 30},
        lists={"Red": ["Ana", "Ben", "Cai", "Dee"], "Green": ["Eru", "Fai"]},
        electorate_members={"Ben"},
    )
    parties = by_party(result)
    assert parties["Red"].list_members == ("Ana", "Cai")  # 2 list seats; Ben won a seat
    assert parties["Green"].list_members == ("Eru", "Fai")
    assert parties["Green"].list_vacancies == 10
    assert (parties["Green"].total, result.vacant) == (2, 10)
    assert parties["Blue"].list_members is None  # no list given: names unknown
    assert result.house_size == 120


def test_vacant_electorate_counts_for_no_party_and_adds_to_the_house() -> None:
    result = allocate_mmp(VOTES, {"Red": 40}, vacant_electorates=1)
    assert result.seats() == {"Red": 72, "Blue": 36, "Green": 12}
    assert result.shared_seats == 120
    assert (result.vacant, result.house_size) == (1, 121)


def test_tie_for_the_last_seat_is_reported() -> None:
    result = allocate_mmp({"A": 100, "B": 100, "C": 100}, rules=NZ.with_changes(seats=4))
    assert result.ties == (SeatTie(("A", "B", "C"), 1),)
    assert sum(result.seats().values()) == 3 and result.house_size == 4


def test_tie_for_the_last_seat_drawn_by_seeded_lot() -> None:
    four = NZ.with_changes(seats=4)
    draws = [allocate_mmp({"A": 100, "B": 100, "C": 100}, rules=four, lot=random.Random(s))
             for s in (1, 1, 2)]  # fmt: skip
    assert draws[0] == draws[1]
    (tie,) = draws[0].ties
    assert len(tie.lot_winners) == 1 and sum(draws[0].seats().values()) == 4


def test_rule_set_fields_change_the_result() -> None:
    small_house = allocate_mmp(VOTES, rules=NZ.with_changes(seats=10))
    assert small_house.seats() == {"Red": 6, "Blue": 3, "Green": 1}
    high_bar = allocate_mmp(VOTES, rules=NZ.with_changes(threshold=Fraction(1, 5)))
    assert "Green" not in high_bar.seats()
    votes, seven = {"A": 700, "B": 200, "C": 100}, NZ.with_changes(seats=7, threshold=0)
    assert allocate_mmp(votes, rules=seven).seats() == {"A": 5, "B": 1, "C": 1}
    dhondt = seven.with_changes(method="dhondt")  # C's 100 loses to A's 700 / 6
    assert allocate_mmp(votes, rules=dhondt).seats() == {"A": 6, "B": 1}


def test_unknown_party_in_electorates_is_an_error() -> None:
    with pytest.raises(UnknownChoiceError, match="'Purple', which is not on the party ballot"):
        allocate_mmp(VOTES, {"Purple": 1})


def test_too_many_outside_seats_is_an_error() -> None:
    with pytest.raises(InvalidSeatsError, match="exceed the House of 120"):
        allocate_mmp(VOTES, other_electorates=121)
