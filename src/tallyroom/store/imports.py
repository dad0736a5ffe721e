"""Write an importer's :class:`~tallyroom.model.Dataset` into the store, all or nothing.

* The same file (by content hash) imported again for the same election changes nothing.
* A return whose key (contest, unit, stage, count type) is new is stored as version 1.
* A return identical to the stored latest version is left alone.
* A return that differs from the stored one is refused unless ``replace`` is given with
  a reason; it is then stored as the next version, naming the row it supersedes.
* A candidate the files name in another form than the store ("MELLOW, Emma" for
  "MELLOW-SANDFORD, Emma Jane") is the stored candidate: see
  :mod:`tallyroom.store.candidate_names`.
* Returns that would count votes twice, or implausible figures, are refused: the rules
  of :mod:`tallyroom.store.versions`, which the returns API obeys too.

Everything happens in one transaction: an error, or the process being killed, leaves
the store as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Table, func, insert, select

from tallyroom.errors import ConflictError, InvalidError
from tallyroom.gc_pause import paused_collection
from tallyroom.model import RETURN_KEY, Dataset, ReturnTable
from tallyroom.store import audit, notify
from tallyroom.store import schema as t
from tallyroom.store.bulk import insert_frame, insert_rows, reserve_ids
from tallyroom.store.candidate_names import as_stored
from tallyroom.store.database import refresh_statistics, writing
from tallyroom.store.versions import (
    UNIT_CEILING,
    Latest,
    Verdict,
    current_problems,
    decide,
    is_latest,
    pending,
)

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


class StoreError(ConflictError):
    """The store refused a write; nothing was changed."""


class ReplaceRequiredError(StoreError):
    """Returns differ from those stored and no ``--replace --reason`` was given."""


class UnknownReferenceError(StoreError, InvalidError):
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
class ImportReport:
    """What an import did."""

    election: str
    already_imported: bool = False
    new: int = 0
    replaced: int = 0
    unchanged: int = 0
    list_places: int = 0
    renamed_candidates: int = 0
    """candidates the files name in another form, stored under the store's names"""


@paused_collection()
def import_datasets(
    engine: Engine,
    datasets: Sequence[Dataset],
    source: SourceFile,
    *,
    replace: bool = False,
    reason: str = "",
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store ``datasets`` from ``source`` in one transaction; see the module docstring.
    A closed stage takes no import unless ``force`` (recorded in the audit log); a refused
    import is audited too."""
    if replace and not reason.strip():
        raise StoreError("--replace needs a --reason saying why the stored returns are replaced")
    try:
        return _import_all(engine, datasets, source, replace, reason, force, progress)
    except StoreError as error:
        what = {"format": source.format, "files": source.name, "why": str(error)[:2000]}
        for election in dict.fromkeys(d.election.id for d in datasets):
            named = election if _known(engine, election) else None
            audit.record(
                engine, audit.Entry(audit.OPERATOR, "import", "refused", 0, named, None, what)
            )
        raise


def _known(engine: Engine, election: str) -> bool:
    """Whether the store defines ``election`` (an audit row may only name a known one)."""
    with engine.connect() as conn:
        found = conn.execute(select(t.election.c.id).where(t.election.c.id == election))
        return found.first() is not None


def _import_all(
    engine: Engine,
    datasets: Sequence[Dataset],
    source: SourceFile,
    replace: bool,
    reason: str,
    force: bool,
    progress: Callable[[int], None] | None,
) -> ImportReport:
    totals = {"new": 0, "replaced": 0, "unchanged": 0, "list_places": 0}
    skipped = 0
    with writing(engine) as conn, ThreadPoolExecutor(max_workers=1) as helper:
        head = audit.lock(conn)  # imports and API writes commit one at a time, in log order
        matched = [as_stored(conn, d) for d in datasets]  # candidates as the store names them
        datasets = [d for d, _ in matched]
        # compute the next dataset's returns while this one is written
        upcoming = [helper.submit(d.return_table) for d in datasets[:1]]
        for index, dataset in enumerate(datasets):
            table = upcoming[index].result()
            if index + 1 < len(datasets):
                upcoming.append(helper.submit(datasets[index + 1].return_table))
            done = _import_one(conn, dataset, table, source, replace, reason, force, progress)
            if done is None:
                skipped += 1
                continue
            totals = {k: totals[k] + done[k] for k in totals}
            notify.announce(conn, dataset.election.id)
            what = {
                "format": source.format,
                "files": source.name,
                "sha256": source.content_hash,
                "reason": reason,
                **done,
                **({"renamed_candidates": matched[index][1]} if matched[index][1] else {}),
                **({"forced": True} if force else {}),
            }
            head = audit.append(
                conn,
                audit.Entry(
                    audit.OPERATOR, "import", "accepted", 0, dataset.election.id, None, what
                ),
                head,
            )
        if skipped < len(datasets):  # committed with the rows: planned from them at once
            refresh_statistics(conn)
    elections = ", ".join(d.election.id for d in datasets)
    renamed = sum(n for _, n in matched)
    return ImportReport(
        elections, already_imported=skipped == len(datasets), renamed_candidates=renamed, **totals
    )


def _check_open(conn: Connection, election: str, heads: pl.DataFrame, force: bool) -> None:
    """Refuse an import into a closed stage unless it is forced."""
    if force or not heads.height:
        return
    closed = set(
        conn.execute(
            select(t.stage_status.c.stage).where(
                t.stage_status.c.election_id == election, t.stage_status.c.status == "closed"
            )
        ).scalars()
    )
    hit = sorted(closed & set(heads["stage"].unique().to_list()))
    if hit:
        raise StoreError(
            f"the {hit[0]} stage of {election} is closed for returns; import with --force to "
            "import into it anyway (the audit log records that it was forced)"
        )


def define(engine: Engine, datasets: Sequence[Dataset]) -> None:
    """Store the elections, parties, electorates, units, contests and choices of
    ``datasets`` (not their returns), adding only what is missing; one transaction."""
    with writing(engine) as conn:
        for dataset in datasets:
            _define(conn, dataset)


def _import_one(
    conn: Connection,
    dataset: Dataset,
    table: ReturnTable,
    source: SourceFile,
    replace: bool,
    reason: str,
    force: bool,
    progress: Callable[[int], None] | None,
    ceiling: int = UNIT_CEILING,
) -> dict[str, Any] | None:
    """Store one election's dataset; ``None`` if this source was imported for it before.
    What it stored is counted, with the source's id and the digest of its figures."""
    election_id = dataset.election.id
    seen = conn.execute(
        select(t.source.c.id).where(
            t.source.c.election_id == election_id,
            t.source.c.content_hash == source.content_hash,
        )
    ).first()
    if seen:
        return None
    listed = _define(conn, dataset)
    heads = _resolved_heads(
        table.returns, _ids(conn, t.contest, election_id), _ids(conn, t.unit, election_id)
    )
    _check_open(conn, election_id, heads, force)
    counts = _resolved_counts(table.counts, heads, _choice_ids(conn, election_id))
    heads, counts, report = _versions(conn, heads, counts, replace, reason)
    report["list_places"] = listed
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
    heads = heads.with_columns(
        pl.Series("id", reserve_ids(conn, t.vote_return, heads.height), dtype=pl.Int64),
        pl.lit(source_id, pl.Int64).alias("source_id"),
        pl.when(pl.col("supersedes").is_null())
        .then(pl.lit(""))
        .otherwise(pl.lit(reason))
        .alias("reason"),
    )
    counts = (
        counts.join(heads.select(*_KEY_IDS, "id"), on=_KEY_IDS)
        .select("id", "choice_id", "votes")
        .sort("id", "choice_id")
    )
    stored = heads.select(
        *audit.FIGURES[:6], pl.lit(0, pl.Int64).alias("held"), pl.col("id").alias("return_id")
    ).join(counts.rename({"id": "return_id"}), on="return_id", how="left")
    # the digest of what is stored is hashed beside the writes and checks (polars and
    # SQLite both let go of the interpreter while they work)
    with ThreadPoolExecutor(max_workers=1) as hashing:
        figures = hashing.submit(audit.digest_frame, stored)
        for start in range(0, heads.height, _CHUNK):
            chunk = heads.slice(start, _CHUNK)
            insert_frame(conn, t.vote_return, chunk.select(_RETURN_COLUMNS))
            first, last = chunk["id"].min(), chunk["id"].max()
            insert_frame(
                conn,
                t.vote_count,
                counts.filter(pl.col("id").is_between(first, last)).rename({"id": "return_id"}),
            )
            if progress:
                progress(chunk.height)
        _check_current(conn, heads, ceiling)
        return {**report, "source_id": source_id, "figures": figures.result()}


def _check_current(conn: Connection, heads: pl.DataFrame, ceiling: int) -> None:
    """Refuse the import if a return it stores breaks the rules of
    :func:`~tallyroom.store.versions.current_problems`, naming its file and line."""
    if not heads.height:
        return
    where = dict(heads.select("id", "where").rows())
    contests = heads["contest_id"].unique().to_list()
    for problem in current_problems(conn, contests, heads["stage"].unique().to_list(), ceiling):
        if problem.return_id in where:
            raise StoreError(f"{where[problem.return_id]}: {problem.message}")


_KEY_IDS = ["contest_id", "unit_id", "stage", "count_type"]


def _resolved_heads(
    heads: pl.DataFrame, contests: dict[str, int], units: dict[str, int]
) -> pl.DataFrame:
    """One row per return with contest and unit ids; unknown codes and repeats are errors."""
    heads = heads.with_columns(
        pl.col("contest")
        .replace_strict(contests, default=None, return_dtype=pl.Int64)
        .alias("contest_id"),
        pl.col("unit").replace_strict(units, default=None, return_dtype=pl.Int64).alias("unit_id"),
    )
    for column, what in (("contest_id", "contest"), ("unit_id", "reporting unit")):
        unknown = heads.filter(pl.col(column).is_null())
        if unknown.height:
            row = unknown.row(0, named=True)
            code = row["contest" if column == "contest_id" else "unit"]
            raise UnknownReferenceError(f"{row['where']}: unknown {what} {code!r}")
    repeated = heads.filter(pl.struct(_KEY_IDS).is_duplicated())
    if repeated.height:
        raise StoreError(f"{repeated['where'][0]}: the same return appears twice in one import")
    return heads


def _resolved_counts(
    counts: pl.DataFrame, heads: pl.DataFrame, choices: dict[tuple[str, str], int]
) -> pl.DataFrame:
    """Counts with the ids of their return's key and of their choice."""
    known = pl.DataFrame(
        [(contest, name, choice_id) for (contest, name), choice_id in choices.items()],
        schema={"contest": pl.String, "choice": pl.String, "choice_id": pl.Int64},
        orient="row",
    )
    keyed = heads.select(*RETURN_KEY, *_KEY_IDS[:2], "where")
    counts = counts.join(keyed, on=RETURN_KEY, how="left").join(
        known, on=["contest", "choice"], how="left"
    )
    unknown = counts.filter(pl.col("choice_id").is_null())
    if unknown.height:
        row = unknown.row(0, named=True)
        raise UnknownReferenceError(
            f"{row['where']}: {row['choice']!r} is not a choice of contest {row['contest']!r}"
        )
    return counts.select(*_KEY_IDS, "choice_id", "votes")


def _versions(
    conn: Connection, heads: pl.DataFrame, counts: pl.DataFrame, replace: bool, reason: str
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int]]:
    """Decide each return's version against the stored ones; drop those unchanged."""
    heads = heads.with_columns(
        pl.lit(1, pl.Int64).alias("version"), pl.lit(None, pl.Int64).alias("supersedes")
    )
    stored = _latest_versions(conn, set(heads["contest_id"].unique().to_list()))
    report = {"new": heads.height, "replaced": 0, "unchanged": 0}
    colliding = [
        row
        for row in heads.select(*_KEY_IDS, "informal", "where", "contest", "unit").rows()
        if tuple(row[:4]) in stored
    ]
    if not colliding:
        return heads, counts, report
    mine: dict[tuple, dict[int, int]] = {tuple(row[:4]): {} for row in colliding}
    for *key, choice_id, votes in counts.rows():
        if tuple(key) in mine:
            mine[tuple(key)][choice_id] = votes
    versions, unchanged = {}, set()
    for *key, informal, where, contest, unit in colliding:
        key = tuple(key)
        try:
            decision = decide(
                stored[key],
                ({c: v for c, v in mine[key].items() if v}, informal),
                supersedes=None,
                reason=reason,
                replace=replace,
                how_to_correct="import with --replace --reason to store a new version",
            )
        except ConflictError as error:
            if stored[key].pending is not None:
                raise StoreError(f"{where}: {contest} at {unit}: {error}") from None
            raise ReplaceRequiredError(
                f"{where}: {contest} at {unit} ({key[2]}, {key[3]}) differs from the stored "
                "return; import with --replace --reason to store a new version"
            ) from error
        if decision.verdict is Verdict.DUPLICATE:
            unchanged.add(key)
        else:
            versions[key] = (decision.version, decision.supersedes)
    report.update(
        new=heads.height - len(colliding), replaced=len(versions), unchanged=len(unchanged)
    )
    decided = pl.DataFrame(
        [(*k, v, s) for k, (v, s) in versions.items()] + [(*k, 0, None) for k in unchanged],
        schema={
            "contest_id": pl.Int64,
            "unit_id": pl.Int64,
            "stage": pl.String,
            "count_type": pl.String,
            "new_version": pl.Int64,
            "new_supersedes": pl.Int64,
        },
        orient="row",
    )
    heads = (
        heads.join(decided, on=_KEY_IDS, how="left")
        .with_columns(
            pl.coalesce("new_version", "version").alias("version"),
            pl.coalesce("new_supersedes", "supersedes").alias("supersedes"),
        )
        .filter(pl.col("version") > 0)
        .drop("new_version", "new_supersedes")
    )
    return heads, counts, report


def _define(conn: Connection, dataset: Dataset) -> int:
    """Insert the election and whatever definitions the store does not have yet; return
    how many list places were new."""
    election = dataset.election
    if not conn.execute(select(t.election.c.id).where(t.election.c.id == election.id)).first():
        conn.execute(insert(t.election), vars(election))
    eid = election.id
    _define_regions(conn, dataset)
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
                "electors": e.electors,
                "votes_cast": e.votes_cast,
            }
            for e in dataset.electorates
        ],
    )
    _insert_missing(
        conn,
        t.party,
        eid,
        "name",
        [
            {"name": p.name, "short_name": p.short_name, "colour": p.colour, "position": p.position}
            for p in dataset.parties
        ],
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
    _define_split_votes(conn, dataset)
    return _define_lists(conn, dataset)


def _define_split_votes(conn: Connection, dataset: Dataset) -> None:
    """Store split-vote cells not stored yet; a cell stored with other figures is refused
    (the published tables are final, not versioned)."""
    if not dataset.split_votes:
        return
    eid = dataset.election.id
    stored = {
        (row.scope, row.party, row.choice): (row.party_votes, row.hundredths, row.votes)
        for row in conn.execute(select(t.split_vote).where(t.split_vote.c.election_id == eid))
    }
    fresh = []
    for v in dataset.split_votes:
        key, figures = (v.scope, v.party, v.choice), (v.party_votes, v.hundredths, v.votes)
        if key not in stored:
            stored[key] = figures
            fresh.append((eid, *key, *figures))
        elif stored[key] != figures:
            raise StoreError(
                f"{eid}: the split votes of {v.party} to {v.choice} ({v.scope}) are stored as "
                f"{stored[key][1] / 100:.2f} % of {stored[key][0]:,}, not "
                f"{v.hundredths / 100:.2f} % of {v.party_votes:,}; a stored table is not replaced"
            )
    if fresh:
        columns = ("election_id", "scope", "party", "choice", "party_votes", "hundredths", "votes")
        insert_rows(conn, t.split_vote, columns, fresh)


def _define_regions(conn: Connection, dataset: Dataset) -> None:
    """Store regions not stored yet; one stored with another number or population is
    refused (regions are definitions, not versioned returns)."""
    if not dataset.regions:
        return
    eid = dataset.election.id
    stored = {
        row.name: (row.number, row.population)
        for row in conn.execute(select(t.region).where(t.region.c.election_id == eid))
    }
    fresh = []
    for r in dataset.regions:
        if r.name not in stored:
            stored[r.name] = (r.number, r.population)
            fresh.append((eid, r.name, r.number, r.population))
        elif stored[r.name] != (r.number, r.population):
            number, population = stored[r.name]
            raise StoreError(
                f"{eid}: region {r.name} is stored as number {number}, population "
                f"{population}, not {r.number}, {r.population}; a stored region is not replaced"
            )
    if fresh:
        insert_rows(conn, t.region, ("election_id", "name", "number", "population"), fresh)


def _define_lists(conn: Connection, dataset: Dataset) -> int:
    """Store list places not stored yet; a place stored with another candidate is refused
    (lists are not versioned: the published list is fixed before the election)."""
    if not dataset.list_candidates:
        return 0
    eid = dataset.election.id
    stored = {
        (row.party, row.rank): (row.name, row.electorate)
        for row in conn.execute(
            select(t.list_candidate).where(t.list_candidate.c.election_id == eid)
        )
    }
    fresh = []
    for c in dataset.list_candidates:
        key = (c.party, c.rank)
        if key not in stored:
            stored[key] = (c.name, c.electorate)
            fresh.append((eid, c.party, c.rank, c.name, c.electorate))
        elif stored[key] != (c.name, c.electorate):
            raise StoreError(
                f"{eid}: {c.party} list place {c.rank} is stored as {stored[key][0]!r}, "
                f"not {c.name!r}; a stored list is not replaced"
            )
    if fresh:
        insert_rows(
            conn,
            t.list_candidate,
            ("election_id", "party", "rank", "name", "electorate"),
            fresh,
        )
    return len(fresh)


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


def _latest_versions(conn: Connection, contest_ids: set[int]) -> dict[tuple, Latest]:
    """The latest counted version of every return of these contests, with its counts, the
    highest version stored and any correction under review."""
    if not contest_ids:
        return {}
    r = t.vote_return
    key = (r.c.contest_id, r.c.unit_id, r.c.stage, r.c.count_type)
    mine = r.c.contest_id.in_(contest_ids)
    rows = conn.execute(select(r.c.id, *key, r.c.version, r.c.informal).where(mine, is_latest()))
    latest = {tuple(row[1:5]): row for row in rows}
    if not latest:
        return {}
    top = dict(
        (tuple(k), v)
        for *k, v in conn.execute(select(*key, func.max(r.c.version)).where(mine).group_by(*key))
    )
    held = {tuple(k): v for *k, v in conn.execute(select(*key, r.c.id).where(mine, pending(r)))}
    counts: dict[int, dict[int, int]] = {row.id: {} for row in latest.values()}
    query = (
        select(t.vote_count)
        .join(r, r.c.id == t.vote_count.c.return_id)
        .where(r.c.contest_id.in_(contest_ids))
    )
    for return_id, choice_id, votes in conn.execute(query):
        if return_id in counts and votes:
            counts[return_id][choice_id] = votes
    return {
        k: Latest(row.id, row.version, (counts[row.id], row.informal), top[k], held.get(k))
        for k, row in latest.items()
    }
