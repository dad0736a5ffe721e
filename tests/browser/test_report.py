"""The HTML report, opened in headless Chromium (Debian's) as a reader would see it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.support.data import REPO

TALLYROOM = str(Path(sys.executable).with_name("tallyroom"))
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip


def test_report_in_chromium(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: run tools/test.sh, which installs it")
    url = f"sqlite:///{tmp_path / 'nz2020.db'}"
    subprocess.run([TALLYROOM, "load", "nz-2020", "--db", url], check=True, capture_output=True)
    out = tmp_path / "report"
    subprocess.run([TALLYROOM, "report", "nz-2020", "--db", url, "--out", str(out)],
                   check=True, capture_output=True)  # fmt: skip
    assert sorted(p.name for p in (out / "charts").iterdir()) == [
        "cannabis-map.svg", "cannabis-scatter.svg", "end-of-life-choice-map.svg",
        "end-of-life-choice-scatter.svg", "seats.svg"]  # fmt: skip
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        errors: list[str] = []
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((out / "index.html").as_uri())
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        headline = page.locator("#headline").inner_text()
        cannabis = page.locator("#referendum-cannabis").inner_text()
        comparison = page.locator("#comparison").inner_text()
        seat_dots = page.locator("#summary svg circle").count()
        hexes = page.locator("#referendum-cannabis svg polygon").count()
        browser.close()
    assert errors == []
    assert headline.startswith("House of 120: Labour Party 65, National Party 33, Green Party 10")
    assert "Yes 48.4 %, No 50.7 %, informal 0.9 % of 2,908,071 votes. Result: No." in cannabis
    assert "Yes had a majority in 14 of 65 general electorates." in cannabis
    assert "Northland changed hands" in comparison
    assert seat_dots == 120 and hexes == 65
