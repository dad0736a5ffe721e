"""The audit log: every write accepted or refused, in one hash chain.

Each row stores the hash of the row before it and a hash over its own fields and that
previous hash; ``audit_head`` holds the newest id and hash. Editing a row changes its
hash; deleting one breaks the link from the next row (or, at the end, the head). Rows
are appended inside the transaction of the write they record, after locking the head,
so the log's order is the order in which writes committed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, update

from tallyroom.store import schema as t
from tallyroom.store.database import writing

GENESIS = "0" * 64
OPERATOR = "operator (command line)"
"""Who the log names for writes made at the command line: whoever runs ``tallyroom``."""


@dataclass(frozen=True)
class Entry:
    """What happened: who did what, to which election, with what result and why."""

    actor: str
    action: str
    outcome: str
    """accepted, duplicate or refused"""
    status: int
    """the HTTP status the writer was given"""
    election: str | None
    electorate: int | None
    detail: dict[str, Any]


def lock(conn: Connection) -> tuple[int, str]:
    """Take the audit head for this transaction (first, so SQLite takes its write lock at
    once); returns the newest row's id and hash."""
    conn.execute(update(t.audit_head).where(t.audit_head.c.id == 1).values(id=1))
    head = conn.execute(select(t.audit_head).where(t.audit_head.c.id == 1)).one()
    return head.last_id, head.hash


def append(conn: Connection, entry: Entry, head: tuple[int, str]) -> tuple[int, str]:
    """Add ``entry`` after ``head`` (from :func:`lock` or a previous append)."""
    last_id, previous = head
    row = {
        "id": last_id + 1,
        "at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "action": entry.action,
        "outcome": entry.outcome,
        "status": entry.status,
        "election_id": entry.election,
        "electorate": entry.electorate,
        "detail": json.dumps(entry.detail, ensure_ascii=False, sort_keys=True),
        "previous": previous,
    }
    row["hash"] = _hash(row)
    conn.execute(insert(t.audit_log).values(**row))
    conn.execute(
        update(t.audit_head)
        .where(t.audit_head.c.id == 1)
        .values(last_id=row["id"], hash=row["hash"])
    )
    return row["id"], row["hash"]


def record(engine: Engine, entry: Entry) -> None:
    """Append ``entry`` in a transaction of its own (for refused writes)."""
    with writing(engine) as conn:
        append(conn, entry, lock(conn))


def _hash(row: dict[str, Any]) -> str:
    fields = {k: row[k] for k in sorted(row) if k not in ("hash", "previous")}
    text = row["previous"] + "\n" + json.dumps(fields, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: rows checked and every break in the chain."""

    rows: int
    head: str
    problems: tuple[str, ...]

    @property
    def intact(self) -> bool:
        """True when every row and link checks out."""
        return not self.problems


def verify(engine: Engine) -> Verification:
    """Recompute the chain from the first row to the head."""
    problems = []
    previous, expected_id = GENESIS, 1
    with engine.connect() as conn:
        head = conn.execute(select(t.audit_head).where(t.audit_head.c.id == 1)).one()
        rows = conn.execute(select(t.audit_log).order_by(t.audit_log.c.id))
        count = 0
        for row in rows:
            count += 1
            data = row._asdict()
            if row.id != expected_id:
                problems.append(f"rows {expected_id}-{row.id - 1} are missing (deleted)")
            if row.previous != previous:
                problems.append(f"row {row.id}: does not follow the row before it")
            if _hash(data) != row.hash:
                problems.append(f"row {row.id}: its contents do not match its hash (edited)")
            previous, expected_id = row.hash, row.id + 1
    if head.last_id != expected_id - 1 or head.hash != previous:
        problems.append(
            f"the head names row {head.last_id} but the log ends at row {expected_id - 1} "
            "(rows deleted from the end, or the head edited)"
        )
    return Verification(count, head.hash, tuple(problems))


def entries(engine: Engine, election: str, electorate: int | None = None) -> list[dict[str, Any]]:
    """The log of one election, oldest first; with ``electorate``, its writes and the
    election-wide ones (imports, stage changes), which cover every electorate."""
    query = select(t.audit_log).where(t.audit_log.c.election_id == election)
    if electorate is not None:
        query = query.where(
            or_(t.audit_log.c.electorate == electorate, t.audit_log.c.electorate.is_(None))
        )
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(t.audit_log.c.id)).all()
    return [{**row._asdict(), "detail": json.loads(row.detail)} for row in rows]


def entries_of_users(engine: Engine) -> list[dict[str, Any]]:
    """The log of user management (added, rotated, revoked), oldest first."""
    query = select(t.audit_log).where(t.audit_log.c.action.like("user-%"))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(t.audit_log.c.id)).all()
    return [{**row._asdict(), "detail": json.loads(row.detail)} for row in rows]
