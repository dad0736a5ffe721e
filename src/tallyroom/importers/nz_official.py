"""New Zealand official results statistics, as the Electoral Commission publishes them (2017 on).

Reads a directory (or a list of its files):

* ``candidate-votes-by-voting-place-N.csv``: one per electorate. A title line, a line
  ``"<Electorate> <N>,Candidate Vote Details"``, a header of candidate names, blocks of
  advance and election-day voting places (the suburb is left blank when it repeats the
  row above; Māori electorates group places under one-cell headings naming the general
  electorate they lie in), special-vote rows, a row for voting places with fewer than 6 votes, the
  electorate total row, a valid-plus-informal row, and a block giving each candidate's
  party, votes and the winner's majority. Stored as voting-place returns of the
  electorate's candidate vote. Where the candidate poll was cancelled (Port Waikato 2023:
  ``"Port Waikato 39\n(Poll Cancelled)"``, all counts 0) nothing is stored for the
  candidate vote: the electorate has no result and its seat is vacant.
* ``party-votes-by-voting-place-N.csv`` (2023 on): the party vote, laid out the same way,
  with two more special-vote rows (votes that count for the party only). Stored as the
  party vote's voting-place returns.
* ``votes-for-registered-parties-by-electorate.csv``: party votes per electorate, with
  general, Māori and combined total rows. Stored as electorate-level party-vote returns,
  unless the party votes by voting place are there: then only checked against them (a
  contest is stored at one level of detail per electorate).
* ``candidate-votes-and-turnout-by-electorate.csv`` and (with the party votes by voting
  place) ``party-votes-and-turnout-by-electorate.csv``: checked against the files by
  voting place (valid, informal and special votes); give each electorate's enrolment and
  votes cast (for turnout).
* ``split-votes-*.csv``: the split-vote tables (party vote × electorate vote), read and
  checked by :mod:`tallyroom.importers.nz_split_votes`.
* ``overall-results-summary.csv``: each party's party votes, electorate-candidate votes
  and electorate seats won, and the national totals, checked against the electorates;
  ``winning-electorate-candidates.csv``: each winner, party, votes and majority, likewise.

A place name listed under two suburbs of one block (care-home teams "Taken in …") is two
places: their unit codes carry the suburb. A row listed twice in one suburb is an error.

Every row is checked against its own total column, every total row against the rows it
totals, and the winner and majority against the counts; the first difference is a
:class:`ReconciliationError` naming file, line and figure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from tallyroom.gc_pause import paused_collection
from tallyroom.importers import nz_split_votes
from tallyroom.importers.csvfile import count, rows
from tallyroom.importers.errors import FileFormatError, ReconciliationError
from tallyroom.importers.nz import nz_election, roll_of, year_of
from tallyroom.importers.options import ReadOptions
from tallyroom.model import (
    CANCELLED_POLL_SUFFIX,
    NATION_UNIT,
    PARTY_CONTEST,
    Choice,
    Contest,
    ContestKind,
    CountType,
    Dataset,
    Electorate,
    Party,
    ReturnColumns,
    ReturnTable,
    Stage,
    Unit,
    UnitKind,
    candidate_contest,
    electorate_unit,
)

CANDIDATE_FILE = re.compile(r"candidate-votes-by-voting-place-(\d+)\.csv$")
PARTY_PLACES_FILE = re.compile(r"party-votes-by-voting-place-(\d+)\.csv$")
PARTY_TABLE = "votes-for-registered-parties-by-electorate.csv"
TURNOUT_TABLE = "candidate-votes-and-turnout-by-electorate.csv"
PARTY_TURNOUT_TABLE = "party-votes-and-turnout-by-electorate.csv"
SUMMARY_TABLE = "overall-results-summary.csv"
WINNERS_TABLE = "winning-electorate-candidates.csv"
SPECIAL_ROWS = {
    # label (before " - <electorate>") → count type, unit code suffix, unit name
    "Overseas Special Votes Including Defence Force": (
        CountType.OVERSEAS,
        "special",
        "Special votes",
    ),
    "Special Votes BEFORE Polling Day": (CountType.SPECIAL_BEFORE, "special", "Special votes"),
    "Special Votes ON Polling Day": (CountType.SPECIAL_ON, "special", "Special votes"),
    # party files only (2023): special votes that count for the party vote alone
    "Overseas Special Votes for Party Only": (
        CountType.OVERSEAS,
        "party-only",
        "Overseas special votes for the party only",
    ),
    "Votes Allowed for Party Only": (
        CountType.SPECIAL,
        "party-allowed",
        "Special votes allowed for the party only",
    ),
}
_SPECIAL_LABELS = tuple(SPECIAL_ROWS)
SMALL_PLACES = "Voting places where less than 6 votes were taken"
BLOCKS = {"Advance Voting Places": CountType.ADVANCE, "Voting Places": CountType.ELECTION_DAY}
POLL_CANCELLED = "(Poll Cancelled)"


@dataclass(frozen=True)
class _Kind:
    """What a by-voting-place file counts: candidate votes or party votes."""

    word: str
    """"Candidate" or "Party", as the files' headings spell it"""

    @property
    def details(self) -> str:
        return f"{self.word} Vote Details"

    @property
    def tail(self) -> list[str]:
        return [f"Total Valid {self.word} Votes", f"Informal {self.word} Votes"]

    @property
    def plus_row(self) -> str:
        return f"Valid {self.word} Votes plus Informal {self.word} Votes"

    @property
    def closing(self) -> str:
        return f"Electorate {self.word} Valid Votes"

    @property
    def choices(self) -> str:
        return "candidates" if self.word == "Candidate" else "parties"


CANDIDATE_VOTES = _Kind("Candidate")
PARTY_VOTES = _Kind("Party")


@dataclass
class _Electorate:
    """What one by-voting-place file says about its electorate."""

    number: int
    name: str
    candidates: list[str]
    """the header's choices: candidates, or parties in a party file"""
    kind: _Kind = CANDIDATE_VOTES
    party_of: dict[str, str] = field(default_factory=dict)
    total_valid: int = 0
    total_informal: int = 0
    special_valid: int = 0
    special_informal: int = 0
    totals: dict[str, int] = field(default_factory=dict)
    winner: str = ""
    majority: int = 0
    cancelled: bool = False
    """the candidate poll was cancelled (Port Waikato 2023): no candidate result"""


@dataclass
class _Place:
    """A voting-place row, held until the whole file is read (codes depend on all rows)."""

    line: int
    label: str
    group: tuple[str, str]
    """(suburb, area) the row is listed under"""
    count_type: CountType
    figures: list[int]
    fixed: Unit | None = None
    """the unit of a special-vote or small-places row, which needs no suburb to tell it"""


@paused_collection()
def read(paths: Sequence[Path], options: ReadOptions) -> list[Dataset]:
    """Read the official statistics files of one election; see the module docstring."""
    files = _expand(paths)
    candidate_files = sorted(
        (int(m.group(1)), f) for f in files if (m := CANDIDATE_FILE.search(f.name))
    )
    party_files = sorted(
        (int(m.group(1)), f) for f in files if (m := PARTY_PLACES_FILE.search(f.name))
    )
    if party_files and not candidate_files:
        number, path = party_files[0]
        raise FileFormatError(
            f"{path}: import it with candidate-votes-by-voting-place-{number}.csv beside it "
            "(the candidate file names the electorate and its voting places)"
        )
    if not candidate_files:
        raise FileFormatError(
            f"{paths[0]}: no candidate-votes-by-voting-place-N.csv file here; nz-official "
            "reads the Electoral Commission's files under their published names (N numbers "
            "the electorate), one or more of them, with the national tables if you have them"
        )
    year = _year(files, options)
    data = Dataset(nz_election(year))
    stage = options.stage or Stage.OFFICIAL
    columns = ReturnColumns()  # the returns, gathered as columns: there are thousands
    electorates = [
        _read_places(path, n, CANDIDATE_VOTES, stage, data, columns) for n, path in candidate_files
    ]
    numbers = {e.name: e.number for e in electorates}
    by_number = {e.number: e for e in electorates}
    total = max(numbers.values())
    party_places = _read_party_places(party_files, by_number, stage, data, columns)
    data.electorates = [Electorate(e.number, e.name, roll_of(e.number, total)) for e in electorates]
    data.units[:0] = [Unit(NATION_UNIT, UnitKind.NATION, "New Zealand")] + [
        Unit(electorate_unit(e.number), UnitKind.ELECTORATE, e.name, e.number) for e in electorates
    ]
    data.units = list({u.code: u for u in data.units}.values())
    turnout: dict[str, tuple[int, int]] = {}
    party_turnout: dict[str, tuple[int, int]] = {}
    summary: Path | None = None
    for path in files:
        if path.name == PARTY_TABLE:
            _read_party_table(path, numbers, stage, data, columns, party_places)
        elif path.name == TURNOUT_TABLE:
            turnout = _read_turnout(path, {e.name: e for e in electorates})
        elif path.name == PARTY_TURNOUT_TABLE and party_places:
            party_turnout = _read_turnout(
                path, {by_number[n].name: p for n, p in party_places.items()}
            )
        elif path.name == SUMMARY_TABLE:
            summary = path
        elif path.name == WINNERS_TABLE:
            _check_winners(path, {e.name: e for e in electorates})
    for name, (_cast, electors) in party_turnout.items():
        if name in turnout and turnout[name][1] != electors:
            raise ReconciliationError(
                f"{files[0].parent / PARTY_TURNOUT_TABLE}: {name} has {electors:,} electors "
                f"on the master roll; {TURNOUT_TABLE} says {turnout[name][1]:,}"
            )
    # the party table's votes cast: the candidate table's count none where a poll was cancelled
    turnout.update(party_turnout)
    data.electorates = [
        replace(e, votes_cast=turnout[e.name][0], electors=turnout[e.name][1])
        if e.name in turnout
        else e
        for e in data.electorates
    ]
    data.table = columns.table()
    if summary is not None:
        _check_summary(summary, electorates, data.table)
    split_files = [path for path in files if nz_split_votes.is_split_file(path)]
    national = any(path.name == PARTY_TABLE for path in files)
    data.split_votes = nz_split_votes.reconcile(
        nz_split_votes.read(split_files), data, national=national
    )
    return [data]


def _expand(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.csv")) if path.is_dir() else [path])
    return files


def _year(files: list[Path], options: ReadOptions) -> int:
    if options.election:
        return year_of(options.election)
    for part in reversed(files[0].resolve().parts[:-1]):
        if re.fullmatch(r"(19|20)\d\d", part):
            return int(part)
    raise FileFormatError(f"{files[0]}: cannot tell the election year; pass --election nz-YYYY")


def _read_party_places(
    party_files: list[tuple[int, Path]],
    electorates: dict[int, _Electorate],
    stage: Stage,
    data: Dataset,
    columns: ReturnColumns,
) -> dict[int, _Electorate]:
    """Party votes by voting place (2023 on): stored as the party vote's returns, by place."""
    found: dict[int, _Electorate] = {}
    parties: list[str] | None = None
    for number, path in party_files:
        if number not in electorates:
            raise FileFormatError(
                f"{path}: electorate {number} has no candidate-votes-by-voting-place file"
            )
        places = _read_places(path, number, PARTY_VOTES, stage, data, columns)
        if places.name != electorates[number].name:
            raise FileFormatError(
                f"{path}, line 2: electorate {number} is {places.name!r} here but "
                f"{electorates[number].name!r} in its candidate file"
            )
        if parties is None:
            parties = places.candidates
        elif places.candidates != parties:
            raise FileFormatError(
                f"{path}, line 3: the parties differ from those of "
                f"{party_files[0][1].name} ({', '.join(parties)})"
            )
        found[number] = places
    if parties is not None:
        data.parties = [Party(p) for p in parties]
        data.contests.insert(0, Contest(PARTY_CONTEST, ContestKind.PARTY, "Party vote"))
        data.choices.extend(Choice(PARTY_CONTEST, p, p) for p in parties)
    return found


def _read_places(
    path: Path, number: int, kind: _Kind, stage: Stage, data: Dataset, columns: ReturnColumns
) -> _Electorate:
    """One electorate's candidate (or party) votes by voting place, reconciled, its
    returns added to ``columns``.

    Reads in three steps: the heading (electorate, choices), the rows (each classified
    by :class:`_PlaceRows` as a block or group heading, a place, a special-vote batch,
    the total row or the closing block), then the places as units and returns.
    """
    lines = list(rows(path))
    found = _read_heading(path, lines, number, kind)
    scan = _PlaceRows(path, found)
    for position, (line, cells) in enumerate(lines[3:], start=3):
        if scan.take(line, cells):
            _check_closing_block(path, lines[position:], found, scan.total_row)
            break
    total_row = scan.total_row
    if total_row is None:
        raise FileFormatError(f"{path}: no '{found.name} Total' row; is the file truncated?")
    if not found.party_of:
        raise FileFormatError(f"{path}: no '{kind.closing}' block; is the file truncated?")
    contest = candidate_contest(number) if kind is CANDIDATE_VOTES else PARTY_CONTEST
    units = _place_units(path, found, scan.places)
    found.total_valid, found.total_informal = total_row[-2], total_row[-1]
    found.special_valid, found.special_informal = scan.special
    found.totals = dict(zip(found.candidates, total_row[:-2], strict=True))
    data.units.extend(units)
    if found.cancelled:
        if any(total_row):
            raise ReconciliationError(
                f"{path}: the poll is marked cancelled, yet the total row counts "
                f"{total_row[-2]:,} valid and {total_row[-1]:,} informal votes"
            )
    else:  # a cancelled poll has no candidate result: the electorate's seat is vacant
        for unit, place in zip(units, scan.places, strict=True):
            columns.add(
                contest, unit.code, stage, place.count_type, found.candidates,
                place.figures[:-2], place.figures[-1], f"{path}, line {place.line}",
            )  # fmt: skip
    if kind is CANDIDATE_VOTES:
        title = f"{found.name} electorate vote" + (CANCELLED_POLL_SUFFIX if found.cancelled else "")
        data.contests.append(Contest(contest, ContestKind.CANDIDATE, title, number))
        data.choices.extend(Choice(contest, c, found.party_of[c]) for c in found.candidates)
    return found


def _read_heading(
    path: Path, lines: list[tuple[int, list[str]]], number: int, kind: _Kind
) -> _Electorate:
    """The file's second line (electorate, number, a cancelled poll) and header (choices)."""
    if len(lines) < 4:
        raise FileFormatError(
            f"{path}: too short for a {kind.word.lower()}-votes-by-voting-place file"
        )
    line, cells = lines[1]
    title = (
        re.fullmatch(
            rf"(.+?)\s+(\d+)(\s*{re.escape(POLL_CANCELLED)})?", cells[0].strip(), re.DOTALL
        )
        if cells
        else None
    )
    if (
        not title
        or int(title.group(2)) != number
        or len(cells) < 2
        or cells[1].strip() != kind.details
        or (title.group(3) and kind is not CANDIDATE_VOTES)
    ):
        raise FileFormatError(
            f"{path}, line {line}: expected '<Electorate> {number},{kind.details}', "
            f"found {','.join(cells)!r}"
        )
    line, header = lines[2]
    if header[-2:] != kind.tail:
        raise FileFormatError(
            f"{path}, line {line}: expected a header of {kind.choices} ending with "
            f"'{','.join(kind.tail)}'"
        )
    found = _Electorate(
        number,
        title.group(1),
        [c.strip() for c in header[2:-2]],
        kind,
        cancelled=bool(title.group(3)),
    )
    if found.cancelled and any(c[:1] and c[0].strip() in BLOCKS for _, c in lines[3:]):
        raise FileFormatError(
            f"{path}, line 2: the poll is marked cancelled, yet voting places are listed"
        )
    return found


class _PlaceRows:
    """The rows of a by-voting-place file, taken one at a time and classified.

    Keeps the block (advance or election day) and group (suburb, area) each place is
    listed under (the total row must equal their column sums), the special votes, and
    where each place was first listed (a row repeated in one group is refused).
    """

    def __init__(self, path: Path, found: _Electorate) -> None:
        self.path = path
        self.found = found
        self.width = len(found.candidates) + 4
        self.block: CountType | None = None
        self.area = self.suburb = ""
        self.special = (0, 0)
        self.places: list[_Place] = []
        self.listed: dict[tuple[CountType, str, tuple[str, str]], int] = {}
        self.total_label = f"{found.name} Total"
        self.total_row: list[int] | None = None

    def take(self, line: int, cells: list[str]) -> bool:
        """Take one row; True when it opens the closing block (the rows end there)."""
        first = cells[0].strip() if cells else ""
        label = cells[1].strip() if len(cells) > 1 else ""
        if not any(c.strip() for c in cells):
            return False
        if first in BLOCKS and not label:
            self.block, self.area, self.suburb = BLOCKS[first], "", ""
        elif first and not label and not any(c.strip() for c in cells[2:]):
            # Māori electorates group their voting places by the general electorate
            # they lie in, under a one-cell heading such as "Botany".
            self.area, self.suburb = first, ""
        elif first == self.found.kind.closing:
            return True
        elif label == self.found.kind.plus_row:
            self._plus_row(line, cells)
        else:
            self._count_row(line, cells, first, label)
        return False

    def _plus_row(self, line: int, cells: list[str]) -> None:
        stated = _int(self.path, line, cells, 3, "valid plus informal votes")
        total = self.total_row or [0, 0]
        if self.total_row is None or stated != total[-2] + total[-1]:
            raise ReconciliationError(
                f"{self.path}, line {line}: valid plus informal votes stated as {stated:,}; "
                f"the total row gives {total[-2] + total[-1]:,}"
            )

    def _count_row(self, line: int, cells: list[str], first: str, label: str) -> None:
        found, path, kind = self.found, self.path, self.found.kind
        if label == SMALL_PLACES and not any(c.strip() for c in cells[2:]):
            cells = [*cells[:2], *["0"] * (self.width - 2)]  # 2017: the row left blank
        if len(cells) != self.width:
            raise FileFormatError(
                f"{path}, line {line}: expected {self.width} fields ({len(found.candidates)} "
                f"{kind.choices}, total, informal), found {len(cells)}"
            )
        counts = cells[2:]
        joined = "".join(counts)
        if all(counts) and joined.isascii() and joined.isdigit():  # the usual row: numbers
            figures = list(map(int, counts))
        else:  # anything else gets the careful reading and its error names the column
            figures = [_int(path, line, cells, i, _column(found, i)) for i in range(2, self.width)]
        if sum(figures[:-2]) != figures[-2]:
            raise ReconciliationError(
                f"{path}, line {line}: {kind.word.lower()} votes add up to "
                f"{sum(figures[:-2]):,} but the row's '{kind.tail[0]}' is {figures[-2]:,}"
            )
        if label == self.total_label:
            self._total_row(line, figures)
            return
        if self.total_row is not None:
            raise FileFormatError(f"{path}, line {line}: a count row after the total row")
        place = self._place(line, first, label, figures)
        key = (place.count_type, place.label, place.group)
        if key in self.listed:  # a row repeated: refused here, before the total row disagrees
            raise FileFormatError(
                f"{path}, line {line}: {label!r} is listed twice in the same block "
                f"(first on line {self.listed[key]})"
            )
        self.listed[key] = line
        self.places.append(place)

    def _total_row(self, line: int, figures: list[int]) -> None:
        columns = zip(*(place.figures for place in self.places), strict=True)
        sums = [sum(column) for column in columns] or [0] * len(figures)
        for i, (stated, summed) in enumerate(zip(figures, sums, strict=True)):
            if stated != summed:
                raise ReconciliationError(
                    f"{self.path}, line {line}, column {_column(self.found, i + 2)!r}: the "
                    f"total row says {stated:,}; the rows above add up to {summed:,}"
                )
        self.total_row = figures

    def _place(self, line: int, first: str, label: str, figures: list[int]) -> _Place:
        """A count row as a place: a special-vote batch, the small places, or a voting place."""
        number = self.found.number
        special = (
            next(s for s in SPECIAL_ROWS if label.startswith(s))
            if not first and label.startswith(_SPECIAL_LABELS)
            else None
        )
        if special is not None:
            count_type, suffix, name = SPECIAL_ROWS[special]
            self.special = (self.special[0] + figures[-2], self.special[1] + figures[-1])
            fixed = Unit(electorate_unit(number, suffix), UnitKind.SPECIAL_BATCH, name, number)
            return _Place(line, label, ("", ""), count_type, figures, fixed)
        if not first and label == SMALL_PLACES:
            code = electorate_unit(number, "small-places")
            fixed = Unit(code, UnitKind.VOTING_PLACE, SMALL_PLACES, number)
            return _Place(line, label, ("", ""), CountType.ORDINARY, figures, fixed)
        if self.block is None:
            raise FileFormatError(
                f"{self.path}, line {line}: a voting place before the 'Advance Voting Places' "
                "or 'Voting Places' heading"
            )
        self.suburb = first or self.suburb
        return _Place(line, label, (self.suburb, self.area), self.block, figures)


def _place_units(path: Path, found: _Electorate, places: list[_Place]) -> list[Unit]:
    """Each place's unit.

    The same place name can be listed under two suburbs of one block (care-home teams
    "Taken in …"): those are different places, told apart by the suburb in their code.
    """
    groups: dict[tuple[CountType, str], set[tuple[str, str]]] = {}
    for place in places:
        if place.fixed is None:
            groups.setdefault((place.count_type, place.label), set()).add(place.group)
    shared = {label for (_, label), found_in in groups.items() if len(found_in) > 1}
    seen: dict[tuple[str, CountType], int] = {}
    units: list[Unit] = []
    for place in places:
        unit = place.fixed
        if unit is None:
            code = electorate_unit(found.number, f"place:{place.label}")
            if place.label in shared:
                code += f" ({', '.join(part for part in place.group if part)})"
            name = ", ".join(part for part in (place.label, *place.group) if part)
            unit = Unit(code, UnitKind.VOTING_PLACE, name, found.number)
        if (unit.code, place.count_type) in seen:
            raise FileFormatError(
                f"{path}, line {place.line}: {place.label!r} is listed twice in the same block "
                f"(first on line {seen[unit.code, place.count_type]})"
            )
        seen[unit.code, place.count_type] = place.line
        units.append(unit)
    return units


def _check_closing_block(
    path: Path, block: list[tuple[int, list[str]]], found: _Electorate, total_row: list[int] | None
) -> None:
    """The closing block: each choice's votes (and a candidate's party), and the winner
    (with the majority, for candidates)."""
    line, cells = block[0]
    if total_row is None:
        raise FileFormatError(
            f"{path}, line {line}: the {found.kind.closing!r} block comes before the total row"
        )
    parties = found.kind is PARTY_VOTES
    pattern = r"(.+) - ([\d.]+)%" if parties else r"(.+) - majority (\d+)"
    stated = re.fullmatch(pattern, cells[-1].strip())
    if not stated and not (found.cancelled and not cells[-1].strip()):
        expected = "<party> - N%" if parties else "<winner> - majority N"
        raise FileFormatError(f"{path}, line {line}: expected '{expected}', found {cells[-1]!r}")
    votes: dict[str, int] = {}
    for line, cells in block[1:]:
        if not any(c.strip() for c in cells):
            continue
        name = cells[0].strip()
        if name not in found.candidates:
            raise FileFormatError(
                f"{path}, line {line}: {name!r} is not one of the {found.kind.choices} "
                "in the header"
            )
        found.party_of[name] = name if parties else cells[1].strip()
        votes[name] = _int(path, line, cells, 1 if parties else 2, f"votes of {name}")
    totals = dict(zip(found.candidates, total_row[:-2], strict=True))
    for name, given in votes.items():
        if given != totals[name]:
            raise ReconciliationError(
                f"{path}: the {found.kind.closing!r} block gives {name} {given:,} votes; "
                f"the total row {totals[name]:,}"
            )
    if not stated:
        return
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    majority = ranked[0][1] - (ranked[1][1] if len(ranked) > 1 else 0)
    if parties:
        if ranked[0][0] != stated.group(1).strip():
            raise ReconciliationError(
                f"{path}, line {block[0][0]}: stated most party votes for {stated.group(1)}; "
                f"the counts give {ranked[0][0]}"
            )
        return
    if (ranked[0][0], majority) != (stated.group(1), int(stated.group(2))):
        raise ReconciliationError(
            f"{path}, line {block[0][0]}: stated winner {stated.group(1)} by {stated.group(2)}; "
            f"the counts give {ranked[0][0]} by {majority}"
        )
    found.winner, found.majority = ranked[0][0], majority


def _read_party_table(
    path: Path,
    numbers: dict[str, int],
    stage: Stage,
    data: Dataset,
    columns: ReturnColumns,
    places: dict[int, _Electorate],
) -> None:
    """Party votes per electorate: stored as electorate-level returns, or, where the party
    votes by voting place were read (``places``), checked against them and not stored (a
    contest is stored at one level of detail). The table may shorten a party's name
    ("NZ Loyal" for "New Zealand Loyal"), so it is matched to those files column by column.
    """
    lines = list(rows(path))
    line, header = lines[1]
    tail = ["Total Valid Party Votes", "Informal Party Votes", "Total Party Votes Counted"]
    if header[0] != "Electorate" or header[-3:] != tail:
        raise FileFormatError(
            f"{path}, line {line}: expected 'Electorate,<parties>,{','.join(tail)}'"
        )
    parties = [p.strip() for p in header[1:-3]]
    if places:
        if len(parties) != len(data.parties):
            raise FileFormatError(
                f"{path}, line {line}: {len(parties)} parties; the party-votes-by-voting-place "
                f"files have {len(data.parties)}"
            )
    else:
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
            raise FileFormatError(
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
            raise FileFormatError(f"{path}, line {line}: electorate {name!r} has no candidate file")
        number = numbers[name]
        group = "Māori" if roll_of(number, max(numbers.values())).value == "maori" else "General"
        groups[group] = [a + b for a, b in zip(groups[group], figures, strict=True)]
        if places:
            _check_against_places(path, line, header, name, figures, places.get(number))
            continue
        columns.add(
            PARTY_CONTEST, electorate_unit(number), stage, CountType.ALL, parties, figures[:-3],
            figures[-2], f"{path}, line {line}",
        )  # fmt: skip


def _check_against_places(
    path: Path,
    line: int,
    header: list[str],
    name: str,
    figures: list[int],
    places: _Electorate | None,
) -> None:
    """An electorate's row of the party table against its party-votes-by-voting-place file."""
    if places is None:
        raise FileFormatError(
            f"{path}, line {line}: electorate {name!r} has no party-votes-by-voting-place file"
        )
    given = [places.totals[p] for p in places.candidates]
    given += [places.total_valid, places.total_informal]
    given.append(places.total_valid + places.total_informal)
    for i, (stated, summed) in enumerate(zip(figures, given, strict=True)):
        if stated != summed:
            raise ReconciliationError(
                f"{path}, line {line}, column {header[i + 1]!r}: {name} {stated:,}; its "
                f"party-votes-by-voting-place file gives {summed:,}"
            )


def _read_turnout(path: Path, electorates: dict[str, _Electorate]) -> dict[str, tuple[int, int]]:
    """Votes cast and electors per electorate. Valid and informal votes, and the special
    votes among them, must equal the by-voting-place files', and the Combined Totals row
    the sum of the electorates."""
    summed = [0] * 6
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
            _int(path, line, cells, 2, "Special Votes (valid)"),
            _int(path, line, cells, 5, "Special Votes (informal)"),
        ]
        if name == "Combined Totals":
            if figures != summed:
                raise ReconciliationError(
                    f"{path}, line {line}: Combined Totals valid/informal/cast/electors/"
                    f"special valid/special informal {'/'.join(f'{x:,}' for x in figures)}; "
                    f"the electorates add up to {'/'.join(f'{x:,}' for x in summed)}"
                )
            continue
        electorate = electorates[name]
        files = f"{electorate.kind.word.lower()}-votes-by-voting-place file"
        if figures[:2] != [electorate.total_valid, electorate.total_informal]:
            raise ReconciliationError(
                f"{path}, line {line}: {name} valid/informal {figures[0]:,}/{figures[1]:,}; its "
                f"{files} gives {electorate.total_valid:,}/{electorate.total_informal:,}"
            )
        if figures[4:] != [electorate.special_valid, electorate.special_informal]:
            raise ReconciliationError(
                f"{path}, line {line}: {name} special votes valid/informal "
                f"{figures[4]:,}/{figures[5]:,}; its {files}'s special-vote rows give "
                f"{electorate.special_valid:,}/{electorate.special_informal:,}"
            )
        summed = [a + b for a, b in zip(summed, figures, strict=True)]
        found[name] = (figures[2], figures[3])
    return found


def _check_summary(path: Path, electorates: list[_Electorate], table: ReturnTable) -> None:
    """``overall-results-summary.csv`` against the electorates' returns (``table``): each
    party's party votes and electorate-candidate votes and electorate seats won, and the
    valid and informal totals of both votes."""
    is_party = pl.col("contest") == PARTY_CONTEST
    party_votes: dict[str, int] = dict(
        table.counts.lazy()
        .filter(is_party)
        .group_by("choice", maintain_order=True)
        .agg(pl.col("votes").sum())
        .collect()
        .iter_rows()
    )
    party_informal, candidate_informal = (
        table.returns.lazy()
        .select(
            pl.col("informal").filter(is_party).sum().alias("party"),
            pl.col("informal").filter(~is_party).sum().alias("candidate"),
        )
        .collect()
        .row(0)
    )
    candidate_votes: dict[str, int] = {}
    won: dict[str, int] = {}
    for e in electorates:
        for candidate, votes in e.totals.items():
            party = e.party_of[candidate]
            candidate_votes[party] = candidate_votes.get(party, 0) + votes
        if e.winner:
            won[e.party_of[e.winner]] = won.get(e.party_of[e.winner], 0) + 1
    computed = {
        "party votes": party_votes,
        "electorate candidate votes": candidate_votes,
        "electorate seats won": won,
    }
    stated: dict[str, dict[str, int]] = {what: {} for what in computed}
    totals: list[tuple[int, list[int]]] = []
    listing = False
    for line, cells in rows(path):
        name = cells[0].strip() if cells else ""
        if name == "Parties(Grouped)":
            listing = True
            continue
        if name == "State of the Parties":
            break
        if not listing or len([c for c in cells if c.strip()]) <= 1:
            continue
        if not name:
            if len(cells) > 7 and cells[3].strip() and cells[7].strip():
                totals.append((line, [_int(path, line, cells, i, "Votes") for i in (3, 7)]))
            continue
        if len(cells) < 9:
            raise FileFormatError(f"{path}, line {line}: expected 9 fields, found {len(cells)}")
        for what, index, column in (
            ("party votes", 2, "Party List Votes"),
            ("electorate seats won", 5, "Seats Won"),
            ("electorate candidate votes", 6, "Electorate Candidates Votes"),
        ):
            if cells[index].strip():
                figure = _int(path, line, cells, index, column)
                stated[what][name] = stated[what].get(name, 0) + figure
                if figure != computed[what].get(name, 0):
                    raise ReconciliationError(
                        f"{path}, line {line}, column {column!r}: {name} {figure:,}; the "
                        f"electorates add up to {computed[what].get(name, 0):,}"
                    )
    for what, figures in computed.items():
        missing = [p for p, n in figures.items() if n and p not in stated[what]]
        if missing:
            raise ReconciliationError(
                f"{path}: {missing[0]} has {figures[missing[0]]:,} {what} in the electorates "
                "but no row here"
            )
    expected = [
        (sum(party_votes.values()), sum(candidate_votes.values())),
        (party_informal, candidate_informal),
    ]
    if len(totals) != 2:
        raise FileFormatError(
            f"{path}: expected a row of valid and a row of informal vote totals after the parties"
        )
    for (line, figures), (party, candidate), what in zip(
        totals, expected, ("valid", "informal"), strict=True
    ):
        if figures != [party, candidate]:
            raise ReconciliationError(
                f"{path}, line {line}: {what} party/candidate votes {figures[0]:,}/"
                f"{figures[1]:,}; the electorates add up to {party:,}/{candidate:,}"
            )


def _check_winners(path: Path, electorates: dict[str, _Electorate]) -> None:
    """``winning-electorate-candidates.csv``: each electorate's winner, party, votes and
    majority as the candidate files give them; one row for every electorate with a
    result, none for one whose poll was cancelled."""
    header = ["Electoral District", "Electorate Candidate", "Party", "Valid Votes", "Majority"]
    listed: dict[str, int] = {}
    for line, cells in rows(path):
        name = cells[0].strip() if cells else ""
        if line == 2 and [c.strip() for c in cells[:5]] != header:
            raise FileFormatError(f"{path}, line 2: expected the columns {', '.join(header)}")
        if line <= 2 or not name:
            continue
        if name not in electorates:
            raise FileFormatError(f"{path}, line {line}: electorate {name!r} has no candidate file")
        if name in listed:
            raise FileFormatError(
                f"{path}, line {line}: {name} is listed twice (first on line {listed[name]})"
            )
        listed[name] = line
        e = electorates[name]
        stated = (
            cells[1].strip() if len(cells) > 1 else "",
            cells[2].strip() if len(cells) > 2 else "",
            _int(path, line, cells, 3, "Valid Votes"),
            _int(path, line, cells, 4, "Majority"),
        )
        given = (e.winner, e.party_of.get(e.winner, ""), e.totals.get(e.winner, 0), e.majority)
        if stated != given:
            raise ReconciliationError(
                f"{path}, line {line}: {name} won by {stated[0]} ({stated[1]}) with "
                f"{stated[2]:,} votes, majority {stated[3]:,}; its candidate file gives "
                f"{given[0] or 'no winner'} ({given[1]}) with {given[2]:,}, majority {given[3]:,}"
            )
    missing = [e.name for e in electorates.values() if e.winner and e.name not in listed]
    if missing:
        raise ReconciliationError(f"{path}: no row for the winner of {missing[0]}")


def _column(found: _Electorate, index: int) -> str:
    names = [*found.candidates, *found.kind.tail]
    return names[index - 2]


def _int(path: Path, line: int, cells: list[str], index: int, what: str) -> int:
    return count(cells[index] if index < len(cells) else "", path, line, what)
