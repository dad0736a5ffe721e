"""The website and JSON API, driven through the real app on real stores.

Figures are checked against the official publication's own total rows, and every API
document against the CLI's ``--json`` output and the OpenAPI schema.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
from collections import Counter
from pathlib import Path

import hypothesis
import polars as pl
import pytest
import schemathesis
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tallyroom.cli import app as cli
from tallyroom.datasets import load_bundled
from tallyroom.publish import schemas
from tallyroom.publish.web import create_app
from tallyroom.store.database import open_store
from tests.support.data import shared_data_dir
from tests.support.official2020 import party_vote_totals, referendum_totals
from tests.support.postgres import new_postgres_database
from tests.support.servers import (
    FORMULA,
    SCRIPT,
    TAG,
    hostile_store,
    nz2020_returns,
    nz2020_store,
    store_returns,
)
from tests.support.stores import fingerprint, import_files
from tests.support.tidy2020 import read_stage

API = "/api/v1/elections/nz-2020"
PAGES = [
    "/",
    "/elections/nz-2020/official/",
    "/elections/nz-2020/preliminary/",
    "/elections/nz-2020/official/parties/",
    "/elections/nz-2020/official/electorates/",
    "/elections/nz-2020/official/electorates/32/",
    "/elections/nz-2020/preliminary/electorates/32/",
    "/elections/nz-2020/official/referendums/cannabis/",
    "/elections/nz-2020/official/referendums/end-of-life-choice/",
    "/elections/nz-2020/compare/",
    "/elections/nz-2020/downloads/",
    "/elections/nz-2020/split-votes/",
    "/api/v1/",
]


@pytest.fixture(scope="module")
def nz2020(tmp_path_factory: pytest.TempPathFactory) -> str:
    return nz2020_store(f"sqlite:///{tmp_path_factory.mktemp('web') / 'nz2020.db'}")


@pytest.fixture(scope="module")
def client(nz2020: str):
    with TestClient(create_app(open_store(nz2020))) as test_client:
        yield test_client


def get_json(client: TestClient, path: str):
    response = client.get(path)
    assert response.status_code == 200, (path, response.text)
    assert response.headers["content-type"] == "application/json"
    return response.json()


def cli_json(db: str, *args: str):
    done = CliRunner().invoke(cli, [*args, "--db", db, "--json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


# --- figures against the official publication ------------------------------------------


def test_official_summary_is_the_publication(client: TestClient, shared_data: Path) -> None:
    summary = get_json(client, f"{API}/official/summary.json")
    official = party_vote_totals(shared_data)
    assert {p["party"]: p["votes"] for p in summary["party_votes"]} == official
    assert summary["valid_party_votes"] == sum(official.values()) == 2_886_420
    shares = {p["party"]: round(p["percent"], 1) for p in summary["party_votes"]}
    assert (shares["Labour Party"], shares["National Party"]) == (50.0, 25.6)
    assert summary["seats"]["seats"] == {"Labour Party": 65, "National Party": 33,
        "Green Party": 10, "ACT New Zealand": 10, "Māori Party": 2}  # fmt: skip
    assert summary["seats"]["house_size"] == 120
    assert summary["progress"] == {"reported": 72, "expected": 72, "unit": "electorates",
                                   "text": "72 of 72 electorates counted"}  # fmt: skip
    final = read_stage(shared_data, "official")

    def surname(name: str) -> set[str]:  # the files spell some names in full, some not
        return set(name.split(",")[0].replace("-", " ").split())

    assert {e["name"] for e in summary["electorates"]} == set(final.electorates)
    for e in summary["electorates"]:
        assert surname(e["winner"]) & surname(final.electorates[e["name"]].winner), e
    assert Counter(e["party"] for e in summary["electorates"]) == final.electorate_seats()


def test_preliminary_summary_is_election_night(client: TestClient, shared_data: Path) -> None:
    summary = get_json(client, f"{API}/preliminary/summary.json")
    night = read_stage(shared_data, "preliminary")
    assert {p["party"]: p["votes"] for p in summary["party_votes"]} == night.party_votes
    shares = {p["party"]: round(p["percent"], 1) for p in summary["party_votes"]}
    assert (shares["Labour Party"], shares["National Party"]) == (49.1, 26.8)
    seats = summary["seats"]["seats"]
    assert (seats["Labour Party"], seats["National Party"], seats["Māori Party"]) == (64, 35, 1)


def test_referendums_are_the_workbook_totals(client: TestClient, shared_data: Path) -> None:
    published = referendum_totals(shared_data)
    found = {r["slug"]: r for r in get_json(client, f"{API}/official/referendums.json")}
    for slug, totals in published.items():
        assert found[slug]["counts"] == {"Yes": totals["yes"], "No": totals["no"]}
        assert found[slug]["informal"] == totals["informal"]
    cannabis = found["cannabis"]
    assert cannabis["total"] == published["cannabis"]["total"] == 2_908_071
    assert cannabis["percent_of_total"] == {"Yes": 48.4, "No": 50.7, "informal": 0.9}
    assert cannabis["result"] == "No"
    assert found["end-of-life-choice"]["percent_of_total"]["Yes"] == 65.1


def test_referendum_by_electorate_states_its_basis(client: TestClient) -> None:
    data = get_json(client, f"{API}/official/referendums/cannabis.json")
    table = data["by_electorate"]
    assert table["basis"] == "ordinary" and "Special votes are not included" in table["statement"]
    by_name = {r["name"]: r for r in table["rows"]}
    assert len(by_name) == 65
    assert round(by_name["Wellington Central"]["exact"]) == 72
    assert round(by_name["Botany"]["exact"]) == 31
    assert (
        table["rows"][0]["name"] == "Wellington Central" and table["rows"][-1]["name"] == "Botany"
    )


# --- the API equals the CLI -----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "path", "part"),
    [
        (["elections"], "/api/v1/elections.json", None),
        (["results", "nz-2020", "--stage", "official"], f"{API}/official/summary.json", None),
        (["results", "nz-2020", "--stage", "preliminary"], f"{API}/preliminary/summary.json", None),
        (["seats", "nz-2020", "--stage", "preliminary"], f"{API}/preliminary/seats.json", None),
        (["seats", "nz-2020"], f"{API}/official/seats.json", None),
        (["electorate", "nz-2020", "Northland", "--stage", "preliminary"],
         f"{API}/preliminary/electorates/32.json", None),
        (["electorate", "nz-2020", "32"], f"{API}/official/electorates/32.json", None),
        (["compare", "nz-2020"], f"{API}/comparison.json", None),
        (["split", "nz-2020"], f"{API}/split-votes.json", None),
        (["referendum", "nz-2020", "cannabis"], f"{API}/official/referendums/cannabis.json",
         "by_electorate"),
    ],
)  # fmt: skip
def test_api_equals_cli_json(client: TestClient, nz2020: str, args, path, part) -> None:
    served = get_json(client, path)
    assert cli_json(nz2020, *args) == (served[part] if part else served)


def test_northland_changed_hands(client: TestClient) -> None:
    night = get_json(client, f"{API}/preliminary/electorates/32.json")
    final = get_json(client, f"{API}/official/electorates/32.json")
    assert night["name"] == "Northland" and night["winner"] == "KING, Ronald Matthew"
    assert final["winner"].startswith("PRIME, Willow-Jean")
    flips = get_json(client, f"{API}/comparison.json")["flips"]
    assert "Northland" in [f["name"] for f in flips]


# --- pages ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_page_and_its_json_twin(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<meta name="viewport"' in html and 'href="#content"' in html  # phone, skip link
    twin = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)">', html)
    assert twin is not None
    target = _resolve(path, twin.group(1))
    assert client.get(target).status_code == 200
    for link in re.findall(r'href="([^"#]+)"', html):  # every link on the page resolves
        if not link.startswith("http"):
            assert client.get(_resolve(path, link)).status_code == 200, (path, link)


def _resolve(page: str, link: str) -> str:
    """``link`` on the page at ``page`` as a path from the site root."""
    return posixpath.normpath(posixpath.join(page, link)) + ("/" if link.endswith("/") else "")


def test_every_chart_has_its_numbers_in_a_table(client: TestClient) -> None:
    html = client.get("/elections/nz-2020/official/").text
    assert html.count("<svg") == 2 and 'role="img"' in html
    assert "1,443,545" in html and "738,275" in html  # Labour and National in the table
    referendum = client.get("/elections/nz-2020/official/referendums/cannabis/").text
    assert referendum.count("<polygon") == 65
    assert referendum.count("<tr><td>") == 65  # one ranked row per hexagon


def test_the_hex_map_has_a_colour_key(client: TestClient) -> None:
    """Eight classes five points wide, orange below 50 % yes and purple from it (PuOr);
    Botany (31 % yes) is drawn orange, Wellington Central (72 %) purple."""
    page = client.get("/elections/nz-2020/official/referendums/cannabis/").text
    svg = next(chart for chart in page.split("</svg>") if "<polygon" in chart)
    swatches = re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"[^>]*/><text [^>]*>([^<]+)</text>', svg)
    assert [label for _, label in swatches] == [
        "&lt; 35 %", "35–40 %", "40–45 %", "45–50 %", "50–55 %", "55–60 %", "60–65 %", "≥ 65 %"
    ]  # fmt: skip
    key = dict((label, colour) for colour, label in swatches)
    assert (key["&lt; 35 %"], key["45–50 %"], key["50–55 %"]) == ("#b35806", "#fee0b6", "#d8daeb")

    def fill(name: str) -> tuple[int, ...]:
        colour = re.search(
            rf"<title>{name} \(\w+\): [\d.]+</title><polygon [^>]*fill=\"#(\w+)\"", svg
        )
        assert colour, name
        return tuple(int(colour.group(1)[i : i + 2], 16) for i in (0, 2, 4))

    botany, wellington = fill("Botany"), fill("Wellington Central")
    assert botany[0] > botany[2] and wellington[2] > wellington[0]  # orange, purple


def test_redirect_to_the_latest_stage(client: TestClient) -> None:
    response = client.get("/elections/nz-2020/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/elections/nz-2020/official/"


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/v1/elections/nz-1999.json", 404, "no election 'nz-1999' in the store (have: nz-2020)"),
        (f"{API}/recount/summary.json", 404, "no returns at the recount stage"),
        (f"{API}/official/electorates/99.json", 404, "has no electorate '99'"),
        (f"{API}/official/referendums/flag.json", 404, "has no referendum 'flag'"),
        (f"{API}/official/tables/secrets.csv", 404, "no table 'secrets'"),
        (f"{API}/final/summary.json", 422, "preliminary"),
        ("/elections/nz-1999/official/", 404, "no election"),
    ],
)  # fmt: skip
def test_clear_errors(client: TestClient, path: str, status: int, message: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert message in response.text


# --- downloads ------------------------------------------------------------------------


def test_downloads_are_the_same_figures(client: TestClient) -> None:
    response = client.get(f"{API}/official/tables/party-votes.csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="nz-2020-official-party-votes.csv"'
    )
    csv = pl.read_csv(io.BytesIO(response.content))
    parquet = pl.read_parquet(
        io.BytesIO(client.get(f"{API}/official/tables/party-votes.parquet").content)
    )
    assert csv.equals(parquet)
    summary = get_json(client, f"{API}/official/summary.json")
    assert dict(zip(csv["party"], csv["votes"], strict=True)) == {
        p["party"]: p["votes"] for p in summary["party_votes"]
    }
    assert dict(zip(csv["party"], csv["seats"], strict=True)) == {
        p["party"]: p["total"] for p in summary["seats"]["parties"]
    }
    candidates = pl.read_csv(
        io.BytesIO(client.get(f"{API}/official/tables/candidates.csv").content)
    )
    assert candidates["votes"].sum() == sum(
        get_json(client, f"{API}/official/electorates/{n}.json")["valid"] for n in range(1, 73)
    )
    cannabis = pl.read_csv(
        io.BytesIO(client.get(f"{API}/official/tables/referendum-cannabis.csv").content)
    )
    assert cannabis.height == 65


# --- safety ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    url = hostile_store(f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'hostile.db'}")
    with TestClient(create_app(open_store(url))) as test_client:
        yield test_client


def test_text_from_data_is_escaped(hostile: TestClient) -> None:
    for path in ["/", "/elections/hostile/official/", "/elections/hostile/official/parties/",
                 "/elections/hostile/official/electorates/", "/elections/hostile/official/electorates/1/",
                 "/elections/hostile/downloads/"]:  # fmt: skip
        html = hostile.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert 'onmouseover="alert' not in html, path
    page = hostile.get("/elections/hostile/official/electorates/1/").text
    assert "&lt;script&gt;alert(&#34;candidate&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    data = hostile.get("/api/v1/elections/hostile/official/electorates/1.json").json()
    assert data["name"] == TAG and SCRIPT in {c["candidate"] for c in data["candidates"]}


def test_csv_downloads_neutralise_formulas(hostile: TestClient) -> None:
    base = "/api/v1/elections/hostile/official/tables"
    candidates = pl.read_csv(io.BytesIO(hostile.get(f"{base}/candidates.csv").content))
    assert set(candidates["party"]) == {"'" + FORMULA, "Plain Party"}
    assert set(candidates["candidate"]) == {SCRIPT, "'-1 SUM(A1)", "'-2 SUM(A1)"}
    parties = pl.read_csv(io.BytesIO(hostile.get(f"{base}/party-votes.csv").content))
    assert "'" + FORMULA in set(parties["party"])
    assert all(not str(v).startswith(("=", "+", "@")) for v in parties["party"])
    raw = pl.read_parquet(io.BytesIO(hostile.get(f"{base}/candidates.parquet").content))
    assert FORMULA in set(raw["party"])  # Parquet keeps the data as it is


WRITES = {
    "/api/v1/elections/{election}/returns",
    "/api/v1/elections/{election}/stages/{stage}",
    "/api/v1/elections/{election}/corrections/{return_id}/{decision}",
}


PRIVATE = {"/api/v1/elections/{election}/corrections"}


def test_only_authenticated_routes_write(client: TestClient, nz2020: str) -> None:
    """Every route reads but the writes of the returns API, which need a token."""
    for route in client.app.routes:
        methods = set(getattr(route, "methods", None) or {"GET"})
        if getattr(route, "path", "") in WRITES:
            assert methods == {"POST"}
        else:
            assert methods <= {"GET", "HEAD"}, route
    before = _results(open_store(nz2020))
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in (
            "/api/v1/elections.json",
            f"{API}/official/summary.json",
            "/elections/nz-2020/official/",
        ):
            assert client.request(method, path).status_code == 405
    for path in (f"{API}/returns", f"{API}/stages/official"):
        refused = client.post(path, json={"status": "closed"})
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert _results(open_store(nz2020)) == before


def _results(engine) -> dict[str, int]:
    """The store's fingerprint without the audit log (which records refusals)."""
    found = fingerprint(engine)
    return {k: v for k, v in found.items() if not k.startswith("audit")}


# --- the OpenAPI schema ---------------------------------------------------------------


def test_openapi_lists_every_endpoint(client: TestClient) -> None:
    schema = get_json(client, "/api/v1/openapi.json")
    paths = set(schema["paths"])
    for path in ["/api/v1/elections.json", "/api/v1/elections/{election}.json",
                 "/api/v1/elections/{election}/{stage}/summary.json",
                 "/api/v1/elections/{election}/{stage}/parties.json",
                 "/api/v1/elections/{election}/{stage}/electorates.json",
                 "/api/v1/elections/{election}/{stage}/electorates/{number}.json",
                 "/api/v1/elections/{election}/{stage}/seats.json",
                 "/api/v1/elections/{election}/{stage}/referendums.json",
                 "/api/v1/elections/{election}/{stage}/referendums/{slug}.json",
                 "/api/v1/elections/{election}/comparison.json",
                 "/api/v1/elections/{election}/{stage}/tables/{name}.csv",
                 "/api/v1/elections/{election}/{stage}/tables/{name}.parquet",
                 "/api/v1/elections/{election}/events"]:  # fmt: skip
        assert path in paths
    for path, methods in schema["paths"].items():
        assert set(methods) == ({"post"} if path in WRITES else {"get"}), path


def _checker(statuses: set[int]):
    """A test body that validates one generated case and records its status."""

    def call(case) -> None:
        statuses.add(case.call_and_validate().status_code)

    return call


def test_api_conforms_to_its_schema(tmp_path: Path) -> None:
    """Schemathesis: for every operation, the schema's examples and generated requests get
    responses that conform to the schema (status codes, content types, bodies). The store
    holds both bundled elections, so that one can be compared with the other, and the 2025
    Bundestag election, whose seats document is the regional law's."""
    url = nz2020_store(f"sqlite:///{tmp_path / 'both.db'}")
    load_bundled(open_store(url), "nz-2023")
    bundestag = shared_data_dir() / "de" / "bundestag" / "2025-gesamtergebnis.xml"
    import_files(open_store(url), "de-bundeswahl", [bundestag], election="de-2025")
    german = TestClient(create_app(open_store(url)))
    for path, model in (("seats", schemas.RegionalSeats), ("summary", schemas.Summary)):
        response = german.get(f"/api/v1/elections/de-2025/official/{path}.json")
        assert response.status_code == 200
        found = model.model_validate(response.json())
        allocation = found if path == "seats" else found.seats
        assert sum(allocation.seats.values()) == 630
    app = create_app(open_store(url))
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    checked = {}
    for found in schema.get_all_operations():
        operation = found.ok()
        if operation.path.endswith("/events") or operation.path in WRITES | PRIVATE:
            continue  # an endless stream (the browser tests read it); writes and what only
            # admins see: test_intake and test_review
        statuses: set[int] = set()
        call = _checker(statuses)

        settings = hypothesis.settings(max_examples=40, deadline=None, database=None,
                                       suppress_health_check=list(hypothesis.HealthCheck))  # fmt: skip
        examples = operation.get_strategies_from_examples()
        if examples:
            settings(hypothesis.given(hypothesis.strategies.one_of(examples))(call))()
        settings(hypothesis.given(operation.as_strategy())(call))()
        checked[operation.path] = statuses
    assert len(checked) == 19  # every GET but the event stream and the admins' list
    for path, statuses in checked.items():
        assert 200 in statuses, path  # the examples reach real data
        assert statuses <= {200, 404, 422}, (path, statuses)


# --- voting-place returns and PostgreSQL ------------------------------------------------


def test_voting_places_from_the_official_files(client: TestClient, shared_data: Path,
                                               tmp_path: Path) -> None:  # fmt: skip
    """With the Electoral Commission's voting-place files in the store, an electorate page
    lists advance, election-day and special rows that add up to its total."""
    url = f"sqlite:///{tmp_path / 'official.db'}"
    import_files(open_store(url), "nz-official", [shared_data / "nz" / "official" / "2020"])
    with TestClient(create_app(open_store(url))) as detailed:
        summary = get_json(detailed, f"{API}/official/summary.json")
        assert summary["progress"]["unit"] == "voting places"
        assert summary["progress"]["reported"] == summary["progress"]["expected"] > 6000
        northland = get_json(detailed, f"{API}/official/electorates/32.json")
        kinds = {p["count_type"] for p in northland["voting_places"]}
        assert {"advance", "election-day", "special-before", "special-on", "overseas"} <= kinds
        assert sum(p["valid"] for p in northland["voting_places"]) == northland["valid"]
        assert sum(p["informal"] for p in northland["voting_places"]) == northland["informal"]
        html = detailed.get("/elections/nz-2020/official/electorates/32/").text
        assert html.count('<td class="text">advance</td>') == sum(
            p["count_type"] == "advance" for p in northland["voting_places"]
        )
    # the voting-place files and the bundled electorate-level dataset agree
    bundled = get_json(client, f"{API}/official/electorates/32.json")
    assert (bundled["valid"], bundled["informal"]) == (northland["valid"], northland["informal"])
    assert bundled["candidates"] == northland["candidates"]


def test_same_documents_from_postgresql(client: TestClient, postgres_server: str) -> None:
    url = nz2020_store(new_postgres_database(postgres_server))
    with TestClient(create_app(open_store(url))) as on_postgres:
        for path in [f"{API}/official/summary.json", f"{API}/preliminary/parties.json",
                     f"{API}/official/referendums/cannabis.json", f"{API}/comparison.json",
                     f"{API}/official/electorates/32.json"]:  # fmt: skip
            assert on_postgres.get(path).content == client.get(path).content, path


def test_unchanged_documents_answer_304(client: TestClient) -> None:
    path = f"{API}/official/summary.json"
    first = client.get(path)
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    again = client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(path, headers={"If-None-Match": 'W/"0"'}).status_code == 200


def test_the_first_returns_of_the_night(tmp_path: Path) -> None:
    """Before any party vote is counted there are no seats yet: pages say so, the seats
    document is a clear 404, nothing fails."""
    url = f"sqlite:///{tmp_path / 'first.db'}"
    first = nz2020_returns(lambda r: r.stage.value == "preliminary" and r.contest == "candidate:1")
    store_returns(url, first, "one candidate return")
    with TestClient(create_app(open_store(url))) as night:
        summary = get_json(night, f"{API}/preliminary/summary.json")
        assert summary["seats"] is None and summary["valid_party_votes"] == 0
        assert summary["progress"]["text"] == "1 of 72 electorates counted"
        assert len(summary["electorates"]) == 1
        page = night.get("/elections/nz-2020/preliminary/")
        assert page.status_code == 200 and "No party votes counted yet" in page.text
        assert get_json(night, f"{API}/preliminary/parties.json")["parties"] == []
        seats = night.get(f"{API}/preliminary/seats.json")
        assert seats.status_code == 404 and "no party votes counted" in seats.text
