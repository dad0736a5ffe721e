"""The audit log: every write accepted or refused, in one hash chain.

Each row stores the hash of the row before it and a hash over its own fields and that
previous hash; ``audit_head`` holds the newest id and hash. Editing a row changes its
hash; deleting one breaks the link from the next row (or, at the end, the head). Rows
are appended inside the transaction of the write they record, after locking the head,
so the log's order is the order in which writes committed.

The log also covers the results: the row of every accepted import or submission carries
a digest of the figures it stored (:func:`figures`, one per contest of its source), and
every review decision has its row, so :func:`verify` finds a count edited, a return or a
decision added, or a held correction released, behind the log's back. A head published
earlier (signed, :mod:`tallyroom.store.signing`) anchors the chain: :func:`verify` with
``against`` proves the log still extends it, so a chain rewritten or cut short is found.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
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


def head(engine: Engine) -> tuple[int, str]:
    """The newest row's id and hash (unsigned; :mod:`tallyroom.store.signing` signs it)."""
    with engine.connect() as conn:
        row = conn.execute(select(t.audit_head).where(t.audit_head.c.id == 1)).one()
    return row.last_id, row.hash


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


def record_refusal(
    engine: Engine,
    actor: str,
    action: str,
    status: int,
    why: str,
    election: str | None,
    electorate: int | None,
    what: dict[str, Any],
) -> None:
    """Record a refused write: who asked for what, the status they got, and why."""
    record(
        engine,
        Entry(
            actor, action, "refused", status, election, electorate, {"request": what, "why": why}
        ),
    )


FIGURES = ("contest", "unit", "stage", "count_type", "version", "informal", "held",
           "return_id", "choice_id", "votes")  # fmt: skip
"""the columns :func:`digest` reads: one row per count (or per return without counts)"""


def digest(rows: Iterable[Sequence[Any]]) -> dict[str, str]:
    """A digest of returns per contest code: each version's unit, stage, count type,
    version, informal votes, whether it is held, and its counts by choice id, in the order
    of return and choice ids. ``rows`` are tuples of the :data:`FIGURES` columns."""
    return digest_frame(pl.DataFrame(list(rows), schema=_FIGURE_TYPES, orient="row"))


_FIGURE_TYPES = {name: pl.Utf8 if i < 4 else pl.Int64 for i, name in enumerate(FIGURES)}


def digest_frame(frame: pl.DataFrame) -> dict[str, str]:
    """:func:`digest` of a frame of the :data:`FIGURES` columns: each contest's rows, in
    order, as lines of their fields (but the contest and the return id) joined by U+001F,
    a missing count as an empty field; the SHA-256 of the lines, cut to 32 hex digits."""
    if not frame.height:
        return {}
    fields = [name for name in FIGURES if name not in ("contest", "return_id")]
    lines = (
        frame.sort("contest", "return_id", pl.col("choice_id").fill_null(-1), maintain_order=True)
        .select(
            "contest",
            pl.concat_str(
                [pl.col(f).cast(pl.Utf8).fill_null("") for f in fields], separator="\x1f"
            ).alias("line"),
        )
        .group_by("contest", maintain_order=True)
        .agg(pl.col("line").str.join("\n").cast(pl.Binary))  # UTF-8 bytes, not a str
    )
    return {contest: hashlib.sha256(text).hexdigest()[:32] for contest, text in lines.iter_rows()}


def figures(conn: Connection, source_id: int) -> dict[str, str]:
    """:func:`digest` of every return ``source_id`` stored, as the store holds them."""
    r, c, u, v = t.vote_return, t.contest, t.unit, t.vote_count
    columns = (c.c.code, u.c.code, r.c.stage, r.c.count_type, r.c.version, r.c.informal,
               r.c.held, r.c.id, v.c.choice_id, v.c.votes)  # fmt: skip
    query = (
        select(*columns)
        .select_from(r)
        .join(c, r.c.contest_id == c.c.id)
        .join(u, r.c.unit_id == u.c.id)
        .outerjoin(v, v.c.return_id == r.c.id)
        .where(r.c.source_id == source_id)
    )
    return digest(conn.execute(query).all())


def _hash(row: dict[str, Any]) -> str:
    fields = {k: row[k] for k in sorted(row) if k not in ("hash", "previous")}
    text = row["previous"] + "\n" + json.dumps(fields, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: rows checked, the head, and every problem."""

    rows: int
    head: str
    problems: tuple[str, ...]
    last_id: int = 0
    sources: int = 0
    """stored sources whose figures were checked against the log"""

    @property
    def intact(self) -> bool:
        """True when every row, link and stored figure checks out."""
        return not self.problems


def verify(engine: Engine, against: tuple[int, str] | None = None) -> Verification:
    """Recompute the chain from the first row to the head, then every stored source's
    figures and every review against the rows that recorded them; with ``against`` (a
    head published earlier: row id and hash), check the chain still passes through it."""
    problems = []
    previous, expected_id = GENESIS, 1
    audited: dict[int, tuple[int, dict[str, str]]] = {}
    reviews: set[tuple[int, str]] = set()
    passed = against is None
    with engine.connect() as conn:
        head = conn.execute(select(t.audit_head).where(t.audit_head.c.id == 1)).one()
        count = 0
        for row in conn.execute(select(t.audit_log).order_by(t.audit_log.c.id)):
            count += 1
            data = row._asdict()
            if row.id != expected_id:
                problems.append(f"rows {expected_id}-{row.id - 1} are missing (deleted)")
            if row.previous != previous:
                problems.append(f"row {row.id}: does not follow the row before it")
            if _hash(data) != row.hash:
                problems.append(f"row {row.id}: its contents do not match its hash (edited)")
            if against is not None and row.id == against[0]:
                passed = row.hash == against[1]
            _note_write(row, audited, reviews)
            previous, expected_id = row.hash, row.id + 1
        if head.last_id != expected_id - 1 or head.hash != previous:
            problems.append(
                f"the head names row {head.last_id} but the log ends at row {expected_id - 1} "
                "(rows deleted from the end, or the head edited)"
            )
        if not passed:
            problems.append(_unanchored(against, expected_id - 1))
        sources = conn.execute(select(t.source.c.id, t.source.c.name).order_by(t.source.c.id))
        checked = 0
        for source_id, name in sources.all():
            checked += 1
            problems.extend(_source_problems(conn, source_id, name, audited.get(source_id)))
        for return_id, decision in conn.execute(select(t.review.c.return_id, t.review.c.decision)):
            if (return_id, decision) not in reviews:
                problems.append(
                    f"return {return_id}: {decision} by a review the log does not record"
                )
    return Verification(count, head.hash, tuple(problems), head.last_id, checked)


def _note_write(row: Any, audited: dict, reviews: set) -> None:
    """Remember what an accepted row says was stored: a source's figures, a review."""
    if row.outcome not in ("accepted", "held"):
        return
    try:
        detail = json.loads(row.detail)
    except ValueError:
        return
    if isinstance(detail.get("source_id"), int) and isinstance(detail.get("figures"), dict):
        audited[detail["source_id"]] = (row.id, detail["figures"])
    if row.action.startswith("review-") and isinstance(detail.get("return_id"), int):
        reviews.add((detail["return_id"], str(detail.get("decision"))))


def _unanchored(against: tuple[int, str] | None, last: int) -> str:
    """Why the chain does not pass through the published head ``against``."""
    assert against is not None
    row, digest = against
    if row > last:
        return (
            f"the log ends at row {last}, before the published head (row {row}): "
            "rows were cut from the end"
        )
    return (
        f"row {row} no longer has the published hash {digest[:16]}…: the chain was "
        "rewritten since that head was published"
    )


def _source_problems(
    conn: Connection, source_id: int, name: str, audited: tuple[int, dict[str, str]] | None
) -> list[str]:
    """Where the stored figures of one source differ from what the log recorded."""
    if audited is None:
        return [f"source {source_id} ({name}): stored, but no accepted write in the log"]
    row, recorded = audited
    stored = figures(conn, source_id)
    return [
        f"source {source_id} ({name}), {contest}: the stored figures differ from those "
        f"recorded at row {row} (changed behind the log's back)"
        for contest in sorted(set(stored) | set(recorded))
        if stored.get(contest) != recorded.get(contest)
    ]


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
