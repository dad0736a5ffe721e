"""Analysis of the stored 2020 election against the published figures."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from tallyroom.analysis.by_electorate import VoteBasis, by_electorate
from tallyroom.analysis.compare import compare
from tallyroom.analysis.indices import indices
from tallyroom.model import Stage
from tallyroom.results import tally
from tallyroom.rules.referendum import Base
from tallyroom.store.database import open_store
from tests.support.official2020 import party_vote_totals

TALLYROOM = str(Path(sys.executable).with_name("tallyroom"))
PUBLISHED_2020 = {"Labour Party": 65, "National Party": 33, "Green Party": 10,
                  "ACT New Zealand": 10, "Māori Party": 2}  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('analysis') / 'nz2020.db'}"
    subprocess.run([TALLYROOM, "load", "nz-2020", "--db", url], check=True, capture_output=True)
    return url


def test_preliminary_to_official(store: str) -> None:
    engine = open_store(store)
    result = compare(
        tally(engine, "nz-2020", Stage.PRELIMINARY), tally(engine, "nz-2020", Stage.OFFICIAL)
    )
    seats = {p.party: p.seats[1] - p.seats[0] for p in result.parties}
    assert (seats["National Party"], seats["Labour Party"], seats["Māori Party"]) == (-2, 1, 1)
    shares = {p.party: p.percent for p in result.parties}
    assert (round(shares["Labour Party"][0], 1), round(shares["Labour Party"][1], 1)) == (
        49.1,
        50.0,
    )
    assert (round(shares["National Party"][0], 1), round(shares["National Party"][1], 1)) == (
        26.8,
        25.6,
    )
    northland = next(f for f in result.flips if f.name == "Northland")
    assert northland.before == ("KING, Ronald Matthew", "National Party", 729)
    assert northland.after == ("PRIME, Willow-Jean", "Labour Party", 163)
    cannabis = next(r for r in result.referendums if r.contest == "referendum:cannabis")
    assert (cannabis.ordinary_percent, cannabis.all_percent, cannabis.all_result) == (
        46.1,
        48.4,
        "No",
    )


@pytest.mark.parametrize(
    ("electorate", "percent"),
    [("Wellington Central", 72), ("Auckland Central", 66), ("Rongotai", 65), ("Dunedin", 62),
     ("Mt Albert", 61), ("Epsom", 45), ("Papakura", 40), ("Botany", 31)],
)  # fmt: skip
def test_cannabis_by_electorate_ordinary_votes(store: str, electorate: str, percent: int) -> None:
    result = by_electorate(tally(open_store(store), "nz-2020", Stage.OFFICIAL), "cannabis")
    row = next(r for r in result.rows if r.name == electorate)
    assert round(row.percent["Yes"]) == percent


def test_cannabis_counts_of_electorates_in_favour(store: str) -> None:
    engine = open_store(store)
    official = tally(engine, "nz-2020", Stage.OFFICIAL)
    ordinary = by_electorate(official, "cannabis")
    assert (ordinary.in_favour, len(ordinary.rows)) == (14, 65)
    assert "Special votes are not included" in ordinary.statement
    assert ordinary.rows[0].name == "Wellington Central" and ordinary.rows[0].rank == 1
    everything = by_electorate(official, "cannabis", VoteBasis.ALL)
    assert (everything.in_favour, len(everything.rows)) == (19, 65)
    valid = by_electorate(official, "cannabis", base=Base.VALID)
    assert "informal" not in valid.rows[0].percent


def test_indices_2020_against_an_independent_computation(store: str, shared_data: Path) -> None:
    votes = party_vote_totals(shared_data)
    total_votes = sum(votes.values())
    v = {p: n / total_votes for p, n in votes.items()}
    s = {p: PUBLISHED_2020.get(p, 0) / 120 for p in votes}
    expected_gallagher = 100 * math.sqrt(sum((v[p] - s[p]) ** 2 for p in votes) / 2)
    expected_lh = 50 * sum(abs(v[p] - s[p]) for p in votes)
    result = indices(tally(open_store(store), "nz-2020", Stage.OFFICIAL).seats())
    assert result.gallagher == pytest.approx(expected_gallagher, abs=1e-9)
    assert result.loosemore_hanby == pytest.approx(expected_lh, abs=1e-9)
    assert result.enp_votes == pytest.approx(1 / sum(x * x for x in v.values()))
    assert result.enp_seats == pytest.approx(1 / sum(x * x for x in s.values()))
    wasted = 100 * sum(n for p, n in votes.items() if p not in PUBLISHED_2020) / total_votes
    assert result.wasted_votes == pytest.approx(wasted)


def test_analysis_commands_print_json(store: str) -> None:
    def run(*args: str) -> object:
        done = subprocess.run([TALLYROOM, *args, "--db", store, "--json"], capture_output=True,
                              text=True, check=True)  # fmt: skip
        return json.loads(done.stdout)

    compared = run("compare", "nz-2020")
    assert any(f["name"] == "Northland" for f in compared["flips"])
    table = run("referendum", "nz-2020", "cannabis", "--votes", "all")
    assert sum(r["result"] == "Yes" for r in table["rows"]) == 19
    (row,) = run("indices", "nz-2020")
    assert row["stage"] == "official" and row["gallagher"] > 0


def test_yes_electorates_by_winning_party_depend_on_stage_and_votes(store: str) -> None:
    """'Only Northland backed a National candidate' holds for election-night winners and
    ordinary votes; with special votes Whangārei joins it; official winners, none."""
    from tallyroom.analysis.crosstab import crosstab

    engine = open_store(store)
    official = tally(engine, "nz-2020", Stage.OFFICIAL)

    def national_yes(votes: VoteBasis, stage: Stage) -> list[str]:
        table = crosstab(official, tally(engine, "nz-2020", stage), "cannabis", votes)
        return [
            r.name for r in table.rows if r.result == "Yes" and r.winner_party == "National Party"
        ]

    assert national_yes(VoteBasis.ORDINARY, Stage.PRELIMINARY) == ["Northland"]
    assert sorted(national_yes(VoteBasis.ALL, Stage.PRELIMINARY)) == ["Northland", "Whangārei"]
    assert national_yes(VoteBasis.ORDINARY, Stage.OFFICIAL) == []
    table = crosstab(official, official, "cannabis")
    assert sum(c.get("in favour", 0) for c in table.by_winner_party().values()) == 14


def test_correlations_equal_numpy(store: str) -> None:
    import numpy as np

    from tallyroom.analysis.crosstab import correlations, crosstab

    engine = open_store(store)
    official = tally(engine, "nz-2020", Stage.OFFICIAL)
    table = crosstab(official, official, "cannabis")
    found = {c.party: c for c in correlations(official, table)}
    counts = tally(engine, "nz-2020", Stage.OFFICIAL).party_by_electorate
    yes = np.array([r.percent for r in table.rows])
    green = np.array(
        [100 * counts[r.number].counts["Green Party"] / counts[r.number].valid for r in table.rows]
    )
    assert found["Green Party"].pearson == pytest.approx(np.corrcoef(yes, green)[0, 1])

    def average_ranks(values: np.ndarray) -> np.ndarray:
        order = sorted(range(len(values)), key=lambda i: values[i])
        ranks = np.empty(len(values))
        start = 0
        while start < len(order):
            end = start
            while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
                end += 1
            for k in range(start, end + 1):
                ranks[order[k]] = (start + end) / 2 + 1
            start = end + 1
        return ranks

    ranks = [average_ranks(a) for a in (yes, green)]
    assert found["Green Party"].spearman == pytest.approx(np.corrcoef(*ranks)[0, 1])
    assert found["Green Party"].electorates == 65


def test_scatter_plot_escapes_text_and_lists_every_point(store: str, tmp_path: Path) -> None:
    from tallyroom.publish.charts import Point, scatter_svg

    svg = scatter_svg([Point(1, 2, "<script>alert(1)</script>"), Point(3, 5, "B & C")],
                      title='A "title" <b>', x_label="x", y_label="y")  # fmt: skip
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "B &amp; C" in svg
    assert 'aria-label="A &quot;title&quot; &lt;b&gt;"' in svg
    path = tmp_path / "scatter.svg"
    subprocess.run([TALLYROOM, "crosstab", "nz-2020", "cannabis", "--db", store, "--plot", str(path)],
                   check=True, capture_output=True)  # fmt: skip
    assert path.read_text(encoding="utf-8").count("<circle") == 65


def test_special_votes_2020_candidate_and_referendum(store: str, shared_data: Path) -> None:
    from tallyroom.analysis.specials import NoSpecialSplitError, special_split

    engine = open_store(store)
    official = tally(engine, "nz-2020", Stage.OFFICIAL)
    candidates = special_split(official, "candidate")
    # the turnout table's Combined Totals: ordinary (a) and special (b) valid candidate votes
    assert (candidates.ordinary_valid, candidates.special_valid) == (2_370_483, 453_715)
    cannabis = special_split(official, "referendum:cannabis")
    yes = next(r for r in cannabis.rows if r.choice == "Yes")
    assert (yes.ordinary, yes.special) == (1_114_579, 292_394)  # the workbook's total rows
    assert yes.special_percent == 60.35 and yes.difference == 13.85
    with pytest.raises(NoSpecialSplitError, match="do not separate special votes"):
        special_split(official, "party")  # official party votes are electorate totals


def test_special_votes_2017_party_vote_from_history(shared_data: Path, tmp_path: Path) -> None:
    import csv
    import gzip
    from collections import Counter

    from tallyroom.analysis.specials import special_split
    from tests.support.stores import import_files

    path = shared_data / "nz" / "history" / "voting-place-results-2002-2017.csv.gz"
    engine = open_store(f"sqlite:///{tmp_path / 'h.db'}")
    import_files(engine, "nz-history", [path])
    expected: Counter[str] = Counter()
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            place = row["voting_place"].lower()
            if (
                row["year"] == "2017"
                and row["vote_type"] == "party"
                and not row["party"].startswith("Informal")
                and (place.startswith("special votes") or place.startswith("overseas special"))
            ):
                expected[row["party"]] += int(row["votes"])  # fmt: skip
    result = special_split(tally(engine, "nz-2017", Stage.OFFICIAL), "party")
    assert {r.choice: r.special for r in result.rows if r.special} == dict(+expected)
    assert result.special_valid == sum(expected.values())


def test_example_claims_file(store: str) -> None:
    from tallyroom.analysis.claims import check, load_claims
    from tests.support.data import REPO

    election, claims = load_claims(REPO / "examples" / "claims-nz2020.yaml")
    engine = open_store(store)
    verdicts = {v.text: v for v in check(lambda stage: tally(engine, election, stage), claims)}
    confirmed = [t for t, v in verdicts.items() if v.verdict == "confirmed"]
    assert len(confirmed) == 9  # the eight published electorate figures and "14 of 65"
    only = verdicts[
        "Only Northland backed a National candidate among the electorates that voted yes"
    ]
    assert (only.verdict, only.found) == ("contradicted", "none")
    assert [c.describe(only.dimensions) for c in only.holds_under] == [
        "preliminary count, ordinary votes"
    ]
    northland = verdicts["National won Northland"]
    assert northland.verdict == "contradicted" and [c.stage for c in northland.holds_under] == [
        Stage.PRELIMINARY
    ]
    off = verdicts["Wellington Central voted 73 % yes on cannabis"]
    assert off.verdict == "off" and off.found == "Yes 71.7 % (1 point lower than claimed)"
    assert {c.votes for c in off.holds_under} == {VoteBasis.ALL}


def test_claims_file_errors(store: str, tmp_path: Path) -> None:
    bad = tmp_path / "claims.yaml"
    bad.write_text("election: nz-2020\nclaims:\n  - text: something vague\n", encoding="utf-8")
    done = subprocess.run(
        [TALLYROOM, "check", "nz-2020", str(bad), "--db", store], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "claim 1 ('something vague') is not one of the known shapes" in done.stderr
    bad.write_text("claims: [", encoding="utf-8")
    done = subprocess.run(
        [TALLYROOM, "check", "nz-2020", str(bad), "--db", store], capture_output=True, text=True
    )
    assert done.returncode == 2 and str(bad) in done.stderr


def test_turnout_change(store: str, shared_data: Path) -> None:
    import csv

    engine = open_store(store)
    result = compare(
        tally(engine, "nz-2020", Stage.PRELIMINARY), tally(engine, "nz-2020", Stage.OFFICIAL)
    )
    assert result.electors == 3_549_580  # 'Electors on Master Roll', Combined Totals
    night, final = result.turnout
    assert final == 82.24  # published 'Votes Cast to Electors on Master Roll'
    path = shared_data / "nz" / "2020" / "electorate-results-preliminary.csv"
    with path.open(encoding="utf-8") as handle:
        counted = sum(int(r["votes"]) for r in csv.DictReader(handle) if r["vote_type"] == "party")
    assert night == round(100 * counted / 3_549_580, 2)
    assert result.turnout_change == round(final - night, 2)
