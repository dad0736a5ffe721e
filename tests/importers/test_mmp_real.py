"""MMP allocations recomputed from the real published counts.

2020 from the tidy electorate tables (party votes summed, winners from candidate
votes); 2002–2017 from the voting-place history, whose official Houses include the
overhangs of 2005, 2008, 2011 and 2014.
"""

from __future__ import annotations

import csv
import gzip
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tallyroom.model import Stage
from tallyroom.results import tally
from tallyroom.results.queries import split_votes
from tallyroom.rules.fpp import decide_electorate
from tallyroom.rules.mmp import allocate_mmp
from tallyroom.rules.referendum import Base, decide_referendum
from tallyroom.store.database import open_store
from tests.support.official2020 import referendum_totals
from tests.support.tidy2020 import read_stage

LAB, NAT, GRN, ACT, MRI = (
    "Labour Party",
    "National Party",
    "Green Party",
    "ACT New Zealand",
    "Māori Party",
)


def test_2020_official_seats(shared_data: Path) -> None:
    stage = read_stage(shared_data, "official")
    result = allocate_mmp(stage.party_votes, stage.electorate_seats())
    assert result.seats() == {LAB: 65, NAT: 33, GRN: 10, ACT: 10, MRI: 2}
    assert stage.electorate_seats() == {LAB: 46, NAT: 23, GRN: 1, ACT: 1, MRI: 1}
    assert (result.house_size, result.overhang, result.vacant, result.ties) == (120, 0, 0, ())
    lists = {p.party: p.list_seats for p in result.parties if p.total}
    assert lists == {LAB: 19, NAT: 10, GRN: 9, ACT: 9, MRI: 1}


def test_2020_preliminary_seats(shared_data: Path) -> None:
    stage = read_stage(shared_data, "preliminary")
    result = allocate_mmp(stage.party_votes, stage.electorate_seats())
    assert result.seats() == {LAB: 64, NAT: 35, GRN: 10, ACT: 10, MRI: 1}
    assert result.house_size == 120


@pytest.mark.parametrize(
    ("stage", "labour", "national"), [("preliminary", 49.1, 26.8), ("official", 50.0, 25.6)]
)
def test_2020_published_party_vote_shares(shared_data: Path, stage, labour, national) -> None:
    result = allocate_mmp(read_stage(shared_data, stage).party_votes)
    share = {p.party: round(100 * p.share, 1) for p in result.parties}
    assert (share[LAB], share[NAT]) == (labour, national)


def test_2020_northland_changed_hands(shared_data: Path) -> None:
    """Matt King (National) led on election night; Willow-Jean Prime (Labour) won."""
    night = read_stage(shared_data, "preliminary").electorates["Northland"]
    final = read_stage(shared_data, "official").electorates["Northland"]
    assert night.winner == "KING, Matt"
    assert final.winner == "PRIME, Willow-Jean"
    assert final.runner_up == "KING, Matt"


def test_2020_referendums_national_result(shared_data: Path) -> None:
    """The workbook's own total rows give the published national results."""
    found = referendum_totals(shared_data)
    life_counts, cannabis_counts = found["end-of-life-choice"], found["cannabis"]
    life = decide_referendum(
        {"yes": life_counts["yes"], "no": life_counts["no"]}, life_counts["informal"]
    )
    cannabis = decide_referendum(
        {"yes": cannabis_counts["yes"], "no": cannabis_counts["no"]}, cannabis_counts["informal"]
    )
    assert cannabis.total == cannabis_counts["total"] == 2_908_071
    assert (cannabis.percent("yes"), cannabis.percent("no")) == (48.4, 50.7)
    assert cannabis.result == "no"
    assert life.percent("yes") == 65.1 and life.result == "yes"
    assert cannabis.percent("yes", Base.VALID) == 48.8


# --- 2002–2017 ------------------------------------------------------------------------

PUBLISHED_HOUSES = {
    "2002": {LAB: 52, NAT: 27, "New Zealand First Party": 13, ACT: 9, GRN: 9,
             "United Future": 8, "Progressive Coalition": 2},
    "2005": {LAB: 50, NAT: 48, "New Zealand First Party": 7, GRN: 6, "Maori Party": 4,
             "United Future": 3, ACT: 2, "Jim Anderton's Progressive": 1},
    "2008": {NAT: 58, LAB: 43, GRN: 9, ACT: 5, "Maori Party": 5,
             "Jim Anderton's Progressive": 1, "United Future": 1},
    "2011": {NAT: 59, LAB: 34, GRN: 14, "New Zealand First Party": 8, "Maori Party": 3,
             "Mana": 1, ACT: 1, "United Future": 1},
    "2014": {NAT: 60, LAB: 32, GRN: 14, "New Zealand First Party": 11, "Maori Party": 2,
             ACT: 1, "United Future": 1},
    "2017": {NAT: 56, LAB: 46, "New Zealand First Party": 9, GRN: 8, ACT: 1},
}  # fmt: skip
HOUSE_SIZE = {"2002": 120, "2005": 121, "2008": 122, "2011": 121, "2014": 121, "2017": 120}


@pytest.fixture(scope="module")
def history(shared_data: Path) -> dict[str, tuple[Counter, Counter]]:
    """Per year: party votes and electorate seats won, from the voting-place rows."""
    party_votes: dict[str, Counter] = defaultdict(Counter)
    candidates: dict[tuple[str, str], Counter] = defaultdict(Counter)
    party_of: dict[tuple[str, str, str], str] = {}
    path = shared_data / "nz" / "history" / "voting-place-results-2002-2017.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["party"].startswith("Informal") or row["candidate"].startswith("Informal"):
                continue
            year, votes = row["year"], int(row["votes"])
            if row["vote_type"] == "party":
                party_votes[year][row["party"]] += votes
            else:
                key = (year, row["electorate_number"])
                candidates[key][row["candidate"]] += votes
                party_of[(*key, row["candidate"])] = row["party"]
    won: dict[str, Counter] = defaultdict(Counter)
    for (year, number), votes in candidates.items():
        winner = decide_electorate(dict(votes)).winner
        won[year][party_of[year, number, winner]] += 1
    return {year: (party_votes[year], won[year]) for year in party_votes}


@pytest.mark.parametrize("year", sorted(PUBLISHED_HOUSES))
def test_published_houses_2002_to_2017(history, year: str) -> None:
    votes, won = history[year]
    result = allocate_mmp(dict(votes), dict(won))
    assert result.seats() == PUBLISHED_HOUSES[year]
    assert result.house_size == HOUSE_SIZE[year]
    assert result.overhang == HOUSE_SIZE[year] - 120


def test_2017_official_files_import_and_seat_the_published_house(
    shared_data: Path, tmp_path: Path
) -> None:
    """The 2017 statistics files (some with an empty "fewer than 6 votes" row, names with
    brackets in the split-vote tables) import through nz-official, and the store seats the
    published House; the split-vote summary's party votes are the party votes counted."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    folder = shared_data / "nz" / "official" / "2017"
    tallyroom = str(Path(sys.executable).with_name("tallyroom"))
    subprocess.run([tallyroom, "import", "nz-official", str(folder), "--db", url], check=True,
                   capture_output=True)  # fmt: skip
    counted = tally(open_store(url), "nz-2017", Stage.OFFICIAL)
    result = counted.seats()
    assert result.seats() == PUBLISHED_HOUSES["2017"]
    assert result.house_size == HOUSE_SIZE["2017"]
    split = {v.party: v for v in split_votes(open_store(url), "nz-2017") if v.scope == "nation"}
    for party, votes in counted.party_votes().items():
        assert split[party].party_votes == votes, party
    assert split["All party votes"].party_votes == (
        sum(counted.party_votes().values()) + counted.informal_party_votes()
    )
