"""The 2023 general election from the Electoral Commission's own files (../shared/data).

Every expected figure is read from the official files' own total rows and summary table,
not typed in: the national party and candidate votes of ``overall-results-summary.csv``,
each electorate's total rows, and the "State of the Parties". Corrupted copies of the
2023 files are each refused with an error naming file and line, changing nothing.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from sqlalchemy import select

from tallyroom.importers.errors import ImporterError
from tallyroom.model import ListCandidate, Stage
from tallyroom.names import display_name, same_person, same_surname
from tallyroom.results import tally
from tallyroom.results.queries import split_votes
from tallyroom.store import schema as t
from tallyroom.store.database import open_store
from tests.support.postgres import new_postgres_database
from tests.support.stores import fingerprint, import_files

TALLYROOM = str(Path(sys.executable).with_name("tallyroom"))
PORT_WAIKATO = 39


def official(shared_data: Path) -> Path:
    return shared_data / "nz" / "official" / "2023"


def table(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def summary_totals(shared_data: Path) -> dict[str, tuple[int, int]]:
    """(party vote, candidate vote) of the summary's rows of valid and informal totals."""
    rows = table(official(shared_data) / "overall-results-summary.csv")
    totals = [r for r in rows if r and not r[0] and len(r) > 7 and r[3] and r[7]]
    assert len(totals) == 2
    (valid, informal) = ((int(r[3]), int(r[7])) for r in totals)
    return {"valid": valid, "informal": informal}


def state_of_the_parties(shared_data: Path) -> tuple[dict[str, int], int]:
    """Seats per party and the number of MPs, as the summary's last table states them."""
    rows = table(official(shared_data) / "overall-results-summary.csv")
    start = next(i for i, r in enumerate(rows) if r and r[0] == "State of the Parties")
    seats = {r[0].strip(): int(r[4]) for r in rows[start + 1 :] if r and r[0]}
    members = next(int(r[4]) for r in rows[start + 1 :] if r and r[1] == "Seats")
    return seats, members


def total_row(path: Path) -> tuple[str, int, int]:
    """A by-voting-place file's electorate name and its total row's valid and informal."""
    rows = table(path)
    name = re.match(r"(.+?)\s+\d+", rows[1][0]).group(1)
    row = next(r for r in rows if len(r) > 1 and r[1] == f"{name} Total")
    return name, int(row[-2]), int(row[-1])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('nz2023') / 'store.db'}"
    done = subprocess.run(
        [TALLYROOM, "import", "nz-official", str(official(shared_data)), "--db", url],
        capture_output=True, text=True, check=False,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [TALLYROOM, "import", "nz-lists", str(lists_file(shared_data)), "--election", "nz-2023",
         "--db", url],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "449 new list places" in done.stdout  # of 468: the file's lowest ranks are missing
    return url


def lists_file(shared_data: Path) -> Path:
    return shared_data / "nz" / "2023" / "candidates-and-list-ranks-2023.csv"


def winners(shared_data: Path) -> list[dict[str, str]]:
    """``winning-electorate-candidates.csv``: the 71 declared electorate MPs."""
    rows = table(official(shared_data) / "winning-electorate-candidates.csv")
    header = rows[1]
    return [dict(zip(header, r, strict=True)) for r in rows[2:] if len(r) == len(header)]


def test_national_votes_equal_the_summary(store: str, shared_data: Path) -> None:
    counted = tally(open_store(store), "nz-2023", Stage.OFFICIAL)
    expected = summary_totals(shared_data)
    assert expected == {"valid": (2_851_211, 2_742_677), "informal": (16_267, 40_353)}
    party_valid = sum(counted.party_votes().values())
    candidate_valid = sum(c.valid for c in counted.candidates.values())
    candidate_informal = sum(c.informal for c in counted.candidates.values())
    assert (party_valid, candidate_valid) == expected["valid"]
    assert (counted.informal_party_votes(), candidate_informal) == expected["informal"]


def test_every_electorate_equals_its_files_total_rows(store: str, shared_data: Path) -> None:
    counted = tally(open_store(store), "nz-2023", Stage.OFFICIAL)
    assert len(counted.electorates) == 72
    for number in range(1, 73):
        name, valid, informal = total_row(
            official(shared_data) / f"party-votes-by-voting-place-{number}.csv"
        )
        party = counted.party_by_electorate[number]
        assert (counted.electorates[number].name, party.valid, party.informal) == (
            name, valid, informal,
        )  # fmt: skip
        name, valid, informal = total_row(
            official(shared_data) / f"candidate-votes-by-voting-place-{number}.csv"
        )
        if number == PORT_WAIKATO:  # poll cancelled: no candidate result at all
            assert (valid, informal) == (0, 0)
            assert number not in counted.candidates
            continue
        candidates = counted.candidates[number]
        assert (candidates.valid, candidates.informal) == (valid, informal), name


def _split(store: str, *options: str) -> dict:
    done = subprocess.run(
        [TALLYROOM, "split", "nz-2023", "--json", "--db", store, *options],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def test_split_votes_are_stored_and_add_up_to_the_party_votes(
    store: str, shared_data: Path
) -> None:
    """The split-vote tables as imported: the summary's party votes are the national
    party votes, each party's straight and split voters add up to its party voters, every
    general electorate has its table, and Port Waikato's says its poll was cancelled."""
    found = _split(store)
    valid, informal = (summary_totals(shared_data)[k][0] for k in ("valid", "informal"))
    rows = {r["party"]: r for r in found["summary"]}
    assert rows["All party votes"]["party_votes"] == valid + informal
    assert rows["Informal"]["party_votes"] == informal
    counted = tally(open_store(store), "nz-2023", Stage.OFFICIAL).party_votes()
    for party, votes in counted.items():
        if votes:
            assert rows[party]["party_votes"] == votes, party
            assert rows[party]["same_votes"] + rows[party]["split_votes"] == votes
    published = table(official(shared_data) / "split-votes-summary.csv")
    national = next(r for r in published if r[0] == "National Party")
    assert (rows["National Party"]["same_votes"], rows["National Party"]["same_percent"]) == (
        int(national[2]), float(national[3]),
    )  # fmt: skip
    electorates = [t for t in found["tables"] if t["electorate"] is not None]
    assert [t["electorate"] for t in electorates] == list(range(1, 66))
    assert [t["name"] for t in electorates if t["cancelled"]] == ["Port Waikato"]
    assert [t["scope"] for t in found["tables"] if t["electorate"] is None] == [
        "all", "general", "maori",
    ]  # fmt: skip


def test_the_2023_folder_on_postgresql(postgres_server: str, store: str, shared_data: Path) -> None:
    """The whole folder imported into PostgreSQL gives what it gives on SQLite: the same
    counts, seats, list MPs and split-vote tables."""
    url = new_postgres_database(postgres_server)
    for args in (["nz-official", str(official(shared_data))],
                 ["nz-lists", str(lists_file(shared_data)), "--election", "nz-2023"]):  # fmt: skip
        subprocess.run([TALLYROOM, "import", *args, "--db", url], check=True, capture_output=True)
    on_pg = tally(open_store(url), "nz-2023", Stage.OFFICIAL)
    on_sqlite = tally(open_store(store), "nz-2023", Stage.OFFICIAL)
    assert on_pg.party_votes() == on_sqlite.party_votes()
    assert on_pg.outcomes() == on_sqlite.outcomes()
    assert on_pg.seats() == on_sqlite.seats()
    cells = split_votes(open_store(url), "nz-2023")
    assert len(cells) > 10_000 and set(cells) == set(split_votes(open_store(store), "nz-2023"))


def test_split_votes_of_one_electorate_name_its_candidates(store: str, shared_data: Path) -> None:
    found = _split(store)
    auckland = next(t for t in found["tables"] if t["electorate"] == 1)
    header = table(official(shared_data) / "split-votes-electorate-1.csv")[0]
    published = {h.split(" (")[0] for h in header[2:-3]}
    assert {c["name"] for c in auckland["columns"][:-2]} == published
    swarbrick = next(i for i, c in enumerate(auckland["columns"]) if c["name"].startswith("SWARB"))
    assert auckland["columns"][swarbrick]["display"] == "Chlöe Charlotte Swarbrick"
    green = next(r for r in auckland["rows"] if r["party"] == "Green Party")
    row = next(r for r in table(official(shared_data) / SPLIT_ELECTORATE) if r[0] == "Green Party")
    assert green["percent"][swarbrick] == float(row[header.index(next(
        h for h in header if h.startswith("SWARBRICK")))])  # fmt: skip
    text = subprocess.run(
        [TALLYROOM, "split", "nz-2023", "--electorate", "1", "--db", store],
        capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": "200"},
    ).stdout  # fmt: skip
    assert "Chlöe Charlotte Swarbrick (Green Party) 95.2" in text


def test_seats_are_the_declared_result(store: str, shared_data: Path) -> None:
    done = subprocess.run([TALLYROOM, "seats", "nz-2023", "--json", "--db", store],
                          capture_output=True, text=True, check=True)  # fmt: skip
    result = json.loads(done.stdout)
    declared, members = state_of_the_parties(shared_data)
    assert members == 122
    assert result["seats"] == declared
    assert result["seats"] == {"National Party": 48, "Labour Party": 34, "Green Party": 15,
                               "ACT New Zealand": 11, "New Zealand First Party": 8,
                               "Te Pāti Māori": 6}  # fmt: skip
    assert sum(result["seats"].values()) == members
    assert result["overhang"] == 2
    assert result["vacant"] == 1  # Port Waikato, until its by-election
    assert result["house_size"] == members + 1


def test_seats_text_names_the_vacancy(store: str) -> None:
    done = subprocess.run([TALLYROOM, "seats", "nz-2023", "--db", store], capture_output=True,
                          text=True, check=True, env={**os.environ, "COLUMNS": "200"})  # fmt: skip
    assert "House of 123 · overhang 2 · 1 vacant" in done.stdout
    assert "Vacant electorate seat(s), no candidate result: Port Waikato" in done.stdout


def test_port_waikato_is_an_electorate_with_no_candidate_result(store: str) -> None:
    engine = open_store(store)
    counted = tally(engine, "nz-2023", Stage.OFFICIAL)
    assert counted.electorates[PORT_WAIKATO].name == "Port Waikato"
    assert counted.party_by_electorate[PORT_WAIKATO].valid > 0
    assert PORT_WAIKATO not in counted.outcomes()
    with engine.connect() as conn:
        electors, cast = conn.execute(
            select(t.electorate.c.electors, t.electorate.c.votes_cast).where(
                t.electorate.c.election_id == "nz-2023", t.electorate.c.number == PORT_WAIKATO
            )
        ).one()
        contest = conn.execute(
            select(t.contest.c.name).where(
                t.contest.c.election_id == "nz-2023", t.contest.c.code == "candidate:39"
            )
        ).scalar_one()
    assert (electors, cast) == (52_482, 42_842)  # the party-vote turnout table's figures
    assert contest == "Port Waikato electorate vote (poll cancelled)"


def test_one_place_name_in_two_suburbs_is_two_units(store: str) -> None:
    with open_store(store).connect() as conn:
        codes = conn.execute(
            select(t.unit.c.code).where(
                t.unit.c.election_id == "nz-2023",
                t.unit.c.code.like("electorate:12/place:Care Homes, Team 1%"),
            )
        ).scalars().all()  # fmt: skip
    assert sorted(codes) == [
        "electorate:12/place:Care Homes, Team 1 (Taken in Hamilton East)",
        "electorate:12/place:Care Homes, Team 1 (Taken in Hamilton West)",
    ]


def test_importing_again_changes_nothing(store: str, shared_data: Path) -> None:
    engine = open_store(store)
    before = fingerprint(engine)
    report = import_files(engine, "nz-official", [official(shared_data)])
    assert report.already_imported
    assert fingerprint(engine) == before


# --- corrupted copies ------------------------------------------------------------------

SAMPLE = [1, 12, PORT_WAIKATO, 66]
"""a general electorate, one with a care-home team in two suburbs, Port Waikato, a Māori
electorate: the files a damaged import without the national tables reads"""


@dataclass(frozen=True)
class Damage:
    """One way to damage one file: ``change`` edits its lines in place and returns the
    1-based line the error must name (``None``: only the file must be named)."""

    name: str
    file: str
    change: Callable[[list[str]], int | None]
    national: bool = False
    """import the whole folder (the national tables), not just :data:`SAMPLE`"""
    encoding: str = "utf-8"


def _find(lines: list[str], test: Callable[[str], bool]) -> int:
    return next(i for i, line in enumerate(lines) if test(line))


def _cells(line: str) -> list[str]:
    return next(csv.reader([line]))


def _join(cells: list[str]) -> str:
    return ",".join(f'"{c}"' if "," in c else c for c in cells) + "\r\n"


def _edit(lines: list[str], index: int, edit: Callable[[list[str]], None]) -> int:
    cells = _cells(lines[index].rstrip("\r\n"))
    edit(cells)
    lines[index] = _join(cells)
    return index + 1


def _bump(*columns: int, by: int = 1) -> Callable[[list[str]], None]:
    def edit(cells: list[str]) -> None:
        for column in columns:
            cells[column] = str(int(cells[column]) + by)

    return edit


def _place_row(line: str) -> bool:
    return line.startswith(("Auckland City,", "Albany,"))


def _drop_column(lines: list[str]) -> int:
    return _edit(lines, _find(lines, _place_row), lambda cells: cells.pop(5))


def _mangle_header(lines: list[str]) -> int:
    lines[1] = lines[1].replace("Port Waikato 39", "Port Waikato 93")
    return 2


def _cancelled_with_votes(lines: list[str]) -> int | None:
    # a special-vote row with one vote for a candidate and its row total: the file still
    # adds up row by row, but its total row, and a cancelled poll, must count nothing
    _edit(lines, _find(lines, lambda line: "Special Votes ON" in line), _bump(2, -2))
    return None


def _duplicate_in_group(lines: list[str]) -> int:
    index = _find(lines, lambda line: "Care Homes, Team 1" in line)
    lines.insert(index + 1, lines[index].replace("Taken in Hamilton East", ""))
    return index + 2


def _nudge_party_total(lines: list[str]) -> int:
    index = _find(lines, lambda line: "Auckland Central Total" in line)
    return _edit(lines, index, _bump(2, -2))


def _nudge_party_count(lines: list[str]) -> int:
    return _edit(lines, _find(lines, _place_row), _bump(3))


def _rename_party(lines: list[str]) -> int:
    lines[:] = [line.replace("Green Party", "Greens") for line in lines]
    return 3


def _wrong_top_party(lines: list[str]) -> int:
    index = _find(lines, lambda line: line.startswith("Electorate Party Valid Votes"))
    lines[index] = lines[index].replace("National Party -", "Labour Party -")
    return index + 1


def _nudge_valid_plus_informal(lines: list[str]) -> int:
    index = _find(lines, lambda line: "Valid Party Votes plus Informal" in line)
    return _edit(lines, index, _bump(3))


def _shift_to_special(lines: list[str]) -> int:
    # ordinary -1, special +1: the valid total still adds up, the special votes do not
    index = _find(lines, lambda line: line.startswith("Auckland Central,"))
    _edit(lines, index, _bump(1, by=-1))
    return _edit(lines, index, _bump(2))


def _nudge_national_valid(lines: list[str]) -> int:
    index = _find(lines, lambda line: line.startswith("Epsom,"))
    return _edit(lines, index, _bump(2, 3, 9))


def _nudge_summary(lines: list[str]) -> int:
    index = _find(lines, lambda line: line.startswith("National Party,"))
    return _edit(lines, index, _bump(2))


def _nudge_party_table(lines: list[str]) -> int:
    index = _find(lines, lambda line: line.startswith("Dunedin,"))
    return _edit(lines, index, _bump(1, -3, -1))


def _header_line(lines: list[str]) -> int:
    return 3  # "SWARBRICK, Chlöe Charlotte" in the header: not UTF-8 once in Latin-1


DAMAGES = [
    Damage("party-file-column-dropped", "party-votes-by-voting-place-1.csv", _drop_column),
    Damage("port-waikato-header-mangled", "candidate-votes-by-voting-place-39.csv", _mangle_header),
    Damage(
        "port-waikato-votes-counted",
        "candidate-votes-by-voting-place-39.csv",
        _cancelled_with_votes,
    ),
    Damage("row-repeated-in-its-group", "party-votes-by-voting-place-12.csv", _duplicate_in_group),
    Damage(
        "row-repeated-in-its-group-candidates",
        "candidate-votes-by-voting-place-12.csv",
        _duplicate_in_group,
    ),
    Damage("party-total-nudged", "party-votes-by-voting-place-1.csv", _nudge_party_total),
    Damage("party-count-nudged", "party-votes-by-voting-place-1.csv", _nudge_party_count),
    Damage("party-renamed-in-one-file", "party-votes-by-voting-place-12.csv", _rename_party),
    Damage("top-party-misstated", "party-votes-by-voting-place-1.csv", _wrong_top_party),
    Damage(
        "valid-plus-informal-nudged",
        "party-votes-by-voting-place-66.csv",
        _nudge_valid_plus_informal,
    ),
    Damage(
        "candidate-file-latin-1",
        "candidate-votes-by-voting-place-1.csv",
        _header_line,
        encoding="latin-1",
    ),
    Damage(
        "party-turnout-special-shifted",
        "party-votes-and-turnout-by-electorate.csv",
        _shift_to_special,
        national=True,
    ),
    Damage(
        "candidate-turnout-special-shifted",
        "candidate-votes-and-turnout-by-electorate.csv",
        _shift_to_special,
        national=True,
    ),
    Damage(
        "party-turnout-valid-nudged",
        "party-votes-and-turnout-by-electorate.csv",
        _nudge_national_valid,
        national=True,
    ),
    Damage(
        "summary-party-votes-nudged", "overall-results-summary.csv", _nudge_summary, national=True
    ),
    Damage(
        "party-table-row-nudged",
        "votes-for-registered-parties-by-electorate.csv",
        _nudge_party_table,
        national=True,
    ),
]


def _nudge_winners_majority(lines: list[str]) -> int:
    index = _find(lines, lambda line: line.startswith("Epsom,"))
    return _edit(lines, index, _bump(4))


def _mark_cancelled(lines: list[str]) -> int:
    lines[1] = lines[1].replace("Auckland Central 1,", '"Auckland Central 1\n(Poll Cancelled)",')
    return 2


DAMAGES.append(
    Damage(
        "counted-electorate-marked-cancelled",
        "candidate-votes-by-voting-place-1.csv",
        _mark_cancelled,
    )
)
DAMAGES.append(
    Damage(
        "winner-majority-nudged",
        "winning-electorate-candidates.csv",
        _nudge_winners_majority,
        national=True,
    )
)


# split-vote tables: each checked on its own, against the others and against the results


def _row(start: str) -> Callable[[str], bool]:
    return lambda line: line.startswith(start)


def _split_summary_parts(lines: list[str]) -> int:
    return _edit(lines, _find(lines, _row("ACT New Zealand,")), _bump(4))


def _split_summary_percent(lines: list[str]) -> int:
    def edit(cells: list[str]) -> None:
        cells[3] = f"{float(cells[3]) + 1:.2f}"

    return _edit(lines, _find(lines, _row("ACT New Zealand,")), edit)


def _split_summary_total(lines: list[str]) -> int:
    return _edit(lines, _find(lines, _row("Total Party Votes")), _bump(1, 2))


def _split_diagonal(lines: list[str]) -> None:
    """ACT's own-party share moved a point to National's: each row still adds up."""

    def edit(cells: list[str]) -> None:
        header = _cells(lines[0].rstrip("\r\n"))
        act, national = header.index("ACT New Zealand"), header.index("National Party")
        cells[act] = f"{float(cells[act]) - 1:.2f}"
        cells[national] = f"{float(cells[national]) + 1:.2f}"

    _edit(lines, _find(lines, _row("ACT New Zealand,")), edit)


def _split_row_votes(lines: list[str]) -> int:
    """One row's party votes nudged: the total row no longer adds up."""
    _edit(lines, _find(lines, _row("Green Party,")), _bump(1))
    return _find(lines, _row("Total Party Votes")) + 1


def _split_row_and_total_votes(lines: list[str]) -> None:
    """A row and the total row nudged together: consistent, but not the party's votes."""
    _edit(lines, _find(lines, _row("Green Party,")), _bump(1))
    _edit(lines, _find(lines, _row("Total Party Votes")), _bump(1))


def _split_candidate_renamed(lines: list[str]) -> int:
    lines[0] = lines[0].replace("POOLE, Felix Thomas", "POOLE, Felix")
    return 1


def _split_title_number(lines: list[str]) -> int:
    lines[0] = lines[0].replace("01 Auckland Central", "02 Auckland Central", 1)
    return 1


def _split_share_over(lines: list[str]) -> int:
    def edit(cells: list[str]) -> None:
        cells[5] = f"{float(cells[5]) + 100:.2f}"

    return _edit(lines, _find(lines, _row("Green Party,")), edit)


def _split_share_short(lines: list[str]) -> int:
    def edit(cells: list[str]) -> None:
        cells[5] = f"{float(cells[5]) - 5:.2f}"

    return _edit(lines, _find(lines, _row("Green Party,")), edit)


SPLIT_ELECTORATE = "split-votes-electorate-1.csv"
DAMAGES += [
    Damage("split-summary-parts-disagree", "split-votes-summary.csv", _split_summary_parts),
    Damage("split-summary-percent-wrong", "split-votes-summary.csv", _split_summary_percent),
    Damage("split-summary-total-nudged", "split-votes-summary.csv", _split_summary_total),
    Damage("split-all-diagonal-off-summary", "split-votes-all.csv", _split_diagonal, national=True),
    Damage("split-all-row-votes-nudged", "split-votes-all.csv", _split_row_votes),
    Damage(
        "split-all-votes-not-counted",
        "split-votes-all.csv",
        _split_row_and_total_votes,
        national=True,
    ),
    Damage("split-electorate-candidate-renamed", SPLIT_ELECTORATE, _split_candidate_renamed),
    Damage("split-electorate-numbered-wrong", SPLIT_ELECTORATE, _split_title_number),
    Damage("split-electorate-share-over-100", SPLIT_ELECTORATE, _split_share_over),
    Damage("split-electorate-shares-short-of-100", SPLIT_ELECTORATE, _split_share_short),
    Damage("split-electorate-votes-not-counted", SPLIT_ELECTORATE, _split_row_and_total_votes),
]


def test_there_are_at_least_ten_damages() -> None:
    assert len(DAMAGES) >= 10


@pytest.mark.parametrize("damage", DAMAGES, ids=lambda d: d.name)
def test_damaged_2023_file_is_refused_and_changes_nothing(
    damage: Damage, store: str, shared_data: Path, tmp_path: Path
) -> None:
    source = official(shared_data)
    folder = tmp_path / "2023"
    folder.mkdir()
    if damage.national:
        names = [p.name for p in source.glob("*.csv")]
    else:
        names = [f"{kind}-votes-by-voting-place-{n}.csv" for kind in ("candidate", "party")
                 for n in SAMPLE]  # fmt: skip
    for name in names:
        (folder / name).symlink_to(source / name)
    target = folder / damage.file
    target.unlink(missing_ok=True)  # a split-vote table is added to the sample damaged
    text = (source / damage.file).read_bytes().decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    line = damage.change(lines)
    target.write_bytes("".join(lines).encode(damage.encoding, errors="replace"))
    engine = open_store(store)
    before = fingerprint(engine)
    with pytest.raises(ImporterError) as caught:
        import_files(engine, "nz-official", [folder])
    message = str(caught.value)
    assert damage.file in message, message
    if line is not None:
        assert re.search(rf"line {line}\b", message), message
    assert fingerprint(engine) == before


def test_sample_of_2023_files_imports(shared_data: Path, tmp_path: Path) -> None:
    """The undamaged sample the damages start from imports (so each refusal is the damage's)."""
    folder = tmp_path / "2023"
    folder.mkdir()
    for kind in ("candidate", "party"):
        for n in SAMPLE:
            name = f"{kind}-votes-by-voting-place-{n}.csv"
            shutil.copy(official(shared_data) / name, folder / name)
    engine = open_store(f"sqlite:///{tmp_path / 'sample.db'}")
    report = import_files(engine, "nz-official", [folder])
    assert report.new > 0


# --- party lists -----------------------------------------------------------------------


def test_names_compare_across_forms() -> None:
    assert same_person("WILLIS, Nicola", "WILLIS, Nicola Jane")
    assert same_person("WILLIS, Nicola", "Nicola Willis")
    assert same_person("BISHOP, Chris", "BISHOP, Christopher")
    assert same_person("VAN VELDEN, Brooke", "Brooke van Velden")
    assert not same_person("WILLIS, Nicola", "WILLIS, Scott")
    assert not same_person("LUXTON, Jo", "LUXTON, Cameron")
    assert not same_person("WILLIS, Nicola", "Nicola Willison")
    assert same_surname("BOYACK, Rachel Elizabeth", "BOYACK-MAYER, Rachel Elizabeth")
    assert same_surname("MACLEOD, David", "MacLEOD, David Nigel")
    assert not same_surname("LUXTON, Jo", "LUXON, Christopher")
    assert display_name("WILLIS, Nicola") == "Nicola Willis"
    assert display_name("O'CONNOR, Damien") == "Damien O'Connor"
    assert display_name("McANULTY, Kieran") == "Kieran McAnulty"


def test_every_declared_winner_on_a_list_is_found_on_it(store: str, shared_data: Path) -> None:
    """The matching of list places to electorate MPs, checked against the Commission's
    own "On the Party List" column."""
    lists = tally(open_store(store), "nz-2023", Stage.OFFICIAL).party_lists
    declared = winners(shared_data)
    assert len(declared) == 71
    rows = table(lists_file(shared_data))[1:]
    for w in declared:
        stood = [r for r in rows if (r[1], r[3]) == (w["Party"], w["Electoral District"])]
        assert len(stood) == 1, w  # one candidate per party and electorate
        assert same_surname(stood[0][4], w["Electorate Candidate"]), (stood, w)
        ranked = [c for c in lists.get(w["Party"], []) if c.electorate == w["Electoral District"]]
        if w["On the Party List"] != "Yes":
            assert ranked == [] and not stood[0][2], w
        elif stood[0][2]:  # else on the list, but the file lacks the (low) rank
            assert [c.rank for c in ranked] == [int(stood[0][2])], w


def test_list_mps_are_named_in_list_order(store: str, shared_data: Path) -> None:
    done = subprocess.run([TALLYROOM, "seats", "nz-2023", "--json", "--db", store],
                          capture_output=True, text=True, check=True)  # fmt: skip
    result = json.loads(done.stdout)
    lists = tally(open_store(store), "nz-2023", Stage.OFFICIAL).party_lists
    # a party stands one candidate per electorate: (party, electorate) names the winner
    elected = {(w["Party"], w["Electoral District"]) for w in winners(shared_data)}
    with_list_seats = [p for p in result["parties"] if p["list"]]
    assert {p["party"]: p["list"] for p in with_list_seats} == {
        "National Party": 5, "Labour Party": 17, "Green Party": 12, "ACT New Zealand": 9,
        "New Zealand First Party": 8,
    }  # fmt: skip
    assert sum(p["list"] for p in with_list_seats) == 51  # the summary's list seats
    for p in with_list_seats:
        members = p["list_members"]
        assert len(members) == p["list"] and p["list_short"] == 0, p["party"]
        ranked = lists[p["party"]]
        assert [c.rank for c in ranked] == list(range(1, len(ranked) + 1))
        last = next(i for i, c in enumerate(ranked) if c.name == members[-1])
        # in list order, skipping exactly the electorate winners ranked above the last
        assert members == [c.name for c in ranked[: last + 1]
                           if (c.party, c.electorate) not in elected]  # fmt: skip
    national = next(p for p in with_list_seats if p["party"] == "National Party")
    assert national["list_members"][0] == "WILLIS, Nicola"  # lost Ōhāriu; 2nd on the list


def test_a_list_that_runs_short_says_so(store: str) -> None:
    counted = tally(open_store(store), "nz-2023", Stage.OFFICIAL)
    full = counted.seats()
    national = next(p for p in full.parties if p.party == "National Party")
    last = next(c.rank for c in counted.party_lists["National Party"]
                if c.name == national.list_members[-1])  # fmt: skip
    cut = [c for c in counted.party_lists["National Party"] if c.rank < last]
    short = replace(counted, party_lists={**counted.party_lists, "National Party": cut}).seats()
    shortened = next(p for p in short.parties if p.party == "National Party")
    assert shortened.list_members == national.list_members[:-1]
    assert shortened.list_short == 1
    assert shortened.total == national.total  # an incomplete list vacates no seat
    assert short.seats() == full.seats()
    gap = [c for c in counted.party_lists["National Party"] if c.rank != 1]
    gapped = replace(counted, party_lists={"National Party": gap}).seats()
    assert next(p for p in gapped.parties if p.party == "National Party").list_short == 5


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda rows: rows.append('999,National Party,2,,"SMITH, Jo"'),
         "column 'list_pos': National Party rank 2 is given twice"),
        (lambda rows: rows.__setitem__(1, rows[1].replace(",9,", ",nine,")),
         "line 2, column 'list_pos'"),
        (lambda rows: rows.__setitem__(1, rows[1].replace(",9,", ",0,")),
         "line 2, column 'list_pos': list ranks start at 1"),
        (lambda rows: rows.__setitem__(1, rows[1] + ",extra"), "line 2: expected 5 fields"),
        (lambda rows: rows.__setitem__(0, "id,party,rank,electorate,name"), "line 1"),
    ],
)  # fmt: skip
def test_damaged_list_file_is_refused(
    edit: Callable[[list[str]], None], expected: str, store: str, shared_data: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    rows = lists_file(shared_data).read_text(encoding="utf-8-sig").splitlines()
    edit(rows)
    path = tmp_path / "candidates-and-list-ranks-2023.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    engine = open_store(store)
    before = fingerprint(engine)
    with pytest.raises(ImporterError, match=re.escape(expected)) as caught:
        import_files(engine, "nz-lists", [path])
    assert path.name in str(caught.value)
    assert fingerprint(engine) == before


def test_a_different_list_is_not_stored_over_the_stored_one(
    store: str, shared_data: Path, tmp_path: Path
) -> None:
    rows = lists_file(shared_data).read_text(encoding="utf-8-sig").splitlines()
    rows[1] = rows[1].replace("ABEL, Steve", "ABEL, Stephen")
    path = tmp_path / "candidates-and-list-ranks-2023.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    engine = open_store(store)
    before = fingerprint(engine)
    with pytest.raises(Exception, match="Green Party list place 9 is stored as 'ABEL, Steve'"):
        import_files(engine, "nz-lists", [path])
    assert fingerprint(engine) == before
    assert (
        ListCandidate("Green Party", 9, "ABEL, Steve", "New Lynn")
        in tally(engine, "nz-2023", Stage.OFFICIAL).party_lists["Green Party"]
    )


def test_party_page_names_mps_as_people_write_them(store: str) -> None:
    from fastapi.testclient import TestClient

    from tallyroom.publish.web import create_app

    with TestClient(create_app(open_store(store))) as client:
        page = client.get("/elections/nz-2023/official/parties/")
        data = client.get("/api/v1/elections/nz-2023/official/parties.json").json()
    assert page.status_code == 200
    text = page.text.replace("&#39;", "'")
    assert "<h4>List MPs (5), in list order</h4>" in text
    listed = re.findall(r'<li title="[^"]*">([^<]+)</li>', text)
    assert listed[:3] == ["Nicola Willis", "Paul Goldsmith", "Melissa Lee"]
    assert "Damien O'Connor" in text and "Kieran McAnulty" in text
    assert "Chlöe Charlotte Swarbrick" in text  # an electorate MP (Auckland Central)
    national = next(p for p in data["parties"] if p["party"] == "National Party")
    assert national["list_mps"][0] == "WILLIS, Nicola"  # the JSON keeps the published form
    assert national["list_short"] == 0


@pytest.mark.parametrize(
    ("contest", "turnout"),
    [("party", "party-votes-and-turnout-by-electorate.csv"),
     ("candidate", "candidate-votes-and-turnout-by-electorate.csv")],
)  # fmt: skip
def test_specials_are_the_turnout_tables_special_votes(
    contest: str, turnout: str, store: str, shared_data: Path
) -> None:
    combined = next(r for r in table(official(shared_data) / turnout) if r[0] == "Combined Totals")
    done = subprocess.run([TALLYROOM, "specials", "nz-2023", "--contest", contest, "--json",
                           "--db", store], capture_output=True, text=True, check=True)  # fmt: skip
    result = json.loads(done.stdout)
    # columns (a) ordinary and (b) special valid votes
    assert (result["ordinary_valid"], result["special_valid"]) == (
        int(combined[1]),
        int(combined[2]),
    )
    if contest == "party":
        assert (result["ordinary_valid"], result["special_valid"]) == (2_268_658, 582_553)
        shares = {r["choice"]: r for r in result["rows"]}
        assert shares["Green Party"]["special_percent"] > shares["Green Party"]["ordinary_percent"]


def test_2023_sample_and_lists_on_both_stores(
    store_url: str, shared_data: Path, tmp_path: Path
) -> None:
    """The party votes by voting place and the lists store alike on SQLite and PostgreSQL
    (PostgreSQL writes through COPY)."""
    folder = tmp_path / "2023"
    folder.mkdir()
    for kind in ("candidate", "party"):
        for n in SAMPLE:
            name = f"{kind}-votes-by-voting-place-{n}.csv"
            (folder / name).symlink_to(official(shared_data) / name)
    engine = open_store(store_url)
    import_files(engine, "nz-official", [folder])
    report = import_files(engine, "nz-lists", [lists_file(shared_data)])
    assert report.list_places == 449
    counted = tally(engine, "nz-2023", Stage.OFFICIAL)
    expected = {n: total_row(official(shared_data) / f"party-votes-by-voting-place-{n}.csv")
                for n in SAMPLE}  # fmt: skip
    assert {n: (counted.electorates[n].name, c.valid, c.informal)
            for n, c in counted.party_by_electorate.items()} == expected  # fmt: skip
    assert sorted(counted.candidates) == [1, 12, 66]  # Port Waikato: no candidate result
    assert counted.party_lists["National Party"][1] == ListCandidate(
        "National Party", 2, "WILLIS, Nicola", "Ōhāriu"
    )
    assert import_files(engine, "nz-lists", [lists_file(shared_data)]).already_imported


@pytest.mark.parametrize(
    ("number", "place", "only_in"),
    [(12, "Frankton Mosque", "candidate"), (22, "The Gardens School Hall", "party")],
)
def test_a_place_in_one_file_only_is_kept_as_published(
    number: int, place: str, only_in: str, store: str
) -> None:
    """As published, a few places are in an electorate's candidate file but not its party
    file or the reverse; the totals reconcile all the same (see the electorate tests)."""
    from tallyroom.results import contest_parts

    engine = open_store(store)
    found = {}
    for contest in ("candidate", "party"):
        code = f"candidate:{number}" if contest == "candidate" else "party"
        parts = contest_parts(engine, "nz-2023", Stage.OFFICIAL, code)
        found[contest] = [p.name for p in parts if p.electorate == number]
    having = {c for c, names in found.items() if any(n.startswith(place) for n in names)}
    assert having == {only_in}


def test_compare_sets_the_ordinary_votes_against_the_official_count(store: str) -> None:
    """There is no 2023 election-night file: by voting place, the official count's ordinary
    votes stand in for it, and four electorates' leaders on them lost on the final count
    (tests/test_nz2023_bundled.py reads the same four from the candidate files)."""
    done = subprocess.run([TALLYROOM, "compare", "nz-2023", "--json", "--db", store],
                          capture_output=True, text=True, check=True)  # fmt: skip
    result = json.loads(done.stdout)
    assert result["ordinary_only"] is True
    assert [f["name"] for f in result["flips"]] == [
        "Nelson", "Te Atatū", "Tāmaki Makaurau", "Te Tai Tokerau"
    ]  # fmt: skip
    assert result["valid_party_votes"] == [2_268_658, 2_851_211]  # turnout table (a), (c)
