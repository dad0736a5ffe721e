"""Read ``Name=count`` lists and two-column CSV files given on the command line.

``"Labour Party=1443546,Green Party=226754"`` or ``@votes.csv``, where the file has one
``name,count`` row per entry and an optional header row. Names are kept exactly as
written (UTF-8, macrons and all); a byte-order mark is ignored.
"""

from __future__ import annotations

import csv
from pathlib import Path

from tallyroom.errors import InvalidError


class CountListError(InvalidError):
    """A count list or CSV that cannot be read; the message says where and what."""


def parse_counts(text: str, what: str) -> dict[str, int]:
    """Counts from ``Name=count,…`` or ``@path.csv``; ``what`` names the option in errors."""
    if text.startswith("@"):
        return _read_csv(Path(text[1:]), what)
    counts: dict[str, int] = {}
    for position, item in enumerate(filter(None, (i.strip() for i in text.split(","))), 1):
        name, sep, number = item.rpartition("=")
        if not sep or not name.strip():
            raise CountListError(f"{what}: entry {position} {item!r} is not of the form Name=count")
        _add(counts, name.strip(), number.strip(), f"{what}: entry {position}")
    if not counts:
        raise CountListError(f"{what}: no entries given")
    return counts


def _read_csv(path: Path, what: str) -> dict[str, int]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CountListError(f"{what}: file {path} not found") from None
    except UnicodeDecodeError as error:
        raise CountListError(f"{path}: not UTF-8 text (byte {error.start})") from None
    counts: dict[str, int] = {}
    for line, row in enumerate(csv.reader(text.splitlines()), 1):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise CountListError(
                f"{path}, line {line}: expected 2 columns (name,count), got {len(row)}"
            )
        name, number = (cell.strip() for cell in row)
        if line == 1 and not number.lstrip("-").isdigit():
            continue  # header row
        _add(counts, name, number, f"{path}, line {line}")
    if not counts:
        raise CountListError(f"{path}: no rows")
    return counts


def _add(counts: dict[str, int], name: str, number: str, where: str) -> None:
    if name in counts:
        raise CountListError(f"{where}: {name!r} is given twice")
    try:
        value = int(number)
    except ValueError:
        raise CountListError(
            f"{where}: count for {name!r} is {number!r}, not a whole number"
        ) from None
    if value < 0:
        raise CountListError(f"{where}: count for {name!r} is negative ({value})")
    counts[name] = value
