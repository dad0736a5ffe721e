"""The import formats by name, as ``tallyroom import FORMAT`` knows them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tallyroom.importers import (
    de_dataset,
    nz_history,
    nz_lists,
    nz_official,
    nz_referendum2020,
    nz_tidy2020,
    tidy,
)
from tallyroom.importers.errors import FileFormatError
from tallyroom.importers.options import ReadOptions
from tallyroom.model import Dataset


@dataclass(frozen=True)
class Format:
    """An importer: its name, what it reads, and the function that reads it."""

    name: str
    description: str
    reader: Callable[[Sequence[Path], ReadOptions], list[Dataset]]
    reads_population: bool = False

    def read(self, paths: Sequence[Path], options: ReadOptions) -> list[Dataset]:
        """Read ``paths``; a path that does not exist is named before any reading starts."""
        if options.population is not None and not self.reads_population:
            raise FileFormatError(f"{self.name} reads no population table (--population)")
        for path in self.files(paths, options):
            if not path.exists():
                raise FileFormatError(f"{path}: no such file or directory")
        return self.reader(paths, options)

    def files(self, paths: Sequence[Path], options: ReadOptions) -> list[Path]:
        """Every file an import reads: ``paths`` and the population table, if any."""
        return [*paths, *([options.population] if options.population else [])]


FORMATS = {
    f.name: f
    for f in (
        Format(
            "nz-tidy-2020",
            "2020 tidy electorate tables (electorate-results-preliminary/official.csv)",
            nz_tidy2020.read,
        ),
        Format(
            "nz-official",
            "Electoral Commission statistics CSVs, 2017 on (a directory or its files)",
            nz_official.read,
        ),
        Format(
            "nz-history",
            "2002-2017 results by voting place (voting-place-results-2002-2017.csv.gz)",
            nz_history.read,
        ),
        Format(
            "nz-referendum-2020",
            "2020 referendum results workbook (referendum-results-by-electorate.xlsx)",
            nz_referendum2020.read,
        ),
        Format(
            "nz-lists",
            "party lists with ranks (candidates-and-list-ranks-YYYY.csv), to name list MPs",
            nz_lists.read,
        ),
        Format(
            "de-bundeswahl",
            "Bundestag results: gesamtergebnis XML or kerg CSV (--population: strukturdaten)",
            de_dataset.read,
            reads_population=True,
        ),
        Format(
            "tidy",
            "tallyroom's own tidy format: a directory per election (docs/tidy-format.md)",
            tidy.read,
        ),
    )
}


def format_named(name: str) -> Format:
    """The format called ``name``."""
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(FORMATS)
        raise FileFormatError(f"unknown import format {name!r}; expected one of: {known}") from None
