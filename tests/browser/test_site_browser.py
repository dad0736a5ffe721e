"""The results website in headless Chromium (Debian's), served by `tallyroom serve`.

Every page type loads without console errors; the overview shows the published seats and
referendum results; a return stored while a page is open appears on it without a reload;
tables sort from the keyboard; pages fit a phone; hostile names never run; the static
export works from a plain file server. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tallyroom.datasets import load_bundled
from tallyroom.model import Stage
from tallyroom.store.database import open_store
from tests.support.data import REPO
from tests.support.servers import (
    SCRIPT,
    TALLYROOM,
    free_port,
    hostile_store,
    nz2020_returns,
    nz2020_store,
    nz2023_night,
    serving,
    store_returns,
)

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
BASE = "/elections/nz-2020"
PAGE_TYPES = {
    "overview": f"{BASE}/official/",
    "overview-preliminary": f"{BASE}/preliminary/",
    "parties": f"{BASE}/official/parties/",
    "electorates": f"{BASE}/official/electorates/",
    "electorate": f"{BASE}/official/electorates/32/",
    "referendum": f"{BASE}/official/referendums/cannabis/",
    "comparison": f"{BASE}/compare/",
    "downloads": f"{BASE}/downloads/",
    "split-votes": f"{BASE}/split-votes/",
    "elections": "/",
    "api": "/api/v1/",
}
SCREENSHOTS = {"overview", "electorate", "referendum", "comparison"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: run tools/test.sh, which installs it")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def nz2020_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return nz2020_store(f"sqlite:///{tmp_path_factory.mktemp('site') / 'nz2020.db'}")


@pytest.fixture(scope="module")
def nz2020_site(nz2020_db: str) -> Iterator[str]:
    with serving("serve", "--db", nz2020_db) as base:
        yield base


def watched(browser: Browser, width: int = 1100) -> tuple[Page, list[str]]:
    """A new page that records console errors and uncaught exceptions."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_every_page_type_loads_cleanly(browser: Browser, nz2020_site: str, name: str) -> None:
    page, errors = watched(browser)
    response = page.goto(nz2020_site + PAGE_TYPES[name])
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")
    if name in SCREENSHOTS:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"site-{name}.png"), full_page=True)
    assert page.locator("h1").count() == 1
    page.close()
    assert errors == []


def test_overview_shows_the_published_results(browser: Browser, nz2020_site: str) -> None:
    page, errors = watched(browser)
    page.goto(nz2020_site + f"{BASE}/official/")
    headline = page.locator("#headline").inner_text()
    assert headline.startswith("House of 120: Labour Party 65, National Party 33, Green Party 10")
    cards = page.locator(".card").all_inner_texts()
    cannabis = next(c for c in cards if c.startswith("Cannabis"))
    assert "48.4 % Yes" in cannabis and "50.7 % No" in cannabis and "2,908,071" in cannabis
    page.get_by_role("link", name="Election night (preliminary)").click()
    expect(page.locator("#headline")).to_contain_text("Labour Party 64, National Party 35")
    assert page.url.endswith(f"{BASE}/preliminary/")
    assert page.locator("#progress").inner_text().startswith("72 of 72 electorates counted")
    assert page.locator("#seats-h ~ .grid svg circle").count() == 120
    page.close()
    assert errors == []


def test_tables_sort_from_the_keyboard(browser: Browser, nz2020_site: str) -> None:
    page, errors = watched(browser)
    page.goto(nz2020_site + f"{BASE}/official/electorates/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the results"
    header = page.get_by_role("button", name="Majority")
    header.focus()
    page.keyboard.press("Enter")
    ascending = page.locator("#electorates tbody tr td:nth-child(3)").all_inner_texts()
    page.keyboard.press("Enter")
    descending = page.locator("#electorates tbody tr td:nth-child(3)").all_inner_texts()
    numbers = [int(v.replace(",", "")) for v in ascending]
    assert numbers == sorted(numbers) and descending == ascending[::-1]
    assert page.locator("th[aria-sort=descending]").inner_text().startswith("Majority")
    page.close()
    assert errors == []


@pytest.mark.parametrize("name", ["overview", "electorates", "referendum", "comparison"])
def test_pages_fit_a_phone(browser: Browser, nz2020_site: str, name: str) -> None:
    page, errors = watched(browser, width=390)
    page.goto(nz2020_site + PAGE_TYPES[name])
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()
    assert errors == []


READING = {
    "overview": (f"{BASE}/official/", ["Seats"]),
    "electorate": (f"{BASE}/official/electorates/32/", ["Votes"]),
    "electorates": (f"{BASE}/official/electorates/", ["Winner", "Majority"]),
    "parties": (f"{BASE}/official/parties/", ["Seats"]),
    "referendum": (f"{BASE}/official/referendums/cannabis/", ["Yes % of all"]),
    "comparison": (f"{BASE}/compare/", ["Seats official"]),
}
"""page → (path, the key column headings that must be on screen without scrolling)"""
SMALLEST_TEXT = """() => Math.min(...[...document.querySelectorAll('svg text')].map(t =>
    parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))"""


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("name", READING)
def test_pages_read_well_at_phone_and_desktop_width(
    browser: Browser, nz2020_site: str, name: str, width: int
) -> None:
    """No sideways scrolling of the page, the key columns on screen, chart text of 12 px
    or more as rendered, the headline on the first screen, no console errors."""
    path, key_columns = READING[name]
    page, errors = watched(browser, width=width)
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 900})
    page.goto(nz2020_site + path)
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"read-{name}-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for heading in key_columns:
        box = page.locator("th", has_text=heading).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, heading
    if page.locator("svg text").count():
        smallest = page.evaluate(SMALLEST_TEXT)
        print(f"{name} at {width} px: smallest chart text {smallest:.1f} px")
        assert smallest >= 11.99
    first = "#headline" if page.locator("#headline").count() else "h1"
    headline = page.locator(first).bounding_box()
    assert (
        headline is not None and headline["y"] + headline["height"] <= page.viewport_size["height"]
    )
    nav = page.locator("nav.main").bounding_box()
    assert nav is not None and (width > 600 or nav["height"] < 40)  # one line on a phone
    page.close()
    assert errors == []


def test_a_new_return_appears_on_an_open_page(browser: Browser, tmp_path: Path) -> None:
    """Election night: 71 of 72 electorates are in; the last one arrives while we watch."""
    url = f"sqlite:///{tmp_path / 'night.db'}"
    last = "electorate:72"
    store_returns(url, nz2020_returns(lambda r: r.stage is Stage.PRELIMINARY and r.unit != last),
                  "first 71")  # fmt: skip
    with serving("serve", "--db", url) as base:
        page, errors = watched(browser)
        page.goto(base + f"{BASE}/preliminary/")
        expect(page.locator("#progress")).to_contain_text("71 of 72 electorates counted")
        before = page.locator("#headline").inner_text()
        assert before.startswith("As counted so far (71 of 72 electorates counted): House of ")
        page.evaluate("window.stillTheSamePage = true")
        page.wait_for_timeout(500)  # the event stream is open
        store_returns(url, nz2020_returns(lambda r: r.stage is Stage.PRELIMINARY and r.unit == last),
                      "the last one")  # fmt: skip
        stored = time.monotonic()
        expect(page.locator("#progress")).to_contain_text("72 of 72 electorates counted",
                                                          timeout=2000)  # fmt: skip
        shown = time.monotonic() - stored
        expect(page.locator("#headline")).to_contain_text("Labour Party 64, National Party 35")
        assert page.evaluate("window.stillTheSamePage") is True  # updated, not reloaded
        assert page.locator("#headline").inner_text().startswith("House of 120: Labour Party 64")
        page.close()
    print(f"new return shown {shown:.2f} s after the commit")
    assert errors == []


def test_hostile_names_never_run(browser: Browser, tmp_path: Path) -> None:
    url = hostile_store(f"sqlite:///{tmp_path / 'hostile.db'}")
    dialogs: list[str] = []
    with serving("serve", "--db", url) as base:
        page, errors = watched(browser)
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        for path in ["/elections/hostile/official/", "/elections/hostile/official/parties/",
                     "/elections/hostile/official/electorates/",
                     "/elections/hostile/official/electorates/1/"]:  # fmt: skip
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
        expect(page.get_by_text(SCRIPT).first).to_be_visible()
        page.close()
    assert dialogs == [] and errors == []


def test_static_export_works_from_a_file_server(browser: Browser, nz2020_db: str,
                                                nz2020_site: str, tmp_path: Path) -> None:  # fmt: skip
    out = tmp_path / "site"
    done = subprocess.run([TALLYROOM, "export-site", "nz-2020", str(out), "--db", nz2020_db],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert "files written" in done.stdout
    served = httpx.get(nz2020_site + "/api/v1/elections/nz-2020/official/summary.json").content
    assert (out / "api/v1/elections/nz-2020/official/summary.json").read_bytes() == served
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "-d", str(out),
                               "--bind", "127.0.0.1"], stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        page, errors = watched(browser)
        page.goto(base + "/elections/nz-2020/")
        expect(page.locator("#headline")).to_contain_text("Labour Party 65, National Party 33")
        # the status line is read from the stage's progress document, not written in
        expect(page.locator("#progress")).to_have_text("72 of 72 electorates counted (official)")
        page.get_by_role("link", name="Electorates").first.click()
        page.get_by_role("link", name="Northland").click()
        expect(page.locator("h1")).to_contain_text("Northland")
        expect(page.locator("#progress")).to_have_text("72 of 72 electorates counted (official)")
        assert errors == []
        # a JSON document: Chromium asks the file server for /favicon.ico, which is not ours
        page.get_by_role("link", name="JSON").first.click()
        assert json.loads(page.locator("body").inner_text())["name"] == "Northland"
        page.close()
    finally:
        server.terminate()
        server.wait()


@pytest.fixture(scope="module")
def nz2023_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Both bundled elections, served."""
    url = f"sqlite:///{tmp_path_factory.mktemp('site2023') / 'nz.db'}"
    for name in ("nz-2020", "nz-2023"):
        load_bundled(open_store(url), name)
    with serving("serve", "--db", url) as base:
        yield base


def test_2023_overview_party_page_and_port_waikato(browser: Browser, nz2023_site: str) -> None:
    """The 2023 official count: the declared seats, list MPs named on the party page, and
    Port Waikato saying why it has no candidate result."""
    page, errors = watched(browser)
    page.goto(nz2023_site + "/")
    page.get_by_role("link", name="New Zealand general election 2023").click()
    expect(page.locator("#headline")).to_have_text(
        "House of 123: National Party 48, Labour Party 34, Green Party 15, ACT New Zealand 11, "
        "New Zealand First Party 8, Te Pāti Māori 6."
    )
    assert page.url.endswith("/elections/nz-2023/official/")
    assert page.locator("#seats-h ~ .grid svg circle").count() == 122
    expect(page.locator(".lede").first).to_contain_text("Overhang: 2 seat(s).")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-2023-overview.png"), full_page=True)
    page.get_by_role("link", name="Parties", exact=True).click()
    national = page.locator("ol.mps").first
    expect(national.locator("li").first).to_have_text("Nicola Willis")
    expect(national.locator("li")).to_have_count(5)
    expect(page.locator("body")).to_contain_text("Winston Peters")
    page.get_by_role("link", name="Electorates", exact=True).click()
    page.get_by_role("link", name="Port Waikato").click()
    expect(page.locator("h1")).to_contain_text("Port Waikato")
    expect(page.locator("#headline")).to_contain_text(
        "The candidate poll was cancelled, so no candidate votes were counted"
    )
    page.screenshot(path=str(ARTIFACTS / "site-2023-port-waikato.png"), full_page=True)
    page.get_by_role("link", name="Ordinary vs official").click()
    expect(page.locator("h1")).to_have_text(
        "Ordinary votes only (official count) against the official count"
    )
    page.get_by_role("link", name="Since 2020").click()
    expect(page.locator("#since-changed caption")).to_have_text(
        "30 electorates won by another party in 2023"
    )
    page.close()
    assert errors == []


def test_2023_split_votes_nationally_and_in_an_electorate(
    browser: Browser, nz2023_site: str
) -> None:
    """The split-vote page: the straight-ticket chart and table, a heat map per national
    table; an electorate page's table candidate by candidate; Port Waikato's says why it
    is empty."""
    page, errors = watched(browser)
    page.goto(nz2023_site + "/elections/nz-2023/official/")
    page.get_by_role("link", name="Split votes", exact=True).click()
    expect(page.locator("h1")).to_have_text("Split votes")
    national = page.locator("#split-summary tbody tr", has_text="National Party")
    expect(national.locator("td").nth(2)).to_have_text("914,690")
    expect(page.locator("figure.wide svg")).to_have_count(3)
    cell = page.locator("figure.wide svg").first.locator("title", has_text="National → National")
    expect(cell).to_have_text("National → National: 84.24 %")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-2023-split-votes.png"), full_page=True)
    page.get_by_role("link", name="Auckland Central", exact=True).click()
    expect(page.locator("#split-h")).to_have_text("Split votes in Auckland Central")
    green = page.locator("#split-electorate-1 tbody tr", has_text="Green Party").first
    expect(green).to_contain_text("95.2")
    expect(page.locator("#split-electorate-1 thead")).to_contain_text("Chlöe Charlotte Swarbrick")
    page.goto(nz2023_site + "/elections/nz-2023/official/electorates/39/")
    expect(page.locator("#split-h ~ p").first).to_contain_text("candidate poll was cancelled")
    page.close()
    assert errors == []


@pytest.fixture(scope="module")
def de2025_site(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[str]:
    """The 2025 Bundestag election imported from the returning officer's file, served."""
    url = f"sqlite:///{tmp_path_factory.mktemp('de2025') / 'de.db'}"
    path = shared_data / "de" / "bundestag" / "2025-gesamtergebnis.xml"
    subprocess.run([TALLYROOM, "import", "de-bundeswahl", str(path), "--election", "de-2025",
                    "--db", url], check=True, capture_output=True)  # fmt: skip
    with serving("serve", "--db", url) as base:
        yield base


def test_2025_bundestag_overview_and_a_wahlkreis(browser: Browser, de2025_site: str) -> None:
    """The declared House of 630 with seats by Land, Zweitstimmen by Land and the
    Wahlkreis winners left without a seat; a Wahlkreis page in the law's own words."""
    page, errors = watched(browser)
    page.goto(de2025_site + "/")
    page.get_by_role("link", name="Bundestag 2025").click()
    expect(page.locator("#headline")).to_have_text(
        "House of 630: CDU 164, AfD 152, SPD 120, GRÜNE 85, Die Linke 64, CSU 44, SSW 1."
    )
    assert page.locator("#seats-h ~ .grid svg circle").count() == 630
    expect(page.locator("#seats-by-region tbody tr")).to_have_count(16)
    bavaria = page.locator("#seats-by-region tbody tr", has_text="Bayern")
    expect(bavaria).to_contain_text("44 (44)")  # the CSU's 44 seats, all Wahlkreise
    unseated = json.loads(page.request.get(
        de2025_site + "/api/v1/elections/de-2025/official/seats.json").text())["unseated"]  # fmt: skip
    expect(page.locator("#unseated tbody tr")).to_have_count(len(unseated))
    expect(page.locator("main")).not_to_contain_text("Māori")
    expect(page.locator("main")).not_to_contain_text("referendum")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-de-2025-overview.png"), full_page=True)
    page.get_by_role("link", name="Parties", exact=True).click()
    expect(page.locator(".lede")).to_contain_text("three Wahlkreis wins")
    expect(page.locator("h4").first).to_contain_text("Wahlkreis members")
    page.get_by_role("link", name="Wahlkreise", exact=True).click()
    expect(page.locator("h1")).to_have_text("Wahlkreise: Official count")
    expect(page.locator("#electorates thead")).not_to_contain_text("Roll")
    first = unseated[0]["district"]
    number, name = first.split(" ", 1)
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.locator("h1")).to_contain_text(f"{name} Wahlkreis {number}")
    expect(page.locator("#cand-h")).to_have_text("Erststimme")
    expect(page.locator("#party-h")).to_have_text(f"Zweitstimme in {name}")
    expect(page.locator("#unseated")).to_contain_text("The winner is not seated")
    page.screenshot(path=str(ARTIFACTS / "site-de-2025-wahlkreis.png"), full_page=True)
    page.close()
    assert errors == []


def test_demo_command_loads_once_and_serves(tmp_path: Path) -> None:
    """The README's demo: `tallyroom demo` loads the bundled elections and serves them,
    the newest first on the home page; run again, it reuses the store."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    for _ in range(2):
        with serving("demo", "--db", url) as base:
            page = httpx.get(base + "/elections/nz-2020/", follow_redirects=True)
            assert page.status_code == 200 and str(page.url).endswith(
                "/elections/nz-2020/official/"
            )
            assert "House of 120:" in page.text and "Labour Party <strong>65</strong>" in page.text
            elections = httpx.get(base + "/api/v1/elections.json").json()
            assert [e["id"] for e in elections] == ["nz-2020", "nz-2023"]
            assert [e["stages"] for e in elections] == [["preliminary", "official"], ["official"]]
            home = httpx.get(base + "/").text
            assert home.index("general election 2023") < home.index("general election 2020")


def test_the_projection_panel_follows_election_night(
    browser: Browser, tmp_path: Path, shared_data: Path
) -> None:
    """2023's election night at half of every electorate's voting places, then all."""
    url = f"sqlite:///{tmp_path / 'night2023.db'}"
    store_returns(url, nz2023_night(shared_data, 0), "first half")
    with serving("serve", "--db", url) as base:
        page, errors = watched(browser)
        page.goto(base + "/elections/nz-2023/preliminary/")
        panel = page.locator("#projection")
        expect(panel.locator("h2")).to_have_text("Projected final count")
        expect(panel.locator("svg")).to_have_count(1)
        expect(panel).to_contain_text("How the projection works")
        before = page.locator("#projection-headline").inner_text()
        assert before.startswith("Once the ") and "National Party" in before
        page.evaluate("window.stillTheSamePage = true")
        page.wait_for_timeout(500)  # the event stream is open
        store_returns(url, nz2023_night(shared_data, 1), "second half")
        expect(page.locator("#projection-headline")).not_to_have_text(before, timeout=30_000)
        assert page.evaluate("window.stillTheSamePage") is True
        page.locator("#projection a").click()
        expect(page.locator("#track-record")).to_be_visible()
        page.close()
    assert errors == []
