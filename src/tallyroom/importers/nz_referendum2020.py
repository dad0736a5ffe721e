"""The 2020 referendum workbook (``referendum-results-by-electorate.xlsx``).

Sheet "Ordinary Votes": ordinary votes by referendum *area*: the voting places of a
general electorate, where voters of the Māori electorates around it voted into the same
ballot boxes (labelled like ``1/68/70``, ``Auckland Central/Tāmaki Makaurau/Te Tai
Tokerau``). Sheet "Special Votes": special votes by electorate, 1–72. Both give Yes, No
and Informal for the End of Life Choice and Cannabis referendums and a total.

Each row must add up (yes + no + informal = total, for both questions) and each sheet's
columns must equal its totals row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from tallyroom.importers.errors import FileFormatError, ReconciliationError
from tallyroom.importers.nz import nz_election, roll_of
from tallyroom.importers.options import ReadOptions
from tallyroom.model import (
    NATION_UNIT,
    Choice,
    Contest,
    ContestKind,
    CountType,
    Dataset,
    Electorate,
    Return,
    Stage,
    Unit,
    UnitKind,
    electorate_unit,
    referendum_contest,
)

QUESTIONS = (
    ("end-of-life-choice", "End of Life Choice referendum"),
    ("cannabis", "Cannabis legalisation and control referendum"),
)
OPTIONS = ("Yes", "No")
COLUMNS = ["C", "D", "E", "F", "G", "H", "I"]  # yes, no, informal ×2, total


def read(paths: Sequence[Path], options: ReadOptions) -> list[Dataset]:
    """Read the workbook into the 2020 election's referendum contests."""
    if len(paths) != 1:
        raise FileFormatError("the referendum format reads one workbook")
    path = paths[0]
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as error:
        raise FileFormatError(f"{path}: not a readable .xlsx workbook ({error})") from None
    sheets = {sheet.title.strip(): sheet for sheet in book.worksheets}
    missing = {"Ordinary Votes", "Special Votes"} - set(sheets)
    if missing:
        raise FileFormatError(f"{path}: no sheet named {', '.join(sorted(missing))}")
    stage = options.stage or Stage.OFFICIAL
    data = Dataset(nz_election(2020))
    data.contests = [
        Contest(referendum_contest(s), ContestKind.REFERENDUM, name) for s, name in QUESTIONS
    ]
    data.choices = [Choice(referendum_contest(s), o) for s, _ in QUESTIONS for o in OPTIONS]
    data.units = [Unit(NATION_UNIT, UnitKind.NATION, "New Zealand")]

    names: dict[int, str] = {}
    for line, label, name, figures in _rows(
        path, sheets["Special Votes"], "Special Votes Referendums Totals"
    ):
        if not re.fullmatch(r"\d+", label):
            raise FileFormatError(
                f"{path}, sheet Special Votes, row {line}, column A: expected an electorate "
                f"number, found {label!r}"
            )
        number = int(label)
        names[number] = name
        code = electorate_unit(number, "special")
        data.units.append(Unit(code, UnitKind.SPECIAL_BATCH, "Special votes", number))
        _add_returns(
            data,
            code,
            stage,
            CountType.SPECIAL,
            figures,
            f"{path}, sheet Special Votes, row {line}",
        )
    for line, label, name, figures in _rows(
        path, sheets["Ordinary Votes"], "Ordinary Votes Referendum Totals"
    ):
        numbers = label.split("/")
        if not all(n.isdigit() and int(n) in names for n in numbers):
            raise FileFormatError(
                f"{path}, sheet Ordinary Votes, row {line}, column A: expected electorate numbers "
                f"like 1/68/70, found {label!r}"
            )
        code = f"area:{label}"
        data.units.append(Unit(code, UnitKind.AREA, name, int(numbers[0])))
        _add_returns(
            data,
            code,
            stage,
            CountType.ORDINARY,
            figures,
            f"{path}, sheet Ordinary Votes, row {line}",
        )
    total = max(names)
    data.electorates = [Electorate(n, names[n], roll_of(n, total)) for n in sorted(names)]
    return [data]


def _rows(path: Path, sheet, totals_label: str):
    """(row number, label, name, seven figures) of each data row; checks the totals row."""
    found = []
    summed = [0] * 7
    for index, cells in enumerate(sheet.iter_rows(min_row=1, max_col=9, values_only=True), 1):
        label = "" if cells[0] is None else str(cells[0]).strip()
        name = "" if cells[1] is None else str(cells[1]).strip()
        if not isinstance(cells[2], int | float) or isinstance(cells[2], bool):
            continue  # title, note and heading rows
        figures = []
        for column, value in zip(COLUMNS, cells[2:9], strict=True):
            if not isinstance(value, int | float) or value != int(value) or value < 0:
                raise FileFormatError(
                    f"{path}, sheet {sheet.title}, row {index}, column {column}: expected a "
                    f"whole number of votes, found {value!r}"
                )
            figures.append(int(value))
        for start, question in ((0, "End of life choice"), (3, "Cannabis")):
            if sum(figures[start : start + 3]) != figures[6]:
                raise ReconciliationError(
                    f"{path}, sheet {sheet.title}, row {index}: {question} yes + no + informal "
                    f"= {sum(figures[start : start + 3]):,}, but the row's total is {figures[6]:,}"
                )
        if name == totals_label:
            for column, stated, added in zip(COLUMNS, figures, summed, strict=True):
                if stated != added:
                    raise ReconciliationError(
                        f"{path}, sheet {sheet.title}, row {index}, column {column}: the totals "
                        f"row says {stated:,}; the rows above add up to {added:,}"
                    )
            return found
        summed = [a + b for a, b in zip(summed, figures, strict=True)]
        found.append((index, label, name, figures))
    raise FileFormatError(f"{path}, sheet {sheet.title}: no '{totals_label}' row; is it truncated?")


def _add_returns(
    data: Dataset, unit: str, stage: Stage, count_type: CountType, figures: list[int], where: str
) -> None:
    for start, (slug, _) in zip((0, 3), QUESTIONS, strict=True):
        yes, no, informal = figures[start : start + 3]
        data.returns.append(
            Return(
                referendum_contest(slug),
                unit,
                stage,
                count_type,
                {"Yes": yes, "No": no},
                informal,
                where,
            )
        )
