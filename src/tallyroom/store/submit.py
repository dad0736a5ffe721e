"""One return submitted by a person or system (the returns API), checked and stored.

A submission is one transaction that first locks the audit head, so submissions are
stored one at a time, in the order of the audit log, on SQLite and PostgreSQL alike:

* an identical submission (same payload, or same ``Idempotency-Key`` from the same user)
  stores nothing and gets the stored version back;
* a new return key is stored as version 1;
* a different return for a key already stored is a conflict unless it names the version
  it ``supersedes`` (the latest) and gives a reason; it is then the next version;
* a return that would count votes twice (overlapping count types at one unit, or an
  electorate reported both as a whole and by voting place) or implausible figures are a
  conflict. These rules are :mod:`tallyroom.store.versions`', shared with imports;
* a correction that would change an outcome (a winner, a party's seats, a referendum's
  lead) is stored *held* and counts only once a second admin approves it
  (:mod:`tallyroom.store.review`).

Every outcome, refusals included, is written to the audit log. A refusal changes nothing
else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, insert, select, update

from tallyroom.errors import (
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    TallyroomError,
    http_status,
)
from tallyroom.model import CountType, Stage
from tallyroom.store import audit, notify, review
from tallyroom.store import schema as t
from tallyroom.store.database import writing
from tallyroom.store.users import Role, User
from tallyroom.store.versions import (
    UNIT_CEILING,
    Decision,
    Latest,
    Verdict,
    current_problems,
    decide,
    is_latest,
    pending,
)

ACTION = "submit-return"


@dataclass(frozen=True)
class Submission:
    """A return as submitted: counts per choice for one contest at one unit and stage."""

    election: str
    contest: str
    unit: str
    stage: Stage
    count_type: CountType
    counts: dict[str, int]
    informal: int = 0
    total: int | None = None
    """valid plus informal votes, if the submitter states it (checked)"""
    supersedes: int | None = None
    """the id of the stored return this one corrects"""
    reason: str = ""
    idempotency_key: str | None = field(default=None, compare=False)

    def payload(self) -> dict[str, Any]:
        """The submitted figures, in a canonical form."""
        data = asdict(self)
        del data["idempotency_key"]
        data["counts"] = dict(sorted(self.counts.items()))
        return data


@dataclass(frozen=True)
class Stored:
    """The stored return a submission resolved to."""

    return_id: int
    version: int
    created: bool
    """False when an identical submission was stored before"""
    supersedes: int | None = None
    held: bool = False
    """True for a correction that changes an outcome: it counts once a second admin
    approves it"""
    changes: tuple[str, ...] = ()
    """what a held correction would change, in words"""
    source_id: int | None = None
    """the source a new version was stored under (``None`` for a repeat)"""


def submit(
    engine: Engine, user: User, submission: Submission, ceiling: int = UNIT_CEILING
) -> Stored:
    """Check and store ``submission`` for ``user``; refusals are audited and raised."""
    electorate: int | None = None
    try:
        with writing(engine) as conn:
            head = audit.lock(conn)
            electorate, stored = _store(conn, user, submission, ceiling)
            if stored.created:
                notify.announce(conn, submission.election)
            outcome = "held" if stored.held else "accepted" if stored.created else "duplicate"
            audit.append(
                conn,
                audit.Entry(
                    user.name,
                    ACTION,
                    outcome,
                    status_of(stored),
                    submission.election,
                    electorate,
                    {
                        **submission.payload(),
                        "return_id": stored.return_id,
                        "version": stored.version,
                        **({"changes": list(stored.changes)} if stored.held else {}),
                        **_covered(conn, stored.source_id),
                    },
                ),
                head,
            )
        return stored
    except TallyroomError as error:
        if electorate is None:
            electorate = _electorate_of(engine, submission)
        refuse(
            engine, user.name, ACTION, error, submission.election, electorate, submission.payload()
        )
        raise


def _electorate_of(engine: Engine, s: Submission) -> int | None:
    """The electorate a refused submission was about, if its contest or unit names one."""
    with engine.connect() as conn:
        for table, code in ((t.contest, s.contest), (t.unit, s.unit)):
            number = conn.execute(
                select(table.c.electorate).where(
                    table.c.election_id == s.election, table.c.code == code
                )
            ).scalar()
            if number is not None:
                return number
    return None


def _covered(conn: Connection, source_id: int | None) -> dict[str, Any]:
    """What the audit row of a new version records of its figures (see
    :func:`tallyroom.store.audit.figures`)."""
    if source_id is None:
        return {}
    return {"source_id": source_id, "figures": audit.figures(conn, source_id)}


def status_of(stored: Stored) -> int:
    """The HTTP status of a stored submission: 201 stored, 202 held for review, 200 a
    repeat of what was stored."""
    if not stored.created:
        return 200
    return 202 if stored.held else 201


def refuse(
    engine: Engine,
    actor: str,
    action: str,
    error: TallyroomError,
    election: str | None,
    electorate: int | None,
    what: dict[str, Any],
) -> None:
    """Record a write refused with ``error`` in the audit log, with the HTTP status the
    client got."""
    audit.record_refusal(
        engine, actor, action, http_status(error), str(error), election, electorate, what
    )


def _store(conn: Connection, user: User, s: Submission, ceiling: int) -> tuple[int | None, Stored]:
    """Validate and write; returns the unit's electorate and what was stored."""
    contest, unit, choices = _target(conn, user, s)
    key_hash = _key_hash(user, s)
    key = (contest.id, unit.id, s.stage.value, s.count_type.value)
    wanted = _wanted(s, choices)
    repeat = _repeat(conn, s, key, key_hash, wanted)
    if repeat is not None:  # answered even after its stage has closed
        return unit.electorate, repeat
    _check_open(conn, s)
    latest = _latest(conn, key)
    decision = decide(
        latest,
        wanted,
        supersedes=s.supersedes,
        reason=s.reason,
        how_to_correct=f"to correct it, send supersedes: {latest.id if latest else 0} and a reason",
    )
    if decision.verdict is Verdict.DUPLICATE:
        assert latest is not None
        return unit.electorate, Stored(latest.id, latest.version, False, latest.supersedes)
    correcting = decision.verdict is Verdict.CORRECTION
    before = review.outcome(conn, s.election, s.stage) if correcting else None
    source_id, return_id = _insert(conn, user, s, key, key_hash, decision, choices)
    place = contest.electorate if contest.electorate is not None else unit.electorate
    for problem in current_problems(conn, [contest.id], [s.stage.value], ceiling, place):
        if problem.return_id == return_id:
            raise ConflictError(problem.message)
    changed = _hold_if_outcome_changes(conn, s, return_id, before)
    return unit.electorate, Stored(
        return_id,
        decision.version,
        True,
        decision.supersedes,
        bool(changed),
        tuple(changed),
        source_id,
    )


def _target(conn: Connection, user: User, s: Submission) -> tuple[Row, Row, dict[str, int]]:
    """The contest and unit the submission names, and the contest's choices (name → id),
    once the user may write there and the figures add up."""
    if conn.execute(select(t.election.c.id).where(t.election.c.id == s.election)).first() is None:
        raise NotFoundError(f"no election {s.election!r}")
    contest = conn.execute(
        select(t.contest).where(
            t.contest.c.election_id == s.election, t.contest.c.code == s.contest
        )
    ).first()
    if contest is None:
        raise InvalidError(f"contest: {s.election} has no contest {s.contest!r}")
    unit = conn.execute(
        select(t.unit).where(t.unit.c.election_id == s.election, t.unit.c.code == s.unit)
    ).first()
    if unit is None:
        raise InvalidError(f"unit: {s.election} has no reporting unit {s.unit!r}")
    if not user.may_write(contest.electorate, unit.electorate):
        raise ForbiddenError(
            f"{user.name} ({user.role}, electorate {user.electorate}) may not submit returns "
            f"for {s.contest} at {s.unit}",
        )
    choices = dict(
        conn.execute(
            select(t.choice.c.name, t.choice.c.id).where(t.choice.c.contest_id == contest.id)
        ).all()
    )
    unknown = sorted(set(s.counts) - set(choices))
    if unknown:
        raise InvalidError(
            f"counts: {s.contest} has no choice {unknown[0]!r} (choices: {', '.join(choices)})"
        )
    if s.total is not None and s.total != sum(s.counts.values()) + s.informal:
        raise InvalidError(
            f"total: {s.total:,} is not the counts plus informal "
            f"({sum(s.counts.values()) + s.informal:,})",
        )
    return contest, unit, choices


def _repeat(
    conn: Connection, s: Submission, key: tuple, key_hash: str, wanted: tuple[dict[int, int], int]
) -> Stored | None:
    """What was stored for this idempotency key before, if it was used; a key used for a
    different return is refused."""
    r = t.vote_return
    seen = conn.execute(
        select(r.c.id, r.c.version, r.c.supersedes, *_KEY)
        .join(t.source, r.c.source_id == t.source.c.id)
        .where(t.source.c.election_id == s.election, t.source.c.content_hash == key_hash)
    ).first()
    if seen is None:
        return None
    if tuple(seen[3:]) != key or _figures(conn, seen.id) != wanted:
        raise InvalidError("Idempotency-Key: already used for a different return")
    return Stored(seen.id, seen.version, False, seen.supersedes, held=_still_held(conn, seen.id))


def _check_open(conn: Connection, s: Submission) -> None:
    """Refuse a return for a stage the election's operator has closed."""
    status = conn.execute(
        select(t.stage_status.c.status).where(
            t.stage_status.c.election_id == s.election, t.stage_status.c.stage == s.stage.value
        )
    ).scalar()
    if status == "closed":
        raise ConflictError(f"stage: the {s.stage} stage of {s.election} is closed")


def _hold_if_outcome_changes(
    conn: Connection, s: Submission, return_id: int, before: review.Outcome | None
) -> list[str]:
    """For a correction (``before`` is the outcome without it): what it would change, in
    words; if anything, the return is held for a second admin."""
    if before is None:
        return []
    after = review.outcome(conn, s.election, s.stage)
    changed = review.changes(before, after, review.electorate_names(conn, s.election))
    if changed:
        r = t.vote_return
        conn.execute(update(r).where(r.c.id == return_id).values(held=1))
    return changed


def _latest(conn: Connection, key: tuple) -> Latest | None:
    """The latest counted version of a return key, with the highest version stored and
    any correction of it under review."""
    r = t.vote_return
    same_key = [column == value for column, value in zip(_KEY, key, strict=True)]
    row = conn.execute(
        select(r.c.id, r.c.version, r.c.supersedes).where(*same_key, is_latest())
    ).first()
    if row is None:
        return None
    top = conn.execute(select(func.max(r.c.version)).where(*same_key)).scalar_one()
    held = conn.execute(select(r.c.id).where(*same_key, pending(r))).scalar()
    return Latest(row.id, row.version, _figures(conn, row.id), top, held, row.supersedes)


def _still_held(conn: Connection, return_id: int) -> bool:
    """Whether ``return_id`` is held and no admin has decided it yet."""
    r = t.vote_return
    return conn.execute(select(r.c.id).where(r.c.id == return_id, pending(r))).first() is not None


def _insert(
    conn: Connection,
    user: User,
    s: Submission,
    key: tuple,
    key_hash: str,
    decision: Decision,
    choices: dict[str, int],
) -> tuple[int, int]:
    """Store the submission as a new return version with a source of its own; returns
    the source's id and the return's."""
    source_id = conn.execute(
        insert(t.source).returning(t.source.c.id),
        {
            "election_id": s.election,
            "format": "api",
            "name": f"returns API: {user.name}",
            "content_hash": key_hash,
            "imported_at": datetime.now(UTC),
            "reason": s.reason,
        },
    ).scalar_one()
    contest_id, unit_id, stage, count_type = key
    return_id = conn.execute(
        insert(t.vote_return).returning(t.vote_return.c.id),
        {
            "contest_id": contest_id,
            "unit_id": unit_id,
            "stage": stage,
            "count_type": count_type,
            "version": decision.version,
            "supersedes": decision.supersedes,
            "source_id": source_id,
            "informal": s.informal,
            "reason": s.reason,
            "submitted_by": user.name,
        },
    ).scalar_one()
    if s.counts:
        conn.execute(
            insert(t.vote_count),
            [
                {"return_id": return_id, "choice_id": choices[name], "votes": votes}
                for name, votes in s.counts.items()
            ],
        )
    return source_id, return_id


_KEY = (
    t.vote_return.c.contest_id,
    t.vote_return.c.unit_id,
    t.vote_return.c.stage,
    t.vote_return.c.count_type,
)


def _key_hash(user: User, s: Submission) -> str:
    """What makes a submission the same as an earlier one."""
    if s.idempotency_key is not None:
        text = f"idempotency-key\n{user.name}\n{s.idempotency_key}"
    else:
        text = json.dumps(s.payload(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _wanted(s: Submission, choices: dict[str, int]) -> tuple[dict[int, int], int]:
    """The submission's figures by choice id; zeros left out, as choices not given."""
    return {choices[c]: v for c, v in s.counts.items() if v}, s.informal


def _figures(conn: Connection, return_id: int) -> tuple[dict[int, int], int]:
    """A stored return's figures by choice id, zeros left out."""
    informal = conn.execute(
        select(t.vote_return.c.informal).where(t.vote_return.c.id == return_id)
    ).scalar_one()
    counts = conn.execute(
        select(t.vote_count.c.choice_id, t.vote_count.c.votes).where(
            t.vote_count.c.return_id == return_id
        )
    ).all()
    return {choice: votes for choice, votes in counts if votes}, informal


def set_stage(engine: Engine, user: User, election: str, stage: Stage, status: str) -> None:
    """Open or close a stage for returns (admins only); audited either way."""
    what = {"stage": stage.value, "status": status}
    try:
        with writing(engine) as conn:
            head = audit.lock(conn)
            if user.role is not Role.ADMIN:
                raise ForbiddenError(f"{user.name} ({user.role}) may not change stages")
            if (
                conn.execute(select(t.election.c.id).where(t.election.c.id == election)).first()
                is None
            ):
                raise NotFoundError(f"no election {election!r}")
            table = t.stage_status
            conn.execute(
                table.delete().where(table.c.election_id == election, table.c.stage == stage.value)
            )
            conn.execute(
                insert(table).values(election_id=election, stage=stage.value, status=status)
            )
            audit.append(
                conn,
                audit.Entry(user.name, "set-stage", "accepted", 200, election, None, what),
                head,
            )
    except TallyroomError as error:
        refuse(engine, user.name, "set-stage", error, election, None, what)
        raise
