"""The example files used by the README's demo equal the official publication."""

from __future__ import annotations

from pathlib import Path

from tallyroom.countlist import parse_counts
from tallyroom.rules.mmp import allocate_mmp
from tests.support.data import REPO
from tests.support.official2020 import party_vote_totals
from tests.support.tidy2020 import read_stage

EXAMPLES = REPO / "examples"


def test_party_votes_example_is_the_official_combined_totals(shared_data: Path) -> None:
    official = party_vote_totals(shared_data)
    example = parse_counts(f"@{EXAMPLES / 'nz2020-party-votes.csv'}", "example")
    assert example == official
    assert sum(example.values()) == 2_886_420  # the table's own 'Total Valid Party Votes'


def test_electorate_seats_example_is_the_official_winners(shared_data: Path) -> None:
    example = parse_counts(f"@{EXAMPLES / 'nz2020-electorate-seats.csv'}", "example")
    assert example == read_stage(shared_data, "official").electorate_seats()
    assert sum(example.values()) == 72


def test_demo_allocation_is_the_official_result() -> None:
    votes = parse_counts(f"@{EXAMPLES / 'nz2020-party-votes.csv'}", "example")
    won = parse_counts(f"@{EXAMPLES / 'nz2020-electorate-seats.csv'}", "example")
    result = allocate_mmp(votes, won)
    assert result.seats() == {"Labour Party": 65, "National Party": 33, "Green Party": 10,
                              "ACT New Zealand": 10, "Māori Party": 2}  # fmt: skip
    shares = {p.party: round(100 * p.share, 1) for p in result.parties}
    assert (shares["Labour Party"], shares["National Party"]) == (50.0, 25.6)
