"""The election-night projection: the special-vote model, the simulation, the backtest,
and where they show (`tallyroom project`, the projection API).

The backtest runs with a few draws by default; ``TALLYROOM_FULL=1`` also checks
that the bundled track record (the method page's table) is what a full backtest gives
today.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from polars.testing import assert_frame_equal

from tallyroom.datasets import SPECIALS_HISTORY
from tallyroom.datasets.build_specials import read_shared_history
from tallyroom.forecast.backtest import METHODS, backtest, declared, night_count, pooled
from tallyroom.forecast.fitted import TRACK_RECORD, bundled_history, model_for
from tallyroom.forecast.history import read_history
from tallyroom.forecast.simulate import project
from tallyroom.forecast.specials import NoHistoryError, fit
from tallyroom.publish import schemas
from tallyroom.publish.web import create_app
from tallyroom.store.database import open_store
from tests.support.servers import hostile_store, nz2020_store
from tests.support.sizes import FULL

TALLYROOM = str(Path(sys.executable).with_name("tallyroom"))
SMALL_DRAWS = 500
OFFICIAL = {
    2020: {"Labour Party": 65, "National Party": 33, "Green Party": 10, "ACT New Zealand": 10,
           "Te Pāti Māori": 2},
    2023: {"National Party": 48, "Labour Party": 34, "Green Party": 15, "ACT New Zealand": 11,
           "New Zealand First Party": 8, "Te Pāti Māori": 6},
}  # fmt: skip


@pytest.fixture(scope="module")
def history() -> pl.DataFrame:
    return bundled_history()


@pytest.fixture(scope="module")
def nz2020_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return nz2020_store(f"sqlite:///{tmp_path_factory.mktemp('forecast') / 'nz2020.db'}")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TALLYROOM, *args], capture_output=True, text=True, encoding="utf-8", timeout=120
    )


def test_bundled_history_is_what_the_official_files_give(shared_data: Path) -> None:
    assert_frame_equal(read_shared_history(shared_data), read_history(SPECIALS_HISTORY))


def test_history_totals_match_the_official_counts(history: pl.DataFrame) -> None:
    """Valid party votes of the final counts, as the Electoral Commission published them."""
    party = history.filter(pl.col("contest") == "party").group_by("year").agg(pl.col("final").sum())
    totals = dict(party.iter_rows())
    assert totals[2017] == 2_591_896 and totals[2020] == 2_886_420 and totals[2023] == 2_851_211


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_declared_results_are_the_official_ones(history: pl.DataFrame, year: int) -> None:
    assert declared(history, year).seats == OFFICIAL[year]


def test_election_night_2020_is_the_preliminary_count(history: pl.DataFrame) -> None:
    """The night baseline of 2020 is the published election-night result."""
    night = night_count(history, 2020)
    votes = {p: sum(e.party_votes.get(p, 0) for e in night.electorates) for p in night.parties}
    assert sum(votes.values()) == 2_383_796
    scores = {s.method: s for s in backtest(history, [2020], draws=SMALL_DRAWS)}
    assert scores["night"].seats == {"Labour Party": 64, "National Party": 35, "Green Party": 10,
                                     "ACT New Zealand": 10, "Te Pāti Māori": 1}  # fmt: skip


def test_the_model_never_sees_the_election_it_predicts(history: pl.DataFrame) -> None:
    """Changing 2020 and later changes nothing in the model for 2020."""
    changed = history.with_columns(
        final=pl.when(pl.col("year") >= 2020).then(pl.col("final") * 3).otherwise(pl.col("final")),
        night=pl.when(pl.col("year") >= 2020).then(pl.col("night") // 2).otherwise(pl.col("night")),
    )
    a, b = fit(history, 2020), fit(changed, 2020)
    assert a.year == b.year == 2017
    assert a.spreads == b.spreads and a.rate == b.rate
    for name in ("ratios", "national", "rates"):
        order = [c for c in getattr(a, name).columns if c != "ratio" and c != "rate"]
        assert_frame_equal(getattr(a, name).sort(order), getattr(b, name).sort(order))
    with pytest.raises(NoHistoryError):
        fit(history.filter(pl.col("year") >= 2020), 2020)


def test_one_seed_gives_one_projection(history: pl.DataFrame) -> None:
    model, count = fit(history, 2023), night_count(history, 2023)
    first = project(count, model, draws=3000, seed=11).to_dict()
    assert project(count, model, draws=3000, seed=11).to_dict() == first
    other = project(count, model, draws=3000, seed=12).to_dict()
    assert other["electorates"] != first["electorates"]


def test_a_complete_count_with_no_specials_left_is_the_count(history: pl.DataFrame) -> None:
    """2023's final count with zero special votes outstanding projects to itself."""
    count = night_count(history, 2023, "final")
    result = project(count, fit(history, 2023), specials=0, specials_spread=0.0, draws=2000)
    truth = declared(history, 2023)
    for p in result.parties:
        seats = truth.seats.get(p.party, 0)
        assert (p.seats.most_likely, p.seats.p80, p.seats.p95) == (
            seats,
            (seats, seats),
            (seats, seats),
        )
        share = round(truth.shares[p.party], 2)
        assert p.share.most_likely == pytest.approx(share, abs=0.006)
        assert p.share.p95[0] == p.share.p95[1] == p.share.most_likely
    assert all(e.flip_probability == 0 for e in result.electorates)
    assert result.likely_house == truth.seats
    # 122 members and Port Waikato, whose poll was cancelled, vacant
    assert (result.house.most_likely, result.house.p95) == (123, (123, 123))


def test_backtest_scores_every_election_and_method(history: pl.DataFrame) -> None:
    scores = backtest(history, draws=SMALL_DRAWS)
    assert sorted({s.year for s in scores}) == [2005, 2008, 2011, 2014, 2017, 2020, 2023]
    assert {s.method for s in scores} == set(METHODS)
    night = pooled(scores, "night")
    assert night["seat_error"] == 17 and night["elections"] == 7  # specials moved 17 seats


@pytest.mark.parametrize("year", sorted(OFFICIAL))
@pytest.mark.xfail(
    strict=True,
    reason="missed: 2020 projects National 34 (33) and Māori 1 (2), the 2017 ratios "
    "understating the 2020 swing in special votes; 2023 projects Labour 35 (34), Green 14 "
    "(15) and Te Pāti Māori 4 (6), its two Māori-electorate gains at 34-40 %",
)
def test_most_likely_seats_are_the_declared_ones(history: pl.DataFrame, year: int) -> None:
    result = project(night_count(history, year), fit(history, year), draws=10_000)
    assert {
        p.party: p.seats.most_likely for p in result.parties if p.seats.most_likely
    } == OFFICIAL[year]


@pytest.mark.skipif(not FULL, reason="the full backtest is a long run: TALLYROOM_FULL=1")
def test_the_bundled_track_record_is_todays_backtest(shared_data: Path) -> None:
    done = run("project", "--backtest", "--json", "--data", str(shared_data))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(TRACK_RECORD.read_text(encoding="utf-8"))


def test_project_command_json(nz2020_db: str) -> None:
    done = run("project", "nz-2020", "--db", nz2020_db, "--draws", "2000", "--seed", "3", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    schemas.Projection.model_validate(result)
    assert (result["draws"], result["seed"], result["house"]["most_likely"]) == (2000, 3, 120)
    labour = next(p for p in result["parties"] if p["party"] == "Labour Party")
    low, high = labour["seats"]["p95"]
    assert low <= labour["seats"]["most_likely"] <= high and low >= 60 and high <= 70
    blocs = {" + ".join(b["parties"]): b["majority_probability"] for b in result["blocs"]}
    assert (
        blocs["Labour Party + Green Party"] > 0.99
        and blocs["National Party + ACT New Zealand"] < 0.01
    )
    assert len(result["electorates"]) == 72
    again = run("project", "nz-2020", "--db", nz2020_db, "--draws", "2000", "--seed", "3", "--json")
    assert again.stdout == done.stdout  # another process, the same projection


def test_project_command_table_and_specials_option(nz2020_db: str) -> None:
    done = run("project", "nz-2020", "--db", nz2020_db, "--draws", "1000", "--specials", "480000")
    assert done.returncode == 0, done.stderr
    assert "480,000 special votes expected" in done.stdout
    assert "Labour Party" in done.stdout and "Chance of a majority" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["project", "nz-1999"], "no election 'nz-1999'"),
        (["project", "hostile"], "no returns at the preliminary stage"),
        (["project"], "name the election to project"),
        (["project", "nz-2020", "--specials", "-5"], "cannot be negative"),
        (["project", "nz-2020", "--draws", "0"], "draws must be from 1 to 1,000,000"),
        (["project", "nz-2020", "--seed", "-1"], "seed must be a whole number"),
        (["project", "--backtest", "--data", "/nonexistent"], "no nz/ directory"),
    ],
)
def test_project_bad_input_is_one_line_exit_2(
    args: list[str], message: str, nz2020_db: str, tmp_path: Path
) -> None:
    db = hostile_store(f"sqlite:///{tmp_path / 'h.db'}") if "hostile" in args else nz2020_db
    done = run(*args, "--db", db)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_projection_api(nz2020_db: str, tmp_path: Path) -> None:
    with TestClient(create_app(open_store(nz2020_db))) as client:
        response = client.get("/api/v1/elections/nz-2020/preliminary/projection.json")
        assert response.status_code == 200
        schemas.Projection.model_validate(response.json())
        paths = client.get("/api/v1/openapi.json").json()["paths"]
        assert "/api/v1/elections/{election}/preliminary/projection.json" in paths
        page = client.get("/elections/nz-2020/preliminary/")
        assert "Projected final count" in page.text and 'id="projection-flips"' in page.text
        method = client.get("/elections/nz-2020/preliminary/projection/")
        assert method.status_code == 200 and 'id="track-record"' in method.text
        assert "Projected final count" not in client.get("/elections/nz-2020/official/").text
    hostile = hostile_store(f"sqlite:///{tmp_path / 'h.db'}")
    with TestClient(create_app(open_store(hostile))) as client:
        response = client.get("/api/v1/elections/hostile/preliminary/projection.json")
        assert response.status_code == 404 and "preliminary" in response.json()["detail"]


def test_elections_without_history_cannot_be_projected() -> None:
    with pytest.raises(NoHistoryError, match="New Zealand elections"):
        model_for("hostile")
    with pytest.raises(NoHistoryError, match="no election before 2002"):
        model_for("nz-2002")
