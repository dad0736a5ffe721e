"""The 2020 official publication's own total rows, read straight from ../shared/data."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import openpyxl


def party_vote_totals(shared_data: Path) -> dict[str, int]:
    """Party columns of the 'Combined Totals' row of the official party-vote table."""
    path = (
        shared_data / "nz" / "official" / "2020" / "votes-for-registered-parties-by-electorate.csv"
    )
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[1]
    totals = next(row for row in rows if row[0] == "Combined Totals")
    return {
        name: int(value)
        for name, value in zip(header[1:], totals[1:], strict=True)
        if "Total" not in name and "Informal" not in name
    }


def referendum_totals(shared_data: Path) -> dict[str, dict[str, int]]:
    """Each referendum's yes, no, informal and total from the workbook's total rows.

    Every column's area rows must add up to its total row; a mismatch fails loudly.
    """
    book = openpyxl.load_workbook(
        shared_data / "nz" / "2020" / "referendum-results-by-electorate.xlsx", read_only=True
    )
    totals: Counter[int] = Counter()
    for sheet in book.worksheets:
        rows = [r for r in sheet.iter_rows(values_only=True) if isinstance(r[2], int)]
        *areas, total_row = rows
        assert str(total_row[1]).endswith("Totals")
        for column in range(2, 9):
            assert sum(r[column] for r in areas) == total_row[column], (sheet.title, column)
        totals.update({c: total_row[c] for c in range(2, 9)})
    return {
        "end-of-life-choice": {"yes": totals[2], "no": totals[3], "informal": totals[4]},
        "cannabis": {"yes": totals[5], "no": totals[6], "informal": totals[7], "total": totals[8]},
    }
