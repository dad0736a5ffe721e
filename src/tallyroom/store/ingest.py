"""Write an importer's :class:`~tallyroom.model.Dataset` into the store, all or nothing.

* The same file (by content hash) imported again for the same election changes nothing.
* A return whose key (contest, unit, stage, count type) is new is stored as version 1.
* A return identical to the stored latest version is left alone.
* A return that differs from the stored one is refused unless ``replace`` is given with
  a reason; it is then stored as the next version, naming the row it supersedes.

Everything happens in one transaction: an error, or the process being killed, leaves
the store as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, func, insert, select

from tallyroom.model import Dataset, Return
from tallyroom.store import schema as t
from tallyroom.store.bulk import insert_rows, reserve_ids

_CHUNK = 20_000
_RETURN_COLUMNS = (
    "id",
    "contest_id",
    "unit_id",
    "stage",
    "count_type",
    "version",
    "supersedes",
    "source_id",
    "informal",
    "reason",
)


class StoreError(Exception):
    """The store refused a write; nothing was changed."""


class ReplaceRequiredError(StoreError):
    """Returns differ from those stored and no ``--replace --reason`` was given."""


class UnknownReferenceError(StoreError):
    """A return names a contest, unit or choice its dataset does not define."""


@dataclass(frozen=True)
class SourceFile:
    """An imported file (or set of files): its format, a name for people, its content hash."""

    format: str
    name: str
    content_hash: str

    @classmethod
    def of(cls, format: str, paths: Sequence[Path]) -> SourceFile:
        """Describe ``paths`` as one source; the hash covers every file's name and bytes.

        A directory stands for the files in it.
        """
        files = sorted(
            f for p in paths for f in (sorted(p.iterdir()) if p.is_dir() else [p]) if f.is_file()
        )
        digest = hashlib.sha256()
        for path in files:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return cls(format, ", ".join(str(p) for p in paths), digest.hexdigest())


@dataclass(frozen=True)
class IngestReport:
    """What an import did."""

    election: str
    already_imported: bool = False
    new: int = 0
    replaced: int = 0
    unchanged: int = 0


def ingest(
    engine: Engine,
    datasets: Sequence[Dataset],
    source: SourceFile,
    *,
    replace: bool = False,
    reason: str = "",
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Store ``datasets`` from ``source`` in one transaction; see the module docstring."""
    if replace and not reason.strip():
        raise StoreError("--replace needs a --reason saying why the stored returns are replaced")
    totals = {"new": 0, "replaced": 0, "unchanged": 0}
    skipped = 0
    with engine.begin() as conn:
        for dataset in datasets:
            done = _ingest_one(conn, dataset, source, replace, reason, progress)
            if done is None:
                skipped += 1
            else:
                totals = {k: totals[k] + done[k] for k in totals}
    elections = ", ".join(d.election.id for d in datasets)
    return IngestReport(elections, already_imported=skipped == len(datasets), **totals)


def _ingest_one(
    conn: Connection,
    dataset: Dataset,
    source: SourceFile,
    replace: bool,
    reason: str,
    progress: Callable[[int], None] | None,
) -> dict[str, int] | None:
    """Store one election's dataset; ``None`` if this source was imported for it before."""
    election_id = dataset.election.id
    seen = conn.execute(
        select(t.source.c.id).where(
            t.source.c.election_id == election_id,
            t.source.c.content_hash == source.content_hash,
        )
    ).first()
    if seen:
        return None
    _define(conn, dataset)
    units = _ids(conn, t.unit, election_id)
    contests = _ids(conn, t.contest, election_id)
    choices = _choice_ids(conn, election_id)
    source_id = conn.execute(
        insert(t.source).returning(t.source.c.id),
        {
            "election_id": election_id,
            "format": source.format,
            "name": source.name,
            "content_hash": source.content_hash,
            "imported_at": datetime.now(UTC),
            "reason": reason,
        },
    ).scalar_one()
    keyed = [(_resolve(r, contests, units), r) for r in dataset.returns]
    duplicate = _first_duplicate(keyed)
    if duplicate:
        raise StoreError(f"{duplicate.where}: the same return appears twice in one import")
    stored = _latest_versions(conn, {key for key, _ in keyed})
    rows, counts, report = [], [], {"new": 0, "replaced": 0, "unchanged": 0}
    for key, ret in keyed:
        resolved = _resolve_counts(ret, choices)
        previous = stored.get(key)
        if previous is None:
            version, supersedes = 1, None
            report["new"] += 1
        elif previous.counts == resolved and previous.informal == ret.informal:
            report["unchanged"] += 1
            continue
        elif not replace:
            raise ReplaceRequiredError(
                f"{ret.where}: {ret.contest} at {ret.unit} ({ret.stage}, {ret.count_type}) "
                "differs from the stored return; import with --replace --reason to store "
                "a new version"
            )
        else:
            version, supersedes = previous.version + 1, previous.id
            report["replaced"] += 1
        rows.append(
            (*key, version, supersedes, source_id, ret.informal, reason if supersedes else "")
        )
        counts.append(resolved)
    ids = reserve_ids(conn, t.vote_return, len(rows))
    for start in range(0, len(rows), _CHUNK):
        chunk = slice(start, start + _CHUNK)
        insert_rows(
            conn,
            t.vote_return,
            _RETURN_COLUMNS,
            [(i, *row) for i, row in zip(ids[chunk], rows[chunk], strict=True)],
        )
        insert_rows(
            conn,
            t.vote_count,
            ("return_id", "choice_id", "votes"),
            [
                (return_id, choice_id, votes)
                for return_id, resolved in zip(ids[chunk], counts[chunk], strict=True)
                for choice_id, votes in resolved.items()
            ],
        )
        if progress:
            progress(len(rows[chunk]))
    return report


def _first_duplicate(keyed: list[tuple[tuple, Return]]) -> Return | None:
    seen: set[tuple] = set()
    for key, ret in keyed:
        if key in seen:
            return ret
        seen.add(key)
    return None


def _define(conn: Connection, dataset: Dataset) -> None:
    """Insert the election and whatever definitions the store does not have yet."""
    election = dataset.election
    if not conn.execute(select(t.election.c.id).where(t.election.c.id == election.id)).first():
        conn.execute(insert(t.election), vars(election))
    eid = election.id
    _insert_missing(
        conn,
        t.electorate,
        eid,
        "number",
        [
            {
                "number": e.number,
                "name": e.name,
                "roll": e.roll.value,
                "code": e.code,
                "region": e.region,
                "hex_u": e.hex_u,
                "hex_v": e.hex_v,
            }
            for e in dataset.electorates
        ],
    )
    _insert_missing(
        conn,
        t.party,
        eid,
        "name",
        [{"name": p.name, "short_name": p.short_name, "colour": p.colour} for p in dataset.parties],
    )
    _insert_missing(
        conn,
        t.unit,
        eid,
        "code",
        [
            {"code": u.code, "kind": u.kind.value, "name": u.name, "electorate": u.electorate}
            for u in dataset.units
        ],
    )
    _insert_missing(
        conn,
        t.contest,
        eid,
        "code",
        [
            {"code": c.code, "kind": c.kind.value, "name": c.name, "electorate": c.electorate}
            for c in dataset.contests
        ],
    )
    contests = _ids(conn, t.contest, eid)
    existing = set(_choice_ids(conn, eid))
    new = {}
    for c in dataset.choices:
        if c.contest not in contests:
            raise UnknownReferenceError(f"choice {c.name!r} names unknown contest {c.contest!r}")
        if (c.contest, c.name) not in existing:
            new[c.contest, c.name] = {
                "contest_id": contests[c.contest],
                "name": c.name,
                "party": c.party,
            }
    if new:
        insert_rows(
            conn,
            t.choice,
            ("contest_id", "name", "party"),
            [(r["contest_id"], r["name"], r["party"]) for r in new.values()],
        )


def _insert_missing(
    conn: Connection, table: Table, election_id: str, key: str, rows: Iterable[dict[str, Any]]
) -> None:
    present = set(
        conn.execute(select(table.c[key]).where(table.c.election_id == election_id)).scalars()
    )
    fresh = {}
    for row in rows:
        if row[key] not in present:
            fresh[row[key]] = {**row, "election_id": election_id}
    if fresh:
        columns = list(next(iter(fresh.values())))
        insert_rows(conn, table, columns, [tuple(r[c] for c in columns) for r in fresh.values()])


def _ids(conn: Connection, table: Table, election_id: str) -> dict[str, int]:
    query = select(table.c.code, table.c.id).where(table.c.election_id == election_id)
    return {code: id_ for code, id_ in conn.execute(query)}


def _choice_ids(conn: Connection, election_id: str) -> dict[tuple[str, str], int]:
    query = (
        select(t.contest.c.code, t.choice.c.name, t.choice.c.id)
        .join(t.contest, t.choice.c.contest_id == t.contest.c.id)
        .where(t.contest.c.election_id == election_id)
    )
    return {(code, name): choice_id for code, name, choice_id in conn.execute(query)}


def _resolve(ret: Return, contests: dict[str, int], units: dict[str, int]) -> tuple:
    if ret.contest not in contests:
        raise UnknownReferenceError(f"{ret.where}: unknown contest {ret.contest!r}")
    if ret.unit not in units:
        raise UnknownReferenceError(f"{ret.where}: unknown reporting unit {ret.unit!r}")
    return (contests[ret.contest], units[ret.unit], ret.stage.value, ret.count_type.value)


def _resolve_counts(ret: Return, choices: dict[tuple[str, str], int]) -> dict[int, int]:
    resolved = {}
    for name, votes in ret.counts.items():
        choice_id = choices.get((ret.contest, name))
        if choice_id is None:
            raise UnknownReferenceError(
                f"{ret.where}: {name!r} is not a choice of contest {ret.contest!r}"
            )
        resolved[choice_id] = votes
    return resolved


@dataclass(frozen=True)
class _Stored:
    id: int
    version: int
    informal: int
    counts: dict[int, int]


def _latest_versions(conn: Connection, keys: set[tuple]) -> dict[tuple, _Stored]:
    """The latest stored version of each of ``keys`` that exists, with its counts."""
    if not keys:
        return {}
    r = t.vote_return
    contest_ids = {k[0] for k in keys}
    latest = (
        select(
            r.c.contest_id,
            r.c.unit_id,
            r.c.stage,
            r.c.count_type,
            func.max(r.c.version).label("version"),
        )
        .where(r.c.contest_id.in_(contest_ids))
        .group_by(r.c.contest_id, r.c.unit_id, r.c.stage, r.c.count_type)
        .subquery()
    )
    rows = conn.execute(
        select(
            r.c.id,
            r.c.contest_id,
            r.c.unit_id,
            r.c.stage,
            r.c.count_type,
            r.c.version,
            r.c.informal,
        ).join(
            latest,
            and_(
                r.c.contest_id == latest.c.contest_id,
                r.c.unit_id == latest.c.unit_id,
                r.c.stage == latest.c.stage,
                r.c.count_type == latest.c.count_type,
                r.c.version == latest.c.version,
            ),
        )
    ).all()
    found = {
        (row.contest_id, row.unit_id, row.stage, row.count_type): row
        for row in rows
        if (row.contest_id, row.unit_id, row.stage, row.count_type) in keys
    }
    counts: dict[int, dict[int, int]] = {row.id: {} for row in found.values()}
    ids = list(counts)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(t.vote_count).where(t.vote_count.c.return_id.in_(chunk))
        for return_id, choice_id, votes in conn.execute(query):
            counts[return_id][choice_id] = votes
    return {
        key: _Stored(row.id, row.version, row.informal, counts[row.id])
        for key, row in found.items()
    }
