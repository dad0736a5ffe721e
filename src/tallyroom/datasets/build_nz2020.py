"""Derive the bundled New Zealand 2020 dataset from the official files.

    python -m tallyroom.datasets.build_nz2020 [../shared/data] [--out DIR]

Reads, with tallyroom's own importers (so every total row is reconciled):

* preliminary (election night, ordinary votes): ``2020/electorate-results-preliminary.csv``;
* the split-vote tables: ``official/2020/split-votes-summary.csv``;
* official party votes per electorate: ``official/2020/votes-for-registered-parties-…``;
* official candidate votes: ``official/2020/candidate-votes-by-voting-place-N.csv``,
  summed per electorate into ordinary (advance, election-day, small places) and special;
* the referendums: ``2020/referendum-results-by-electorate.xlsx`` (areas and specials);
* electorate codes, regions and hexagon positions, and party colours: ``map/``, with
  the parties' short names, seating order and distinct colours from ``nz_parties.csv``.

Election-night candidate names are the shortened ones of the tidy file ("MELLOW, Emma");
they are mapped to the official full names by electorate and party. The tidy file omits
candidates standing as independents or for parties not on the party ballot, so their
election-night votes are missing from the preliminary stage of this dataset.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from tallyroom.datasets import bundled_path
from tallyroom.importers import nz_official, nz_referendum2020, nz_tidy2020, tidy
from tallyroom.importers.options import ReadOptions
from tallyroom.model import (
    NATION_UNIT,
    PARTY_CONTEST,
    Choice,
    CountType,
    Dataset,
    Electorate,
    Party,
    Return,
    Unit,
    UnitKind,
    electorate_unit,
)


def build(shared: Path) -> Dataset:
    """The bundled dataset, derived from the files under ``shared`` (``…/shared/data``)."""
    nz = shared / "nz"
    (night,) = nz_tidy2020.read([nz / "2020" / "electorate-results-preliminary.csv"], ReadOptions())
    (final,) = nz_official.read([nz / "official" / "2020"], ReadOptions())
    (votes,) = nz_referendum2020.read(
        [nz / "2020" / "referendum-results-by-electorate.xlsx"], ReadOptions()
    )
    data = Dataset(final.election)
    data.electorates = with_map(final.electorates, nz / "map" / "hex-electorates-2020.csv")
    data.parties = with_colours(final.parties, nz / "map" / "party-colours-2020.csv")
    data.contests = final.contests + votes.contests
    data.choices = final.choices + votes.choices
    data.units = (
        [Unit(NATION_UNIT, UnitKind.NATION, "New Zealand")]
        + [u for u in final.units if u.kind is UnitKind.ELECTORATE]
        + [u for u in votes.units if u.kind is not UnitKind.NATION]
    )

    official_name = {
        (c.contest, c.party): c.name
        for c in final.choices
        if c.contest != PARTY_CONTEST and c.party != "Independent"
    }
    for ret in night.returns:
        counts = ret.counts
        if ret.contest != PARTY_CONTEST:
            party_of = {c.name: c.party for c in night.choices if c.contest == ret.contest}
            counts = {
                official_name.get((ret.contest, party_of[name]), name): v
                for name, v in counts.items()
            }
            for name in counts:
                if (ret.contest, name) not in {(c.contest, c.name) for c in data.choices}:
                    data.choices.append(Choice(ret.contest, name, party_of.get(name, "")))
        data.returns.append(
            Return(
                ret.contest, ret.unit, ret.stage, ret.count_type, counts, ret.informal, ret.where
            )
        )

    official = final.all_returns()
    data.returns += [r for r in official if r.contest == PARTY_CONTEST]
    data.returns += ordinary_and_special(r for r in official if r.contest != PARTY_CONTEST)
    data.returns.extend(votes.returns)
    data.split_votes = final.split_votes
    return data


def ordinary_and_special(returns: Iterable[Return]) -> list[Return]:
    """``returns`` (by voting place and special-vote batch) summed per contest, electorate
    and stage into two returns, ordinary and special votes: the bundled datasets keep what
    the site and the special-vote analysis read, at a hundredth of the voting places' size."""
    summed: dict[tuple, dict] = defaultdict(lambda: {"counts": defaultdict(int), "informal": 0})
    for ret in returns:
        number = int(ret.unit.split(":")[1].split("/")[0])
        kind = CountType.SPECIAL if ret.count_type.is_special else CountType.ORDINARY
        entry = summed[ret.contest, electorate_unit(number), ret.stage, kind]
        for name, v in ret.counts.items():
            entry["counts"][name] += v
        entry["informal"] += ret.informal
    return [
        Return(contest, unit, stage, kind, dict(entry["counts"]), entry["informal"])
        for (contest, unit, stage, kind), entry in summed.items()
    ]


HEX_LAYOUT = Path(__file__).with_name("nz_hex_2020.csv")
"""the general electorates' hexagons, placed so that every two side by side are
geographic neighbours (tests/commands/test_newcomer.py checks them against the voting places'
locations); the map file's placing put West Coast–Tasman beside Dunedin"""
HEX_ORIGIN, HEX_STEP = (1000417, 5023005.9), (34000, 34000 * math.sqrt(3))
"""the map file's grid: column and row ``(c, r)`` is at ``origin + step × (c, r)``,
rounded (this reproduces every position in the map file)"""


def with_map(electorates: list[Electorate], path: Path) -> list[Electorate]:
    """``electorates`` with their codes, regions and hexagons from the map file at ``path``
    (placed by :data:`HEX_LAYOUT` where it has them)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        places = {int(r["id"]): r for r in csv.DictReader(handle)}
    with HEX_LAYOUT.open(encoding="utf-8", newline="") as handle:
        cells = {
            int(r["number"]): (int(r["column"]), int(r["row"])) for r in csv.DictReader(handle)
        }
    at = {
        n: tuple(round(o + s * c) for o, s, c in zip(HEX_ORIGIN, HEX_STEP, cell, strict=True))
        for n, cell in cells.items()
    }
    return [
        replace(
            e,
            code=places[e.number]["abbr"],
            region=places[e.number]["region"],
            hex_u=at[e.number][0] if e.number in at else int(places[e.number]["u"]),
            hex_v=at[e.number][1] if e.number in at else int(places[e.number]["v"]),
        )
        for e in electorates
    ]


PARTY_STYLE = Path(__file__).with_name("nz_parties.csv")
"""the parties' short names, where the House seats them (left to right), and their own
colours where the map file's would be too alike (its Green is close to the black of the
Māori Party and NZ First; Te Pāti Māori, in the House with NZ First from 2023, is maroon)"""


def with_colours(parties: list[Party], path: Path) -> list[Party]:
    """``parties`` with short names, colours and House positions: :data:`PARTY_STYLE`'s,
    else the colour file's at ``path``."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        colours = {r["Party"]: r["party_colour"] for r in csv.DictReader(handle)}
    with PARTY_STYLE.open(encoding="utf-8", newline="") as handle:
        style = {r["name"]: r for r in csv.DictReader(handle)}
    return [
        Party(
            p.name,
            style[p.name]["short_name"] if p.name in style else p.short_name,
            style[p.name]["colour"]
            if p.name in style
            else c
            if len(c := colours.get(p.name, "")) > 1
            else "",
            float(style[p.name]["position"]) if p.name in style else None,
        )
        for p in parties
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description="Derive the bundled NZ 2020 dataset.")
    parser.add_argument("shared", nargs="?", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=bundled_path("nz-2020"))
    args = parser.parse_args()
    tidy.write(build(args.shared), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
