"""Derive the bundled New Zealand 2023 dataset from the official files.

    python -m tallyroom.datasets.build_nz2023 [../shared/data] [--out DIR]

Reads, with tallyroom's own importers (so every total row is reconciled):

* the official count: ``official/2023/`` (party and candidate votes by voting place,
  turnout and electors per electorate), each contest summed per electorate into
  ordinary votes (advance, election-day, small places) and special votes;
* the party lists: ``2023/candidates-and-list-ranks-2023.csv``;
* the split-vote tables (``official/2023/split-votes-*.csv``: nationwide and by electorate);
* electorate codes, regions and hexagon positions, and party colours: ``map/`` (the 2023
  election used the 2020 boundaries), with the parties' short names, seating order and
  colours from ``nz_parties.csv``.

Port Waikato's candidate poll was cancelled, so its contest is kept with no returns: the
electorate has party votes and no candidate result. There is no 2023 election-night file,
so the dataset has the official stage only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tallyroom.datasets import bundled_path
from tallyroom.datasets.build_nz2020 import ordinary_and_special, with_colours, with_map
from tallyroom.importers import nz_lists, nz_official, tidy
from tallyroom.importers.options import ReadOptions
from tallyroom.model import NATION_UNIT, Dataset, Unit, UnitKind


def build(shared: Path) -> Dataset:
    """The bundled dataset, derived from the files under ``shared`` (``…/shared/data``)."""
    nz = shared / "nz"
    (final,) = nz_official.read([nz / "official" / "2023"], ReadOptions())
    (lists,) = nz_lists.read([nz / "2023" / "candidates-and-list-ranks-2023.csv"], ReadOptions())
    data = Dataset(final.election)
    data.electorates = with_map(final.electorates, nz / "map" / "hex-electorates-2020.csv")
    data.parties = with_colours(final.parties, nz / "map" / "party-colours-2020.csv")
    data.contests = final.contests
    data.choices = final.choices
    data.units = [Unit(NATION_UNIT, UnitKind.NATION, "New Zealand")] + [
        u for u in final.units if u.kind is UnitKind.ELECTORATE
    ]
    data.returns = ordinary_and_special(final.all_returns())
    data.list_candidates = lists.list_candidates
    data.split_votes = final.split_votes
    return data


def main() -> None:
    """Write the dataset (``--out``, by default the bundled directory)."""
    parser = argparse.ArgumentParser(description="Derive the bundled NZ 2023 dataset.")
    parser.add_argument("shared", nargs="?", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=bundled_path("nz-2023"))
    args = parser.parse_args()
    tidy.write(build(args.shared), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
