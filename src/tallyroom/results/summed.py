"""The votes a tally is made from, summed in the store, and kept between store generations
so that a new return sums again only the contest it belongs to.

A tally (:func:`tallyroom.results.queries.tally`) needs every contest's votes and informal
votes summed by the electorate and kind of the units they were counted at
(:class:`~tallyroom.results.counting.SummedRow`). Summing the 2023 voting-place count
reads 196,000 stored counts; after one more return, all but one contest sum to what
they did. :class:`SummedRows` keeps each contest's rows with the contest's version (how
many returns and review decisions it has, and the highest of their ids: returns and
reviews are only ever added, never changed), and sums again only the contests whose
version moved.
"""

from __future__ import annotations

import threading
from collections.abc import Collection

from sqlalchemy import Connection, Select, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from tallyroom.model import Stage
from tallyroom.results.counting import SummedRow, counted_stages
from tallyroom.store import schema as t
from tallyroom.store.versions import is_latest

Rows = tuple[list[SummedRow], list[SummedRow]]
"""informal rows and vote rows"""

_KEYS = (
    t.contest.c.code,
    t.contest.c.kind,
    t.contest.c.name,
    t.contest.c.electorate,
)


def summed_rows(
    conn: Connection, election_id: str, stage: Stage, contests: Collection[int] | None = None
) -> dict[int, Rows]:
    """Each contest's informal and vote rows at ``stage`` (only those of ``contests``, by
    id, if given): the latest version of every return counted at ``stage``."""
    latest = and_(t.contest.c.election_id == election_id, latest_at(stage))
    if contests is not None:
        latest = and_(latest, t.vote_return.c.contest_id.in_(sorted(contests)))
    found: dict[int, Rows] = {}
    for contest_id, row in _informal_rows(conn, latest):
        found.setdefault(contest_id, ([], []))[0].append(row)
    for contest_id, row in _vote_rows(conn, latest):
        found.setdefault(contest_id, ([], []))[1].append(row)
    return found


def latest_at(stage: Stage) -> ColumnElement[bool]:
    """Returns at ``stage`` (for a recount, also official ones) that no later version of
    the same return supersedes."""
    return and_(t.vote_return.c.stage.in_(counted_stages(stage)), is_latest())


def contest_versions(conn: Connection, election_id: str) -> dict[int, tuple[int, ...]]:
    """Each contest of ``election_id`` with returns: how many returns (at any stage) and
    review decisions it has, and the highest id of each. While they stay the same, what
    the contest counts has not changed."""
    r, v = t.vote_return, t.review
    rows = conn.execute(
        select(
            r.c.contest_id,
            func.count(r.c.id),
            func.max(r.c.id),
            func.count(v.c.id),
            func.coalesce(func.max(v.c.id), 0),
        )
        .outerjoin(v, v.c.return_id == r.c.id)
        .where(r.c.contest_id.in_(_contest_ids(election_id)))
        .group_by(r.c.contest_id)
    )
    return {contest_id: tuple(version) for contest_id, *version in rows}


class SummedRows:
    """Summed rows of each election and stage asked for, kept per contest with the
    contest's version; safe to share between threads."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, Stage], tuple[dict[int, tuple[int, ...]], dict[int, Rows]]] = {}
        self._lock = threading.Lock()

    def rows(self, conn: Connection, election_id: str, stage: Stage) -> Rows:
        """The informal and vote rows of ``election_id`` at ``stage`` as the store holds
        them on ``conn``; only contests changed since the last call are summed again."""
        with self._lock:
            versions = contest_versions(conn, election_id)
            before, kept = self._kept.get((election_id, stage), ({}, {}))
            changed = {c for c, version in versions.items() if before.get(c) != version}
            fresh = (
                summed_rows(conn, election_id, stage, changed if before else None)
                if changed or not before
                else {}
            )
            by_contest = {c: rows for c, rows in kept.items() if c in versions and c not in changed}
            by_contest.update(fresh)
            self._kept[election_id, stage] = (versions, by_contest)
        return flattened(by_contest)


def flattened(by_contest: dict[int, Rows]) -> Rows:
    """All contests' rows as one list of each, in one order however they were summed:
    informal rows by their keys, vote rows by contest, then as summed (choice order)."""
    informal = sorted((row for rows, _ in by_contest.values() for row in rows), key=_informal_key)
    votes = [row for contest in sorted(by_contest) for row in by_contest[contest][1]]
    return informal, votes


def _informal_key(row: SummedRow) -> tuple[str, str, str, int, int, str, str]:
    """The order of the informal rows' keys (with no electorate first)."""
    return (row.code, row.kind, row.name, row.electorate or 0, row.unit_electorate or 0,
            row.unit_kind, row.stage)  # fmt: skip


def _contest_ids(election_id: str) -> Select[tuple[int]]:
    """SQL: the ids of ``election_id``'s contests."""
    return select(t.contest.c.id).where(t.contest.c.election_id == election_id)


def _vote_rows(conn: Connection, latest: ColumnElement[bool]) -> list[tuple[int, SummedRow]]:
    """Votes per choice, summed by contest, unit electorate, unit kind and stage, with
    the contest's id, choices in the order they were defined."""
    r, u, v = t.vote_return, t.unit, t.vote_count
    # sum by ids first (narrow keys), then name them: grouping by names is slower
    summed = (
        select(
            r.c.contest_id,
            u.c.electorate.label("unit_electorate"),
            u.c.kind.label("unit_kind"),
            r.c.stage,
            v.c.choice_id,
            func.sum(v.c.votes).label("votes"),
        )
        .select_from(r)
        .join(t.contest, r.c.contest_id == t.contest.c.id)
        .join(u, r.c.unit_id == u.c.id)
        .join(v, v.c.return_id == r.c.id)
        .where(latest)
        .group_by(r.c.contest_id, u.c.electorate, u.c.kind, r.c.stage, v.c.choice_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            summed.c.contest_id,
            *_KEYS,
            summed.c.unit_electorate,
            summed.c.unit_kind,
            summed.c.stage,
            summed.c.votes,
            t.choice.c.name.label("choice"),
            t.choice.c.party,
        )
        .select_from(summed)
        .join(t.contest, t.contest.c.id == summed.c.contest_id)
        .join(t.choice, t.choice.c.id == summed.c.choice_id)
        .order_by(t.choice.c.id)  # choices in the order they were defined
    )
    return [(contest_id, SummedRow(*values)) for contest_id, *values in rows]


def _informal_rows(conn: Connection, latest: ColumnElement[bool]) -> list[tuple[int, SummedRow]]:
    """Informal votes summed by contest, unit electorate, unit kind and stage, with the
    contest's id."""
    r = t.vote_return
    keys = (
        *_KEYS,
        t.unit.c.electorate.label("unit_electorate"),
        t.unit.c.kind.label("unit_kind"),
        r.c.stage,
    )
    rows = conn.execute(
        select(r.c.contest_id, *keys, func.sum(r.c.informal).label("votes"))
        .select_from(r)
        .join(t.contest, r.c.contest_id == t.contest.c.id)
        .join(t.unit, r.c.unit_id == t.unit.c.id)
        .where(latest)
        .group_by(r.c.contest_id, *keys)
    )
    return [(contest_id, SummedRow(*values)) for contest_id, *values in rows]
