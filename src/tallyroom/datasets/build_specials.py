"""Derive the bundled special-vote history (election night against final count, 2002–2023).

    python -m tallyroom.datasets.build_specials [../shared/data] [--out FILE]

Reads, with tallyroom's own importers: 2002–2017 from the history file (special votes
are pseudo voting places there), 2020 from the tidy election-night file against the
official files (the official party votes are per electorate only, so the party special
votes are what the official count added), and 2023 from the official voting-place files
(ordinary and special rows). ``tallyroom project`` fits its model to this table when it
projects an election; ``tallyroom project --backtest`` rebuilds it from the files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from tallyroom.datasets import SPECIALS_HISTORY
from tallyroom.forecast.history import split_history, staged_history, write_history
from tallyroom.importers import nz_history, nz_official, nz_tidy2020
from tallyroom.importers.nz import year_of
from tallyroom.importers.options import ReadOptions

HISTORY_FILE = "nz/history/voting-place-results-2002-2017.csv.gz"


def read_shared_history(data: Path) -> pl.DataFrame:
    """Night and final votes of every New Zealand election in ``data`` (``../shared/data``)."""
    frames = [
        split_history(d, year_of(d.election.id))
        for d in nz_history.read([data / HISTORY_FILE], ReadOptions())
    ]
    night = nz_tidy2020.read([data / "nz/2020/electorate-results-preliminary.csv"], ReadOptions())
    official = nz_official.read([data / "nz/official/2020"], ReadOptions())
    frames.append(staged_history(night[0], official[0], 2020))
    frames.append(
        split_history(nz_official.read([data / "nz/official/2023"], ReadOptions())[0], 2023)
    )
    return pl.concat(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=SPECIALS_HISTORY)
    args = parser.parse_args()
    write_history(read_shared_history(args.data), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
