"""New Zealand party lists: ``candidates-and-list-ranks-YYYY.csv``.

Columns ``id, party, list_pos, electorate, name``: one row per candidate, with the list
rank (empty for a candidate standing for an electorate only), the electorate stood in
(empty for a list-only candidate) and the name as ``SURNAME, Given`` (sometimes shorter
than in the result files: "JONES, Shane" for "JONES, Shane Geoffrey"). Stored as each
party's list in rank order, to name the list MPs; a list may be incomplete (its lowest
ranks missing), and the seat allocation then says where it runs short.

A rank must be a whole number from 1, and no party may give one rank, or one name,
twice; the first error names file, line and column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from tallyroom.importers.csvfile import count, records
from tallyroom.importers.errors import FileFormatError
from tallyroom.importers.nz import nz_election, year_of
from tallyroom.importers.options import ReadOptions
from tallyroom.model import Dataset, ListCandidate

COLUMNS = ("id", "party", "list_pos", "electorate", "name")


def read(paths: Sequence[Path], options: ReadOptions) -> list[Dataset]:
    """Read the list files of one election; see the module docstring."""
    data = Dataset(nz_election(_year(paths, options)))
    ranks: dict[tuple[str, int], str] = {}
    names: dict[tuple[str, str], str] = {}
    for path in paths:
        for line, row in records(path, COLUMNS):
            if not row["list_pos"].strip():
                continue  # an electorate candidate only
            party, name = row["party"].strip(), " ".join(row["name"].split())
            where = f"{path}, line {line}"
            if not party:
                raise FileFormatError(f"{where}, column 'party': a list place with no party")
            if not name:
                raise FileFormatError(f"{where}, column 'name': a list place with no name")
            rank = count(row["list_pos"], path, line, "list_pos")
            if rank < 1:
                raise FileFormatError(
                    f"{where}, column 'list_pos': list ranks start at 1, found {rank}"
                )
            if (party, rank) in ranks:
                raise FileFormatError(
                    f"{where}, column 'list_pos': {party} rank {rank} is given twice "
                    f"(first on {ranks[party, rank]})"
                )
            if (party, name.casefold()) in names:
                raise FileFormatError(
                    f"{where}, column 'name': {name!r} is on the {party} list twice "
                    f"(first on {names[party, name.casefold()]})"
                )
            ranks[party, rank] = names[party, name.casefold()] = f"line {line}"
            data.list_candidates.append(ListCandidate(party, rank, name, row["electorate"].strip()))
    if not data.list_candidates:
        raise FileFormatError(f"{paths[0]}: no list places (rows with a list_pos)")
    data.list_candidates.sort(key=lambda c: (c.party, c.rank))
    return [data]


def _year(paths: Sequence[Path], options: ReadOptions) -> int:
    if options.election:
        return year_of(options.election)
    found = re.search(r"(?<!\d)((?:19|20)\d\d)(?!\d)", paths[0].name)
    if not found:
        raise FileFormatError(f"{paths[0]}: cannot tell the election year; pass --election")
    return int(found.group(1))
