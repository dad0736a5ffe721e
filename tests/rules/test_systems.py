"""Rule sets are data: printable, serialisable, comparable, named."""

from __future__ import annotations

from fractions import Fraction

import pytest

from tallyroom.rules.apportion import Method
from tallyroom.rules.errors import (
    InvalidSeatsError,
    InvalidThresholdError,
    UnknownMethodError,
    UnknownRuleSetError,
)
from tallyroom.rules.systems import NZ, SYSTEMS, OverhangPolicy, RuleSet, named


def test_nz_rule_set_fields() -> None:
    assert (NZ.seats, NZ.threshold, NZ.electorate_threshold) == (120, Fraction(1, 20), 1)
    assert (NZ.method, NZ.overhang) == (Method.SAINTE_LAGUE, OverhangPolicy.KEEP)


@pytest.mark.parametrize("rules", list(SYSTEMS.values()))
def test_round_trip_through_json(rules: RuleSet) -> None:
    import json

    assert RuleSet.from_dict(json.loads(rules.to_json())) == rules


def test_threshold_is_written_as_exact_decimal() -> None:
    assert NZ.to_dict()["threshold"] == "0.05"
    assert named("nz-review-2023").to_dict()["threshold"] == "0.035"
    assert NZ.with_changes(threshold=Fraction(1, 3)).to_dict()["threshold"] == "1/3"


def test_with_changes_parses_text_fields() -> None:
    changed = NZ.with_changes(threshold="0.04", method="dhondt", seats=100)
    assert changed.threshold == Fraction(1, 25) and changed.method is Method.DHONDT
    assert changed != NZ and NZ.seats == 120


def test_invalid_rule_sets() -> None:
    with pytest.raises(UnknownRuleSetError, match="expected one of: nz"):
        named("atlantis")
    with pytest.raises(UnknownMethodError):
        NZ.with_changes(method="borda")
    with pytest.raises(InvalidSeatsError, match="at least one seat"):
        NZ.with_changes(seats=0)
    with pytest.raises(InvalidThresholdError, match="threshold must be a share"):
        NZ.with_changes(threshold="1.5")
