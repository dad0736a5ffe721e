"""A Bundestag election from the returning officer's file, as a dataset for the store.

``tallyroom import de-bundeswahl FILE --election de-2025 [--population FILE]`` reads a
gesamtergebnis XML or kerg CSV (:mod:`tallyroom.importers.de_bundeswahl`, reconciled
against its own Land and Bund rows) into:

* the 16 Länder as regions, with their German population where a ``strukturdaten``
  table is given (the 2013 and 2020 laws give the Länder seat contingents by it, so for
  elections under them the table is required);
* the 299 Wahlkreise as electorates in their Land, each one reporting unit;
* the second votes (Zweitstimmen) as the party contest and each Wahlkreis's first votes
  (Erststimmen) as its candidate contest, whose choices are the parties (an independent
  candidate by name, with no party; the kerg files' ``Übrige`` as it stands), with the
  invalid votes as informal.

The election's rule set is the law it was held under: ``de-2013`` for 2013 and 2017,
``de-2020`` for 2021 (its repeat vote of 2024 included), ``de-2023`` from 2025.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from tallyroom.importers import de_bundeswahl
from tallyroom.importers.de_bundeswahl import INDEPENDENT_PREFIX, Bundeswahl
from tallyroom.importers.errors import FileFormatError
from tallyroom.importers.options import ReadOptions
from tallyroom.model import (
    PARTY_CONTEST,
    Choice,
    Contest,
    ContestKind,
    CountType,
    Dataset,
    Election,
    Electorate,
    Party,
    Region,
    Return,
    Stage,
    Unit,
    UnitKind,
    candidate_contest,
    electorate_unit,
)

LAWS = ((2025, "de-2023"), (2021, "de-2020"), (2013, "de-2013"))
"""(first election held under it, rule set), newest first"""
_CONTINGENT_LAWS = {"de-2013", "de-2020"}


def law_of(date: str, source: str) -> str:
    """The rule set of the law a Bundestag election held on ``date`` was held under."""
    year = int(date[:4]) if date[:4].isdigit() else 0
    for first, rules in LAWS:
        if year >= first:
            return rules
    raise FileFormatError(
        f"{source}: polling day {date or 'not stated'}; tallyroom has the Bundestag law "
        "from 2013 on (de-2013, de-2020, de-2023)"
    )


def read(paths: Sequence[Path], options: ReadOptions) -> list[Dataset]:
    """One file, one election: ``options.election`` names it."""
    if len(paths) != 1:
        raise FileFormatError("de-bundeswahl reads one gesamtergebnis XML or kerg CSV file")
    if not options.election:
        raise FileFormatError(f"{paths[0]}: give the election id with --election, e.g. de-2025")
    election = de_bundeswahl.read(paths[0])
    rules = law_of(election.date, election.source)
    population = None
    if options.population is not None:
        population = de_bundeswahl.read_population(options.population)
    elif rules in _CONTINGENT_LAWS:
        raise FileFormatError(
            f"{election.source}: an election under {rules} gives the Länder seat "
            "contingents by population; give --population (a strukturdaten table)"
        )
    return [dataset(election, options.election, population, options.stage or Stage.OFFICIAL)]


def dataset(
    election: Bundeswahl, election_id: str, population: dict[str, int] | None, stage: Stage
) -> Dataset:
    """``election`` as definitions and one return per contest and Wahlkreis."""
    laender = election.laender
    if population is not None:
        missing = sorted(land.name for land in laender.values() if land.name not in population)
        if missing:
            raise FileFormatError(f"the population table gives no figure for {', '.join(missing)}")
    lists = set(election.bund.second)
    year = election.date[:4]
    out = Dataset(
        Election(
            election_id,
            f"Bundestag {year}".strip(),
            election.date,
            law_of(election.date, election.source),
        ),
        regions=[
            Region(land.name, number, population[land.name] if population else None)
            for number, land in laender.items()
        ],
        parties=[_styled(name) for name in election.bund.second],
        contests=[Contest(PARTY_CONTEST, ContestKind.PARTY, "Zweitstimmen")],
        choices=[Choice(PARTY_CONTEST, name, name) for name in election.bund.second],
    )
    for wk in election.wahlkreise:
        unit = electorate_unit(wk.number)
        contest = candidate_contest(wk.number)
        where = f"{election.source}, line {wk.line}"
        unknown = sorted(set(wk.second) - lists)
        if unknown:
            raise FileFormatError(
                f"{where}: Wahlkreis {wk.number} has second votes for {', '.join(unknown)}, "
                "which the Bund row does not list"
            )
        out.electorates.append(Electorate(wk.number, wk.name, region=laender[wk.land or 0].name))
        out.units.append(Unit(unit, UnitKind.ELECTORATE, wk.name, wk.number))
        out.contests.append(
            Contest(contest, ContestKind.CANDIDATE, f"Erststimmen {wk.name}", wk.number)
        )
        first: dict[str, int] = {}
        for name, votes in wk.first.items():
            choice = name.removeprefix(INDEPENDENT_PREFIX)
            party = name if name in lists else ""
            out.choices.append(Choice(contest, choice, party))
            first[choice] = votes
        out.returns.append(
            Return(
                PARTY_CONTEST, unit, stage, CountType.ALL, dict(wk.second), wk.invalid_second, where
            )
        )
        out.returns.append(
            Return(contest, unit, stage, CountType.ALL, first, wk.invalid_first, where)
        )
    return out


PARTY_STYLE = Path(__file__).resolve().parent.parent / "datasets" / "de_parties.csv"
"""the parties' colours as commonly drawn and where the Bundestag seats them (left to
right), for the charts; a party not listed is drawn grey, placed by size"""


@cache
def _styles() -> dict[str, dict[str, str]]:
    with PARTY_STYLE.open(encoding="utf-8", newline="") as handle:
        return {r["name"]: r for r in csv.DictReader(handle)}


def _styled(name: str) -> Party:
    style = _styles()
    if name not in style:
        return Party(name)
    found = style[name]
    return Party(name, found["short_name"], found["colour"], float(found["position"]))
