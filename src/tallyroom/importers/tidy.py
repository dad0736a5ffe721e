"""tallyroom's own tidy format: one election as a directory of small UTF-8 CSV files.

Any country's results can be brought in this way; the bundled New Zealand 2020 dataset
is written in it. ``docs/tidy-format.md`` describes it with an example.

``election.csv`` (required, one row)
    ``id,name,date,rules``: ``rules`` names a rule set (``tallyroom rules``).
``returns.csv`` (required)
    ``stage,contest,unit,count_type,choice,party,votes``: one row per choice of a
    return; the choice ``informal`` carries the return's informal votes.
``electorates.csv`` (optional: electorates it leaves out are called by number)
    ``number,name,roll,code,region,hex_u,hex_v,electors,votes_cast`` (the last six may
    be empty; ``electors`` and ``votes_cast`` give turnout).
``parties.csv``
    ``name,short_name,colour,position``: ``position`` (optional, a number) places the
    party left to right where the House seats it.
``lists.csv`` (optional)
    ``party,rank,name,electorate``: each party's list, one row per place (``electorate``,
    the one the candidate stood in, may be empty); list MPs are named from it.
``split-votes.csv`` (optional)
    ``scope,party,party_votes,choice,hundredths,votes``: published split-vote tables, one
    row per cell (see :class:`tallyroom.model.SplitVote`; ``votes`` may be empty).
``contests.csv``, ``units.csv``
    ``code,kind,name,electorate``; optional: contests and units not listed are
    derived from their codes (``party``, ``candidate:N``, ``referendum:SLUG``;
    ``nation``, ``electorate:N``, ``electorate:N/special``, ``electorate:N/…``,
    ``area:N/…``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

from tallyroom.gc_pause import paused_collection
from tallyroom.importers.csvfile import count, records
from tallyroom.importers.errors import FileFormatError
from tallyroom.importers.options import ReadOptions
from tallyroom.model import (
    SPLIT_NATION,
    SPLIT_NATIONAL_SCOPES,
    Choice,
    Contest,
    ContestKind,
    CountType,
    Dataset,
    Election,
    Electorate,
    ListCandidate,
    Party,
    Return,
    Roll,
    SplitVote,
    Stage,
    Unit,
    UnitKind,
)

FILES = {
    "election.csv": ("id", "name", "date", "rules"),
    "electorates.csv": (
        "number",
        "name",
        "roll",
        "code",
        "region",
        "hex_u",
        "hex_v",
        "electors",
        "votes_cast",
    ),
    "parties.csv": ("name", "short_name", "colour", "position"),
    "contests.csv": ("code", "kind", "name", "electorate"),
    "units.csv": ("code", "kind", "name", "electorate"),
    "returns.csv": ("stage", "contest", "unit", "count_type", "choice", "party", "votes"),
    "lists.csv": ("party", "rank", "name", "electorate"),
    "split-votes.csv": ("scope", "party", "party_votes", "choice", "hundredths", "votes"),
}
INFORMAL = "informal"


@paused_collection()
def read(paths: Sequence[Path], options: ReadOptions) -> list[Dataset]:
    """Read one tidy directory per path."""
    return [_read_directory(path, options) for path in paths]


def _read_directory(folder: Path, options: ReadOptions) -> Dataset:
    if not folder.is_dir():
        raise FileFormatError(f"{folder}: the tidy format is a directory of CSV files")
    for required in ("election.csv", "returns.csv"):
        if not (folder / required).exists():
            raise FileFormatError(f"{folder / required}: file not found (required)")
    (line, row), *extra = list(records(folder / "election.csv", FILES["election.csv"]))
    if extra:
        raise FileFormatError(
            f"{folder / 'election.csv'}: expected one election, found {1 + len(extra)}"
        )
    data = Dataset(
        Election(options.election or row["id"], row["name"], row["date"], row["rules"] or "nz")
    )
    data.electorates = [
        _electorate(folder / "electorates.csv", n, r)
        for n, r in _optional(folder, "electorates.csv")
    ]
    data.parties = [
        Party(r["name"], r["short_name"], r["colour"], _position(folder / "parties.csv", n, r))
        for n, r in _optional(folder, "parties.csv")
    ]
    data.list_candidates = [
        ListCandidate(
            r["party"].strip(),
            count(r["rank"], folder / "lists.csv", n, "rank"),
            r["name"].strip(),
            r["electorate"].strip(),
        )
        for n, r in _optional(folder, "lists.csv")
    ]
    data.split_votes = [
        _split_vote(folder / "split-votes.csv", n, r)
        for n, r in _optional(folder, "split-votes.csv")
    ]
    names = {e.number: e.name for e in data.electorates}
    contests = {
        r["code"]: _definition(Contest, ContestKind, folder / "contests.csv", n, r)
        for n, r in _optional(folder, "contests.csv")
    }
    units = {
        r["code"]: _definition(Unit, UnitKind, folder / "units.csv", n, r)
        for n, r in _optional(folder, "units.csv")
    }
    choices: dict[tuple[str, str], Choice] = {}
    returns: dict[tuple[str, str, str, str], dict] = {}
    path = folder / "returns.csv"
    for line, row in records(path, FILES["returns.csv"]):
        where = f"{path}, line {line}"
        try:
            stage = options.stage or Stage(row["stage"])
            count_type = CountType(row["count_type"])
        except ValueError as error:
            raise FileFormatError(f"{where}: {error}") from None
        contest, unit, choice = row["contest"].strip(), row["unit"].strip(), row["choice"].strip()
        contests.setdefault(contest, _derived_contest(contest, names, where))
        units.setdefault(unit, _derived_unit(unit, names, where))
        entry = returns.setdefault(
            (contest, unit, stage.value, count_type.value),
            {"counts": {}, "informal": 0, "where": where},
        )
        votes = count(row["votes"], path, line, "votes")
        if choice == INFORMAL:
            entry["informal"] += votes
            continue
        if choice in entry["counts"]:
            raise FileFormatError(f"{where}: {choice!r} appears twice in the same return")
        entry["counts"][choice] = votes
        choices.setdefault((contest, choice), Choice(contest, choice, row["party"].strip()))
    data.contests = list(contests.values())
    data.units = list(units.values())
    data.electorates += _unlisted_electorates(data)
    data.choices = list(choices.values())
    data.returns = [
        Return(c, u, Stage(s), CountType(k), e["counts"], e["informal"], e["where"])
        for (c, u, s, k), e in returns.items()
    ]
    return data


OPTIONAL_COLUMNS = {"parties.csv": ("position",)}
"""columns added later, which older directories may leave out"""


def _split_vote(path: Path, line: int, row: dict[str, str]) -> SplitVote:
    """One cell of ``split-votes.csv``: a known scope, a party and a choice, a share of at
    most 100 % (10,000 hundredths), whole numbers."""
    scope = row["scope"].strip()
    if scope not in (SPLIT_NATION, *SPLIT_NATIONAL_SCOPES) and not re.fullmatch(
        r"electorate:[1-9]\d*", scope
    ):
        raise FileFormatError(
            f"{path}, line {line}, column 'scope': expected nation, all, general, maori or "
            f"electorate:N, found {row['scope']!r}"
        )
    for column in ("party", "choice"):
        if not row[column].strip():
            raise FileFormatError(f"{path}, line {line}, column {column!r}: empty")
    if count(row["hundredths"], path, line, "hundredths") > 10_000:
        raise FileFormatError(
            f"{path}, line {line}, column 'hundredths': a share above 100 % "
            f"({row['hundredths']} hundredths of a per cent)"
        )
    votes = row["votes"].strip()
    return SplitVote(
        row["scope"].strip(),
        row["party"].strip(),
        count(row["party_votes"], path, line, "party_votes"),
        row["choice"].strip(),
        count(row["hundredths"], path, line, "hundredths"),
        count(votes, path, line, "votes") if votes else None,
    )


def _optional(folder: Path, name: str):
    path = folder / name
    if not path.exists():
        return iter(())
    added = OPTIONAL_COLUMNS.get(name, ())
    return records(path, FILES[name][: len(FILES[name]) - len(added)], added)


def _position(path: Path, line: int, row: dict[str, str]) -> float | None:
    """A party's ``position`` (left to right in the House), if given."""
    text = row["position"].strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise FileFormatError(
            f"{path}, line {line}, column 'position': expected a number, found {text!r}"
        ) from None


def _electorate(path: Path, line: int, row: dict[str, str]) -> Electorate:
    try:
        roll = Roll(row["roll"] or "general")
    except ValueError:
        raise FileFormatError(
            f"{path}, line {line}, column 'roll': expected general or maori"
        ) from None
    optional = {
        column: count(row[column], path, line, column) if row[column].strip() else None
        for column in ("hex_u", "hex_v", "electors", "votes_cast")
    }
    return Electorate(
        count(row["number"], path, line, "number"),
        row["name"].strip(),
        roll,
        row["code"].strip(),
        row["region"].strip(),
        **optional,
    )


def _unlisted_electorates(data: Dataset) -> list[Electorate]:
    """The electorates that contests or units name but ``electorates.csv`` does not list
    (or that file is left out): general electorates called by their number."""
    listed = {e.number for e in data.electorates}
    named = {x.electorate for x in [*data.contests, *data.units] if x.electorate is not None}
    return [Electorate(n, _electorate_name(n)) for n in sorted(named - listed)]


def _electorate_name(number: int) -> str:
    """What an electorate not listed in ``electorates.csv`` is called."""
    return f"Electorate {number}"


def _definition(cls, kinds, path: Path, line: int, row: dict[str, str]):
    try:
        kind = kinds(row["kind"])
    except ValueError:
        known = ", ".join(k.value for k in kinds)
        raise FileFormatError(
            f"{path}, line {line}, column 'kind': expected one of {known}"
        ) from None
    number = (
        count(row["electorate"], path, line, "electorate") if row["electorate"].strip() else None
    )
    return cls(row["code"].strip(), kind, row["name"].strip(), number)


def _number(text: str, where: str) -> int:
    if not text.isdigit():
        raise FileFormatError(f"{where}: expected an electorate number in {text!r}")
    return int(text)


def _derived_contest(code: str, names: dict[int, str], where: str) -> Contest:
    if code == "party":
        return Contest(code, ContestKind.PARTY, "Party vote")
    kind, _, rest = code.partition(":")
    if kind == "candidate":
        number = _number(rest, where)
        return Contest(
            code,
            ContestKind.CANDIDATE,
            f"{names.get(number, _electorate_name(number))} electorate vote",
            number,
        )
    if kind == "referendum" and rest:
        return Contest(code, ContestKind.REFERENDUM, rest.replace("-", " ").capitalize())
    raise FileFormatError(f"{where}: contest {code!r} is not party, candidate:N or referendum:SLUG")


def _derived_unit(code: str, names: dict[int, str], where: str) -> Unit:
    if code == "nation":
        return Unit(code, UnitKind.NATION, "Nation")
    kind, _, rest = code.partition(":")
    head, _, detail = rest.partition("/")
    if kind == "electorate":
        number = _number(head, where)
        if not detail:
            return Unit(
                code, UnitKind.ELECTORATE, names.get(number, _electorate_name(number)), number
            )
        if detail == "special":
            return Unit(code, UnitKind.SPECIAL_BATCH, "Special votes", number)
        return Unit(code, UnitKind.VOTING_PLACE, detail.removeprefix("place:"), number)
    if kind == "area":
        return Unit(code, UnitKind.AREA, rest, _number(head, where))
    raise FileFormatError(f"{where}: unit {code!r} is not nation, electorate:N[/…] or area:N/…")


def write(data: Dataset, folder: Path) -> None:
    """Write ``data`` as a tidy directory (the inverse of :func:`read`)."""
    folder.mkdir(parents=True, exist_ok=True)
    e = data.election
    party_of = {(c.contest, c.name): c.party for c in data.choices}
    tables = {
        "election.csv": [(e.id, e.name, e.date, e.rules)],
        "electorates.csv": [
            (
                x.number,
                x.name,
                x.roll.value,
                x.code,
                x.region,
                *("" if v is None else v for v in (x.hex_u, x.hex_v, x.electors, x.votes_cast)),
            )
            for x in data.electorates
        ],
        "parties.csv": [
            (p.name, p.short_name, p.colour, "" if p.position is None else f"{p.position:g}")
            for p in data.parties
        ],
        "contests.csv": [(c.code, c.kind.value, c.name, c.electorate or "") for c in data.contests],
        "units.csv": [(u.code, u.kind.value, u.name, u.electorate or "") for u in data.units],
        "returns.csv": [
            (
                r.stage.value,
                r.contest,
                r.unit,
                r.count_type.value,
                choice,
                party_of.get((r.contest, choice), ""),
                votes,
            )
            for r in data.returns
            for choice, votes in [*r.counts.items(), (INFORMAL, r.informal)]
        ],
    }
    if data.list_candidates:  # optional: a directory without lists has no lists.csv
        tables["lists.csv"] = [
            (c.party, c.rank, c.name, c.electorate) for c in data.list_candidates
        ]
    if data.split_votes:
        tables["split-votes.csv"] = [
            (
                v.scope,
                v.party,
                v.party_votes,
                v.choice,
                v.hundredths,
                "" if v.votes is None else v.votes,
            )
            for v in data.split_votes
        ]
    for name, rows in tables.items():
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(FILES[name])
            writer.writerows(rows)
