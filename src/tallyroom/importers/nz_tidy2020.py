"""The 2020 tidy electorate tables: ``electorate-results-preliminary.csv`` / ``-official.csv``.

One row per (electorate, vote type, party, candidate) with the electorate's votes. The
preliminary file is the election-night count of ordinary votes; the official file the
final count. "Informal Party Votes" / "Informal Candidate Votes" rows are informal
counts, not choices. These files omit candidates standing as independents or for
parties not on the party ballot; the official per-electorate files are the authority.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from tallyroom.importers.csvfile import count, records
from tallyroom.importers.errors import FileFormatError
from tallyroom.importers.nz import is_informal, nz_election, roll_of
from tallyroom.importers.options import ReadOptions
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

HEADER = ("electorate_number", "electorate", "vote_type", "party", "candidate", "votes")


def read(paths: Sequence[Path], options: ReadOptions) -> list[Dataset]:
    """Read one or both tidy files; the stage comes from each file's name unless given."""
    data = Dataset(nz_election(2020))
    stage = options.stage
    names: dict[int, str] = {}
    parties: dict[str, None] = {}
    choices: dict[tuple[str, str], Choice] = {}
    for path in paths:
        file_stage = stage or _stage_from_name(path)
        counts: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
        informal: dict[tuple[int, str], int] = defaultdict(int)
        where: dict[tuple[int, str], str] = {}
        for line, row in records(path, HEADER):
            number = count(row["electorate_number"], path, line, "electorate_number")
            name = row["electorate"].strip()
            if names.setdefault(number, name) != name:
                raise FileFormatError(
                    f"{path}, line {line}, column 'electorate': electorate {number} is "
                    f"{names[number]!r} elsewhere, {name!r} here"
                )
            kind = row["vote_type"].strip()
            if kind not in ("party", "candidate"):
                raise FileFormatError(
                    f"{path}, line {line}, column 'vote_type': expected party or candidate, "
                    f"found {kind!r}"
                )
            votes = count(row["votes"], path, line, "votes")
            party = row["party"].strip()
            key = (number, kind)
            where.setdefault(key, f"{path}, line {line}")
            if is_informal(party):
                informal[key] += votes
                continue
            contest = PARTY_CONTEST if kind == "party" else candidate_contest(number)
            choice = party if kind == "party" else row["candidate"].strip()
            if choice in counts[key]:
                raise FileFormatError(
                    f"{path}, line {line}: {choice!r} appears twice for electorate {number}"
                )
            counts[key][choice] = votes
            parties.setdefault(party)
            choices.setdefault((contest, choice), Choice(contest, choice, party))
        count_type = CountType.ORDINARY if file_stage is Stage.PRELIMINARY else CountType.ALL
        for (number, kind), tally in counts.items():
            contest = PARTY_CONTEST if kind == "party" else candidate_contest(number)
            data.returns.append(
                Return(
                    contest,
                    electorate_unit(number),
                    file_stage,
                    count_type,
                    tally,
                    informal[number, kind],
                    where[number, kind],
                )
            )
    total = max(names, default=0)
    data.electorates = [Electorate(n, names[n], roll_of(n, total)) for n in sorted(names)]
    data.parties = [Party(p) for p in parties]
    data.units = [Unit(NATION_UNIT, UnitKind.NATION, "New Zealand")] + [
        Unit(electorate_unit(n), UnitKind.ELECTORATE, names[n], n) for n in sorted(names)
    ]
    data.contests = [Contest(PARTY_CONTEST, ContestKind.PARTY, "Party vote")] + [
        Contest(candidate_contest(n), ContestKind.CANDIDATE, f"{names[n]} electorate vote", n)
        for n in sorted(names)
    ]
    data.choices = list(choices.values())
    return [data]


def _stage_from_name(path: Path) -> Stage:
    for stage in (Stage.PRELIMINARY, Stage.OFFICIAL):
        if stage.value in path.name:
            return stage
    raise FileFormatError(
        f"{path}: cannot tell the stage from the file name; pass --stage preliminary|official"
    )
