"""New Zealand official results statistics, as the Electoral Commission publishes them (2017 on).

Reads a directory (or a list of its files):

* ``candidate-votes-by-voting-place-N.csv``: one per electorate. A title line, a line
  ``"<Electorate> <N>,Candidate Vote Details"``, a header of candidate names, blocks of
  advance and election-day voting places (the suburb is left blank when it repeats the
  row above; Māori electorates group places under one-cell headings naming the general
  electorate they lie in), special-vote rows, a row for voting places with fewer than 6 votes, the
  electorate total row, a valid-plus-informal row, and a block giving each candidate's
  party, votes and the winner's majority. Stored as voting-place returns of the
  electorate's candidate vote.
* ``votes-for-registered-parties-by-electorate.csv``: party votes per electorate, with
  general, Māori and combined total rows. Stored as electorate-level party-vote returns.
* ``candidate-votes-and-turnout-by-electorate.csv``: checked against the candidate files;
  gives each electorate's enrolment and votes cast (for turnout).

Every row is checked against its own total column, every total row against the rows it
totals, and the winner and majority against the counts; the first difference is a
:class:`ReconciliationError` naming file, line and figure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from tallyroom.ingest.csvfile import count, rows
from tallyroom.ingest.errors import IngestFormatError, ReconciliationError
from tallyroom.ingest.nz import nz_election, roll_of
from tallyroom.ingest.options import ReadOptions
from tallyroom.model import (
    NATION_UNIT,
    PARTY_CONTEST,
    Choice,
    Contest,
    ContestKind,
    CountType,
    Dataset,
    Electorate,
    Party,
    Return,
    Stage,
    Unit,
    UnitKind,
    candidate_contest,
    electorate_unit,
)

CANDIDATE_FILE = re.compile(r"candidate-votes-by-voting-place-(\d+)\.csv$")
PARTY_TABLE = "votes-for-registered-parties-by-electorate.csv"
TURNOUT_TABLE = "candidate-votes-and-turnout-by-electorate.csv"
SPECIAL_ROWS = {
    "Overseas Special Votes Including Defence Force": CountType.OVERSEAS,
    "Special Votes BEFORE Polling Day": CountType.SPECIAL_BEFORE,
    "Special Votes ON Polling Day": CountType.SPECIAL_ON,
}
SMALL_PLACES = "Voting places where less than 6 votes were taken"
BLOCKS = {"Advance Voting Places": CountType.ADVANCE, "Voting Places": CountType.ELECTION_DAY}


@dataclass
class _Electorate:
    number: int
    name: str
    candidates: list[str]
    party_of: dict[str, str] = field(default_factory=dict)
    total_valid: int = 0
    total_informal: int = 0


def read(paths: Sequence[Path], options: ReadOptions) -> list[Dataset]:
    """Read the official statistics files of one election; see the module docstring."""
    files = _expand(paths)
    year = _year(files, options)
    data = Dataset(nz_election(year))
    stage = options.stage or Stage.OFFICIAL
    candidate_files = sorted(
        (int(m.group(1)), f) for f in files if (m := CANDIDATE_FILE.search(f.name))
    )
    if not candidate_files:
        raise IngestFormatError(
            f"{paths[0]}: no candidate-votes-by-voting-place-N.csv files; they number the "
            "electorates and must be imported together with the national tables"
        )
    electorates = [_read_candidates(path, n, stage, data) for n, path in candidate_files]
    numbers = {e.name: e.number for e in electorates}
    total = max(numbers.values())
    data.electorates = [Electorate(e.number, e.name, roll_of(e.number, total)) for e in electorates]
    data.units[:0] = [Unit(NATION_UNIT, UnitKind.NATION, "New Zealand")] + [
        Unit(electorate_unit(e.number), UnitKind.ELECTORATE, e.name, e.number) for e in electorates
    ]
    data.units = list({u.code: u for u in data.units}.values())
    for path in files:
        if path.name == PARTY_TABLE:
            _read_party_table(path, numbers, stage, data)
        elif path.name == TURNOUT_TABLE:
            turnout = _read_turnout(path, {e.name: e for e in electorates})
            data.electorates = [
                replace(e, votes_cast=turnout[e.name][0], electors=turnout[e.name][1])
                if e.name in turnout
                else e
                for e in data.electorates
            ]
    return [data]


def _expand(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.csv")) if path.is_dir() else [path])
    unsupported = [f for f in files if f.name.startswith("party-votes-by-voting-place")]
    if unsupported:
        raise IngestFormatError(
            f"{unsupported[0]}: party votes by voting place are not supported yet; "
            "leave those files out"
        )
    return files


def _year(files: list[Path], options: ReadOptions) -> int:
    if options.election:
        match = re.fullmatch(r"nz-(\d{4})", options.election)
        if not match:
            raise IngestFormatError(
                f"--election must be nz-YYYY for this format, not {options.election!r}"
            )
        return int(match.group(1))
    for part in reversed(files[0].resolve().parts[:-1]):
        if re.fullmatch(r"(19|20)\d\d", part):
            return int(part)
    raise IngestFormatError(f"{files[0]}: cannot tell the election year; pass --election nz-YYYY")


def _read_candidates(path: Path, number: int, stage: Stage, data: Dataset) -> _Electorate:
    lines = list(rows(path))
    if len(lines) < 4:
        raise IngestFormatError(f"{path}: too short for a candidate-votes-by-voting-place file")
    line, cells = lines[1]
    match = re.fullmatch(r"(.+?)\s+(\d+)", cells[0].strip()) if cells else None
    if not match or int(match.group(2)) != number:
        raise IngestFormatError(
            f"{path}, line {line}: expected '<Electorate> {number},Candidate Vote Details', "
            f"found {','.join(cells)!r}"
        )
    line, header = lines[2]
    if header[-2:] != ["Total Valid Candidate Votes", "Informal Candidate Votes"]:
        raise IngestFormatError(
            f"{path}, line {line}: expected a header of candidates ending with 'Total Valid "
            "Candidate Votes,Informal Candidate Votes'"
        )
    found = _Electorate(number, match.group(1), [c.strip() for c in header[2:-2]])
    contest = candidate_contest(number)
    width = len(found.candidates) + 4
    block: CountType | None = None
    area = suburb = ""
    sums = [0] * (width - 2)
    seen: dict[tuple[str, CountType], int] = {}
    total_row: list[int] | None = None
    position = 3
    while position < len(lines):
        line, cells = lines[position]
        position += 1
        first = cells[0].strip() if cells else ""
        label = cells[1].strip() if len(cells) > 1 else ""
        if not any(c.strip() for c in cells):
            continue
        if first in BLOCKS and not label:
            block, area, suburb = BLOCKS[first], "", ""
            continue
        if first and len([c for c in cells if c.strip()]) == 1:
            # Māori electorates group their voting places by the general electorate
            # they lie in, under a one-cell heading such as "Botany".
            area, suburb = first, ""
            continue
        if first == "Electorate Candidate Valid Votes":
            _check_winner_block(path, lines[position - 1 :], found, total_row)
            break
        if label == "Valid Candidate Votes plus Informal Candidate Votes":
            stated = _int(path, line, cells, 3, "valid plus informal votes")
            if total_row is None or stated != total_row[-2] + total_row[-1]:
                raise ReconciliationError(
                    f"{path}, line {line}: valid plus informal votes stated as {stated:,}; "
                    f"the total row gives {(total_row or [0, 0])[-2] + (total_row or [0, 0])[-1]:,}"
                )
            continue
        if len(cells) != width:
            raise IngestFormatError(
                f"{path}, line {line}: expected {width} fields ({len(found.candidates)} "
                f"candidates, total, informal), found {len(cells)}"
            )
        figures = [_int(path, line, cells, i, _column(found, i)) for i in range(2, width)]
        if sum(figures[:-2]) != figures[-2]:
            raise ReconciliationError(
                f"{path}, line {line}: candidate votes add up to {sum(figures[:-2]):,} but the "
                f"row's 'Total Valid Candidate Votes' is {figures[-2]:,}"
            )
        if label == f"{found.name} Total":
            total_row = figures
            for i, (stated, summed) in enumerate(zip(figures, sums, strict=True)):
                if stated != summed:
                    raise ReconciliationError(
                        f"{path}, line {line}, column {_column(found, i + 2)!r}: the total row "
                        f"says {stated:,}; the rows above add up to {summed:,}"
                    )
            continue
        if total_row is not None:
            raise IngestFormatError(f"{path}, line {line}: a count row after the total row")
        sums = [a + b for a, b in zip(sums, figures, strict=True)]
        if not first and any(label.startswith(s) for s in SPECIAL_ROWS):
            kind = next(k for s, k in SPECIAL_ROWS.items() if label.startswith(s))
            code, unit_kind, name = (
                f"electorate:{number}/special",
                UnitKind.SPECIAL_BATCH,
                "Special votes",
            )
        elif not first and label == SMALL_PLACES:
            kind, code, unit_kind, name = (
                CountType.ORDINARY,
                f"electorate:{number}/small-places",
                UnitKind.VOTING_PLACE,
                SMALL_PLACES,
            )
        elif block is None:
            raise IngestFormatError(
                f"{path}, line {line}: a voting place before the 'Advance Voting Places' or "
                "'Voting Places' heading"
            )
        else:
            suburb = first or suburb
            kind, code, unit_kind = (
                block,
                f"electorate:{number}/place:{label}",
                UnitKind.VOTING_PLACE,
            )
            name = ", ".join(part for part in (label, suburb, area) if part)
        if (code, kind) in seen:
            raise IngestFormatError(
                f"{path}, line {line}: {label!r} is listed twice in the same block "
                f"(first on line {seen[code, kind]})"
            )
        seen[code, kind] = line
        data.units.append(Unit(code, unit_kind, name, number))
        counts = dict(zip(found.candidates, figures[:-2], strict=True))
        data.returns.append(
            Return(contest, code, stage, kind, counts, figures[-1], f"{path}, line {line}")
        )
    if total_row is None:
        raise IngestFormatError(f"{path}: no '{found.name} Total' row; is the file truncated?")
    if not found.party_of:
        raise IngestFormatError(
            f"{path}: no 'Electorate Candidate Valid Votes' block; is the file truncated?"
        )
    found.total_valid, found.total_informal = total_row[-2], total_row[-1]
    data.contests.append(
        Contest(contest, ContestKind.CANDIDATE, f"{found.name} electorate vote", number)
    )
    data.choices.extend(Choice(contest, c, found.party_of[c]) for c in found.candidates)
    return found


def _check_winner_block(
    path: Path, block: list[tuple[int, list[str]]], found: _Electorate, total_row: list[int] | None
) -> None:
    """The closing block: each candidate's party and votes, the winner and majority."""
    line, cells = block[0]
    if total_row is None:
        raise IngestFormatError(
            f"{path}, line {line}: the candidate block comes before the total row"
        )
    stated = re.fullmatch(r"(.+) - majority (\d+)", cells[-1].strip())
    if not stated:
        raise IngestFormatError(
            f"{path}, line {line}: expected '<winner> - majority N', found {cells[-1]!r}"
        )
    votes: dict[str, int] = {}
    for line, cells in block[1:]:
        if not any(c.strip() for c in cells):
            continue
        name = cells[0].strip()
        if name not in found.candidates:
            raise IngestFormatError(
                f"{path}, line {line}: {name!r} is not a candidate in the header"
            )
        found.party_of[name] = cells[1].strip()
        votes[name] = _int(path, line, cells, 2, f"votes of {name}")
    totals = dict(zip(found.candidates, total_row[:-2], strict=True))
    for name, given in votes.items():
        if given != totals[name]:
            raise ReconciliationError(
                f"{path}: the candidate block gives {name} {given:,} votes; "
                f"the total row {totals[name]:,}"
            )
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    majority = ranked[0][1] - (ranked[1][1] if len(ranked) > 1 else 0)
    if (ranked[0][0], majority) != (stated.group(1), int(stated.group(2))):
        raise ReconciliationError(
            f"{path}, line {block[0][0]}: stated winner {stated.group(1)} by {stated.group(2)}; "
            f"the counts give {ranked[0][0]} by {majority}"
        )


def _read_party_table(path: Path, numbers: dict[str, int], stage: Stage, data: Dataset) -> None:
    lines = list(rows(path))
    line, header = lines[1]
    tail = ["Total Valid Party Votes", "Informal Party Votes", "Total Party Votes Counted"]
    if header[0] != "Electorate" or header[-3:] != tail:
        raise IngestFormatError(
            f"{path}, line {line}: expected 'Electorate,<parties>,{','.join(tail)}'"
        )
    parties = [p.strip() for p in header[1:-3]]
    data.parties = [Party(p) for p in parties]
    data.contests.insert(0, Contest(PARTY_CONTEST, ContestKind.PARTY, "Party vote"))
    data.choices.extend(Choice(PARTY_CONTEST, p, p) for p in parties)
    groups: dict[str, list[int]] = {
        "General": [0] * (len(parties) + 3),
        "Māori": [0] * (len(parties) + 3),
    }
    for line, cells in lines[2:]:
        if not any(c.strip() for c in cells):
            continue
        name = cells[0].strip()
        if len(cells) != len(header):
            raise IngestFormatError(
                f"{path}, line {line}: expected {len(header)} fields, found {len(cells)}"
            )
        figures = [_int(path, line, cells, i, header[i]) for i in range(1, len(header))]
        if sum(figures[:-3]) != figures[-3] or figures[-3] + figures[-2] != figures[-1]:
            raise ReconciliationError(
                f"{path}, line {line}: {name}'s party votes add up to {sum(figures[:-3]):,}, "
                f"valid total {figures[-3]:,}, informal {figures[-2]:,}, counted {figures[-1]:,}"
            )
        if name.endswith("Electorate Totals") or name == "Combined Totals":
            key = name.split()[0]
            expected = (
                [a + b for a, b in zip(groups["General"], groups["Māori"], strict=True)]
                if key == "Combined"
                else groups[key]
            )
            for i, (stated, summed) in enumerate(zip(figures, expected, strict=True)):
                if stated != summed:
                    raise ReconciliationError(
                        f"{path}, line {line}, column {header[i + 1]!r}: {name} says {stated:,}; "
                        f"the electorate rows add up to {summed:,}"
                    )
            continue
        if name not in numbers:
            raise IngestFormatError(
                f"{path}, line {line}: electorate {name!r} has no candidate file"
            )
        number = numbers[name]
        group = "Māori" if roll_of(number, max(numbers.values())).value == "maori" else "General"
        groups[group] = [a + b for a, b in zip(groups[group], figures, strict=True)]
        counts = dict(zip(parties, figures[:-3], strict=True))
        data.returns.append(
            Return(
                PARTY_CONTEST,
                electorate_unit(number),
                stage,
                CountType.ALL,
                counts,
                figures[-2],
                f"{path}, line {line}",
            )
        )


def _read_turnout(path: Path, electorates: dict[str, _Electorate]) -> dict[str, tuple[int, int]]:
    """Votes cast and electors per electorate; valid and informal candidate votes must equal
    the candidate files', and the Combined Totals row the sum of the electorates."""
    summed = [0, 0, 0, 0]
    found: dict[str, tuple[int, int]] = {}
    for line, cells in rows(path):
        name = cells[0].strip() if cells else ""
        if name not in electorates and name != "Combined Totals":
            continue
        figures = [
            _int(path, line, cells, 3, "Valid Total"),
            _int(path, line, cells, 6, "Informal Total"),
            _int(path, line, cells, 9, "Total Votes Cast"),
            _int(path, line, cells, 10, "Electors on Master Roll"),
        ]
        if name == "Combined Totals":
            if figures != summed:
                raise ReconciliationError(
                    f"{path}, line {line}: Combined Totals valid/informal/cast/electors "
                    f"{'/'.join(f'{x:,}' for x in figures)}; the electorates add up to "
                    f"{'/'.join(f'{x:,}' for x in summed)}"
                )
            continue
        electorate = electorates[name]
        if figures[:2] != [electorate.total_valid, electorate.total_informal]:
            raise ReconciliationError(
                f"{path}, line {line}: {name} valid/informal {figures[0]:,}/{figures[1]:,}; its "
                f"candidate file gives {electorate.total_valid:,}/{electorate.total_informal:,}"
            )
        summed = [a + b for a, b in zip(summed, figures, strict=True)]
        found[name] = (figures[2], figures[3])
    return found


def _column(found: _Electorate, index: int) -> str:
    names = [*found.candidates, "Total Valid Candidate Votes", "Informal Candidate Votes"]
    return names[index - 2]


def _int(path: Path, line: int, cells: list[str], index: int, what: str) -> int:
    return count(cells[index] if index < len(cells) else "", path, line, what)
