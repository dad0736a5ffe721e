"""Two independent implementations of the Bundestag law, fed the figures tallyroom reads.

* votelib (PyPI ``votelib``) composes the 2013 law (used in 2013 and 2017) from its own
  parts: plurality per Wahlkreis, Land contingents by population, levelling of overhang
  by Land (``LevelOverhangByConstituency``, documented as the Bundestag's system) and
  each party's seats split among its Land lists by Sainte-Laguë from its district seats.
* interregnum (PyPI ``interregnum``) ships a preset for the 2025 Bundestag
  (``tests/examples/de/de_bundestag_2025.yaml`` inside the package). Its federal
  allocation, Land split, levelling and surplus-winner steps are used as published; its
  vote tables are replaced by the votes tallyroom read from the returning officer's
  file, and each Wahlkreis's winner is chosen by interregnum's ``winner_takes_all``
  instead of being given as an input seat, as the preset's own table does.

Both get the votes from a :class:`~tallyroom.importers.de_bundeswahl.Bundeswahl`, so a
test compares the law's implementations, not two readings of the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from tallyroom.importers.de_bundeswahl import OTHERS, Bundeswahl

LIST_PREFIX = "Landesliste - "


def _wahlkreis_key(number: int, name: str) -> str:
    return f"{number} {name}"


# --- votelib: the 2013 law -------------------------------------------------------------


def votelib_2013(election: Bundeswahl, population: dict[str, int]) -> dict[str, dict[str, int]]:
    """Seats per Land and party by votelib's parts, for the 2013 law."""
    import votelib.convert as convert
    import votelib.evaluate.core as core
    import votelib.evaluate.proportional as proportional
    import votelib.evaluate.threshold as threshold

    first: dict[str, dict[str, dict[str, int]]] = {}
    second: dict[str, dict[str, dict[str, int]]] = {}
    for wk in election.wahlkreise:
        land = election.laender[wk.land or 0].name
        key = _wahlkreis_key(wk.number, wk.name)
        first.setdefault(land, {})[key] = {p: n for p, n in wk.first.items() if p != OTHERS}
        second.setdefault(land, {})[key] = {p: n for p, n in wk.second.items() if p != OTHERS}

    sainte_lague = proportional.HighestAverages("sainte_lague")
    contingents = sainte_lague.evaluate(population, 598)
    five_percent = threshold.RelativeThreshold(Decimal("0.05"))
    winners = core.ByConstituency(
        core.PostConverted(
            core.ByConstituency(
                core.PostConverted(core.Plurality(), convert.SelectionToDistribution()),
                apportioner=1,
            ),
            convert.MergedDistributions(),
        )
    )
    by_land = core.ByConstituency(sainte_lague, apportioner=contingents, preselector=five_percent)
    national = core.Conditioned(
        threshold.AlternativeThresholds(
            [five_percent, threshold.PreviousGainThreshold(threshold.AbsoluteThreshold(3))]
        ),
        sainte_lague,
    )
    system = core.FixedSeatCount(
        core.MultistageDistributor(
            [
                winners,
                core.PreConverted(
                    convert.ByConstituency(convert.VoteTotals()),
                    core.AdjustedSeatCount(
                        calculator=core.LevelOverhangByConstituency(
                            constituency_evaluator=by_land, overall_evaluator=national
                        ),
                        evaluator=core.ByParty(overall_evaluator=national, allocator=sainte_lague),
                    ),
                ),
            ],
            depth=2,
        ),
        598,
    )
    result: dict[str, dict[str, int]] = system.evaluate([first, second])
    return {land: {p: n for p, n in seats.items() if n} for land, seats in result.items()}


# --- interregnum: the 2025 preset ------------------------------------------------------


@dataclass(frozen=True)
class InterregnumResult:
    """What interregnum's 2025 preset decides."""

    seats: dict[str, int]
    by_land: dict[tuple[str, str], int]
    unseated: frozenset[str]


def interregnum_preset_2025() -> dict[str, Any]:
    """The Bundestag 2025 preset as interregnum ships it."""
    import interregnum

    path = Path(interregnum.__file__).parent / "tests/examples/de/de_bundestag_2025.yaml"
    preset: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return preset


def interregnum_problem(
    election: Bundeswahl, minorities: tuple[str, ...], preset: dict[str, Any]
) -> dict[str, Any]:
    """The preset with its vote tables replaced by ``election``'s votes, inline."""
    lists = []
    laender = []
    for number, land in election.laender.items():
        listing = LIST_PREFIX + land.name
        lists.append(
            {
                "name": listing,
                "candidates": [
                    {"name": p, "district": listing, "votes": n}
                    for p, n in land.second.items()
                    if p != OTHERS and n
                ],
            }
        )
        wahlkreise = []
        for wk in election.wahlkreise:
            if wk.land != number:
                continue
            key = _wahlkreis_key(wk.number, wk.name)
            candidates = []
            for p, n in wk.first.items():
                if p == OTHERS or not n:
                    continue
                candidate: dict[str, Any] = {"name": p, "district": key, "votes": n}
                if p in minorities:
                    candidate["group"] = "minority"
                candidates.append(candidate)
            wahlkreise.append(
                {
                    "name": key,
                    "groups": ["mandates"],
                    "candidates": candidates,
                }
            )
        laender.append(
            {
                "name": land.name,
                "type": "group",
                "aggregate": True,
                "groupby": "id",
                "divisions": wahlkreise,
            }
        )
    divisions = []
    for division in preset["divisions"]:
        division = dict(division)
        division.pop("meta", None)
        if division["name"] == "Zweistimme":
            division.pop("fill_candidates")
            division["divisions"] = lists
        elif division["name"] == "Länder":
            division.pop("fill_candidates")
            division["method"] = "winner_takes_all"
            division["divisions"] = laender
        divisions.append(division)
    return {**preset, "divisions": divisions}


def interregnum_runner(problem: dict[str, Any]) -> Callable[[], InterregnumResult]:
    """A function that builds and runs ``problem`` from scratch each time it is called."""
    from interregnum.district import unserialize_node

    def run() -> InterregnumResult:
        root = unserialize_node(problem, cwd=None)
        root.build()()
        federal = root.find_district("Oberverteilung").result.allocation
        split = root.find_district("Unterverteilung").result.allocation
        surplus = root.find_district("mandates surplus").result.allocation
        return InterregnumResult(
            seats={c.name.name: c.seats for c in federal if c.seats},
            by_land={(c.name.name, c.name.district): c.seats for c in split if c.seats},
            unseated=frozenset(c.name.district for c in surplus if c.seats and c.seats < 0),
        )

    return run
