"""tallyroom's Bundestag seats against two independent implementations on the same votes.

votelib decides 2013 and 2017 under the 2013 law (levelling by Land); interregnum's own
2025 preset decides 2025 (the federal allocation, the split among Land lists and the
constituency winners left without a seat). votelib has no preset for the 2020 law's
three uncompensated overhang seats, nor interregnum one for 2013–2021, so 2021 is
checked against the declared Houses only (test_de_bundestag.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tallyroom.importers.de_bundeswahl import read, read_population
from tallyroom.rules.regional import RegionalResult, run_pipeline
from tallyroom.rules.steps import Qualify, pipeline_named
from tests.support.de_oracles import (
    interregnum_preset_2025,
    interregnum_problem,
    interregnum_runner,
    votelib_2013,
)


def by_land(result: RegionalResult) -> dict[tuple[str, str], int]:
    return {(p.party, land): n for p in result.parties for land, n in p.by_region.items() if n}


@pytest.mark.parametrize("year", [2013, 2017])
def test_votelib_levels_2013_and_2017_as_tallyroom_does(shared_data: Path, year: int) -> None:
    folder = shared_data / "de" / "bundestag"
    election = read(folder / f"{year}-kerg.csv")
    population = read_population(folder / f"{year}-strukturdaten.csv")
    ours = run_pipeline(
        pipeline_named("de-2013"), election.regions(population), election.districts()
    )
    theirs = votelib_2013(election, population)
    assert {(p, land): n for land, seats in theirs.items() for p, n in seats.items()} == by_land(
        ours
    )
    assert (
        sum(sum(s.values()) for s in theirs.values())
        == ours.house_size
        == {
            2013: 631,
            2017: 709,
        }[year]
    )


def test_interregnum_2025_preset_agrees_with_de_2023(shared_data: Path) -> None:
    election = read(shared_data / "de" / "bundestag" / "2025-gesamtergebnis.xml")
    pipeline = pipeline_named("de-2023")
    ours = run_pipeline(pipeline, election.regions(), election.districts())
    minorities = pipeline.step(Qualify).exempt
    theirs = interregnum_runner(
        interregnum_problem(election, minorities, interregnum_preset_2025())
    )()
    assert theirs.seats == ours.seats()
    assert theirs.by_land == by_land(ours)
    assert theirs.unseated == {d.name for d in ours.unseated}
    assert len(theirs.unseated) == 23 and sum(theirs.seats.values()) == 630
