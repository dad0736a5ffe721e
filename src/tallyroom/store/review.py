"""Four eyes on outcome changes: a correction that would change who wins an electorate,
a party's seats or a referendum's result is held until a second admin decides it.

A correction is tallied inside its own write transaction before and after it is stored;
if any outcome differs it is stored *held*: it is in the store and the audit log but
counts nowhere (:func:`tallyroom.store.versions.counted`) until an admin other than the
one who submitted it approves it. A rejected correction stays in the store, uncounted,
and the return it named is corrected again by a new correction. Both decisions are
audited; an approval is checked against the one-count rules as if it were a new write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select

from tallyroom.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TallyroomError,
    http_status,
)
from tallyroom.model import Stage
from tallyroom.results import NoReturnsError, tally
from tallyroom.rules.errors import RulesError
from tallyroom.store import audit, notify
from tallyroom.store import schema as t
from tallyroom.store.database import reading, writing
from tallyroom.store.users import Role, User
from tallyroom.store.versions import UNIT_CEILING, current_problems, pending

APPROVED, REJECTED = "approved", "rejected"


@dataclass(frozen=True)
class Outcome:
    """What a count decides at one stage: electorate winners, seats, referendum leaders."""

    winners: dict[int, str | None]
    seats: dict[str, int]
    referendums: dict[str, str | None]


def outcome(conn: Connection, election: str, stage: Stage) -> Outcome:
    """The outcome of ``election`` at ``stage`` as ``conn``'s transaction sees it."""
    try:
        counted = tally(conn, election, stage)
    except NoReturnsError:
        return Outcome({}, {}, {})
    winners = {n: o.winner for n, o in counted.outcomes().items()}
    try:
        seats = {p.party: p.total for p in counted.seats().parties if p.total}
    except RulesError:
        seats = {}
    referendums = {
        code: max(c.counts, key=c.counts.__getitem__) if c.valid else None
        for code, c in counted.referendums.items()
    }
    return Outcome(winners, seats, referendums)


def changes(before: Outcome, after: Outcome, names: dict[int, str]) -> list[str]:
    """What differs between two outcomes, in words (empty when nothing does)."""
    said = []
    for number in sorted(set(before.winners) | set(after.winners)):
        was, now = before.winners.get(number), after.winners.get(number)
        if was != now:
            said.append(f"{names.get(number, number)}: winner {was or 'none'} → {now or 'none'}")
    for party in sorted(set(before.seats) | set(after.seats)):
        was, now = before.seats.get(party, 0), after.seats.get(party, 0)
        if was != now:
            said.append(f"{party}: {was} → {now} seats")
    for code in sorted(set(before.referendums) | set(after.referendums)):
        was, now = before.referendums.get(code), after.referendums.get(code)
        if was != now:
            said.append(f"referendum {code}: leading {was or 'none'} → {now or 'none'}")
    return said


def electorate_names(conn: Connection, election: str) -> dict[int, str]:
    """Electorate number → name, for describing changes."""
    e = t.electorate
    query = select(e.c.number, e.c.name).where(e.c.election_id == election)
    return {number: name for number, name in conn.execute(query)}


@dataclass(frozen=True)
class HeldCorrection:
    """A correction waiting for a second admin; its figures are not shown."""

    return_id: int
    supersedes: int | None
    contest: str
    unit: str
    stage: str
    count_type: str
    electorate: int | None
    submitted_by: str
    reason: str


def held(store: Engine | Connection, election: str) -> list[HeldCorrection]:
    """The corrections of ``election`` under review, oldest first."""
    r, c, u = t.vote_return, t.contest, t.unit
    query = (
        select(
            r.c.id,
            r.c.supersedes,
            c.c.code,
            u.c.code,
            r.c.stage,
            r.c.count_type,
            c.c.electorate,
            u.c.electorate,
            r.c.submitted_by,
            r.c.reason,
        )
        .join(c, r.c.contest_id == c.c.id)
        .join(u, r.c.unit_id == u.c.id)
        .where(c.c.election_id == election, pending(r))
        .order_by(r.c.id)
    )
    with reading(store) as conn:
        rows = conn.execute(query).all()
    return [
        HeldCorrection(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6] if row[6] is not None else row[7],
            row[8],
            row[9],
        )
        for row in rows
    ]


def decide_held(
    engine: Engine,
    user: User,
    election: str,
    return_id: int,
    decision: str,
    reason: str = "",
    ceiling: int = UNIT_CEILING,
) -> HeldCorrection:
    """Approve or reject the held correction ``return_id`` as ``user`` (an admin other
    than its submitter); audited, refusals included."""
    action = f"review-{decision}"
    what = {"return_id": return_id, "decision": decision, "reason": reason}
    electorate = None
    try:
        with writing(engine) as conn:
            head = audit.lock(conn)
            found = _held_one(conn, election, return_id)
            electorate = found.electorate
            if user.role is not Role.ADMIN:
                raise ForbiddenError(f"{user.name} ({user.role}) may not review corrections")
            if user.name == found.submitted_by:
                raise ForbiddenError(
                    f"{user.name} submitted correction {return_id}: another admin decides it"
                )
            conn.execute(
                insert(t.review),
                {
                    "return_id": return_id,
                    "decision": decision,
                    "reviewer": user.name,
                    "at": datetime.now(UTC),
                    "reason": reason,
                },
            )
            if decision == APPROVED:
                _check_counted(conn, return_id, found, ceiling)
            notify.announce(conn, election)
            audit.append(
                conn,
                audit.Entry(user.name, action, "accepted", 200, election, electorate, what),
                head,
            )
        return found
    except TallyroomError as error:
        if electorate is None:
            electorate = _electorate_of(engine, return_id)
        audit.record_refusal(
            engine, user.name, action, http_status(error), str(error), election, electorate, what
        )
        raise


def _electorate_of(engine: Engine, return_id: int) -> int | None:
    """The electorate a return is about (its contest's, else its unit's), if any."""
    r, c, u = t.vote_return, t.contest, t.unit
    with engine.connect() as conn:
        row = conn.execute(
            select(c.c.electorate, u.c.electorate)
            .select_from(r)
            .join(c, r.c.contest_id == c.c.id)
            .join(u, r.c.unit_id == u.c.id)
            .where(r.c.id == return_id)
        ).first()
    if row is None:
        return None
    return row[0] if row[0] is not None else row[1]


def _held_one(conn: Connection, election: str, return_id: int) -> HeldCorrection:
    """The held correction ``return_id`` of ``election``, or a 404 saying what it is."""
    if conn.execute(select(t.election.c.id).where(t.election.c.id == election)).first() is None:
        raise NotFoundError(f"no election {election!r}")
    r = t.vote_return
    row = conn.execute(
        select(r.c.held, t.contest.c.election_id)
        .join(t.contest, r.c.contest_id == t.contest.c.id)
        .where(r.c.id == return_id)
    ).first()
    if row is None or row.election_id != election:
        raise NotFoundError(f"{election} has no return {return_id}")
    decided = conn.execute(
        select(t.review.c.decision).where(t.review.c.return_id == return_id)
    ).scalar()
    if not row.held or decided:
        state = f"was {decided}" if decided else "was never held"
        raise ConflictError(f"return {return_id} is not under review (it {state})")
    return next(h for h in held(conn, election) if h.return_id == return_id)


def _check_counted(conn: Connection, return_id: int, found: HeldCorrection, ceiling: int) -> None:
    """Refuse an approval whose return, once counted, would break the one-count rules."""
    contest_id = conn.execute(
        select(t.vote_return.c.contest_id).where(t.vote_return.c.id == return_id)
    ).scalar_one()
    problems = current_problems(conn, [contest_id], [found.stage], ceiling, found.electorate)
    for problem in problems:
        if problem.return_id == return_id:
            raise ConflictError(f"cannot approve: {problem.message}")
