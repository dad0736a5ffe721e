"""Seconds to import real results, against a baseline in the same run: the 900,531-row
2002–2017 history, and the whole 2023 official folder (144 voting-place files and the
national tables).

tallyroom: ``tallyroom import nz-history`` / ``import nz-official`` as a library call
(read, reconcile, normalise into returns and counts, check, one transaction), into a
fresh SQLite file and, with ``--postgres URL``, into a fresh PostgreSQL database.

Baseline: ``pandas.read_csv`` + ``DataFrame.to_sql`` of the same files' rows into one flat
table of the same store (no validation, no normalisation). Medians of ``--repeats`` runs,
alternating the two.

    python -m bench.import [--repeats 3] [--postgres postgresql+psycopg://user@host/db]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, text
from tests.support.data import shared_data_dir

from tallyroom.gc_pause import paused_collection
from tallyroom.importers import nz_history, nz_official
from tallyroom.importers.options import ReadOptions
from tallyroom.store.database import open_store
from tallyroom.store.imports import SourceFile, import_datasets

HISTORY = shared_data_dir() / "nz" / "history" / "voting-place-results-2002-2017.csv.gz"
OFFICIAL_2023 = shared_data_dir() / "nz" / "official" / "2023"


@paused_collection()  # as the CLI's import does
def history_import(url: str) -> None:
    engine = open_store(url)
    datasets = nz_history.read([HISTORY], ReadOptions())
    import_datasets(engine, datasets, SourceFile.of("nz-history", [HISTORY]))
    engine.dispose()


def history_pandas(url: str) -> None:
    engine = create_engine(url)
    frame = pd.read_csv(HISTORY, dtype=str)
    frame["votes"] = frame["votes"].astype(int)
    frame.to_sql("history", engine, if_exists="replace", index=False, chunksize=50_000)
    engine.dispose()


@paused_collection()  # as the CLI's import does
def official_import(url: str) -> None:
    engine = open_store(url)
    datasets = nz_official.read([OFFICIAL_2023], ReadOptions())
    import_datasets(engine, datasets, SourceFile.of("nz-official", [OFFICIAL_2023]))
    engine.dispose()


def official_pandas(url: str) -> None:
    """Every CSV file of the folder read as text rows (the files' blocks and headers are
    ragged, so as 80 text columns) and written to one table."""
    engine = create_engine(url)
    frames = [
        pd.read_csv(path, header=None, names=range(80), dtype=str, encoding="utf-8-sig").assign(
            file=path.name
        )
        for path in sorted(OFFICIAL_2023.glob("*.csv"))
    ]
    frame = pd.concat(frames, ignore_index=True).dropna(axis="columns", how="all")
    frame.columns = [str(c) for c in frame.columns]
    frame.to_sql("official", engine, if_exists="replace", index=False, chunksize=20_000)
    engine.dispose()


SOURCES = [
    ("2002–2017 history, 900,531 rows", history_import, history_pandas),
    ("2023 official folder", official_import, official_pandas),
]


def timed(
    actions: list[Callable[[str], None]], fresh: Callable[[], str], repeats: int
) -> list[float]:
    """Median seconds of each action; runs alternate, so the machine's noise hits all."""
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(repeats):
        for action, found in zip(actions, times, strict=True):
            url = fresh()
            start = time.perf_counter()
            action(url)
            found.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", help="URL of a PostgreSQL server (a database per run)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tallyroom-bench-"))
    counter = iter(range(10**6))

    def sqlite() -> str:
        return f"sqlite:///{folder / f'run{next(counter)}.db'}"

    def postgres() -> str:
        name = f"bench_{next(counter)}_{int(time.time())}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        return f"{args.postgres.rsplit('/', 1)[0]}/{name}"

    targets = [("SQLite", sqlite)] + ([("PostgreSQL", postgres)] if args.postgres else [])
    print(f"median of {args.repeats} runs\n")
    print(f"{'source':<34}{'store':<12}{'tallyroom s':>13}{'pandas to_sql s':>17}{'speed-up':>10}")
    for source, ours_import, baseline_import in SOURCES:
        for name, fresh in targets:
            ours, baseline = timed([ours_import, baseline_import], fresh, args.repeats)
            print(f"{source:<34}{name:<12}{ours:>13.2f}{baseline:>17.2f}{baseline / ours:>9.1f}×")


if __name__ == "__main__":
    main()
