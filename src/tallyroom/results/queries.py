"""The read side of the store: the SQL that hands :mod:`tallyroom.results.counting` its
rows, and the election's records (elections, parties, referendums) that pages show.

Every function takes an :class:`~sqlalchemy.Engine` or, to see what a write in progress
would leave, a :class:`~sqlalchemy.Connection` within its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, distinct, func, select
from sqlalchemy.sql.selectable import ScalarSelect

from tallyroom.model import (
    CANCELLED_POLL_SUFFIX,
    ContestKind,
    Electorate,
    ListCandidate,
    Party,
    Region,
    Roll,
    SplitVote,
    Stage,
    UnitKind,
)
from tallyroom.results.counting import (
    ContestPart,
    ElectionTally,
    PartRow,
    Progress,
    UnknownElectionError,
    assemble,
    parts_from,
)
from tallyroom.results.summed import SummedRows, flattened, latest_at, summed_rows
from tallyroom.store import schema as t
from tallyroom.store.database import reading

Store = Engine | Connection


def tally(
    store: Store, election_id: str, stage: Stage, kept: SummedRows | None = None
) -> ElectionTally:
    """Tally ``election_id`` at ``stage`` from the latest version of every return (on a
    connection, within its transaction: what a write would leave). Its finer figures
    (:meth:`ElectionTally.parts` and the like) are read from ``store`` when first asked
    for, so a tally on a connection must be asked while the connection is open. With
    ``kept``, only the contests changed since it last summed them are summed again."""
    with reading(store) as conn:
        heading = _heading(conn, store, election_id, stage)
        informal, votes = (
            kept.rows(conn, election_id, stage)
            if kept is not None
            else flattened(summed_rows(conn, election_id, stage))
        )
    counted = assemble(heading, informal, votes)
    if stage is Stage.BY_ELECTION:  # the by-elections fill the general election's House
        counted.general = tally(store, election_id, Stage.OFFICIAL, kept)
    return counted


def _heading(conn: Connection, store: Store, election_id: str, stage: Stage) -> ElectionTally:
    """The election's records at ``stage``, with no votes yet (its finer figures to be
    read from ``store``)."""
    election = conn.execute(select(t.election).where(t.election.c.id == election_id)).first()
    if election is None:
        known = ", ".join(conn.execute(select(t.election.c.id)).scalars()) or "none"
        raise UnknownElectionError(f"no election {election_id!r} in the store (have: {known})")
    electorates = {
        row.number: Electorate(**{**row._asdict(), "roll": Roll(row.roll)})
        for row in conn.execute(
            select(*(c for c in t.electorate.c if c.name != "election_id")).where(
                t.electorate.c.election_id == election_id
            )
        )
    }
    party_lists: dict[str, list[ListCandidate]] = {}
    for row in conn.execute(
        select(t.list_candidate)
        .where(t.list_candidate.c.election_id == election_id)
        .order_by(t.list_candidate.c.party, t.list_candidate.c.rank)
    ):
        party_lists.setdefault(row.party, []).append(
            ListCandidate(row.party, row.rank, row.name, row.electorate)
        )
    regions = {
        row.name: Region(row.name, row.number, row.population)
        for row in conn.execute(select(t.region).where(t.region.c.election_id == election_id))
    }
    return ElectionTally(
        election=election_id,
        name=election.name,
        stage=stage,
        rules=election.rules,
        electorates=electorates,
        party_by_electorate={},
        candidates={},
        referendums={},
        party_lists=party_lists,
        regions=regions,
        cancelled_polls=frozenset(cancelled_polls(conn, election_id)),
        details=StoreDetails(store, election_id, stage),
    )


def _standing(conn: Connection, election_id: str) -> dict[int, tuple[tuple[str, str], ...]]:
    """Each electorate's general-election candidates as defined in the store: (name,
    party), in order; a candidate counted only at a by-election stood at that alone."""
    stages_of: dict[int, set[str]] = {}
    by_election = conn.execute(
        select(t.vote_return.c.id)
        .join(t.contest, t.contest.c.id == t.vote_return.c.contest_id)
        .where(
            t.contest.c.election_id == election_id,
            t.vote_return.c.stage == Stage.BY_ELECTION.value,
        )
        .limit(1)
    ).first()
    for choice_id, stage in (
        ()
        if by_election is None
        else conn.execute(
            select(t.vote_count.c.choice_id, t.vote_return.c.stage)
            .join(t.vote_return, t.vote_return.c.id == t.vote_count.c.return_id)
            .join(t.contest, t.contest.c.id == t.vote_return.c.contest_id)
            .where(
                t.contest.c.election_id == election_id,
                t.contest.c.kind == ContestKind.CANDIDATE.value,
            )
            .distinct()
        )
    ):
        stages_of.setdefault(choice_id, set()).add(stage)
    found: dict[int, list[tuple[str, str]]] = {}
    rows = conn.execute(
        select(t.contest.c.electorate, t.choice.c.id, t.choice.c.name, t.choice.c.party)
        .join(t.choice, t.choice.c.contest_id == t.contest.c.id)
        .where(
            t.contest.c.election_id == election_id,
            t.contest.c.kind == ContestKind.CANDIDATE.value,
        )
        .order_by(t.choice.c.id)
    )
    for number, choice_id, name, party in rows:
        if stages_of.get(choice_id) != {Stage.BY_ELECTION.value}:
            found.setdefault(number, []).append((name, party))
    return {number: tuple(names) for number, names in found.items()}


class StoreDetails:
    """A tally's finer figures, read from the store on demand (see
    :class:`~tallyroom.results.counting.Details`)."""

    def __init__(self, store: Store, election_id: str, stage: Stage) -> None:
        self._store, self._election, self._stage = store, election_id, stage

    def parts(self, code: str) -> list[ContestPart]:
        """Every unit's latest return for contest ``code``."""
        return contest_parts(self._store, self._election, self._stage, code)

    def progress(self) -> Progress:
        """Reporting places with returns at the stage."""
        return progress(self._store, self._election, self._stage)

    def counted_shares(self) -> dict[int, float]:
        """Each electorate's share of its voting places with a return."""
        return counted_shares(self._store, self._election, self._stage)

    def has_place_returns(self) -> bool:
        """Whether candidate votes are stored below the electorate."""
        return has_place_returns(self._store, self._election, self._stage)

    def standing(self) -> dict[int, tuple[tuple[str, str], ...]]:
        """Each electorate's general-election candidates."""
        with reading(self._store) as conn:
            return _standing(conn, self._election)


def contest_parts(
    store: Store, election_id: str, stage: Stage, contest_code: str
) -> list[ContestPart]:
    """Every unit's latest return for one contest at ``stage``, choices in defined order
    (for a recount: the official returns of the electorates not recounted, and the
    recount's)."""
    r = t.vote_return
    query = (
        select(
            r.c.id,
            t.unit.c.code,
            t.unit.c.kind,
            t.unit.c.name,
            t.unit.c.electorate,
            r.c.count_type,
            r.c.informal,
            r.c.stage,
            t.choice.c.name.label("choice"),
            t.choice.c.party,
            t.vote_count.c.votes,
        )
        .join(t.contest, r.c.contest_id == t.contest.c.id)
        .join(t.unit, r.c.unit_id == t.unit.c.id)
        .join(t.vote_count, t.vote_count.c.return_id == r.c.id)
        .join(t.choice, t.vote_count.c.choice_id == t.choice.c.id)
        .where(
            t.contest.c.election_id == election_id,
            t.contest.c.code == contest_code,
            latest_at(stage),
        )
        .order_by(r.c.id, t.choice.c.id)
    )
    with reading(store) as conn:
        return parts_from((PartRow(*row) for row in conn.execute(query)), stage)


def stages(store: Store, election_id: str) -> list[Stage]:
    """The stages with returns for an election, in count order."""
    with reading(store) as conn:
        found = set(
            conn.execute(
                select(t.vote_return.c.stage)
                .join(t.contest, t.vote_return.c.contest_id == t.contest.c.id)
                .where(t.contest.c.election_id == election_id)
                .distinct()
            ).scalars()
        )
    return [s for s in Stage if s.value in found]


def counted_shares(store: Store, election_id: str, stage: Stage) -> dict[int, float]:
    """Each electorate's share of its voting places with a return at ``stage``. An
    electorate whose voting places the store does not know is 1 once it has any return
    at ``stage``, else 0."""
    with reading(store) as conn:
        units = conn.execute(
            select(t.unit.c.id, t.unit.c.electorate, t.unit.c.kind).where(
                t.unit.c.election_id == election_id,
                t.unit.c.kind.in_([UnitKind.VOTING_PLACE.value, UnitKind.ELECTORATE.value]),
            )
        ).all()
        reported = set(
            conn.execute(
                select(t.vote_return.c.unit_id)
                .join(t.contest, t.vote_return.c.contest_id == t.contest.c.id)
                .where(t.contest.c.election_id == election_id, t.vote_return.c.stage == stage.value)
                .distinct()
            ).scalars()
        )
        numbers = conn.execute(
            select(t.electorate.c.number).where(t.electorate.c.election_id == election_id)
        ).scalars()
        places: dict[int, list[bool]] = {n: [] for n in numbers}
    whole: dict[int, bool] = {}
    for unit in units:
        if unit.electorate is None:
            continue
        if unit.kind == UnitKind.VOTING_PLACE.value:
            places.setdefault(unit.electorate, []).append(unit.id in reported)
        else:
            whole[unit.electorate] = unit.id in reported
    return {
        n: sum(found) / len(found) if found else float(whole.get(n, False))
        for n, found in places.items()
    }


def progress(store: Store, election: str, stage: Stage) -> Progress:
    """How many reporting places have returns at ``stage``: voting places where the store
    knows them, electorates otherwise. One query (every server asks after every return)."""
    u, r = t.unit, t.vote_return

    def reported(kind: UnitKind) -> ScalarSelect[int]:
        return (
            select(func.count(distinct(r.c.unit_id)))
            .join(u, r.c.unit_id == u.c.id)
            .where(u.c.election_id == election, u.c.kind == kind.value, r.c.stage == stage.value)
            .scalar_subquery()
        )

    places = (
        select(func.count())
        .where(u.c.election_id == election, u.c.kind == UnitKind.VOTING_PLACE.value)
        .scalar_subquery()
    )
    electorates = (
        select(func.count()).where(t.electorate.c.election_id == election).scalar_subquery()
    )
    with reading(store) as conn:
        found = conn.execute(
            select(
                places,
                reported(UnitKind.VOTING_PLACE),
                electorates,
                reported(UnitKind.ELECTORATE),
            )
        ).one()
    voting_places, places_in, electorate_count, electorates_in = found
    if voting_places:
        return Progress(places_in, voting_places, UnitKind.VOTING_PLACE)
    return Progress(electorates_in, electorate_count, UnitKind.ELECTORATE)


def electorate_versions(store: Store, election: str) -> dict[int, tuple[int, int]]:
    """For each electorate of ``election`` with returns, the highest id among the returns
    for its contests or from its reporting units (at any stage) and among the review
    decisions on them: while both stay the same, nothing counted in that electorate has
    changed (returns and reviews are only ever added)."""
    returns, reviews = t.vote_return, t.review
    rows: list[tuple[int, int, int | None]] = []
    with reading(store) as conn:
        for table, by in ((t.unit, returns.c.unit_id), (t.contest, returns.c.contest_id)):
            # highest ids per unit (contest) first: joined the other way round, SQLite
            # scans every return once for each unit
            each = (
                select(
                    by.label("id"),
                    func.max(returns.c.id).label("r"),
                    func.max(reviews.c.id).label("v"),
                )
                .outerjoin(reviews, reviews.c.return_id == returns.c.id)
                .group_by(by)
                .subquery()
            )
            rows += [
                (number, highest_return, highest_review)
                for number, highest_return, highest_review in conn.execute(
                    select(table.c.electorate, func.max(each.c.r), func.max(each.c.v))
                    .join(table, each.c.id == table.c.id)
                    .where(table.c.election_id == election, table.c.electorate.is_not(None))
                    .group_by(table.c.electorate)
                )
            ]
    versions: dict[int, tuple[int, int]] = {}
    for number, highest_return, highest_review in rows:
        before = versions.get(number, (0, 0))
        versions[number] = (max(before[0], highest_return), max(before[1], highest_review or 0))
    return versions


def has_place_returns(store: Store, election: str, stage: Stage) -> bool:
    """Whether any candidate votes at ``stage`` are stored by voting place or special-vote
    batch."""
    with reading(store) as conn:
        found = conn.execute(
            select(t.vote_return.c.id)
            .join(t.unit, t.vote_return.c.unit_id == t.unit.c.id)
            .join(t.contest, t.vote_return.c.contest_id == t.contest.c.id)
            .where(
                t.contest.c.election_id == election,
                t.contest.c.kind == ContestKind.CANDIDATE.value,
                t.unit.c.kind.in_([UnitKind.VOTING_PLACE.value, UnitKind.SPECIAL_BATCH.value]),
                t.vote_return.c.stage == stage.value,
            )
            .limit(1)
        ).first()
    return found is not None


def cancelled_polls(store: Store, election: str) -> set[int]:
    """The electorates of ``election`` whose candidate poll was cancelled (Port Waikato
    2023): they have party votes and no candidate result."""
    with reading(store) as conn:
        names = conn.execute(
            select(t.contest.c.electorate, t.contest.c.name).where(
                t.contest.c.election_id == election, t.contest.c.kind == ContestKind.CANDIDATE.value
            )
        ).all()
    return {number for number, name in names if name.endswith(CANCELLED_POLL_SUFFIX)}


# -- the election's records -------------------------------------------------------------


@dataclass(frozen=True)
class ElectionRecord:
    """One stored election and the stages it has returns for."""

    id: str
    name: str
    date: date | str
    rules: str
    stages: tuple[Stage, ...]


def elections(store: Store) -> list[ElectionRecord]:
    """Every election in the store with the stages counted, by date."""
    with reading(store) as conn:
        rows = conn.execute(select(t.election).order_by(t.election.c.date, t.election.c.id)).all()
    return [ElectionRecord(r.id, r.name, r.date, r.rules, tuple(stages(store, r.id))) for r in rows]


def referendum_names(store: Store, election: str) -> list[tuple[str, str]]:
    """Each referendum contest's code and name, in the order defined."""
    with reading(store) as conn:
        return [
            (code, name)
            for code, name in conn.execute(
                select(t.contest.c.code, t.contest.c.name)
                .where(
                    t.contest.c.election_id == election,
                    t.contest.c.kind == ContestKind.REFERENDUM.value,
                )
                .order_by(t.contest.c.id)
            )
        ]


def electorate_count(store: Store, election: str) -> int:
    """How many electorates ``election`` has."""
    with reading(store) as conn:
        return conn.execute(
            select(func.count()).where(t.electorate.c.election_id == election)
        ).scalar_one()


def split_vote_count(store: Store, election: str) -> int:
    """How many split-vote cells ``election`` has stored."""
    with reading(store) as conn:
        return conn.execute(
            select(func.count()).where(t.split_vote.c.election_id == election)
        ).scalar_one()


def split_votes(store: Store, election: str) -> list[SplitVote]:
    """The split-vote tables of ``election`` (party vote × electorate vote), as stored."""
    v = t.split_vote
    with reading(store) as conn:
        rows = conn.execute(
            select(v.c.scope, v.c.party, v.c.party_votes, v.c.choice, v.c.hundredths, v.c.votes)
            .where(v.c.election_id == election)
            .order_by(v.c.scope, v.c.party, v.c.choice)
        ).all()
    return [SplitVote(*row) for row in rows]


def parties(store: Store, election: str) -> list[Party]:
    """The parties of ``election`` as stored (name, short name, colour, position)."""
    p = t.party
    with reading(store) as conn:
        rows = conn.execute(
            select(p.c.name, p.c.short_name, p.c.colour, p.c.position).where(
                p.c.election_id == election
            )
        ).all()
    return [Party(*row) for row in rows]


def latest_tally(store: Store, election: str, stage: Stage | None = None) -> ElectionTally:
    """Tally ``election`` at ``stage``, or at the latest stage with returns."""
    if stage is None:
        found = stages(store, election)
        if not found:
            tally(store, election, Stage.OFFICIAL)  # raises the right error
        stage = found[-1]
    return tally(store, election, stage)
