"""Electorate winners (first past the post) and referendum outcomes."""

from __future__ import annotations

import random

import pytest

from tallyroom.rules.errors import InvalidVotesError, UnknownChoiceError
from tallyroom.rules.fpp import decide_electorate
from tallyroom.rules.referendum import Base, decide_referendum


def test_winner_runner_up_and_majority() -> None:
    outcome = decide_electorate({"Ana": 12_631, "Ben": 11_563, "Cai": 9_775}, informal=382)
    assert (outcome.winner, outcome.runner_up, outcome.majority) == ("Ana", "Ben", 1_068)
    assert (outcome.valid, outcome.informal, outcome.total) == (33_969, 382, 34_351)


def test_single_candidate_is_elected_with_their_votes_as_majority() -> None:
    assert decide_electorate({"Ana": 10}).majority == 10


def test_tie_for_first_is_reported_then_drawn_by_lot() -> None:
    tied = decide_electorate({"Ana": 100, "Ben": 100, "Cai": 50})
    assert tied.winner is None and tied.tied == ("Ana", "Ben")
    drawn = decide_electorate({"Ana": 100, "Ben": 100, "Cai": 50}, lot=random.Random(3))
    assert drawn.by_lot and drawn.winner in ("Ana", "Ben") and drawn.majority == 0
    assert {drawn.winner, drawn.runner_up} == {"Ana", "Ben"}


def test_electorate_errors() -> None:
    with pytest.raises(InvalidVotesError, match="votes for 'Ben' must be a whole number"):
        decide_electorate({"Ana": 3, "Ben": -2})
    with pytest.raises(InvalidVotesError, match="at least one candidate"):
        decide_electorate({})


def test_referendum_shares_on_both_bases() -> None:
    outcome = decide_referendum({"yes": 60, "no": 30}, informal=10)
    assert outcome.share("yes") == pytest.approx(0.6)
    assert outcome.share("yes", Base.VALID) == pytest.approx(2 / 3)
    assert outcome.share("informal") == pytest.approx(0.1)
    assert outcome.percent("yes", "valid") == 66.7
    assert outcome.result == "yes"


def test_percent_rounds_half_away_from_zero() -> None:
    outcome = decide_referendum({"yes": 1, "no": 7})  # 12.5 %
    assert outcome.percent("yes", digits=0) == 13.0


def test_referendum_without_majority() -> None:
    assert decide_referendum({"yes": 50, "no": 50}).result is None
    assert decide_referendum({"a": 40, "b": 35, "c": 25}).result is None


def test_referendum_errors() -> None:
    with pytest.raises(UnknownChoiceError, match="'maybe' is not an option"):
        decide_referendum({"yes": 1, "no": 2}).share("maybe")
    with pytest.raises(InvalidVotesError, match="at least two options"):
        decide_referendum({"yes": 1})
    with pytest.raises(InvalidVotesError, match="votes for 'informal'"):
        decide_referendum({"yes": 1, "no": 2}, informal=-1)
