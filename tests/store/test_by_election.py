"""By-elections: an electorate filled again after the general election, through the tidy
format or the returns API.

Port Waikato's 2023 candidate poll was cancelled and a by-election filled it on 25
November 2023. Nothing in ``../shared`` publishes that result, so the by-election's
figures here are **test figures** (``examples/port-waikato-by-election-test``), cast for
four of the candidates the official files name. What is checked is the law: the winner
takes the electorate, list seats are not recounted, a list MP who wins passes the list
seat to the next candidate on the party's list, and the House of 122 members becomes 123.
"""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import hypothesis
import pytest
from fastapi.testclient import TestClient
from hypothesis import strategies as st

from tallyroom.datasets import load_bundled
from tallyroom.model import Stage
from tallyroom.names import same_person, same_surname
from tallyroom.publish.web import create_app
from tallyroom.results import ElectionTally, tally
from tallyroom.rules.byelection import SeatChange, fill
from tallyroom.rules.errors import InvalidSeatsError
from tallyroom.rules.mmp import allocate_mmp
from tallyroom.store.database import open_store
from tallyroom.store.users import Role, add_user
from tests.support.data import REPO
from tests.support.servers import TALLYROOM, nz2020_store

EXAMPLE = REPO / "examples" / "port-waikato-by-election-test"
PORT_WAIKATO = 39
NATIONAL = "National Party"


def example_winner() -> tuple[str, str]:
    """The winner of the example's test figures: (name, party)."""
    with (EXAMPLE / "returns.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["choice"] != "informal"]
    top = max(rows, key=lambda r: int(r["votes"]))
    return top["choice"], top["party"]


@pytest.fixture(scope="module")
def by_election(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The bundled 2023 election with the example's by-election imported as tidy files."""
    url = f"sqlite:///{tmp_path_factory.mktemp('by') / 'store.db'}"
    load_bundled(open_store(url), "nz-2023")
    subprocess.run([TALLYROOM, "import", "tidy", str(EXAMPLE), "--db", url], check=True,
                   capture_output=True)  # fmt: skip
    return url


def next_on_list(counted: ElectionTally, party: str, after: list[str]) -> str:
    """The first candidate on ``party``'s list ranked below everyone in ``after`` who won
    no electorate at ``counted``'s stage (a party's winner in the electorate the candidate
    stood in, by surname: the list says "Penny" where the result says "Penelope")."""
    winners = {
        counted.electorates[n].name: (o.winner or "") for n, o in counted.outcomes().items()
        if counted.candidates[n].party_of.get(o.winner or "") == party
    }  # fmt: skip
    ranks = {c.name: c.rank for c in counted.party_lists[party]}
    last = max(ranks[name] for name in after)
    return next(
        c.name
        for c in counted.party_lists[party]
        if c.rank > last
        and not same_surname(c.name, winners.get(c.electorate, ""))
        and not any(same_person(c.name, w) for w in winners.values())
    )


def test_the_by_election_fills_port_waikato_and_the_list_moves_on(by_election: str) -> None:
    engine = open_store(by_election)
    general = tally(engine, "nz-2023", Stage.OFFICIAL).seats()
    after = tally(engine, "nz-2023", Stage.BY_ELECTION)
    house = after.seats()
    assert (general.house_size, general.vacant_electorates) == (123, 1)  # 122 members, 1 vacancy
    assert sum(general.seats().values()) == 122
    assert (house.house_size, house.vacant_electorates, sum(house.seats().values())) == (
        123,
        0,
        123,
    )
    winner, party = example_winner()
    assert after.outcomes()[PORT_WAIKATO].winner == winner and party == NATIONAL
    before = {p.party: p for p in general.parties}
    now = {p.party: p for p in house.parties}
    assert (now[NATIONAL].electorate, now[NATIONAL].list_seats) == (
        before[NATIONAL].electorate + 1, before[NATIONAL].list_seats,
    )  # fmt: skip
    assert now[NATIONAL].total == 49 and now[NATIONAL].overhang == 1
    for name in before:  # every other party exactly as the general election left it
        if name != NATIONAL:
            assert now[name] == before[name], name
    members = list(before[NATIONAL].list_members or ())
    held = [m for m in members if same_person(m, winner)]
    assert held, "the winner was a National list MP at the general election"
    expected = [m for m in members if m not in held] + [next_on_list(after, NATIONAL, members)]
    assert list(now[NATIONAL].list_members or ()) == expected


def test_the_site_shows_both_houses(by_election: str) -> None:
    client = TestClient(create_app(open_store(by_election)))
    api = "/api/v1/elections/nz-2023"
    official = client.get(f"{api}/official/seats.json").json()
    after = client.get(f"{api}/by-election/seats.json").json()
    assert (official["seats"][NATIONAL], after["seats"][NATIONAL]) == (48, 49)
    assert (official["vacant"], after["vacant"], after["house_size"]) == (1, 0, 123)
    page = client.get("/elections/nz-2023/by-election/").text
    assert "House of 123:" in page and "As counted so far" not in page
    electorate = client.get(f"{api}/by-election/electorates/{PORT_WAIKATO}.json").json()
    assert electorate["winner"] == example_winner()[0]
    assert "no_result" in client.get(f"{api}/official/electorates/{PORT_WAIKATO}.json").json()
    assert (
        client.get("/elections/nz-2023/", follow_redirects=False)
        .headers["location"]
        .endswith("/by-election/")
    )


def test_a_by_election_through_the_returns_api(tmp_path: Path) -> None:
    """Northland 2020 filled again: a returning officer submits a by-election return whose
    winner stands for another party. The seat changes party; no list seat is recounted;
    the House stays at 120."""
    url = nz2020_store(f"sqlite:///{tmp_path / 'count.db'}")
    engine = open_store(url)
    token = add_user(engine, "Northland RO", Role.RETURNING_OFFICER, 32)
    official = tally(engine, "nz-2020", Stage.OFFICIAL)
    held_by = official.candidates[32].party_of[official.outcomes()[32].winner]
    challenger = next(c for c, p in official.candidates[32].party_of.items() if p == NATIONAL)
    with TestClient(create_app(engine)) as client:
        response = client.post(
            "/api/v1/elections/nz-2020/returns",
            json={
                "contest": "candidate:32", "unit": "electorate:32", "stage": "by-election",
                "count_type": "all", "counts": {challenger: 15_000, official.outcomes()[32].winner: 9_000},
                "informal": 120,
            },
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        after = client.get("/api/v1/elections/nz-2020/by-election/seats.json").json()
    before = official.seats()
    assert after["house_size"] == before.house_size == 120
    assert after["seats"][NATIONAL] == before.seats()[NATIONAL] + 1
    assert after["seats"][held_by] == before.seats()[held_by] - 1
    assert after["list"] == {p.party: p.list_seats for p in before.parties if p.total}


PARTIES = {"Red": 500_000, "Blue": 400_000, "Green": 90_000, "Teal": 30_000}


@hypothesis.given(
    won=st.fixed_dictionaries({p: st.integers(0, 20) for p in PARTIES}),
    vacant=st.integers(0, 3),
    changes=st.lists(
        st.tuples(st.sampled_from([None, "", *PARTIES]), st.sampled_from(["", *PARTIES])),
        max_size=6,
    ),
)
def test_by_elections_keep_every_list_seat(won, vacant, changes) -> None:
    """Any sequence of by-elections: each party keeps its list seats, its electorate seats
    move with the winners, a filled vacancy adds a member, and overhang is what a party
    holds beyond its entitlement; a seat that was not there is refused."""
    result = allocate_mmp(PARTIES, won, vacant_electorates=vacant)
    seats = [SeatChange(f"e{i}", before, after) for i, (before, after) in enumerate(changes)]
    held = {p.party: p.electorate for p in result.parties}
    possible = True
    vacancies, other = vacant, 0
    for change in seats:
        if change.before is None:
            vacancies -= 1
        elif change.before:
            held[change.before] -= 1
        else:
            other -= 1
        possible = possible and vacancies >= 0 and other >= 0 and min(held.values()) >= 0
        if change.after:
            held[change.after] += 1
        else:
            other += 1
    if not possible:
        with pytest.raises(InvalidSeatsError):
            fill(result, seats)
        return
    after = fill(result, seats)
    for p, q in zip(result.parties, after.parties, strict=True):
        assert q.list_seats == p.list_seats and q.electorate == held[p.party]
        assert q.overhang == max(0, q.total - q.entitlement)
    filled = vacant - after.vacant_electorates
    assert after.house_size == result.house_size and after.vacant_electorates == vacancies
    assert sum(after.seats().values()) + after.other_electorates == (
        sum(result.seats().values()) + filled
    )


def test_a_by_election_in_a_held_seat_keeps_the_lists(tmp_path: Path) -> None:
    """A National electorate MP high on the party's list leaves; a Labour candidate wins
    the by-election. The seat moves to Labour, no list seat moves, the member who left is
    not named a list MP, the by-election's candidates stay themselves (not renamed to the
    general election's), and neither count says candidates are missing."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    load_bundled(open_store(url), "nz-2023")
    official = tally(open_store(url), "nz-2023", Stage.OFFICIAL)
    ranks = {c.name: c.rank for c in official.party_lists[NATIONAL]}
    held = {
        n: o.winner for n, o in official.outcomes().items()
        if official.candidates[n].party_of[o.winner or ""] == NATIONAL
    }  # fmt: skip

    def rank(name: str) -> int:
        return min((r for c, r in ranks.items() if same_person(c, name)), default=999)

    number = min(held, key=lambda n: rank(held[n] or ""))
    leaving = held[number] or ""
    folder = tmp_path / "by"
    folder.mkdir()
    (folder / "election.csv").write_text(
        "id,name,date,rules\nnz-2023,New Zealand general election 2023,2023-10-14,nz\n"
    )
    unit = f"electorate:{number}"
    (folder / "returns.csv").write_text(
        "stage,contest,unit,count_type,choice,party,votes\n"
        f'by-election,candidate:{number},{unit},all,"TEST, Winner",Labour Party,9000\n'
        f'by-election,candidate:{number},{unit},all,"TEST, Runner",{NATIONAL},8000\n'
        f"by-election,candidate:{number},{unit},all,informal,,50\n"
    )  # test figures
    subprocess.run([TALLYROOM, "import", "tidy", str(folder), "--db", url], check=True,
                   capture_output=True)  # fmt: skip
    after = tally(open_store(url), "nz-2023", Stage.BY_ELECTION)
    assert set(after.candidates[number].counts) == {"TEST, Winner", "TEST, Runner"}
    before, now = official.seats(), after.seats()
    old = {p.party: p for p in before.parties}
    new = {p.party: p for p in now.parties}
    assert new[NATIONAL].total == old[NATIONAL].total - 1
    assert new["Labour Party"].total == old["Labour Party"].total + 1
    assert now.house_size == before.house_size
    assert new[NATIONAL].list_members == old[NATIONAL].list_members
    assert not any(same_person(m, leaving) for m in new[NATIONAL].list_members or ())
    assert after.missing_candidates() == {}
    assert tally(open_store(url), "nz-2023", Stage.OFFICIAL).missing_candidates() == {}
