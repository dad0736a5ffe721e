"""What a count is: the tally of an election at one stage, and the rules that build it
from summed return rows.

Only the latest version of each return counts (the query chooses those). A contest may
be reported both as one electorate-level return and, in more detail, by voting place;
the two are views of the same votes, so for each contest and electorate the tally uses
the detailed returns when there are any and the electorate-level return otherwise.
Never both.

A recount covers only the contests and electorates recounted: the recount stage is the
official count with each recounted contest's electorate replaced by its recount returns.

Nothing here reads the store: :mod:`tallyroom.results.queries` does, and hands over
plain rows.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from tallyroom.errors import NotFoundError
from tallyroom.model import (
    ContestKind,
    CountType,
    Electorate,
    ListCandidate,
    Region,
    Stage,
    UnitKind,
    candidate_contest,
)
from tallyroom.names import same_person, same_surname
from tallyroom.rules import byelection
from tallyroom.rules import regional as pipeline_engine
from tallyroom.rules.fpp import ElectorateOutcome, decide_electorate
from tallyroom.rules.mmp import MMPResult, allocate_mmp
from tallyroom.rules.steps import pipeline_named
from tallyroom.rules.systems import SYSTEMS, named

T = TypeVar("T")

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


@dataclass(frozen=True)
class Progress:
    """How many reporting places have returns at a stage: voting places where the store
    knows them, electorates otherwise."""

    reported: int
    expected: int
    kind: UnitKind


@dataclass(frozen=True)
class PlaceCount:
    """Candidate votes counted at one voting place or special-vote batch, by count type."""

    unit: str
    kind: UnitKind
    count_type: str
    valid: int
    informal: int


class Details(Protocol):
    """The finer figures behind a tally, read only when asked for: each unit's part of a
    contest, the count's progress, each electorate's share of places reported."""

    def parts(self, code: str) -> list[ContestPart]:
        """Every unit's latest return for contest ``code`` at the tally's stage."""
        ...

    def progress(self) -> Progress:
        """Reporting places with returns at the tally's stage."""
        ...

    def counted_shares(self) -> dict[int, float]:
        """Each electorate's share of its voting places with a return."""
        ...

    def has_place_returns(self) -> bool:
        """Whether any candidate votes are stored below the electorate."""
        ...

    def standing(self) -> dict[int, tuple[tuple[str, str], ...]]:
        """Each electorate's general-election candidates: (name, party), in order."""
        ...


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
    cancelled_polls: frozenset[int] = frozenset()
    """electorates whose candidate poll was cancelled (Port Waikato 2023): party votes,
    no candidate result"""
    regions: dict[str, Region] = field(default_factory=dict)
    """by name, the regions the law apportions by (German Länder; none for New Zealand)"""
    replaced: frozenset[int] = frozenset()
    """electorates whose candidate vote at this stage (a recount, a by-election) replaces
    the official count's"""
    general: ElectionTally | None = field(default=None, repr=False, compare=False)
    """at a by-election stage, the general election's official count the by-elections
    fill (see :meth:`seats`)"""
    details: Details | None = field(default=None, repr=False, compare=False)
    """where the finer figures come from (see :meth:`parts`); ``None`` for a tally made
    from figures alone"""
    _found: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)

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

    def standing(self) -> dict[int, tuple[tuple[str, str], ...]]:
        """Each electorate's general-election candidates as the store defines them (name,
        party), whether or not this stage's returns count them; read when first asked for
        (none for a tally made from figures alone)."""
        if self.details is None:
            return {}
        return self._detail("standing", lambda d: d.standing())

    def missing_candidates(self) -> dict[int, list[tuple[str, str]]]:
        """Electorates whose returns at this stage count some of their candidates and
        leave others out, with the (name, party) of those left out: their votes are
        unknown, not zero (the 2020 election-night file lacks 112 of 601 candidates)."""
        standing = self.standing()
        missing = {
            number: [c for c in standing.get(number, ()) if c[0] not in contest.counts]
            for number, contest in sorted(self.candidates.items())
            # a by-election's candidates are its own: not the general election's roster
            if contest.counts and not (self.stage is Stage.BY_ELECTION and number in self.replaced)
        }
        return {number: found for number, found in missing.items() if found}

    def outcomes(self) -> dict[int, ElectorateOutcome]:
        """Each electorate's winner and majority, for electorates with candidate votes."""
        return {
            number: decide_electorate(contest.counts, contest.informal)
            for number, contest in sorted(self.candidates.items())
            if contest.counts
        }

    def seats(self, lot: random.Random | None = None) -> MMPResult:
        """The House by the election's rule set from the party votes and electorate
        winners; at a by-election stage, the general election's House with each
        by-election's winner in their electorate (:mod:`tallyroom.rules.byelection`)."""
        if self.stage is Stage.BY_ELECTION and self.general is not None:
            return self._after_by_elections(self.general, lot)
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
        return _named_list_members(self, result) if self.party_lists else result

    def _after_by_elections(self, general: ElectionTally, lot: random.Random | None) -> MMPResult:
        before, after = general.outcomes(), self.outcomes()
        ballot = set(general.party_votes())

        def party(counted: ElectionTally, number: int, winner: str | None) -> str:
            found = counted.candidates[number].party_of.get(winner or "", "")
            return found if found in ballot else ""

        changes = [
            byelection.SeatChange(
                self.electorate_name(number),
                party(general, number, before[number].winner) if number in before else None,
                party(self, number, after[number].winner),
            )
            for number in sorted(self.replaced)
            if number in after
        ]
        result = byelection.fill(general.seats(lot), changes)
        # a member whose seat a by-election filled has left the House: not a list MP either
        gone = [
            (w, general.candidates[n].party_of.get(w, ""))
            for n in self.replaced
            if n in before and (w := before[n].winner or "")
        ]
        return _named_list_members(self, result, gone) if self.party_lists else result

    def region_votes(self) -> dict[str, dict[str, int]]:
        """Party votes summed per region (Land), every stored region listed."""
        votes: dict[str, dict[str, int]] = {name: {} for name in self.regions}
        for number, contest in self.party_by_electorate.items():
            region = votes.setdefault(self.electorates[number].region, {})
            for party, n in contest.counts.items():
                region[party] = region.get(party, 0) + n
        return votes

    def regional_seats(self, lot: random.Random | None = None) -> pipeline_engine.RegionalResult:
        """The House by the election's step pipeline from each region's party votes and
        each electorate's winner. A winner whose candidate has no party, or a party with
        no list votes, is an independent; electorates without a result take no part."""
        votes = self.region_votes()
        listed = {party for region in votes.values() for party, n in region.items() if n}
        districts = []
        for number, contest in sorted(self.candidates.items()):
            if not contest.counts:
                continue
            electorate = self.electorates[number]
            outcome = decide_electorate(contest.counts, contest.informal, lot=lot)
            if outcome.winner is None:
                raise pipeline_engine.UndecidedTieError(
                    f"{electorate.name}: first place tied between {', '.join(outcome.tied)}"
                )
            party = contest.party_of.get(outcome.winner, "")
            districts.append(
                pipeline_engine.District(
                    district_label(number, electorate.name),
                    electorate.region,
                    party if party in listed else None,
                    contest.counts[outcome.winner],
                    contest.valid,
                )
            )
        regions = [
            pipeline_engine.Region(
                name, votes[name], self.regions[name].population if name in self.regions else None
            )
            for name in sorted(votes)
        ]
        return pipeline_engine.run_pipeline(pipeline_named(self.rules), regions, districts, lot=lot)

    def vacant_electorates(self) -> list[str]:
        """Electorates with no candidate result (a poll cancelled, or not counted yet)."""
        outcomes = self.outcomes()
        return [e.name for n, e in sorted(self.electorates.items()) if n not in outcomes]

    # -- the finer figures, read once each ------------------------------------------

    def parts(self, code: str) -> list[ContestPart]:
        """Every unit's latest return for contest ``code`` at this stage (for a recount:
        the official returns of the electorates not recounted, and the recount's)."""
        return self._detail(("parts", code), lambda d: d.parts(code))

    def progress(self) -> Progress:
        """How many reporting places have returns at this stage (at a by-election stage,
        the electorates it fills, each complete: it adds to a finished count)."""
        if self.stage is Stage.BY_ELECTION:
            return Progress(len(self.replaced), len(self.replaced), UnitKind.ELECTORATE)
        return self._detail("progress", lambda d: d.progress())

    def counted_shares(self) -> dict[int, float]:
        """Each electorate's share of its voting places with a return at this stage (an
        electorate whose places the store does not know: 1 once it has a return, else 0)."""
        return self._detail("shares", lambda d: d.counted_shares())

    def has_place_returns(self) -> bool:
        """Whether any candidate votes at this stage are stored by voting place or
        special-vote batch (the bundled 2020 election has them by electorate only)."""
        return self._detail("place-returns", lambda d: d.has_place_returns())

    def voting_places(self, number: int) -> list[PlaceCount]:
        """Where electorate ``number``'s candidate votes were counted, largest first."""
        places = [
            PlaceCount(p.name, p.kind, p.count_type.value, sum(p.counts.values()), p.informal)
            for p in self.parts(candidate_contest(number))
            if p.kind is not UnitKind.ELECTORATE
        ]
        return sorted(places, key=lambda p: (-p.valid, p.unit))

    def _detail(self, key: Hashable, read: Callable[[Details], T]) -> T:
        if key not in self._found:
            if self.details is None:
                raise NoReturnsError(f"the tally of {self.election} carries no finer figures")
            self._found[key] = read(self.details)
        return self._found[key]  # type: ignore[no-any-return]


def district_label(number: int, name: str) -> str:
    """How a regional result names a district: "277 Rhein-Neckar"."""
    return f"{number} {name}"


def _named_list_members(
    counted: ElectionTally, result: MMPResult, gone: Sequence[tuple[str, str]] = ()
) -> MMPResult:
    """``result`` with each party's list MPs named from its stored list, in rank order,
    skipping candidates who won an electorate (and those ``gone``: (name, party) of members
    who left the House, whose seat a by-election filled). Naming stops at a missing rank: who holds
    it is unknown, so the seats from there on are counted as ``list_short``."""
    winners: dict[str, tuple[str, str]] = {}  # electorate name → (winner, party)
    for number, outcome in counted.outcomes().items():
        contest = counted.candidates[number]
        winner = outcome.winner or ""
        winners[counted.electorates[number].name] = (winner, contest.party_of.get(winner, ""))
    by_party: dict[str, list[str]] = defaultdict(list)
    for winner, party in winners.values():
        by_party[party].append(winner)

    def won_electorate(c: ListCandidate) -> bool:
        if any(party == c.party and same_surname(c.name, name) for name, party in gone):
            return True
        if c.electorate in winners:
            # A party stands one candidate in an electorate, so party and electorate name
            # the person; their given names may differ ("Penny", "Penelope").
            winner, party = winners[c.electorate]
            return party == c.party and same_surname(c.name, winner)
        return any(same_person(c.name, w) for w in by_party.get(c.party, []))

    parties = []
    for p in result.parties:
        stored = counted.party_lists.get(p.party)
        if stored is None:
            parties.append(p)
            continue
        names: list[str] = []
        for expected, c in enumerate(stored, start=1):
            if len(names) == p.list_seats or c.rank != expected:
                break
            if not won_electorate(c):
                names.append(c.name)
        parties.append(replace(p, list_members=tuple(names), list_short=p.list_seats - len(names)))
    return replace(result, parties=tuple(parties))


# -- building a tally from summed rows ------------------------------------------------


@dataclass(frozen=True)
class SummedRow:
    """Votes (or informal votes) of one contest summed over one kind of unit of one
    electorate at one stage; ``choice``/``party`` are empty for informal rows."""

    code: str
    kind: str
    name: str
    electorate: int | None
    """the contest's electorate (``None`` for a nationwide contest)"""
    unit_electorate: int | None
    unit_kind: str
    stage: str
    votes: int
    choice: str = ""
    party: str = ""

    @property
    def place(self) -> tuple[str, int | None]:
        """The contest and the electorate its votes belong to."""
        return self.code, self.electorate if self.electorate is not None else self.unit_electorate

    @property
    def level(self) -> int:
        """How detailed the unit is: nation, electorate, or below."""
        return _LEVEL.get(UnitKind(self.unit_kind), _DETAIL)


def counted_stages(stage: Stage) -> list[str]:
    """The stages whose returns a tally at ``stage`` reads (a recount builds on official)."""
    return [Stage.OFFICIAL.value, stage.value] if stage.builds_on_official else [stage.value]


def assemble(
    heading: ElectionTally, informal_rows: Sequence[SummedRow], vote_rows: Sequence[SummedRow]
) -> ElectionTally:
    """``heading`` (an election's records at one stage, no votes yet) with the votes of
    ``vote_rows`` and informal votes of ``informal_rows``: for each contest and electorate
    only the finest level reported, a recount's returns in place of the official ones."""
    stage = heading.stage
    if not any(row.stage == stage.value for row in informal_rows):
        raise NoReturnsError(f"election {heading.election!r} has no returns at the {stage} stage")
    informal_rows = _overlaid(informal_rows, stage)
    vote_rows = _overlaid(vote_rows, stage)
    finest: dict[tuple[str, int | None], int] = {}
    for row in informal_rows:
        finest[row.place] = max(finest.get(row.place, 0), row.level)
    contests: dict[tuple[str, int | None], ContestTally] = {}
    for row in informal_rows:
        if row.level != finest[row.place]:
            continue
        code, number = row.place
        contest = contests.setdefault(
            (code, number), ContestTally(code, ContestKind(row.kind), row.name, number)
        )
        contest.informal += row.votes
    for row in vote_rows:
        if row.level != finest[row.place]:
            continue
        contest = contests[row.place]
        contest.counts[row.choice] = contest.counts.get(row.choice, 0) + row.votes
        contest.party_of[row.choice] = row.party
    by_kind: dict[ContestKind, dict[Any, ContestTally]] = defaultdict(dict)
    for (code, number), contest in contests.items():
        key = code if contest.kind is ContestKind.REFERENDUM else number
        if contest.kind is ContestKind.REFERENDUM and key in by_kind[contest.kind]:
            _merge(by_kind[contest.kind][key], contest)
        else:
            by_kind[contest.kind][key] = contest
    replaced = frozenset(
        number
        for row in informal_rows
        if stage.builds_on_official
        and row.stage == stage.value
        and row.kind == ContestKind.CANDIDATE.value
        for number in [row.place[1]]
        if number is not None
    )
    return replace(
        heading,
        replaced=replaced,
        party_by_electorate=by_kind[ContestKind.PARTY],
        candidates=by_kind[ContestKind.CANDIDATE],
        referendums=by_kind[ContestKind.REFERENDUM],
    )


def _overlaid(rows: Sequence[SummedRow], stage: Stage) -> Sequence[SummedRow]:
    """``rows`` without the official rows of places that have recount (or by-election)
    rows."""
    if not stage.builds_on_official:
        return rows
    recounted = {row.place for row in rows if row.stage == stage.value}
    return [row for row in rows if row.stage == stage.value or row.place not in recounted]


def _merge(into: ContestTally, other: ContestTally) -> None:
    """Add ``other``'s counts to ``into`` (a referendum's per-electorate parts)."""
    for choice, votes in other.counts.items():
        into.counts[choice] = into.counts.get(choice, 0) + votes
    into.informal += other.informal
    into.electorate = None


@dataclass(frozen=True)
class PartRow:
    """One counted choice of one return, as the parts query reads it."""

    return_id: int
    unit: str
    unit_kind: str
    unit_name: str
    electorate: int | None
    count_type: str
    informal: int
    stage: str
    choice: str
    party: str
    votes: int


def parts_from(rows: Iterable[PartRow], stage: Stage) -> list[ContestPart]:
    """Each return's part from its choice rows (ordered by return), a recount's parts in
    place of the official parts of the electorates it covers."""
    parts: dict[int, ContestPart] = {}
    recounted: set[int | None] = set()  # electorates with recount returns
    official: dict[int, int | None] = {}  # official parts a recount may replace
    for row in rows:
        part = parts.get(row.return_id)
        if part is None:
            if row.stage != stage.value:
                official[row.return_id] = row.electorate
            else:
                recounted.add(row.electorate)
            part = parts[row.return_id] = ContestPart(
                row.unit,
                UnitKind(row.unit_kind),
                row.unit_name,
                row.electorate,
                CountType(row.count_type),
                {},
                row.informal,
                {},
            )
        part.counts[row.choice] = row.votes
        part.party_of[row.choice] = row.party
    return [p for i, p in parts.items() if i not in official or official[i] not in recounted]
