"""The Bundestag 2013–2025 recomputed from the returning officer's own files.

Each declared House is reproduced by the step pipeline of the law of its year: de-2013
(2013 and 2017), de-2020 (2021, as first declared and as declared again after the 2024
Berlin repeat vote) and de-2023 (2025). Every file is reconciled by the
importer (Land rows against their Wahlkreise, the Bund row against the Länder).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tallyroom.importers.de_bundeswahl import Bundeswahl, read, read_population
from tallyroom.importers.errors import FileFormatError, ReconciliationError
from tallyroom.rules.regional import RegionalResult, run_pipeline
from tallyroom.rules.steps import pipeline_named

LONG_2017 = {
    "Christlich Demokratische Union Deutschlands": "CDU",
    "Sozialdemokratische Partei Deutschlands": "SPD",
    "Alternative für Deutschland": "AfD",
    "Freie Demokratische Partei": "FDP",
    "DIE LINKE": "LINKE",
    "Die Linke": "LINKE",
    "BÜNDNIS 90/DIE GRÜNEN": "GRÜNE",
    "Christlich-Soziale Union in Bayern e.V.": "CSU",
}


def bundestag(shared_data: Path) -> Path:
    return shared_data / "de" / "bundestag"


def short(seats: dict[str, int]) -> dict[str, int]:
    return {LONG_2017.get(p, p): n for p, n in seats.items()}


def seats_of(shared_data: Path, year: int, rules: str) -> tuple[Bundeswahl, RegionalResult]:
    folder = bundestag(shared_data)
    name = f"{year}-kerg.csv" if year < 2021 else f"{year}-gesamtergebnis.xml"
    election = read(folder / name)
    population = None
    if year < 2025:
        population = read_population(folder / f"{year}-strukturdaten.csv")
    result = run_pipeline(pipeline_named(rules), election.regions(population), election.districts())
    return election, result


def check_totals(election: Bundeswahl, result: RegionalResult) -> None:
    """Vote totals equal the file's own Bund row; seats add up per Land and party."""
    assert len(election.wahlkreise) == 299 and len(election.laender) == 16
    assert sum(wk.valid_second for wk in election.wahlkreise) == election.bund.valid_second
    assert sum(wk.valid_first for wk in election.wahlkreise) == election.bund.valid_first
    for party in result.parties:
        assert party.votes == election.bund.second[party.party]
        if party.seats:
            assert sum(party.by_region.values()) == party.seats
            assert party.districts_seated <= party.seats
        assert sum(party.districts_by_region.values()) == party.districts_seated
        for land, seated in party.districts_by_region.items():
            assert seated <= party.by_region.get(land, 0) or not party.qualified
    for land in election.laender.values():
        wks = [wk for wk in election.wahlkreise if wk.land == election_number(election, land.name)]
        assert sum(wk.valid_second for wk in wks) == land.valid_second


def election_number(election: Bundeswahl, name: str) -> int:
    return next(n for n, land in election.laender.items() if land.name == name)


def test_2013(shared_data: Path) -> None:
    election, result = seats_of(shared_data, 2013, "de-2013")
    assert result.house_size == 631
    assert short(result.seats()) == {"CDU": 255, "SPD": 193, "LINKE": 64, "GRÜNE": 63, "CSU": 56}
    assert result.unseated == () and sum(p.overhang for p in result.parties) == 0
    check_totals(election, result)


def test_2017(shared_data: Path) -> None:
    election, result = seats_of(shared_data, 2017, "de-2013")
    assert result.house_size == 709
    assert short(result.seats()) == {
        "CDU": 200,
        "SPD": 153,
        "AfD": 94,
        "FDP": 80,
        "LINKE": 69,
        "GRÜNE": 67,
        "CSU": 46,
    }
    check_totals(election, result)


def test_2025(shared_data: Path) -> None:
    election, result = seats_of(shared_data, 2025, "de-2023")
    assert result.house_size == 630
    assert short(result.seats()) == {
        "CDU": 164,
        "AfD": 152,
        "SPD": 120,
        "GRÜNE": 85,
        "LINKE": 64,
        "CSU": 44,
        "SSW": 1,
    }
    check_totals(election, result)


def test_2025_winners_without_a_seat_match_the_files_flags(shared_data: Path) -> None:
    election, result = seats_of(shared_data, 2025, "de-2023")
    flagged = {f"{wk.number} {wk.name}" for wk in election.wahlkreise if wk.covered is False}
    assert len(flagged) == 23  # Zweitstimmendeckung="false" in the file
    assert {d.name for d in result.unseated} == flagged
    by_party: dict[str, int] = {}
    for d in result.unseated:
        by_party[d.winner or ""] = by_party.get(d.winner or "", 0) + 1
    assert by_party == {"CDU": 15, "CSU": 3, "AfD": 4, "SPD": 1}


DECLARED_2021 = {
    "SPD": 206,
    "CDU": 152,
    "GRÜNE": 118,
    "FDP": 92,
    "AfD": 83,
    "CSU": 45,
    "LINKE": 39,
    "SSW": 1,
}


def test_2021_as_first_declared(shared_data: Path) -> None:
    """The 2021 count before the Berlin repeat vote (the file's comparison figures) gives
    the House declared in October 2021: 736 seats, 733 levelled plus 3 uncompensated CSU
    overhang seats."""
    folder = bundestag(shared_data)
    election = read(folder / "2021-gesamtergebnis.xml", comparison=True)
    population = read_population(folder / "2021-strukturdaten.csv")
    result = run_pipeline(
        pipeline_named("de-2020"), election.regions(population), election.districts()
    )
    assert result.house_size == 736
    assert short(result.seats()) == DECLARED_2021
    assert {p.party: p.overhang for p in result.parties if p.overhang} == {"CSU": 3}
    check_totals(election, result)


def test_2021_after_the_berlin_repeat_vote(shared_data: Path) -> None:
    """With the repeat vote of 11 February 2024 the federal electoral committee declared
    the House anew on 1 March 2024: 735 seats, the FDP one fewer, every other party
    unchanged; Berlin lost a seat each of SPD, GRÜNE, FDP and LINKE while SPD gained one in
    Niedersachsen, GRÜNE in Nordrhein-Westfalen and LINKE in Hessen."""
    folder = bundestag(shared_data)
    population = read_population(folder / "2021-strukturdaten.csv")
    election, result = seats_of(shared_data, 2021, "de-2020")
    assert result.house_size == 735
    assert short(result.seats()) == DECLARED_2021 | {"FDP": 91}
    assert {p.party: p.overhang for p in result.parties if p.overhang} == {"CSU": 3}
    check_totals(election, result)

    before = read(folder / "2021-gesamtergebnis.xml", comparison=True)
    first = run_pipeline(pipeline_named("de-2020"), before.regions(population), before.districts())
    was = {p.party: p.by_region for p in first.parties}
    moved = {
        (LONG_2017.get(p.party, p.party), land): p.by_region.get(land, 0)
        - was[p.party].get(land, 0)
        for p in result.parties
        for land in set(p.by_region) | set(was[p.party])
        if p.by_region.get(land, 0) != was[p.party].get(land, 0)
    }
    assert moved == {
        ("SPD", "Berlin"): -1,
        ("SPD", "Niedersachsen"): 1,
        ("GRÜNE", "Berlin"): -1,
        ("GRÜNE", "Nordrhein-Westfalen"): 1,
        ("FDP", "Berlin"): -1,
        ("LINKE", "Berlin"): -1,
        ("LINKE", "Hessen"): 1,
    }


def test_comparison_figures_of_a_kerg_file_are_the_previous_election(shared_data: Path) -> None:
    """2017's Vorperiode columns are 2013 by the 2017 constituencies: the same Bund totals
    as the 2013 file's final count."""
    folder = bundestag(shared_data)
    previous = read(folder / "2017-kerg.csv", comparison=True)
    final_2013 = read(folder / "2013-kerg.csv")
    assert previous.bund.valid_second == final_2013.bund.valid_second
    assert short(previous.bund.second)["CDU"] == final_2013.bund.second["CDU"] == 14_921_877


def test_a_land_row_that_does_not_add_up_is_refused(shared_data: Path, tmp_path: Path) -> None:
    source = bundestag(shared_data) / "2017-kerg.csv"
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("1;Schleswig-Holstein;99;"))
    fields = lines[at].split(";")
    fields[15] = str(int(fields[15]) + 1)  # Gültige Erststimmen, Endgültig
    lines[at] = ";".join(fields)
    bad = tmp_path / "kerg.csv"
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ReconciliationError, match=rf"kerg.csv, line {at + 1}: Schleswig-Holstein"):
        read(bad)


def test_a_bad_count_in_the_xml_is_refused_with_its_line(shared_data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "gesamt.xml"
    shutil.copy(bundestag(shared_data) / "2025-gesamtergebnis.xml", bad)
    text = bad.read_text(encoding="utf-8")
    lines = text.splitlines()
    spd = next(i for i, line in enumerate(lines) if 'Gruppenart="PARTEI" Name="SPD"' in line)
    at = next(i for i in range(spd, len(lines)) if 'Stimmart="LISTE" Anzahl="' in lines[i])
    lines[at] = lines[at].replace('Anzahl="', 'Anzahl="x', 1)
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FileFormatError, match=rf"gesamt.xml, line {at + 1}: Anzahl"):
        read(bad)


def test_population_tables(shared_data: Path) -> None:
    population = read_population(bundestag(shared_data) / "2017-strukturdaten.csv")
    assert population["Schleswig-Holstein"] == 2_673_803 and len(population) == 16


def test_seats_de_command(shared_data: Path) -> None:
    import json

    from typer.testing import CliRunner

    from tallyroom.cli import app

    runner = CliRunner()
    done = runner.invoke(app, ["seats-de", str(bundestag(shared_data) / "2025-gesamtergebnis.xml")])
    assert done.exit_code == 0 and "winners without a seat (23)" in done.stdout
    csv = str(bundestag(shared_data) / "2013-kerg.csv")
    missing = runner.invoke(app, ["seats-de", csv, "--rules", "de-2013"])
    assert missing.exit_code == 2 and "needs --population" in missing.output
    people = str(bundestag(shared_data) / "2013-strukturdaten.csv")
    done = runner.invoke(
        app, ["seats-de", csv, "--rules", "de-2013", "--population", people, "--json"]
    )
    assert json.loads(done.stdout)["house_size"] == 631
