"""A Bundestag election in the store: the Länder as regions, the Wahlkreise as electorates,
imported all or nothing, and seats computed from the store equal to those computed
straight from the returning officer's file (which reproduce the declared Houses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tallyroom.cli import app
from tallyroom.importers import de_bundeswahl
from tallyroom.importers.errors import FileFormatError, ReconciliationError
from tallyroom.model import Stage
from tallyroom.publish.web import create_app
from tallyroom.results import tally
from tallyroom.rules.regional import run_pipeline
from tallyroom.rules.steps import pipeline_named
from tallyroom.store.database import open_store
from tallyroom.store.imports import StoreError
from tests.support.stores import fingerprint, import_files


def folder(shared_data: Path) -> Path:
    return shared_data / "de" / "bundestag"


def test_2025_from_the_store_equals_the_file(shared_data: Path, store_url: str) -> None:
    path = folder(shared_data) / "2025-gesamtergebnis.xml"
    engine = open_store(store_url)
    report = import_files(engine, "de-bundeswahl", [path], election="de-2025")
    assert report.new == 2 * 299

    counted = tally(engine, "de-2025", Stage.OFFICIAL)
    assert counted.rules == "de-2023" and counted.regional and len(counted.regions) == 16
    stored = counted.regional_seats()
    election = de_bundeswahl.read(path)
    direct = run_pipeline(pipeline_named("de-2023"), election.regions(), election.districts())
    assert stored.to_dict() == direct.to_dict()
    assert stored.house_size == 630 and len(stored.unseated) == 23

    # every Land's stored votes equal the file's own Land row
    for land in election.laender.values():
        numbers = [n for n, e in counted.electorates.items() if e.region == land.name]
        assert len(numbers) == sum(1 for wk in election.wahlkreise if wk.land == land.number)
        second: dict[str, int] = {}
        for n in numbers:
            for party, votes in counted.party_by_electorate[n].counts.items():
                second[party] = second.get(party, 0) + votes
        assert {p: v for p, v in second.items() if v} == {p: v for p, v in land.second.items() if v}
        assert sum(counted.candidates[n].valid for n in numbers) == land.valid_first
        assert sum(counted.candidates[n].informal for n in numbers) == land.invalid_first
        assert sum(counted.party_by_electorate[n].informal for n in numbers) == land.invalid_second
    assert counted.party_votes()["CDU"] == election.bund.second["CDU"] == 11_196_374

    assert import_files(engine, "de-bundeswahl", [path], election="de-2025").already_imported


def test_seats_command_reads_the_store(shared_data: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'de.db'}"
    files = folder(shared_data)
    done = runner.invoke(
        app,
        ["import", "de-bundeswahl", str(files / "2017-kerg.csv"), "--election", "de-2017",
         "--population", str(files / "2017-strukturdaten.csv"), "--db", db],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    done = runner.invoke(app, ["seats", "de-2017", "--db", db, "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert result["house_size"] == 709 and result["rules"]["name"] == "de-2013"
    cdu = next(p for p in result["parties"] if p["party"].startswith("Christlich Demokratische"))
    assert cdu["seats"] == 200 and sum(cdu["by_region"].values()) == 200
    assert (
        cdu["districts_seated"] == sum(cdu["districts_by_region"].values()) == cdu["districts_won"]
    )

    done = runner.invoke(app, ["seats", "de-2017", "--db", db])
    assert done.exit_code == 0 and "Seats per region" in done.stdout
    assert "Mecklenburg-Vorpommern" in done.stdout and "House of 709" in done.stdout


def test_a_law_with_contingents_needs_the_population(shared_data: Path, tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'de.db'}")
    before = fingerprint(engine)
    with pytest.raises(
        FileFormatError, match=r"2013-kerg.csv: an election under de-2013 .* --population"
    ):
        import_files(
            engine, "de-bundeswahl", [folder(shared_data) / "2013-kerg.csv"], election="de-2013"
        )
    with pytest.raises(FileFormatError, match="give the election id with --election"):
        import_files(engine, "de-bundeswahl", [folder(shared_data) / "2025-gesamtergebnis.xml"])
    assert fingerprint(engine) == before


def test_a_corrupted_file_changes_nothing(shared_data: Path, tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'de.db'}")
    before = fingerprint(engine)
    lines = (folder(shared_data) / "2017-kerg.csv").read_text(encoding="utf-8-sig").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("1;Flensburg"))
    fields = lines[at].split(";")
    fields[19] = str(int(fields[19]) + 5)  # CDU Erststimmen, Endgültig
    lines[at] = ";".join(fields)
    bad = tmp_path / "2017-kerg.csv"
    bad.write_text("\n".join(lines), encoding="utf-8")
    people = folder(shared_data) / "2017-strukturdaten.csv"
    with pytest.raises(ReconciliationError, match=rf"2017-kerg.csv, line {at + 1}: Wahlkreis 1"):
        import_files(engine, "de-bundeswahl", [bad], election="de-2017", population=people)
    assert fingerprint(engine) == before


def test_a_region_stored_is_not_replaced(shared_data: Path, tmp_path: Path) -> None:
    """The same file with another population table is a new source, but the Länder are
    stored already with other figures: refused, and nothing of it is stored."""
    engine = open_store(f"sqlite:///{tmp_path / 'de.db'}")
    files = folder(shared_data)
    import_files(engine, "de-bundeswahl", [files / "2017-kerg.csv"], election="de-2017",
                 population=files / "2017-strukturdaten.csv")  # fmt: skip
    before = fingerprint(engine)
    text = (files / "2017-strukturdaten.csv").read_text(encoding="utf-8-sig")
    other = tmp_path / "strukturdaten.csv"
    other.write_text(text.replace("Saarland;910;Land insgesamt;", "Saarland;910;Land insgesamt;1"))
    with pytest.raises(StoreError, match="region Saarland is stored as number 10"):
        import_files(engine, "de-bundeswahl", [files / "2017-kerg.csv"], election="de-2017",
                     population=other)  # fmt: skip
    assert fingerprint(engine) == before


def test_only_de_bundeswahl_reads_a_population_table(shared_data: Path, tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'de.db'}")
    people = folder(shared_data) / "2017-strukturdaten.csv"
    with pytest.raises(FileFormatError, match="nz-official reads no population table"):
        import_files(engine, "nz-official", [shared_data / "nz" / "official" / "2020"],
                     population=people)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "election", "house"),
    [("2013-kerg.csv", "de-2013", 631), ("2021-gesamtergebnis.xml", "de-2021", 735)],
)
def test_every_law_from_the_store(
    shared_data: Path, tmp_path: Path, name: str, election: str, house: int
) -> None:
    files = folder(shared_data)
    people = files / f"{name[:4]}-strukturdaten.csv"
    engine = open_store(f"sqlite:///{tmp_path / 'de.db'}")
    import_files(engine, "de-bundeswahl", [files / name], election=election, population=people)
    counted = tally(engine, election, Stage.OFFICIAL)
    stored = counted.regional_seats()
    read = de_bundeswahl.read(files / name)
    population = de_bundeswahl.read_population(people)
    direct = run_pipeline(pipeline_named(counted.rules), read.regions(population), read.districts())
    assert stored.to_dict() == direct.to_dict()
    assert stored.house_size == house
    assert counted.rules == {"de-2013": "de-2013", "de-2021": "de-2020"}[election]


def test_the_api_serves_what_the_cli_prints(shared_data: Path, tmp_path: Path) -> None:
    """The seats document of a Bundestag election is the regional law's, the same JSON
    as ``tallyroom seats --json``; the summary and parties documents carry it too."""
    url = f"sqlite:///{tmp_path / 'de.db'}"
    path = folder(shared_data) / "2025-gesamtergebnis.xml"
    import_files(open_store(url), "de-bundeswahl", [path], election="de-2025")
    printed = CliRunner().invoke(app, ["seats", "de-2025", "--json", "--db", url])
    assert printed.exit_code == 0, printed.output
    client = TestClient(create_app(open_store(url)))
    api = "/api/v1/elections/de-2025/official"
    served = client.get(f"{api}/seats.json").json()
    assert served == json.loads(printed.output)
    summary = client.get(f"{api}/summary.json").json()
    assert summary["seats"] == served and len(summary["regions"]) == 16
    assert summary["progress"]["text"] == "299 of 299 Wahlkreise counted"
    parties = {p["party"]: p for p in client.get(f"{api}/parties.json").json()["parties"]}
    cdu = next(p for p in served["parties"] if p["party"] == "CDU")
    assert (parties["CDU"]["total"], parties["CDU"]["electorate_seats"]) == (
        cdu["seats"], cdu["districts_seated"],
    )  # fmt: skip
    assert len(parties["CDU"]["electorate_mps"]) == cdu["districts_seated"]  # unseated left out
