"""The bundled 2020 dataset: derived by the committed script, loaded as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tallyroom.datasets import bundled_path
from tallyroom.datasets.build_nz2020 import build
from tallyroom.importers import tidy
from tallyroom.model import Stage
from tallyroom.results import tally
from tallyroom.rules.referendum import decide_referendum
from tallyroom.store.database import open_store

TALLYROOM = str(Path(sys.executable).with_name("tallyroom"))


def test_committed_dataset_equals_a_fresh_derivation(shared_data: Path, tmp_path: Path) -> None:
    tidy.write(build(shared_data), tmp_path)
    bundled = bundled_path("nz-2020")
    for path in sorted(tmp_path.iterdir()):
        assert path.read_bytes() == (bundled / path.name).read_bytes(), path.name


def test_load_gives_the_published_2020_results(store_url: str) -> None:
    done = subprocess.run([TALLYROOM, "load", "nz-2020", "--db", store_url],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    engine = open_store(store_url)
    final = tally(engine, "nz-2020", Stage.OFFICIAL)
    assert final.seats().seats() == {"Labour Party": 65, "National Party": 33, "Green Party": 10,
                                     "ACT New Zealand": 10, "Māori Party": 2}  # fmt: skip
    assert sum(final.party_votes().values()) == 2_886_420  # official 'Total Valid Party Votes'
    assert sum(c.valid for c in final.candidates.values()) == 2_824_198
    cannabis = final.referendums["referendum:cannabis"]
    outcome = decide_referendum(cannabis.counts, cannabis.informal)
    assert (outcome.total, outcome.percent("Yes"), outcome.percent("No")) == (2_908_071, 48.4, 50.7)
    night = tally(engine, "nz-2020", Stage.PRELIMINARY)
    assert night.seats().seats()["National Party"] == 35
    northland = next(n for n, e in night.electorates.items() if e.name == "Northland")
    assert night.outcomes()[northland].winner == "KING, Ronald Matthew"  # official full name
    assert final.outcomes()[northland].winner == "PRIME, Willow-Jean"
    again = subprocess.run([TALLYROOM, "load", "nz-2020", "--db", store_url],
                           capture_output=True, text=True)  # fmt: skip
    assert "already loaded" in again.stdout


def test_results_json_through_the_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    subprocess.run([TALLYROOM, "load", "nz-2020", "--db", url], check=True, capture_output=True)
    data = json.loads(subprocess.run([TALLYROOM, "results", "nz-2020", "--db", url, "--json"],
                                     capture_output=True, text=True, check=True).stdout)  # fmt: skip
    labour = next(p for p in data["party_votes"] if p["party"] == "Labour Party")
    assert (labour["votes"], labour["percent"]) == (1_443_545, 50.01)
    assert len(data["electorates"]) == 72
    cannabis = next(r for r in data["referendums"] if r["contest"] == "referendum:cannabis")
    assert cannabis["percent_of_total"] == {"Yes": 48.4, "No": 50.7, "informal": 0.9}
    end_of_life = next(
        r for r in data["referendums"] if r["contest"] == "referendum:end-of-life-choice"
    )
    assert (end_of_life["percent_of_total"]["Yes"], end_of_life["result"]) == (65.1, "Yes")
    electorate = json.loads(subprocess.run(
        [TALLYROOM, "electorate", "nz-2020", "Wellington Central", "--db", url, "--json"],
        capture_output=True, text=True, check=True).stdout)  # fmt: skip
    assert electorate["winner"] == "ROBERTSON, Grant Murray"
    assert electorate["number"] == 60  # electorates.csv: 60,WEL,Wellington Central
