"""One count per contest, unit and stage: the rules every write obeys, imports and the
returns API alike.

Two decisions, both pure:

* :func:`decide` — a return against the latest stored version of the same return key
  (contest, unit, stage, count type): new, a repeat of what is stored, a correction, or
  a conflict;
* :func:`shape_problem` — the returns that would be current for one contest, stage and
  electorate (or the nation) after a write: they must report at one level of detail
  (an electorate-wide return or its voting places, never both) and, at one unit, with
  count types that do not overlap (``all`` covers every type, ``ordinary`` covers advance
  and election-day votes, ``special`` the kinds of special vote). Anything else would add
  the same votes twice or let one small return silently stand for a whole electorate.

:func:`unit_problem` and :func:`electorate_problem` bound the figures: no unit above a
ceiling, and an electorate's valid plus informal votes never above its electors where the
roll is known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import CTE

from tallyroom.errors import ConflictError, InvalidError
from tallyroom.model import CountType, UnitKind
from tallyroom.store import schema as t

UNIT_CEILING = 250_000
"""the most votes one reporting unit below the nation may report: about five times the
largest New Zealand electorate's votes"""

_COVERS = {
    CountType.ALL: frozenset(CountType),
    CountType.ORDINARY: frozenset({CountType.ADVANCE, CountType.ELECTION_DAY}),
    CountType.SPECIAL: frozenset(
        {CountType.SPECIAL_BEFORE, CountType.SPECIAL_ON, CountType.OVERSEAS}
    ),
}


def overlaps(a: CountType, b: CountType) -> bool:
    """Whether returns of count types ``a`` and ``b`` at one unit would count a vote twice."""
    return a == b or b in _COVERS.get(a, ()) or a in _COVERS.get(b, ())


_WHOLE = (UnitKind.NATION.value, UnitKind.ELECTORATE.value)
"""the unit kinds that are a level of their own (see :func:`level`): any other is a part"""


def level(kind: UnitKind) -> str:
    """How detailed a unit is: the nation, an electorate, or a part of one."""
    if kind.value in _WHOLE:
        return kind.value
    return "part"


class InvalidWriteError(InvalidError):
    """A write is malformed or implausible; nothing was changed."""


class Verdict(StrEnum):
    """What a return is, against the stored versions of its key."""

    NEW = "new"
    DUPLICATE = "duplicate"
    CORRECTION = "correction"


@dataclass(frozen=True)
class Latest:
    """The latest counted version of a return key, with its figures (zeros left out)."""

    id: int
    version: int
    figures: tuple[dict[int, int], int]
    """votes by choice id, and informal votes"""
    top: int = 0
    """the highest version stored for the key, counted or not (held, rejected)"""
    pending: int | None = None
    """the id of a correction of this key still under review, if any"""
    supersedes: int | None = None
    """the version this one corrected, if it is a correction"""


@dataclass(frozen=True)
class Decision:
    """How a return is stored: its verdict, version and what it supersedes."""

    verdict: Verdict
    version: int
    supersedes: int | None = None


def decide(
    latest: Latest | None,
    figures: tuple[dict[int, int], int],
    *,
    supersedes: int | None,
    reason: str,
    replace: bool = False,
    how_to_correct: str = "",
) -> Decision:
    """Decide a return against ``latest``. A correction names the latest version it
    ``supersedes`` (API) or is made under ``replace`` (imports), and must give a reason;
    while another correction of the key is under review, none is taken."""
    if latest is None:
        if supersedes is not None:
            raise ConflictError(
                f"supersedes: {supersedes} is not the latest version (latest: none)"
            )
        return Decision(Verdict.NEW, 1)
    if latest.figures == figures and (replace or supersedes is None):
        return Decision(Verdict.DUPLICATE, latest.version, None)
    if latest.pending is not None:
        raise ConflictError(
            f"a correction of this return (id {latest.pending}) is under review: it must be "
            "approved or rejected first"
        )
    if supersedes is None and not replace:
        raise ConflictError(
            f"this return is stored (id {latest.id}, version {latest.version}) with other "
            f"figures; {how_to_correct}"
        )
    if supersedes is not None and supersedes != latest.id:
        raise ConflictError(
            f"supersedes: {supersedes} is not the latest version (latest: id {latest.id})"
        )
    if not reason.strip():
        raise InvalidWriteError("reason: a correction must say why")
    return Decision(Verdict.CORRECTION, max(latest.version, latest.top) + 1, latest.id)


class Slot(NamedTuple):
    """Where a current return counts: its unit (code, kind) and count type (a tuple: an
    import checks one per stored return)."""

    unit: str
    kind: UnitKind
    count_type: CountType


_UNIT_KINDS = {kind.value: kind for kind in UnitKind}
_COUNT_TYPES = {count_type.value: count_type for count_type in CountType}
"""the enums by stored value (looked up once per stored return)"""


def shape_problem(slots: Iterable[Slot], where: str) -> str | None:
    """Why the current returns ``slots`` of one contest at one stage in one place
    (``where``, e.g. "candidate:32 at the official stage") cannot all count, or ``None``."""
    first: Slot | None = None
    types: dict[str, list[Slot]] = {}
    for slot in slots:
        if first is None:
            first = slot
        elif level(first.kind) != level(slot.kind):
            finer, coarser = (slot, first) if level(slot.kind) == "part" else (first, slot)
            return (
                f"{where} is reported for {coarser.unit} as a whole and also by "
                f"{finer.unit}: report one or the other, never both"
            )
        for other in types.get(slot.unit, ()):
            if overlaps(other.count_type, slot.count_type):
                return (
                    f"{where} at {slot.unit}: a {slot.count_type} return overlaps the "
                    f"{other.count_type} return stored (they would count the same votes twice)"
                )
        types.setdefault(slot.unit, []).append(slot)
    return None


def unit_problem(unit: str, votes: int, ceiling: int) -> str | None:
    """Why one unit's ``votes`` (valid plus informal) are implausible, or ``None``."""
    if votes > ceiling:
        return f"{unit}: {votes:,} votes is more than one reporting unit may report ({ceiling:,})"
    return None


def electorate_problem(where: str, votes: int, electors: int | None) -> str | None:
    """Why an electorate's ``votes`` (valid plus informal, all its units together) are
    implausible: more than its ``electors``, where the roll is known; else ``None``."""
    if electors is not None and votes > electors:
        return (
            f"{where}: {votes:,} valid and informal votes would exceed the electorate's "
            f"{electors:,} electors"
        )
    return None


@cache
def counted(table=t.vote_return):
    """SQL: a row of ``table`` (``vote_return`` or an alias) whose figures count: not held
    for review, or held and approved."""
    return or_(
        table.c.held == 0,
        exists().where(t.review.c.return_id == table.c.id, t.review.c.decision == "approved"),
    )


@cache
def pending(table=t.vote_return):
    """SQL: a row of ``table`` held for review that no admin has decided yet."""
    return and_(table.c.held != 0, ~exists().where(t.review.c.return_id == table.c.id))


@cache
def is_latest():
    """SQL: a ``vote_return`` row that counts — counted, and no later counted version of
    its key is stored. (Built once: building the expression costs more than running it.)"""
    r, newer = t.vote_return, aliased(t.vote_return)
    return and_(
        counted(r),
        ~exists().where(
            and_(
                newer.c.contest_id == r.c.contest_id,
                newer.c.unit_id == r.c.unit_id,
                newer.c.stage == r.c.stage,
                newer.c.count_type == r.c.count_type,
                newer.c.version > r.c.version,
                counted(newer),
            )
        ),
    )


@dataclass(frozen=True)
class Problem:
    """A rule the current returns break, and the return that breaks it."""

    return_id: int
    message: str


def current_problems(
    conn: Connection,
    contest_ids: Iterable[int],
    stages: Iterable[str],
    ceiling: int,
    electorate: int | None = None,
) -> list[Problem]:
    """Check the counted latest returns of these contests at these stages against
    :func:`shape_problem`, :func:`unit_problem` and :func:`electorate_problem` (run inside
    the writing transaction, after the write, so imports and submissions share one rule).
    With ``electorate``, only that electorate's returns are checked (one submission's).

    The database first screens every contest, stage and place (:func:`_screened`) for
    anything that could break a rule; only the places it flags are read return by return
    and checked here. An import of 2023's 16,800 returns then checks 143 places instead
    of reading every return into Python.
    """
    contest_ids, stages = sorted(set(contest_ids)), sorted(set(stages))
    if not contest_ids:
        return []
    current = _current(contest_ids, stages, electorate)
    e = t.electorate
    electors = {
        (row.election_id, row.number): row.electors
        for row in conn.execute(select(e.c.election_id, e.c.number, e.c.electors))
    }
    flagged = _screened(conn, current, ceiling, electors)
    if not flagged:
        return []
    rows = conn.execute(
        select(current)
        .where(current.c.contest_id.in_({key[0] for key in flagged}))
        .order_by(current.c.id)
    ).all()
    return _problems(
        [row for row in rows if (row.contest_id, row.stage, row.place) in flagged],
        ceiling,
        electors,
    )


def _current(contest_ids: list[int], stages: list[str], electorate: int | None) -> CTE:
    """SQL: the counted latest returns in scope, each with its valid and informal votes,
    unit, level and place (the contest's electorate, else the unit's)."""
    r, c, u = t.vote_return, t.contest, t.unit
    scope = [r.c.contest_id.in_(contest_ids), r.c.stage.in_(stages)]
    if electorate is not None:
        scope.append(or_(c.c.electorate == electorate, u.c.electorate == electorate))
    v = t.vote_count
    valid = (  # per return, by its key: no aggregate over every count in scope
        select(func.coalesce(func.sum(v.c.votes), 0)).where(v.c.return_id == r.c.id)
    ).scalar_subquery()
    return (
        select(
            r.c.id,
            r.c.contest_id,
            r.c.stage,
            r.c.count_type,
            r.c.informal,
            valid.label("valid"),
            c.c.election_id,
            c.c.code.label("contest"),
            c.c.kind.label("contest_kind"),
            c.c.electorate.label("contest_electorate"),
            r.c.unit_id,
            u.c.code.label("unit"),
            u.c.kind.label("unit_kind"),
            case((u.c.kind.in_(_WHOLE), u.c.kind), else_="part").label("level"),
            func.coalesce(c.c.electorate, u.c.electorate).label("place"),
        )
        .join(c, r.c.contest_id == c.c.id)
        .join(u, r.c.unit_id == u.c.id)
        .where(*scope, is_latest())
        .cte("current")
        .prefix_with("MATERIALIZED")  # each return's votes summed once, however often used
    )


def _screened(
    conn: Connection, current: CTE, ceiling: int, electors: dict[tuple[str, int], int | None]
) -> set[tuple]:
    """The (contest id, stage, place) keys whose returns might break a rule: a unit below
    the nation above ``ceiling``; returns at two levels; two returns at one unit of the same
    count type or with one that covers others (``all``, ``ordinary``, ``special``); votes
    above the electors. A superset of what breaks a rule; :func:`_problems` decides."""
    covering = [count_type.value for count_type in _COVERS]
    below_nation = case((current.c.unit_kind != UnitKind.NATION.value, current.c.valid), else_=0)
    by_unit = (
        select(
            current.c.contest_id,
            current.c.stage,
            current.c.place,
            current.c.election_id,
            func.max(below_nation + current.c.informal).label("largest"),
            func.sum(current.c.valid + current.c.informal).label("votes"),
            func.min(current.c.level).label("low"),
            func.max(current.c.level).label("high"),
            case(
                (func.count() > func.count(current.c.count_type.distinct()), 1),
                (
                    (func.count() > 1)
                    & (func.sum(case((current.c.count_type.in_(covering), 1), else_=0)) > 0),
                    1,
                ),
                else_=0,
            ).label("overlap"),
        )
        .group_by(
            current.c.contest_id,
            current.c.stage,
            current.c.place,
            current.c.unit_id,
            current.c.election_id,
        )
        .subquery()
    )
    groups = conn.execute(
        select(
            by_unit.c.contest_id,
            by_unit.c.stage,
            by_unit.c.place,
            by_unit.c.election_id,
            func.max(by_unit.c.largest) > ceiling,
            func.min(by_unit.c.low) != func.max(by_unit.c.high),
            func.max(by_unit.c.overlap),
            func.sum(by_unit.c.votes),
        ).group_by(by_unit.c.contest_id, by_unit.c.stage, by_unit.c.place, by_unit.c.election_id)
    )
    flagged = set()
    for contest_id, stage, place, election, too_many, mixed, overlap, votes in groups:
        roll = electors.get((election, place))
        if too_many or mixed or overlap or (roll is not None and votes > roll):
            flagged.add((contest_id, stage, place))
    return flagged


def _problems(
    rows: list[Any], ceiling: int, electors: dict[tuple[str, int], int | None]
) -> list[Problem]:
    """The rules applied to current returns (rows of :func:`_current`, in id order)."""
    groups: dict[tuple, list] = {}
    problems = []
    for row in rows:
        groups.setdefault((row.contest_id, row.stage, row.place), []).append(row)
        too_many = unit_problem(row.unit, row.valid + row.informal, ceiling)
        if too_many and row.unit_kind != UnitKind.NATION.value:
            problems.append(Problem(row.id, too_many))
    for (_, stage, place), members in groups.items():
        first = members[0]
        where = f"{first.contest} at the {stage} stage" + (
            f" in electorate {place}"
            if place is not None and first.contest_electorate is None
            else ""
        )
        slots = [
            Slot(m.unit, _UNIT_KINDS[m.unit_kind], _COUNT_TYPES[m.count_type]) for m in members
        ]
        shape = shape_problem(slots, where)
        if shape:
            problems.append(Problem(members[-1].id, shape))
            continue
        if place is None or first.contest_kind == "referendum":
            continue
        total = sum(m.valid + m.informal for m in members)
        message = electorate_problem(where, total, electors.get((first.election_id, place)))
        if message:
            problems.append(Problem(members[-1].id, message))
    return problems
