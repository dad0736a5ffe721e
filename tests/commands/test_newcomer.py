"""What a first-time user meets: every mistake gets one line naming what is wrong and
what to do, exit code 2, and never a traceback; every wrong page address gets the site's
HTML page, and the API keeps JSON errors."""

from __future__ import annotations

import csv
import re
import shlex
import socket
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer.main
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tallyroom import placenames
from tallyroom.cli import app
from tallyroom.model import Stage
from tallyroom.publish import views
from tallyroom.publish.charts import Bar, bars_svg, diverging_colour
from tallyroom.publish.colours import delta_e, difference
from tallyroom.publish.web import create_app
from tallyroom.results import tally
from tallyroom.results.queries import parties
from tallyroom.store.database import open_store
from tests.support.servers import nz2020_store

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store holding the bundled 2020 election."""
    return nz2020_store(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")


@pytest.fixture(scope="module")
def tidy_example(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store holding docs/tidy-format.md's example: no electorates.csv."""
    folder = tmp_path_factory.mktemp("tidy") / "demo-2026"
    folder.mkdir()
    (folder / "election.csv").write_text(
        "id,name,date,rules\ndemo-2026,Demo election 2026,2026-11-07,nz\n", encoding="utf-8"
    )
    (folder / "returns.csv").write_text(
        "stage,contest,unit,count_type,choice,party,votes\n"
        "official,party,electorate:1,all,Red Party,Red Party,6000\n"
        "official,party,electorate:1,all,Blue Party,Blue Party,3000\n"
        "official,party,electorate:1,all,informal,,40\n"
        'official,candidate:1,electorate:1,all,"AROHA, Ana",Red Party,5000\n'
        'official,candidate:1,electorate:1,all,"BROWN, Ben",Blue Party,4100\n'
        "official,candidate:1,electorate:1,all,informal,,55\n",
        encoding="utf-8",
    )
    url = f"sqlite:///{folder.parent / 'tidy.db'}"
    done = runner.invoke(app, ["import", "tidy", str(folder), "--db", url])
    assert done.exit_code == 0, done.output
    return url


def refused(*args: str) -> str:
    """Run ``tallyroom ARGS``; assert one line on standard error, exit 2, no traceback;
    return the line."""
    done = runner.invoke(app, list(args))
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert done.exit_code == 2, (args, done.output)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, done.stderr)
    assert "Traceback" not in done.output and not done.stdout.strip(), done.output
    return lines[0]


def test_import_empty_folder(tmp_path: Path) -> None:
    line = refused("import", "nz-official", str(tmp_path), "--db", f"sqlite:///{tmp_path}/s.db")
    assert "no candidate-votes-by-voting-place-N.csv file" in line


def test_import_missing_path(tmp_path: Path) -> None:
    line = refused("import", "nz-official", str(tmp_path / "nope"))
    assert line == f"error: {tmp_path / 'nope'}: no such file or directory"


def test_import_readme_as_official(tmp_path: Path) -> None:
    line = refused("import", "nz-official", "README.md", "--db", f"sqlite:///{tmp_path}/s.db")
    assert "no candidate-votes-by-voting-place-N.csv file" in line and "year" not in line


def test_import_lone_files_with_election(tmp_path: Path, shared_data: Path) -> None:
    line = refused("import", "nz-official", "README.md", "--election", "nz-2020")
    assert "national tables if you have them" in line
    party = shared_data / "nz" / "official" / "2023" / "party-votes-by-voting-place-5.csv"
    line = refused("import", "nz-official", str(party), "--election", "nz-2023")
    assert "with candidate-votes-by-voting-place-5.csv beside it" in line
    one = shared_data / "nz" / "official" / "2020" / "candidate-votes-by-voting-place-5.csv"
    url = f"sqlite:///{tmp_path}/s.db"
    done = runner.invoke(app, ["import", "nz-official", str(one), "--election", "nz-2020",
                               "--db", url])  # fmt: skip
    assert done.exit_code == 0 and "new returns" in done.stdout, done.output


def test_import_readme_as_history(tmp_path: Path) -> None:
    line = refused("import", "nz-history", "README.md", "--db", f"sqlite:///{tmp_path}/s.db")
    assert "truncate_ragged_lines" not in line and "nz-history reads" in line


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql+psycopg://nobody:secret@127.0.0.1:1/x", "cannot open the store"),
        ("notaurl", "is not a URL"),
        ("mysql://x", "SQLite or PostgreSQL, not mysql"),
    ],
)
def test_bad_store_urls(url: str, says: str) -> None:
    line = refused("results", "nz-2020", "--db", url)
    assert says in line and "sqlite:///" in line + "sqlite:///"  # the forms that work
    assert "secret" not in line


def test_results_without_party_votes(tmp_path: Path, shared_data: Path) -> None:
    url = f"sqlite:///{tmp_path}/c.db"
    one = shared_data / "nz" / "official" / "2020" / "candidate-votes-by-voting-place-1.csv"
    assert runner.invoke(app, ["import", "nz-official", str(one), "--db", url]).exit_code == 0
    done = runner.invoke(app, ["results", "nz-2020", "--db", url])
    assert done.exit_code == 0 and done.exception is None, done.output
    assert "No party votes at the official stage, so no seats" in done.stdout


def test_tidy_example_without_electorates_file(tidy_example: str, tmp_path: Path) -> None:
    done = runner.invoke(app, ["electorate", "demo-2026", "1", "--db", tidy_example])
    assert done.exit_code == 0 and "Electorate 1 (1)" in done.stdout, done.output
    done = runner.invoke(app, ["results", "demo-2026", "--db", tidy_example, "--json"])
    assert '"name": "Electorate 1"' in done.stdout
    done = runner.invoke(app, ["export-site", "demo-2026", str(tmp_path / "site"),
                               "--db", tidy_example])  # fmt: skip
    assert done.exit_code == 0, done.output
    page = (tmp_path / "site/elections/demo-2026/official/index.html").read_text()
    assert "1 of 1 electorates counted" in page
    client = TestClient(create_app(open_store(tidy_example)))
    csv = client.get("/api/v1/elections/demo-2026/official/tables/party-votes-by-electorate.csv")
    assert csv.status_code == 200 and "Electorate 1" in csv.text


def test_busy_port_is_said_before_serving(demo: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        line = refused("serve", "--db", demo, "--port", port)
        assert f"127.0.0.1:{port}" in line and "--port" in line
        refused("demo", "--db", demo, "--port", port)


def test_specials_names_the_contests_that_separate_special_votes(demo: str) -> None:
    line = refused("specials", "nz-2020", "--db", demo)
    assert "these do: --contest candidate, --contest referendum:cannabis" in line
    done = runner.invoke(app, ["specials", "nz-2020", "--contest", "candidate", "--db", demo])
    assert done.exit_code == 0 and "Labour Party" in done.stdout


def test_audit_show_for_an_electorate_includes_imports(demo: str) -> None:
    done = runner.invoke(app, ["audit", "show", "nz-2020", "--electorate", "32", "--db", demo],
                         env={"COLUMNS": "120"})  # fmt: skip
    assert done.exit_code == 0 and "No writes" not in done.stdout
    text = re.sub(r"[│\s]+", " ", done.stdout)  # the What column as one line, however it wraps
    assert "tidy import of" in text and "634 new" in text and "{" not in done.stdout


@pytest.mark.parametrize(
    ("typed", "number"),
    [("Whangarei", 64), ("Mount Albert", 24), ("mt-roskill", 25), ("TE TAI TOKERAU", 70)],
)
def test_electorate_names_as_people_type_them(demo: str, typed: str, number: int) -> None:
    done = runner.invoke(app, ["electorate", "nz-2020", typed, "--db", demo, "--json"])
    assert done.exit_code == 0 and f'"number": {number},' in done.stdout, done.output


def test_misspelt_electorate_gets_suggestions(demo: str) -> None:
    line = refused("electorate", "nz-2020", "Nothland", "--db", demo)
    assert "did you mean Northland" in line and "1-72" in line


def test_users_add_refuses_an_electorate_no_election_has(demo: str) -> None:
    line = refused("users", "add", "RO 99", "--role", "returning-officer", "--electorate", "99",
                   "--db", demo)  # fmt: skip
    assert "nz-2020 has 1-72" in line


def test_no_minus_zero_and_points_in_words(demo: str) -> None:
    compare = runner.invoke(app, ["compare", "nz-2020", "--db", demo], env={"COLUMNS": "120"})
    crosstab = runner.invoke(app, ["crosstab", "nz-2020", "cannabis", "--db", demo])
    for done in (compare, crosstab):
        assert done.exit_code == 0 and not re.search(r"-0\.0+(?![0-9])", done.stdout), done.output
    assert "% change" not in compare.stdout and "49.15 → 50.01" in compare.stdout
    claims = runner.invoke(app, ["check", "nz-2020", "examples/claims-nz2020.yaml",
                                 "--db", demo, "--json"])  # fmt: skip
    assert "1 point lower than claimed" in claims.stdout and "off by -" not in claims.stdout


def test_indices_fits_80_columns(demo: str) -> None:
    done = runner.invoke(app, ["indices", "--db", demo], env={"COLUMNS": "80"})
    assert "…" not in done.stdout and "Hanby" in done.stdout


def test_no_blank_first_line(tmp_path: Path) -> None:
    done = runner.invoke(app, ["load", "nz-2020", "--db", f"sqlite:///{tmp_path}/s.db"])
    assert done.stdout.startswith("nz-2020: loaded")
    done = runner.invoke(app, ["export-site", "nz-2020", str(tmp_path / "site"),
                               "--db", f"sqlite:///{tmp_path}/s.db"])  # fmt: skip
    assert done.exit_code == 0 and done.stdout.split()[1] == "files", done.output


def test_help_groups_commands_and_shows_no_bool() -> None:
    done = runner.invoke(app, ["--help"], env={"COLUMNS": "120"})
    panels = [line.split("─ ")[1].split(" ─")[0] for line in done.stdout.splitlines()
              if line.startswith("╭─ ")]  # fmt: skip
    assert panels == ["Options", "Results", "Analysis", "Count operations", "Site"]
    done = runner.invoke(app, ["import", "--help"], env={"COLUMNS": "120"})
    assert "<bool>" not in done.stdout and "--replace" in done.stdout


# --- the site ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(demo: str) -> TestClient:
    return TestClient(create_app(open_store(demo)))


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/electorates/northland/", "there is no page at /electorates/northland/"),
        ("/elections/nz-2020/official/electorates/0/", "no electorate &#39;0&#39;"),
        ("/elections/nz-2020/official/electorates/Nothland/", "did you mean Northland"),
        ("/elections/nz-2020/final/", "&#39;final&#39; is not a stage of the count"),
        ("/nonsense/", "there is no page at /nonsense/"),
        ("/elections/nz-2019/official/", "no election &#39;nz-2019&#39;"),
    ],
)
def test_wrong_page_addresses_get_the_html_page(client: TestClient, path: str, says: str) -> None:
    page = client.get(path)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert says in page.text and 'href="' in page.text.split("<main", 1)[1]


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/v1/nonsense", 404), ("/api/v1/elections/nz-2020/final/summary.json", 422)],
)
def test_api_errors_stay_json(client: TestClient, path: str, status: int) -> None:
    answer = client.get(path)
    assert answer.status_code == status and "detail" in answer.json()


@pytest.mark.parametrize(
    ("path", "number"), [("northland", 32), ("Whangarei", 64), ("mount-albert", 24)]
)
def test_electorate_pages_by_name(client: TestClient, path: str, number: int) -> None:
    answer = client.get(f"/elections/nz-2020/official/electorates/{path}/", follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["location"] == f"/elections/nz-2020/official/electorates/{number}/"


def test_elections_index_leads_home(client: TestClient) -> None:
    answer = client.get("/elections/", follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == "/"


def test_referendum_not_counted_on_election_night(client: TestClient) -> None:
    page = client.get("/elections/nz-2020/preliminary/referendums/cannabis/")
    assert page.status_code == 404 and "was not counted on election night" in page.text
    assert 'href="../../../official/referendums/cannabis/"' in page.text
    assert "referendums: none" not in page.text


def test_winner_named_as_people_say_it(client: TestClient) -> None:
    page = client.get("/elections/nz-2020/official/electorates/32/").text
    headline = re.sub(r"<[^>]+>", "", page.split('id="headline">', 1)[1].split("</p>", 1)[0])
    assert headline == (
        "Willow-Jean Prime (Labour) won by 163 votes over Ronald Matthew King (National)."
    )
    assert (
        'title="PRIME, Willow-Jean"' in page
        and "PRIME, Willow-Jean"
        in client.get("/api/v1/elections/nz-2020/official/tables/candidates.csv").text
    )


def test_tab_titles_name_the_place(client: TestClient) -> None:
    page = client.get("/elections/nz-2020/official/electorates/32/")
    assert "<title>Northland ·" in page.text
    assert (
        "(election night (preliminary))" not in client.get("/elections/nz-2020/preliminary/").text
    )


def test_compressed_when_accepted_and_head_everywhere(client: TestClient) -> None:
    for path in ("/elections/nz-2020/official/", "/api/v1/elections/nz-2020/official/summary.json"):
        zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        head = client.head(path, headers={"Accept-Encoding": "gzip"})
        assert head.status_code == 200 and head.content == b""
    gets = [r.path for r in client.app.routes
            if "GET" in getattr(r, "methods", ()) and "{" not in r.path]  # fmt: skip
    for path in gets:
        if path.endswith("/events"):
            continue
        assert client.head(path).status_code in (200, 307), path


def test_api_index_groups_writes(client: TestClient) -> None:
    page = client.get("/api/v1/").text
    reads, writes = page.split("<h2>POST</h2>")
    assert "<h2>GET</h2>" in reads and "/returns" in writes and "/returns" not in reads
    assert "Post Return" not in page and "`" not in page
    assert "<code>tallyroom results --json</code>" in reads


def test_no_empty_voting_places_table(client: TestClient) -> None:
    downloads = client.get("/elections/nz-2020/downloads/").text
    assert "voting-places" not in downloads
    answer = client.get("/api/v1/elections/nz-2020/official/tables/voting-places.csv")
    assert answer.status_code == 404


# --- the README, as a newcomer follows it --------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"
LONG_RUNNING = {"serve", "demo", "replay"}
"""commands that serve or need a server: their --help is run instead"""


def readme_commands() -> list[list[str]]:
    """Every ``tallyroom`` command the README shows, as argument lists without the leading
    ``tallyroom``: the lines of its shell blocks in order (continuations joined, comments
    dropped), then the inline ones that name an election (prose may name them before the
    block that makes them work)."""
    text = README.read_text(encoding="utf-8")
    lines = [
        line
        for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)
        for line in block.replace("\\\n", " ").splitlines()
    ]
    lines += [
        line for line in re.findall(r"`(tallyroom [^`]+)`", text) if re.search(r"nz-\d{4}", line)
    ]
    commands = []
    for line in lines:
        if not line.startswith("tallyroom "):
            continue
        words = shlex.split(line, comments=True)
        if not {"...", "&"} & set(words):
            commands.append(words[1:])
    return commands


def test_every_readme_command_runs(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = readme_commands()
    assert len(commands) > 30 and ["load", "nz-2020"] in commands
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(README.parent / "examples")
    env = {"TALLYROOM_DB": f"sqlite:///{tmp_path / 'readme.db'}", "COLUMNS": "100"}
    assert runner.invoke(app, ["load", "nz-2020"], env=env).exit_code == 0  # as `demo` does
    for words in commands:
        words = [w.replace("../shared/data", str(shared_data)) for w in words]
        if words[0] in LONG_RUNNING:
            words = [words[0], "--help"]
        done = runner.invoke(app, words, env=env)
        assert done.exit_code == 0 and done.exception is None, (words, done.output)
        assert "Traceback" not in done.output and done.stdout.strip(), words


def every_command(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The path of every command and group under ``group``."""
    found = [path]
    for name, command in getattr(group, "commands", {}).items():
        found += every_command(command, (*path, name))
    return found


def test_every_help() -> None:
    commands = every_command(typer.main.get_command(app))
    assert len(commands) > 25
    for path in commands:
        done = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
        assert done.exit_code == 0 and "Usage: " in done.stdout, (path, done.output)
        assert "<bool>" not in done.stdout, path


# --- colours --------------------------------------------------------------------------

SHARMA_PAIRS = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, -1.3802, -84.2814), (50.0, 0.0, -82.7485), 1.0),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (50.0, 0.0, -2.5), 4.3065),
    ((2.0776, 0.0795, -1.135), (0.9033, -0.0636, -0.5514), 0.9082),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
]
"""pairs from Sharma, Wu and Dalal's CIEDE2000 test data, with their ΔE00"""
MIN_PARTY_DIFFERENCE = 20.0
"""ΔE00 that any two parties with seats must differ by (about 1 is just noticeable)"""


@pytest.mark.parametrize(("first", "second", "expected"), SHARMA_PAIRS)
def test_ciede2000_matches_the_published_test_data(
    first: tuple[float, float, float], second: tuple[float, float, float], expected: float
) -> None:
    assert round(delta_e(first, second), 4) == expected
    assert round(delta_e(second, first), 4) == expected


def test_parties_with_seats_have_distinct_colours(demo: str) -> None:
    engine = open_store(demo)
    palette = views.colours(parties(engine, "nz-2020"))
    for stage in (Stage.PRELIMINARY, Stage.OFFICIAL):
        won = [p for p, n in tally(engine, "nz-2020", stage).seats().seats().items() if n]
        pairs = [(a, b, difference(palette[a], palette[b])) for a, b in combinations(won, 2)]
        closest = min(pairs, key=lambda pair: pair[2])
        print(f"{stage}: closest colours {closest[0]} / {closest[1]}: ΔE00 {closest[2]:.1f}")
        assert closest[2] >= MIN_PARTY_DIFFERENCE, closest


def test_hemicycle_in_political_order(client: TestClient) -> None:
    page = client.get("/elections/nz-2020/official/").text
    seated = re.findall(r'<g fill="[^"]+"><title>([^:<]+): \d+</title>', page)
    assert seated == ["Green Party", "Labour Party", "Māori Party", "National Party",
                      "ACT New Zealand"]  # fmt: skip


def test_alike_colours_are_told_apart() -> None:
    svg = bars_svg([Bar("NZ First", 2.6, "#000000"), Bar("Māori", 1.2, "#181415")], title="t")
    assert 'fill="#000000"' in svg and 'fill="url(#alike-181415)"' in svg


def test_map_classes_tell_45_from_52_percent() -> None:
    assert difference(diverging_colour(45.0), diverging_colour(52.0)) >= 20
    assert diverging_colour(49.9) != diverging_colour(50.0)


def test_voting_places_table_where_there_are_voting_places(
    tmp_path: Path, shared_data: Path
) -> None:
    url = f"sqlite:///{tmp_path}/places.db"
    one = shared_data / "nz" / "official" / "2020" / "candidate-votes-by-voting-place-8.csv"
    assert runner.invoke(app, ["import", "nz-official", str(one), "--db", url]).exit_code == 0
    places = TestClient(create_app(open_store(url))).get(
        "/api/v1/elections/nz-2020/official/tables/voting-places.csv"
    )
    assert places.status_code == 200 and "Dunedin" in places.text


# --- the hex map ----------------------------------------------------------------------

SIDES = [(2, 0), (1, 1), (1, -1)]
"""the grid steps to three of a hexagon's six neighbours (the other three are opposite)"""


def located_voting_places(shared_data: Path) -> tuple[np.ndarray, np.ndarray]:
    """Where 2020's general-electorate voting places are (km east, km north) and whose
    electorate each is: the official files' places found by name and address in
    history/voting-place-locations.csv, names that appear there once only."""
    seen: dict[str, list[tuple[float, float]]] = {}
    locations = shared_data / "nz" / "history" / "voting-place-locations.csv"
    with locations.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            key = placenames.fold(row["last_used_name"])
            seen.setdefault(key, []).append((float(row["latitude"]), float(row["longitude"])))
    where = {key: found[0] for key, found in seen.items() if len(found) == 1}
    points, owners = [], []
    for number in range(1, 66):
        path = shared_data / "nz/official/2020" / f"candidate-votes-by-voting-place-{number}.csv"
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in list(csv.reader(handle))[3:]:
                if len(row) > 2 and (key := placenames.fold(row[1])) in where:
                    lat, lon = np.radians(where[key])
                    points.append((6371 * np.cos(lat) * lon, 6371 * lat))
                    owners.append(number)
    return np.array(points), np.array(owners)


def geographic_neighbours(shared_data: Path) -> set[tuple[int, int]]:
    """Pairs of general electorates that border each other, as the voting places show it:
    two electorates are neighbours when at least two of one's voting places have one of
    the other's among their three nearest voting places of other electorates. Places at
    the same distance as the third nearest all count (buildings used by two electorates
    share their coordinates), so the answer does not hang on how a sort breaks ties."""
    points, owners = located_voting_places(shared_data)
    apart = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))
    apart[owners[:, None] == owners[None, :]] = np.inf
    third = np.sort(apart, axis=1)[:, 2:3]
    votes: dict[tuple[int, int], int] = {}
    for i, nearest in enumerate(apart <= third):
        for j in np.flatnonzero(nearest):
            pair = tuple(sorted((int(owners[i]), int(owners[j]))))
            votes[pair] = votes.get(pair, 0) + 1
    return {pair for pair, n in votes.items() if n >= 2}


def test_every_hexagon_sits_beside_geographic_neighbours(demo: str, shared_data: Path) -> None:
    rows = tally(open_store(demo), "nz-2020", Stage.OFFICIAL).electorates
    cell = {
        n: ((r.hex_u - 1000417) // 34000, round((r.hex_v - 5023005.9) / (34000 * 3**0.5)))
        for n, r in rows.items()
        if r.roll == "general"
    }
    assert len(set(cell.values())) == len(cell) == 65  # one hexagon each, none on another
    at = {c: n for n, c in cell.items()}
    beside = {
        tuple(sorted((n, at[(u + du, v + dv)])))
        for n, (u, v) in cell.items()
        for du, dv in SIDES
        if (u + du, v + dv) in at
    }
    neighbours = geographic_neighbours(shared_data)
    wrong = sorted((rows[a].name, rows[b].name) for a, b in beside - neighbours)
    assert wrong == [], wrong
    alone = [rows[n].name for n in cell if not any(n in pair for pair in beside)]
    assert alone == []
    print(f"{len(beside)} hexagon sides, each between geographic neighbours")
