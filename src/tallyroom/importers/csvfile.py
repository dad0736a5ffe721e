"""Reading published CSV files: encoding, byte-order marks, line endings, counts."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from tallyroom.importers.errors import FileFormatError


def read_text(path: Path) -> str:
    """The file as text: UTF-8 with or without a byte-order mark, any line endings."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(f"{path}: file not found") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise FileFormatError(
            f"{path}, line {line}: not UTF-8 text (byte {error.start}); "
            "the published files are UTF-8"
        ) from None


def rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each CSV row of the file; a row whose quoted cell spans
    several lines is numbered by its first line."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    try:
        start = 1
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as error:
        raise FileFormatError(f"{path}, line {reader.line_num}: {error}") from None


def records(
    path: Path, header: Sequence[str], optional: Sequence[str] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row as a dict) for a CSV whose first row must be ``header``, perhaps
    followed by the first of the ``optional`` columns, in order (a missing one reads as
    an empty cell): a file written before a column was added still reads."""
    numbered = rows(path)
    first = next(numbered, None)
    found_header = [c.strip() for c in first[1]] if first else []
    every = [*header, *optional]
    if (
        first is None
        or found_header != every[: len(found_header)]
        or len(found_header) < len(header)
    ):
        found = ", ".join(first[1]) if first else "an empty file"
        raise FileFormatError(
            f"{path}, line 1: expected the columns {', '.join(every)}; found {found}"
        )
    header = found_header
    missing = dict.fromkeys(every[len(header) :], "")
    for line, cells in numbered:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise FileFormatError(
                f"{path}, line {line}: expected {len(header)} fields, found {len(cells)}"
            )
        yield line, {**dict(zip(header, cells, strict=True)), **missing}


def count(value: str, path: Path, line: int, column: str) -> int:
    """A vote count: a whole number ≥ 0, else an error naming file, line and column."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()):  # "²" and "٣" are digits to isdigit
        raise FileFormatError(
            f"{path}, line {line}, column {column!r}: expected a whole number of votes, "
            f"found {value!r}"
        )
    return int(text)
