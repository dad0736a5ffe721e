"""The results store on SQLite and PostgreSQL: schema, imports, versions, tallies."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from tallyroom.importers.formats import format_named
from tallyroom.importers.options import ReadOptions
from tallyroom.model import Stage
from tallyroom.results import tally
from tallyroom.store import schema as t
from tallyroom.store.database import open_store
from tallyroom.store.imports import ReplaceRequiredError, SourceFile, StoreError, import_datasets
from tests.support.postgres import new_postgres_database
from tests.support.stores import fingerprint, import_files

TALLYROOM = str(Path(sys.executable).with_name("tallyroom"))
OFFICIAL_SEATS = {"Labour Party": 65, "National Party": 33, "Green Party": 10,
                  "ACT New Zealand": 10, "Māori Party": 2}  # fmt: skip


def tidy(shared_data: Path, stage: str) -> Path:
    return shared_data / "nz" / "2020" / f"electorate-results-{stage}.csv"


def test_migrations_build_exactly_the_schema(store_url: str) -> None:
    engine = open_store(store_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), t.metadata) == []


def test_tidy_2020_both_stages(store_url: str, shared_data: Path) -> None:
    engine = open_store(store_url)
    import_files(engine, "nz-tidy-2020", [tidy(shared_data, "preliminary")])
    import_files(engine, "nz-tidy-2020", [tidy(shared_data, "official")])
    official = tally(engine, "nz-2020", Stage.OFFICIAL)
    assert official.seats().seats() == OFFICIAL_SEATS
    assert sum(official.party_votes().values()) == 2_886_427  # the tidy file's own sum
    night = tally(engine, "nz-2020", Stage.PRELIMINARY)
    assert night.seats().seats()["National Party"] == 35
    assert night.outcomes()[night_number(night, "Northland")].winner == "KING, Matt"


def night_number(counted, name: str) -> int:
    return next(n for n, e in counted.electorates.items() if e.name == name)


def test_official_statistics_reconcile_to_the_published_totals(
    store_url: str, shared_data: Path
) -> None:
    engine = open_store(store_url)
    report = import_files(engine, "nz-official", [shared_data / "nz" / "official" / "2020"])
    assert report.new == 9_788
    counted = tally(engine, "nz-2020", Stage.OFFICIAL)
    # 'Combined Totals' of the official tables
    assert sum(c.valid for c in counted.candidates.values()) == 2_824_198
    assert sum(c.informal for c in counted.candidates.values()) == 57_138
    assert sum(counted.party_votes().values()) == 2_886_420
    assert counted.party_votes()["Labour Party"] == 1_443_545
    assert counted.informal_party_votes() == 21_372
    with engine.connect() as conn:
        electors, cast = conn.execute(
            select(func.sum(t.electorate.c.electors), func.sum(t.electorate.c.votes_cast))
        ).one()
    assert (electors, cast) == (3_549_580, 2_919_073)  # the turnout table's Combined Totals
    auckland = counted.candidates[1]
    assert auckland.counts["SWARBRICK, Chlöe Charlotte"] == 12_631
    assert auckland.party_of["LOVE, Joshua Nathanuel"] == "Independent"
    done = subprocess.run([TALLYROOM, "seats", "nz-2020", "--db", store_url, "--json"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert json.loads(done.stdout)["seats"] == OFFICIAL_SEATS


def test_reimporting_the_same_file_changes_nothing(store_url: str, shared_data: Path) -> None:
    engine = open_store(store_url)
    import_files(engine, "nz-tidy-2020", [tidy(shared_data, "official")])
    before = fingerprint(engine)
    again = import_files(engine, "nz-tidy-2020", [tidy(shared_data, "official")])
    assert again.already_imported and fingerprint(engine) == before


def test_a_different_file_for_the_same_returns_needs_replace(
    store_url: str, shared_data: Path
) -> None:
    """The tidy file's party votes differ by a few votes from the official table's."""
    engine = open_store(store_url)
    import_files(engine, "nz-official", [shared_data / "nz" / "official" / "2020"])
    before = fingerprint(engine)
    with pytest.raises(
        ReplaceRequiredError,
        match=r"electorate-results-official\.csv, line \d+: party at electorate:\d+ \(official, all\) differs",
    ):
        import_files(engine, "nz-tidy-2020", [tidy(shared_data, "official")], stage=Stage.OFFICIAL)
    assert fingerprint(engine) == before
    with pytest.raises(StoreError, match="needs a --reason"):
        import_files(engine, "nz-tidy-2020", [tidy(shared_data, "official")], replace=True)
    # the tidy file reports candidate votes per electorate, the store has them by voting
    # place: storing both would count one electorate two ways, so the import is refused
    with pytest.raises(StoreError, match=r"line \d+: candidate:\d+ at the official stage is "
                       r"reported for electorate:\d+ as a whole and also by electorate:\d+/"):  # fmt: skip
        import_files(engine, "nz-tidy-2020", [tidy(shared_data, "official")],
                     replace=True, reason="test: tidy figures")  # fmt: skip
    assert fingerprint(engine) == before
    # its party votes alone (reported per electorate either way) replace the stored ones
    paths = [tidy(shared_data, "official")]
    datasets = [
        replace(d, returns=[r for r in d.returns if r.contest == "party"])
        for d in format_named("nz-tidy-2020").read(paths, ReadOptions())
    ]
    report = import_datasets(engine, datasets, SourceFile.of("nz-tidy-2020", paths), replace=True,
                    reason="test: tidy figures")  # fmt: skip
    assert report.replaced > 0 and report.unchanged > 0
    counted = tally(engine, "nz-2020", Stage.OFFICIAL)
    assert counted.party_votes()["Labour Party"] == 1_443_546  # the newer version counts
    assert counted.candidates[1].counts["SWARBRICK, Chlöe Charlotte"] == 12_631  # voting places
    with engine.connect() as conn:
        versions = conn.execute(select(t.vote_return.c.version, t.vote_return.c.supersedes,
                                       t.vote_return.c.reason)
                                .where(t.vote_return.c.version > 1)).all()  # fmt: skip
    assert len(versions) == report.replaced
    assert all(v.supersedes and v.reason == "test: tidy figures" for v in versions)
    assert (
        fingerprint(engine)["vote_return"] == before["vote_return"] + report.new + report.replaced
    )


def test_history_imports_six_elections_with_their_published_houses(
    store_url: str, shared_data: Path
) -> None:
    from tests.importers.test_mmp_real import HOUSE_SIZE, PUBLISHED_HOUSES

    engine = open_store(store_url)
    path = shared_data / "nz" / "history" / "voting-place-results-2002-2017.csv.gz"
    report = import_files(engine, "nz-history", [path])
    assert report.election == "nz-2002, nz-2005, nz-2008, nz-2011, nz-2014, nz-2017"
    for year, seats in PUBLISHED_HOUSES.items():
        counted = tally(engine, f"nz-{year}", Stage.OFFICIAL)
        result = counted.seats()
        assert result.seats() == seats, year
        assert result.house_size == HOUSE_SIZE[year]
    # every vote in the file is stored once: valid and informal sums per year
    import polars as pl

    frame = pl.read_csv(path, infer_schema_length=0).with_columns(pl.col("votes").cast(pl.Int64))
    for year in PUBLISHED_HOUSES:
        rows = frame.filter(pl.col("year") == year)
        counted = tally(engine, f"nz-{year}", Stage.OFFICIAL)
        stored = sum(counted.party_votes().values()) + counted.informal_party_votes()
        assert stored == rows.filter(pl.col("vote_type") == "party")["votes"].sum(), year
    again = import_files(engine, "nz-history", [path])
    assert again.already_imported


def test_store_location_defaults(tmp_path: Path) -> None:
    """--db wins, then $TALLYROOM_DB, then tallyroom.db in the user's data directory."""
    import os

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("TALLYROOM_DB", None)
    subprocess.run([TALLYROOM, "load", "nz-2020"], env=env, check=True, capture_output=True)
    assert (tmp_path / "data" / "tallyroom" / "tallyroom.db").exists()
    env["TALLYROOM_DB"] = f"sqlite:///{tmp_path / 'env.db'}"
    subprocess.run([TALLYROOM, "load", "nz-2020"], env=env, check=True, capture_output=True)
    assert (tmp_path / "env.db").exists()
    explicit = f"sqlite:///{tmp_path / 'flag.db'}"
    subprocess.run([TALLYROOM, "load", "nz-2020", "--db", explicit], env=env, check=True,
                   capture_output=True)  # fmt: skip
    assert (tmp_path / "flag.db").exists()


def test_voting_places_add_up_to_the_electorate(shared_data: Path, tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'vp.db'}")
    import_files(engine, "nz-official", [shared_data / "nz" / "official" / "2020"])
    counted = tally(engine, "nz-2020", Stage.OFFICIAL)
    for number in (1, 66, 72):
        places = counted.voting_places(number)
        assert sum(p.valid for p in places) == counted.candidates[number].valid
        assert sum(p.informal for p in places) == counted.candidates[number].informal
        assert {p.count_type for p in places} >= {"advance", "election-day", "special-before"}


def test_an_import_leaves_postgresql_planning_from_what_is_stored(
    postgres_server: str, shared_data: Path
) -> None:
    """Planned from the empty tables' statistics, one progress query after each return
    took 16 times as long (a nested loop over every unit for every return)."""
    engine = open_store(new_postgres_database(postgres_server))
    import_files(engine, "nz-tidy-2020", [tidy(shared_data, "official")])
    with engine.connect() as conn:
        analysed = dict(
            conn.exec_driver_sql(
                "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables"
            ).all()
        )
        estimated = conn.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE relname = 'vote_count'"
        ).scalar_one()
        stored = conn.execute(select(func.count()).select_from(t.vote_count)).scalar_one()
    assert all(analysed[name] for name in ("vote_return", "vote_count", "unit", "contest"))
    assert estimated == stored > 0
