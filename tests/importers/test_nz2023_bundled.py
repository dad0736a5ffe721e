"""The bundled 2023 election (``tallyroom load nz-2023``), its ordinary-votes view of the
official count, and the comparison with 2020, against the Electoral Commission's files.

Expected figures are read from the official files (total rows, the turnout tables, the
summary's "State of the Parties", each electorate's declared winner), not from tallyroom.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tallyroom.datasets import bundled_path
from tallyroom.datasets.build_nz2023 import build
from tallyroom.importers import tidy
from tallyroom.importers.errors import FileFormatError
from tallyroom.model import Stage
from tallyroom.publish import views
from tallyroom.publish.colours import difference
from tallyroom.publish.schemas import BetweenElections, Comparison
from tallyroom.publish.web import create_app
from tallyroom.results import contest_parts, tally
from tallyroom.results.queries import parties
from tallyroom.store.database import open_store
from tests.commands.test_newcomer import MIN_PARTY_DIFFERENCE
from tests.importers.test_nz2023 import (
    PORT_WAIKATO,
    TALLYROOM,
    official,
    state_of_the_parties,
    summary_totals,
    table,
    total_row,
)
from tests.support.stores import fingerprint, import_files

LEADS_LOST_TO_SPECIALS = ["Nelson", "Te Atatū", "Tāmaki Makaurau", "Te Tai Tokerau"]
SPECIAL_ROWS = ("Overseas Special Votes", "Special Votes BEFORE", "Special Votes ON")
SEATED = ["National Party", "Labour Party", "Green Party", "ACT New Zealand",
          "New Zealand First Party", "Te Pāti Māori"]  # fmt: skip
RENAMED = {"Māori Party": "Te Pāti Māori"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Both bundled elections, loaded as a user would."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bundled2023') / 'store.db'}"
    for name in ("nz-2023", "nz-2020"):
        done = subprocess.run([TALLYROOM, "load", name, "--db", url],
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
    return url


def cli_json(*args: str) -> dict:
    done = subprocess.run([TALLYROOM, *args, "--json"], capture_output=True, text=True,
                          check=True)  # fmt: skip
    return json.loads(done.stdout)


def candidate_file(shared_data: Path, year: int, number: int) -> list[list[str]]:
    return table(shared_data / "nz" / "official" / str(year)
                 / f"candidate-votes-by-voting-place-{number}.csv")  # fmt: skip


def declared(rows: list[list[str]]) -> tuple[str, str, str] | None:
    """(electorate, winner, party) from a candidate file's closing block; ``None`` where the
    poll was cancelled (no winner is declared)."""
    name = re.match(r"(.+?)\s+\d+", rows[1][0]).group(1)
    start = next(i for i, r in enumerate(rows) if r and r[0] == "Electorate Candidate Valid Votes")
    marked = re.match(r"(.+) - majority \d+", rows[start][-1])
    if marked is None:
        return None
    party = next(r[1] for r in rows[start + 1 :] if r and r[0] == marked.group(1))
    return name, marked.group(1), party


def ordinary_leader(rows: list[list[str]]) -> str | None:
    """Who leads a candidate file on ordinary votes: its total row less the special rows."""
    name = re.match(r"(.+?)\s+\d+", rows[1][0]).group(1)
    candidates = rows[2][2:-2]
    total = next(r for r in rows if len(r) > 1 and r[1] == f"{name} Total")
    ordinary = [int(v) for v in total[2:-2]]
    for row in rows:
        if len(row) > 1 and row[1].startswith(SPECIAL_ROWS):
            ordinary = [o - int(v) for o, v in zip(ordinary, row[2:-2], strict=True)]
    return candidates[ordinary.index(max(ordinary))] if any(ordinary) else None


def party_shares(shared_data: Path, year: int) -> dict[str, dict[str, float]]:
    """``votes-for-registered-parties-by-electorate.csv``: each row's party shares (percent
    of its valid party votes, to 2 places), by electorate name and "Combined Totals"."""
    rows = table(shared_data / "nz" / "official" / str(year)
                 / "votes-for-registered-parties-by-electorate.csv")  # fmt: skip
    header = rows[1]
    valid = header.index("Total Valid Party Votes")
    return {
        r[0]: {RENAMED.get(p, p): round(100 * int(v) / int(r[valid]), 2)
               for p, v in zip(header[1:valid], r[1:valid], strict=True)}
        for r in rows[2:] if len(r) == len(header)
    }  # fmt: skip


def test_committed_dataset_equals_a_fresh_derivation(shared_data: Path, tmp_path: Path) -> None:
    tidy.write(build(shared_data), tmp_path)
    bundled = bundled_path("nz-2023")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in bundled.iterdir())
    for path in sorted(tmp_path.iterdir()):
        assert path.read_bytes() == (bundled / path.name).read_bytes(), path.name


def test_national_totals_and_seats_are_the_official_ones(store: str, shared_data: Path) -> None:
    counted = tally(open_store(store), "nz-2023", Stage.OFFICIAL)
    expected = summary_totals(shared_data)
    assert expected["valid"] == (2_851_211, 2_742_677)
    assert sum(counted.party_votes().values()) == expected["valid"][0]
    assert sum(c.valid for c in counted.candidates.values()) == expected["valid"][1]
    assert counted.informal_party_votes() == expected["informal"][0]
    assert sum(c.informal for c in counted.candidates.values()) == expected["informal"][1]
    seats = cli_json("seats", "nz-2023", "--db", store)
    declared_seats, members = state_of_the_parties(shared_data)
    assert seats["seats"] == declared_seats == {
        "National Party": 48, "Labour Party": 34, "Green Party": 15, "ACT New Zealand": 11,
        "New Zealand First Party": 8, "Te Pāti Māori": 6,
    }  # fmt: skip
    assert (seats["house_size"], seats["overhang"], seats["vacant"]) == (members + 1, 2, 1)


def test_every_electorate_equals_its_files(store: str, shared_data: Path) -> None:
    """Party and candidate totals equal each file's total row; ordinary and special valid
    votes equal the turnout tables' columns (a) and (b)."""
    engine = open_store(store)
    counted = tally(engine, "nz-2023", Stage.OFFICIAL)
    for kind, contests in (("party", counted.party_by_electorate),
                           ("candidate", counted.candidates)):  # fmt: skip
        for number in range(1, 73):
            name, valid, informal = total_row(
                official(shared_data) / f"{kind}-votes-by-voting-place-{number}.csv"
            )
            if kind == "candidate" and number == PORT_WAIKATO:
                assert number not in contests and (valid, informal) == (0, 0)
                continue
            assert (counted.electorates[number].name, contests[number].valid,
                    contests[number].informal) == (name, valid, informal)  # fmt: skip
        split: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for code in ["party"] if kind == "party" else [f"candidate:{n}" for n in contests]:
            for part in contest_parts(engine, "nz-2023", Stage.OFFICIAL, code):
                split[counted.electorates[part.electorate].name][part.count_type.is_special] += sum(
                    part.counts.values()
                )
        turnout = table(official(shared_data) / f"{kind}-votes-and-turnout-by-electorate.csv")
        published = {r[0]: [int(r[1]), int(r[2])] for r in turnout
                     if len(r) > 2 and r[0] in split}  # fmt: skip
        assert published == split


def test_parties_with_seats_have_distinct_colours(store: str) -> None:
    engine = open_store(store)
    palette = views.colours(parties(engine, "nz-2023"))
    won = [p for p, n in tally(engine, "nz-2023", Stage.OFFICIAL).seats().seats().items() if n]
    assert len(won) == 6
    for a, b in combinations(won, 2):
        assert difference(palette[a], palette[b]) >= MIN_PARTY_DIFFERENCE, (a, b)


def test_every_list_mp_is_named(store: str) -> None:
    seats = cli_json("seats", "nz-2023", "--db", store)
    winners = {o["winner"] for o in cli_json("results", "nz-2023", "--db", store)["electorates"]}
    listed = {p["party"]: p for p in seats["parties"] if p["list"]}
    assert set(listed) == {"National Party", "Labour Party", "Green Party", "ACT New Zealand",
                           "New Zealand First Party"}  # fmt: skip
    for party in listed.values():
        assert len(party["list_members"]) == party["list"] and party["list_short"] == 0
        assert not set(party["list_members"]) & winners
    assert listed["National Party"]["list_members"][:3] == [
        "WILLIS, Nicola", "GOLDSMITH, Paul", "LEE, Melissa"
    ]  # fmt: skip


def test_specials_for_party_votes_are_the_turnout_tables(store: str, shared_data: Path) -> None:
    turnout = table(official(shared_data) / "party-votes-and-turnout-by-electorate.csv")
    combined = next(r for r in turnout if r[0] == "Combined Totals")
    result = cli_json("specials", "nz-2023", "--db", store)
    assert (result["ordinary_valid"], result["special_valid"]) == (
        int(combined[1]), int(combined[2])
    ) == (2_268_658, 582_553)  # fmt: skip


def test_leads_on_ordinary_votes_lost_on_the_final_count(store: str, shared_data: Path) -> None:
    """Read from the files: each electorate's leader on its ordinary votes (total row less
    the special-vote rows) against the winner it declares."""
    lost = []
    for number in range(1, 73):
        rows = candidate_file(shared_data, 2023, number)
        won = declared(rows)
        if won is not None and ordinary_leader(rows) != won[1]:
            lost.append(won[0])
    assert sorted(lost) == sorted(LEADS_LOST_TO_SPECIALS)
    result = cli_json("compare", "nz-2023", "--db", store)
    assert result["ordinary_only"] is True
    assert [f["name"] for f in result["flips"]] == lost
    turnout = table(official(shared_data) / "party-votes-and-turnout-by-electorate.csv")
    combined = next(r for r in turnout if r[0] == "Combined Totals")
    assert (result["electors"], result["turnout"][1]) == (int(combined[10]), float(combined[12]))


def test_compare_page_says_ordinary_votes_never_election_night(store: str) -> None:
    client = TestClient(create_app(open_store(store)))
    page = client.get("/elections/nz-2023/compare/")
    assert page.status_code == 200
    assert "<h1>Ordinary votes only (official count) against the official count</h1>" in page.text
    assert "election night" not in page.text.lower()
    for name in LEADS_LOST_TO_SPECIALS:
        assert f'<td class="text">{name}</td>' in page.text
    data = client.get("/api/v1/elections/nz-2023/comparison.json").json()
    Comparison.model_validate(data)
    assert data["ordinary_only"] and data["stages"] == ["official", "official"]
    overview = client.get("/elections/nz-2023/official/").text
    assert "Ordinary vs official" in overview and "Night vs official" not in overview


def test_between_elections_against_the_official_files(store: str, shared_data: Path) -> None:
    result = cli_json("compare", "nz-2020", "nz-2023", "--db", store)
    BetweenElections.model_validate(result)
    before, after = party_shares(shared_data, 2020), party_shares(shared_data, 2023)
    parties = {p["party"]: p for p in result["parties"]}
    for party in SEATED:
        national = (before["Combined Totals"][party], after["Combined Totals"][party])
        assert tuple(parties[party]["percent"]) == national
        assert parties[party]["swing"] == round(national[1] - national[0], 2)
    assert {p: parties[p]["swing"] for p in SEATED} == {
        "National Party": 12.5, "Labour Party": -23.09, "Green Party": 3.75,
        "ACT New Zealand": 1.05, "New Zealand First Party": 3.49, "Te Pāti Māori": 1.91,
    }  # fmt: skip
    assert parties["National Party"]["percent"] == [25.58, 38.08]
    assert parties["Labour Party"]["percent"] == [50.01, 26.92]
    declared_2023, _ = state_of_the_parties(shared_data)
    seats_2020 = {
        "Labour Party": 65,
        "National Party": 33,
        "Green Party": 10,
        "ACT New Zealand": 10,
        "Te Pāti Māori": 2,
    }  # the 2020 declared result
    assert {p: (seats_2020.get(p, 0), declared_2023[p]) for p in SEATED} == {
        p: tuple(parties[p]["seats"]) for p in SEATED
    }
    assert {p: parties[p]["seat_change"] for p in SEATED} == {
        "National Party": 15, "Labour Party": -31, "Green Party": 5, "ACT New Zealand": 1,
        "New Zealand First Party": 8, "Te Pāti Māori": 4,
    }  # fmt: skip
    assert len(result["electorates"]) == 72 and result["unmatched"] == []
    for e in result["electorates"]:
        for party in SEATED:
            assert e["swing"][party] == round(after[e["name"]][party] - before[e["name"]][party],
                                              2), (e["name"], party)  # fmt: skip
    winners = [{w[0]: w[2] for n in range(1, 73)
                if (w := declared(candidate_file(shared_data, year, n)))} for year in (2020, 2023)
               ]  # fmt: skip
    changed = sorted(name for name, party in winners[1].items()
                     if RENAMED.get(winners[0][name], winners[0][name]) != party)  # fmt: skip
    assert sorted(c["name"] for c in result["changed"]) == changed
    assert len(changed) == 30
    assert result["no_result"] == [["nz-2023", "Port Waikato"]]


def test_every_page_type_of_2023(store: str) -> None:
    client = TestClient(create_app(open_store(store)))
    home = client.get("/").text
    assert home.index("general election 2023") < home.index("general election 2020")
    base = "/elections/nz-2023"
    assert client.get(f"{base}/", follow_redirects=False).headers["location"] == f"{base}/official/"
    for path in ("official/", "official/parties/", "official/electorates/",
                 "official/electorates/1/", "downloads/", "compare/", "since/nz-2020/"):  # fmt: skip
        assert client.get(f"{base}/{path}").status_code == 200, path
    parties = client.get(f"{base}/official/parties/").text
    assert "Nicola Willis" in parties and "Winston Peters" in parties
    listed = client.get(f"{base}/official/electorates/").text
    row = listed[listed.index(">Port Waikato</a>") :].split("</tr>")[0]
    assert "poll cancelled" in row and "not yet counted" not in row
    assert "Vacant: 1 seat(s)" in client.get(f"{base}/official/").text
    waikato = client.get(f"{base}/official/electorates/{PORT_WAIKATO}/").text
    assert "The candidate poll was cancelled" in waikato and "by-election" in waikato
    detail = client.get(f"/api/v1{base}/official/electorates/{PORT_WAIKATO}.json").json()
    assert detail["winner"] is None and detail["no_result"].startswith("The candidate poll")
    table_csv = client.get(f"/api/v1{base}/official/tables/party-votes-by-electorate.csv")
    assert table_csv.status_code == 200 and "Port Waikato" in table_csv.text
    since = client.get(f"/api/v1{base}/since/nz-2020.json").json()
    assert since["elections"] == ["nz-2020", "nz-2023"]


def test_report_and_static_export_of_2023(store: str, tmp_path: Path) -> None:
    done = subprocess.run([TALLYROOM, "report", "nz-2023", "--out", str(tmp_path / "report"),
                           "--db", store], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "report" / "index.html").read_text()
    assert "National Party" in report and "election night" not in report.lower()
    done = subprocess.run([TALLYROOM, "export-site", "nz-2023", str(tmp_path / "site"),
                           "--db", store], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    site = tmp_path / "site" / "elections" / "nz-2023"
    for page in ("official", "official/parties", f"official/electorates/{PORT_WAIKATO}",
                 "compare", "since/nz-2020", "downloads"):  # fmt: skip
        assert (site / page / "index.html").is_file(), page
    assert (tmp_path / "site/api/v1/elections/nz-2023/since/nz-2020.json").is_file()
    home = (tmp_path / "site" / "index.html").read_text()  # links only what was exported
    assert "elections/nz-2023/" in home and "elections/nz-2020/" not in home


@pytest.mark.parametrize(
    ("column", "bad", "says"),
    [
        ("scope", "electorate:x", "expected nation, all, general, maori or electorate:N"),
        ("hundredths", "10001", "a share above 100 %"),
        ("hundredths", "12.5", "expected a whole number"),
        ("choice", " ", "empty"),
    ],
)
def test_a_bad_split_vote_cell_is_refused(column: str, bad: str, says: str, tmp_path: Path) -> None:
    """The bundled dataset's split-vote table with one cell damaged: refused naming file,
    line and column, the store unchanged."""
    folder = tmp_path / "nz2023"
    shutil.copytree(bundled_path("nz-2023"), folder)
    path = folder / "split-votes.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[41][column] = bad
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    before = fingerprint(engine)
    with pytest.raises(FileFormatError) as caught:
        import_files(engine, "tidy", [folder])
    assert f"split-votes.csv, line 43, column {column!r}" in str(caught.value)
    assert says in str(caught.value)
    assert fingerprint(engine) == before
