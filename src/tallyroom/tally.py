"""Returns → tallies: counts per contest and electorate at one stage, and what they decide.

Only the latest version of each return counts. A contest may be reported both as one
electorate-level return and, in more detail, by voting place; the two are views of the
same votes, so for each contest and electorate the tally uses the detailed returns when
there are any and the electorate-level return otherwise. Never both.

A recount covers only the contests and electorates recounted: the recount stage is the
official count with each recounted contest's electorate replaced by its recount returns.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field, replace

from sqlalchemy import Connection, Engine, and_, func, select

from tallyroom.errors import NotFoundError
from tallyroom.model import (
    ContestKind,
    CountType,
    Electorate,
    ListCandidate,
    Region,
    Roll,
    Stage,
    UnitKind,
    candidate_contest,
)
from tallyroom.names import same_person, same_surname
from tallyroom.rules import regional
from tallyroom.rules.fpp import ElectorateOutcome, decide_electorate
from tallyroom.rules.mmp import MMPResult, allocate_mmp
from tallyroom.rules.steps import pipeline_named
from tallyroom.rules.systems import SYSTEMS, named
from tallyroom.store import schema as t
from tallyroom.store.database import reading
from tallyroom.store.versions import is_latest

# level of detail of a unit kind: a tally takes the highest level present
_LEVEL = {UnitKind.NATION: 0, UnitKind.ELECTORATE: 1}
_DETAIL = 2


class UnknownElectionError(NotFoundError):
    """No election with that id is in the store."""


class NoReturnsError(NotFoundError):
    """The election has no returns at the requested stage."""


@dataclass
class ContestTally:
    """Votes per choice in one contest (for one electorate, or the whole nation)."""

    code: str
    kind: ContestKind
    name: str
    electorate: int | None
    counts: dict[str, int] = field(default_factory=dict)
    informal: int = 0
    party_of: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> int:
        """Votes for a choice."""
        return sum(self.counts.values())


@dataclass
class ElectionTally:
    """Everything counted for an election at one stage."""

    election: str
    name: str
    stage: Stage
    rules: str
    electorates: dict[int, Electorate]
    """by number, the whole stored record (name, roll, region, electors, …)"""
    party_by_electorate: dict[int, ContestTally]
    candidates: dict[int, ContestTally]
    referendums: dict[str, ContestTally]
    party_lists: dict[str, list[ListCandidate]] = field(default_factory=dict)
    """each party's stored list, in rank order (empty where no lists are stored)"""
    regions: dict[str, Region] = field(default_factory=dict)
    """by name, the regions the law apportions by (German Länder; none for New Zealand)"""

    @property
    def regional(self) -> bool:
        """Whether the election's law is a step pipeline over regions (Germany), whose
        seats :meth:`regional_seats` gives, rather than a flat rule set (New Zealand)."""
        return self.rules not in SYSTEMS

    def electorate_name(self, number: int, default: str = "") -> str:
        """The name of electorate ``number``; ``default`` where the store has none."""
        found = self.electorates.get(number)
        return found.name if found else default

    def party_votes(self) -> dict[str, int]:
        """Party votes summed over the electorates, largest first."""
        totals: dict[str, int] = defaultdict(int)
        for contest in self.party_by_electorate.values():
            for party, votes in contest.counts.items():
                totals[party] += votes
        return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))

    def informal_party_votes(self) -> int:
        """Informal party votes summed over the electorates."""
        return sum(c.informal for c in self.party_by_electorate.values())

    def outcomes(self) -> dict[int, ElectorateOutcome]:
        """Each electorate's winner and majority, for electorates with candidate votes."""
        return {
            number: decide_electorate(contest.counts, contest.informal)
            for number, contest in sorted(self.candidates.items())
            if contest.counts
        }

    def seats(self, lot: random.Random | None = None) -> MMPResult:
        """The House by the election's rule set from the party votes and electorate winners."""
        ballot = self.party_votes()
        won: dict[str, int] = defaultdict(int)
        other = 0
        outcomes = self.outcomes()
        for number, outcome in outcomes.items():
            party = self.candidates[number].party_of.get(outcome.winner or "", "")
            if party in ballot:
                won[party] += 1
            else:
                other += 1
        vacant = sum(1 for number in self.electorates if number not in outcomes)
        result = allocate_mmp(
            ballot,
            won,
            named(self.rules),
            other_electorates=other,
            vacant_electorates=vacant,
            lot=lot,
        )
        return self._named_list_members(result) if self.party_lists else result

    def regional_seats(self, lot: random.Random | None = None) -> regional.RegionalResult:
        """The House by the election's step pipeline from each region's party votes and
        each electorate's winner. A winner whose candidate has no party, or a party with
        no list votes, is an independent; electorates without a result take no part."""
        votes: dict[str, dict[str, int]] = {name: {} for name in self.regions}
        for number, contest in self.party_by_electorate.items():
            region = votes.setdefault(self.electorates[number].region, {})
            for party, n in contest.counts.items():
                region[party] = region.get(party, 0) + n
        listed = {party for region in votes.values() for party, n in region.items() if n}
        districts = []
        for number, contest in sorted(self.candidates.items()):
            if not contest.counts:
                continue
            electorate = self.electorates[number]
            outcome = decide_electorate(contest.counts, contest.informal, lot=lot)
            if outcome.winner is None:
                raise regional.UndecidedTieError(
                    f"{electorate.name}: first place tied between {', '.join(outcome.tied)}"
                )
            party = contest.party_of.get(outcome.winner, "")
            districts.append(
                regional.District(
                    f"{number} {electorate.name}",
                    electorate.region,
                    party if party in listed else None,
                    contest.counts[outcome.winner],
                    contest.valid,
                )
            )
        regions = [
            regional.Region(
                name, votes[name], self.regions[name].population if name in self.regions else None
            )
            for name in sorted(votes)
        ]
        return regional.run_pipeline(pipeline_named(self.rules), regions, districts, lot=lot)

    def vacant_electorates(self) -> list[str]:
        """Electorates with no candidate result (a poll cancelled, or not counted yet)."""
        outcomes = self.outcomes()
        return [e.name for n, e in sorted(self.electorates.items()) if n not in outcomes]

    def _named_list_members(self, result: MMPResult) -> MMPResult:
        """``result`` with each party's list MPs named from its stored list, in rank order,
        skipping candidates who won an electorate. Naming stops at a missing rank: who
        holds it is unknown, so the seats from there on are counted as ``list_short``."""
        winners: dict[str, tuple[str, str]] = {}  # electorate name → (winner, party)
        for number, outcome in self.outcomes().items():
            contest = self.candidates[number]
            winner = outcome.winner or ""
            winners[self.electorates[number].name] = (winner, contest.party_of.get(winner, ""))
        by_party: dict[str, list[str]] = defaultdict(list)
        for winner, party in winners.values():
            by_party[party].append(winner)

        def won_electorate(c: ListCandidate) -> bool:
            if c.electorate in winners:
                # A party stands one candidate in an electorate, so party and electorate
                # name the person; their given names may differ ("Penny", "Penelope").
                winner, party = winners[c.electorate]
                return party == c.party and same_surname(c.name, winner)
            return any(same_person(c.name, w) for w in by_party.get(c.party, []))

        parties = []
        for p in result.parties:
            stored = self.party_lists.get(p.party)
            if stored is None:
                parties.append(p)
                continue
            names: list[str] = []
            for expected, c in enumerate(stored, start=1):
                if len(names) == p.list_seats or c.rank != expected:
                    break
                if not won_electorate(c):
                    names.append(c.name)
            parties.append(
                replace(p, list_members=tuple(names), list_short=p.list_seats - len(names))
            )
        return replace(result, parties=tuple(parties))


def tally(store: Engine | Connection, election_id: str, stage: Stage) -> ElectionTally:
    """Tally ``election_id`` at ``stage`` from the latest version of every return (on a
    connection, within its transaction: what a write would leave)."""
    with reading(store) as conn:
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
        r = t.vote_return
        latest = and_(t.contest.c.election_id == election_id, _latest(stage))
        keys = (
            t.contest.c.code,
            t.contest.c.kind,
            t.contest.c.name,
            t.contest.c.electorate,
            t.unit.c.electorate.label("unit_electorate"),
            t.unit.c.kind.label("unit_kind"),
            r.c.stage,
        )
        # sum by ids first (narrow keys), then name them: grouping by names is slower
        u, v = t.unit, t.vote_count
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
        vote_rows = conn.execute(
            select(
                *keys[:4],
                summed.c.unit_electorate,
                summed.c.unit_kind,
                summed.c.stage,
                t.choice.c.name.label("choice"),
                t.choice.c.party,
                summed.c.votes,
            )
            .select_from(summed)
            .join(t.contest, t.contest.c.id == summed.c.contest_id)
            .join(t.choice, t.choice.c.id == summed.c.choice_id)
            .order_by(t.choice.c.id)  # choices in the order they were defined
        ).all()
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
        informal_rows = conn.execute(
            select(*keys, func.sum(r.c.informal).label("informal"))
            .select_from(r)
            .join(t.contest, r.c.contest_id == t.contest.c.id)
            .join(t.unit, r.c.unit_id == t.unit.c.id)
            .where(latest)
            .group_by(*keys)
        ).all()
    if not any(row.stage == stage.value for row in informal_rows):
        raise NoReturnsError(f"election {election_id!r} has no returns at the {stage} stage")

    def place(row) -> tuple[str, int | None]:
        return row.code, row.electorate if row.electorate is not None else row.unit_electorate

    def level(row) -> int:
        return _LEVEL.get(UnitKind(row.unit_kind), _DETAIL)

    informal_rows = _overlaid(informal_rows, place, stage)
    vote_rows = _overlaid(vote_rows, place, stage)
    finest: dict[tuple[str, int | None], int] = {}
    for row in informal_rows:
        finest[place(row)] = max(finest.get(place(row), 0), level(row))
    contests: dict[tuple[str, int | None], ContestTally] = {}
    for row in informal_rows:
        if level(row) != finest[place(row)]:
            continue
        code, number = place(row)
        contest = contests.setdefault(
            (code, number), ContestTally(code, ContestKind(row.kind), row.name, number)
        )
        contest.informal += row.informal
    for row in vote_rows:
        if level(row) != finest[place(row)]:
            continue
        contest = contests[place(row)]
        contest.counts[row.choice] = contest.counts.get(row.choice, 0) + row.votes
        contest.party_of[row.choice] = row.party
    by_kind: dict[ContestKind, dict] = defaultdict(dict)
    for (code, number), contest in contests.items():
        key = code if contest.kind is ContestKind.REFERENDUM else number
        if contest.kind is ContestKind.REFERENDUM and key in by_kind[contest.kind]:
            _merge(by_kind[contest.kind][key], contest)
        else:
            by_kind[contest.kind][key] = contest
    return ElectionTally(
        election=election_id,
        name=election.name,
        stage=stage,
        rules=election.rules,
        electorates=electorates,
        party_by_electorate=by_kind[ContestKind.PARTY],
        candidates=by_kind[ContestKind.CANDIDATE],
        referendums=by_kind[ContestKind.REFERENDUM],
        party_lists=party_lists,
        regions=regions,
    )


def _counted_stages(stage: Stage) -> list[str]:
    """The stages whose returns a tally at ``stage`` reads (a recount builds on official)."""
    return [Stage.OFFICIAL.value, stage.value] if stage is Stage.RECOUNT else [stage.value]


def _overlaid(rows: list, place, stage: Stage) -> list:
    """``rows`` without the official rows of places that have recount rows."""
    if stage is not Stage.RECOUNT:
        return rows
    recounted = {place(row) for row in rows if row.stage == stage.value}
    return [row for row in rows if row.stage == stage.value or place(row) not in recounted]


def _latest(stage: Stage):
    """Returns at ``stage`` (for a recount, also official ones) that no later version of
    the same return supersedes."""
    return and_(t.vote_return.c.stage.in_(_counted_stages(stage)), is_latest())


@dataclass(frozen=True)
class PlaceCount:
    """Candidate votes counted at one voting place or special-vote batch, by count type."""

    unit: str
    kind: UnitKind
    count_type: str
    valid: int
    informal: int


def voting_places(engine: Engine, election_id: str, stage: Stage, number: int) -> list[PlaceCount]:
    """Where electorate ``number``'s candidate votes were counted, largest first."""
    places = [
        PlaceCount(p.name, p.kind, p.count_type.value, sum(p.counts.values()), p.informal)
        for p in contest_parts(engine, election_id, stage, candidate_contest(number))
        if p.kind is not UnitKind.ELECTORATE
    ]
    return sorted(places, key=lambda p: (-p.valid, p.unit))


def _merge(into: ContestTally, other: ContestTally) -> None:
    """Add ``other``'s counts to ``into`` (a referendum's per-electorate parts)."""
    for choice, votes in other.counts.items():
        into.counts[choice] = into.counts.get(choice, 0) + votes
    into.informal += other.informal
    into.electorate = None


def stages(engine: Engine, election_id: str) -> list[Stage]:
    """The stages with returns for an election, in count order."""
    with engine.connect() as conn:
        found = set(
            conn.execute(
                select(t.vote_return.c.stage)
                .join(t.contest, t.vote_return.c.contest_id == t.contest.c.id)
                .where(t.contest.c.election_id == election_id)
                .distinct()
            ).scalars()
        )
    return [s for s in Stage if s.value in found]


@dataclass(frozen=True)
class ContestPart:
    """One reporting unit's latest counts for a contest at a stage and count type."""

    unit: str
    kind: UnitKind
    name: str
    electorate: int | None
    count_type: CountType
    counts: dict[str, int]
    informal: int
    party_of: dict[str, str]
    """each choice's party (for candidates; a party's own name for party votes)"""

    @property
    def total(self) -> int:
        """Valid plus informal votes."""
        return sum(self.counts.values()) + self.informal


def contest_parts(
    engine: Engine, election_id: str, stage: Stage, contest_code: str
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
            t.contest.c.election_id == election_id, t.contest.c.code == contest_code, _latest(stage)
        )
        .order_by(r.c.id, t.choice.c.id)
    )
    parts: dict[int, ContestPart] = {}
    recounted: set[int | None] = set()  # electorates with recount returns
    official: dict[int, int | None] = {}  # official parts a recount may replace
    with engine.connect() as conn:
        for row in conn.execute(query):
            part = parts.get(row.id)
            if part is None:
                if row.stage != stage.value:
                    official[row.id] = row.electorate
                else:
                    recounted.add(row.electorate)
                part = parts[row.id] = ContestPart(
                    row.code,
                    UnitKind(row.kind),
                    row.name,
                    row.electorate,
                    CountType(row.count_type),
                    {},
                    row.informal,
                    {},
                )
            part.counts[row.choice] = row.votes
            part.party_of[row.choice] = row.party
    return [p for i, p in parts.items() if i not in official or official[i] not in recounted]


def counted_shares(engine: Engine, election_id: str, stage: Stage) -> dict[int, float]:
    """Each electorate's share of its voting places with a return at ``stage``. An
    electorate whose voting places the store does not know is 1 once it has any return
    at ``stage``, else 0."""
    with engine.connect() as conn:
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
