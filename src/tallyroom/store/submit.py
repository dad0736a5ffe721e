"""One return submitted by a person or system (the returns API), checked and stored.

A submission is one transaction that first locks the audit head, so submissions are
stored one at a time, in the order of the audit log, on SQLite and PostgreSQL alike:

* an identical submission (same payload, or same ``Idempotency-Key`` from the same user)
  stores nothing and gets the stored version back;
* a new return key is stored as version 1;
* a different return for a key already stored is a conflict unless it names the version
  it ``supersedes`` (the latest) and gives a reason; it is then the next version.

Every outcome, refusals included, is written to the audit log. A refusal changes nothing
else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, select

from tallyroom.model import CountType, Stage
from tallyroom.store import audit
from tallyroom.store import schema as t
from tallyroom.store.database import writing
from tallyroom.store.users import Role, User

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


class SubmissionError(Exception):
    """A submission was refused; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def submit(engine: Engine, user: User, submission: Submission) -> Stored:
    """Check and store ``submission`` for ``user``; refusals are audited and raised."""
    electorate: int | None = None
    try:
        with writing(engine) as conn:
            head = audit.lock(conn)
            electorate, stored = _store(conn, user, submission)
            audit.append(
                conn,
                audit.Entry(
                    user.name,
                    ACTION,
                    "accepted" if stored.created else "duplicate",
                    201 if stored.created else 200,
                    submission.election,
                    electorate,
                    {
                        **submission.payload(),
                        "return_id": stored.return_id,
                        "version": stored.version,
                    },
                ),
                head,
            )
        return stored
    except SubmissionError as error:
        refuse(
            engine, user.name, ACTION, error, submission.election, electorate, submission.payload()
        )
        raise


def refuse(
    engine: Engine,
    actor: str,
    action: str,
    error: SubmissionError,
    election: str | None,
    electorate: int | None,
    what: dict[str, Any],
) -> None:
    """Record a refused write in the audit log."""
    audit.record(
        engine,
        audit.Entry(
            actor,
            action,
            "refused",
            error.status,
            election,
            electorate,
            {"request": what, "why": str(error)},
        ),
    )


def _store(conn: Connection, user: User, s: Submission) -> tuple[int | None, Stored]:
    """Validate and write; returns the unit's electorate and what was stored."""
    if conn.execute(select(t.election.c.id).where(t.election.c.id == s.election)).first() is None:
        raise SubmissionError(404, f"no election {s.election!r}")
    contest = conn.execute(
        select(t.contest).where(
            t.contest.c.election_id == s.election, t.contest.c.code == s.contest
        )
    ).first()
    if contest is None:
        raise SubmissionError(422, f"contest: {s.election} has no contest {s.contest!r}")
    unit = conn.execute(
        select(t.unit).where(t.unit.c.election_id == s.election, t.unit.c.code == s.unit)
    ).first()
    if unit is None:
        raise SubmissionError(422, f"unit: {s.election} has no reporting unit {s.unit!r}")
    if not user.may_write(contest.electorate, unit.electorate):
        raise SubmissionError(
            403,
            f"{user.name} ({user.role}, electorate {user.electorate}) may not submit returns "
            f"for {s.contest} at {s.unit}",
        )
    status = conn.execute(
        select(t.stage_status.c.status).where(
            t.stage_status.c.election_id == s.election, t.stage_status.c.stage == s.stage.value
        )
    ).scalar()
    if status == "closed":
        raise SubmissionError(409, f"stage: the {s.stage} stage of {s.election} is closed")
    choices = dict(
        conn.execute(
            select(t.choice.c.name, t.choice.c.id).where(t.choice.c.contest_id == contest.id)
        ).all()
    )
    unknown = sorted(set(s.counts) - set(choices))
    if unknown:
        raise SubmissionError(
            422, f"counts: {s.contest} has no choice {unknown[0]!r} (choices: {', '.join(choices)})"
        )
    if s.total is not None and s.total != sum(s.counts.values()) + s.informal:
        raise SubmissionError(
            422,
            f"total: {s.total:,} is not the counts plus informal "
            f"({sum(s.counts.values()) + s.informal:,})",
        )
    key_hash = _key_hash(user, s)
    r = t.vote_return
    seen = conn.execute(
        select(r.c.id, r.c.version, r.c.contest_id, r.c.unit_id, r.c.stage, r.c.count_type)
        .join(t.source, r.c.source_id == t.source.c.id)
        .where(t.source.c.election_id == s.election, t.source.c.content_hash == key_hash)
    ).first()
    wanted = _wanted(s, choices)
    if seen is not None:
        same_key = (seen.contest_id, seen.unit_id, seen.stage, seen.count_type) == (
            contest.id,
            unit.id,
            s.stage.value,
            s.count_type.value,
        )
        if not same_key or _figures(conn, seen.id) != wanted:
            raise SubmissionError(422, "Idempotency-Key: already used for a different return")
        return unit.electorate, Stored(seen.id, seen.version, created=False)
    latest = conn.execute(
        select(t.vote_return.c.id, t.vote_return.c.version)
        .where(
            and_(
                t.vote_return.c.contest_id == contest.id,
                t.vote_return.c.unit_id == unit.id,
                t.vote_return.c.stage == s.stage.value,
                t.vote_return.c.count_type == s.count_type.value,
            )
        )
        .order_by(t.vote_return.c.version.desc())
    ).first()
    if latest is not None and s.supersedes is None:
        if _figures(conn, latest.id) == wanted:
            return unit.electorate, Stored(latest.id, latest.version, created=False)
        raise SubmissionError(
            409,
            f"this return is stored (id {latest.id}, version {latest.version}) with other "
            f"figures; to correct it, send supersedes: {latest.id} and a reason",
        )
    if s.supersedes is not None:
        if latest is None or s.supersedes != latest.id:
            current = "none" if latest is None else f"id {latest.id}"
            raise SubmissionError(
                409, f"supersedes: {s.supersedes} is not the latest version (latest: {current})"
            )
        if not s.reason.strip():
            raise SubmissionError(422, "reason: a correction must say why")
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
    version = 1 if latest is None else latest.version + 1
    return_id = conn.execute(
        insert(t.vote_return).returning(t.vote_return.c.id),
        {
            "contest_id": contest.id,
            "unit_id": unit.id,
            "stage": s.stage.value,
            "count_type": s.count_type.value,
            "version": version,
            "supersedes": s.supersedes,
            "source_id": source_id,
            "informal": s.informal,
            "reason": s.reason,
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
    return unit.electorate, Stored(return_id, version, created=True, supersedes=s.supersedes)


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
                raise SubmissionError(403, f"{user.name} ({user.role}) may not change stages")
            if (
                conn.execute(select(t.election.c.id).where(t.election.c.id == election)).first()
                is None
            ):
                raise SubmissionError(404, f"no election {election!r}")
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
    except SubmissionError as error:
        refuse(engine, user.name, "set-stage", error, election, None, what)
        raise
