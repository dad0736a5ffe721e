"""Mixed-member proportional seat allocation, New Zealand style (Electoral Act 1993 ss 191-193).

The steps, each driven by a field of the :class:`~tallyroom.rules.systems.RuleSet`:

1. A party qualifies with at least ``threshold`` of all valid party votes, or with at
   least ``electorate_threshold`` electorate seats (s 191(4)).
2. Electorate seats won by independents, by parties not on the party ballot, or by
   parties that do not qualify are taken off the House size; the rest are shared among
   the qualifying parties by the rule set's method (Sainte-Laguë in New Zealand).
3. A party's list seats are its share less the electorates it won. A party that won
   more electorates than its share keeps them (overhang): with the ``keep`` policy every
   other party keeps its share and the House grows; with ``level`` the shared seats grow
   until no party has an overhang.
4. List seats go to list candidates in list order, skipping those elected for an
   electorate. A list that runs out leaves its remaining seats vacant.

Electorates with no result (a poll cancelled, a by-election pending) are vacant seats:
they count for no party, are not taken off the shared seats, and add to the House.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from tallyroom.rules.apportion import Allocation, allocate
from tallyroom.rules.errors import (
    InvalidSeatsError,
    InvalidVotesError,
    UnknownChoiceError,
    require_count,
)
from tallyroom.rules.systems import NZ, OverhangPolicy, RuleSet, TiePolicy

_LEVELLING_LIMIT = 10  # a levelled House never grows beyond this many times its size


@dataclass(frozen=True)
class PartySeats:
    """One party's votes and seats.

    ``list_members`` names the candidates elected from the party's list when a list was
    given (``None`` otherwise); ``list_vacancies`` counts list seats it could not fill.
    ``list_short`` counts list seats left unnamed because the stored list runs short of
    them: a stored list may be incomplete, so this names no one and vacates no seat.
    """

    party: str
    votes: int
    share: float
    qualified: bool
    entitlement: int
    electorate: int
    list_seats: int
    overhang: int
    list_members: tuple[str, ...] | None = None
    list_vacancies: int = 0
    list_short: int = 0

    @property
    def total(self) -> int:
        """Members of Parliament for the party (electorate plus list seats)."""
        return self.electorate + self.list_seats


@dataclass(frozen=True)
class SeatTie:
    """Parties tied for the last ``seats`` shared seats; ``lot_winners`` if a lot was drawn."""

    parties: tuple[str, ...]
    seats: int
    lot_winners: tuple[str, ...] = ()


@dataclass(frozen=True)
class MMPResult:
    """The seat allocation of one MMP election under one rule set.

    ``shared_seats`` is the number shared among qualifying parties by party vote (after
    levelling, if the rule set levels).
    """

    rules: RuleSet
    parties: tuple[PartySeats, ...]
    total_votes: int
    shared_seats: int
    other_electorates: int
    vacant_electorates: int
    ties: tuple[SeatTie, ...] = field(default=())

    @property
    def overhang(self) -> int:
        """Electorate seats beyond their parties' entitlement (extra seats in the House)."""
        return sum(p.overhang for p in self.parties)

    @property
    def list_vacancies(self) -> int:
        """List seats left empty because a party's list ran out."""
        return sum(p.list_vacancies for p in self.parties)

    @property
    def vacant(self) -> int:
        """Seats with nobody in them: vacant electorates and unfilled list seats."""
        return self.vacant_electorates + self.list_vacancies

    @property
    def undecided(self) -> int:
        """Seats still tied between parties (no lot drawn)."""
        return sum(t.seats for t in self.ties if not t.lot_winners)

    @property
    def house_size(self) -> int:
        """Seats in the House: members, other electorates, vacancies and undecided seats."""
        members = sum(p.total for p in self.parties)
        return members + self.other_electorates + self.vacant + self.undecided

    def seats(self) -> dict[str, int]:
        """Total seats per party that holds any, largest first."""
        return {p.party: p.total for p in self.parties if p.total}


def allocate_mmp(
    party_votes: Mapping[str, int],
    electorate_seats: Mapping[str, int] | None = None,
    rules: RuleSet = NZ,
    *,
    other_electorates: int = 0,
    vacant_electorates: int = 0,
    lists: Mapping[str, Sequence[str]] | None = None,
    electorate_members: Collection[str] = (),
    lot: random.Random | None = None,
) -> MMPResult:
    """Allocate the House from party votes and electorate results.

    ``party_votes`` has every party on the party ballot (informal votes excluded).
    ``electorate_seats`` counts electorates won per party on the ballot;
    ``other_electorates`` those won by independents or parties not on the ballot;
    ``vacant_electorates`` those with no result. With ``lists`` (party → candidates in
    list order) and ``electorate_members`` (names of all electorate winners), list MPs are
    named. ``lot`` settles a tie for the last shared seat when the rule set says ties go
    to lot; otherwise ties are reported in :attr:`MMPResult.ties`.
    """
    won = dict(electorate_seats or {})
    _check_inputs(party_votes, won, other_electorates, vacant_electorates)
    total = sum(party_votes.values())
    if total == 0:
        raise InvalidVotesError("no party has any party votes")
    qualified = [p for p in party_votes if _qualifies(party_votes[p], won.get(p, 0), total, rules)]
    unqualified_wins = sum(n for p, n in won.items() if p not in qualified)
    shared = rules.seats - other_electorates - unqualified_wins
    if shared < 0:
        raise InvalidSeatsError(
            f"{other_electorates + unqualified_wins} electorate seats outside the shared "
            f"allocation exceed the House of {rules.seats}"
        )
    draw = lot if rules.ties is TiePolicy.LOT else None
    shared, allocation = _entitlements(party_votes, won, qualified, shared, rules, draw)
    entitlement = dict(zip(qualified, allocation.seats, strict=True))
    members = set(electorate_members)
    parties = [
        _party_seats(party, votes, total, won.get(party, 0), entitlement, lists, members)
        for party, votes in party_votes.items()
    ]
    parties.sort(key=lambda p: (-p.total, -p.votes, p.party))
    return MMPResult(
        rules=rules,
        parties=tuple(parties),
        total_votes=total,
        shared_seats=shared,
        other_electorates=other_electorates,
        vacant_electorates=vacant_electorates,
        ties=_tie(allocation, qualified),
    )


def _entitlements(
    party_votes: Mapping[str, int],
    won: Mapping[str, int],
    qualified: list[str],
    shared: int,
    rules: RuleSet,
    lot: random.Random | None,
) -> tuple[int, Allocation]:
    """The qualified parties' shares of ``shared`` seats; under levelling the shared seats
    grow until no party has won more electorates than it is entitled to. Returns the
    seats shared and their allocation."""
    while True:
        allocation = allocate([party_votes[p] for p in qualified], shared, rules.method, lot=lot)
        short = any(won.get(p, 0) > n for p, n in zip(qualified, allocation.seats, strict=True))
        if rules.overhang is OverhangPolicy.KEEP or not short:
            return shared, allocation
        shared += 1
        if shared > _LEVELLING_LIMIT * rules.seats:
            raise InvalidSeatsError("levelling would enlarge the House beyond ten times its size")


def _tie(allocation: Allocation, qualified: list[str]) -> tuple[SeatTie, ...]:
    """The tie for the last shared seat, by party name, if there was one."""
    if not allocation.tie:
        return ()
    return (
        SeatTie(
            tuple(qualified[i] for i in allocation.tie.parties),
            allocation.tie.seats,
            tuple(qualified[i] for i in allocation.lot_winners),
        ),
    )


def _party_seats(
    party: str,
    votes: int,
    total: int,
    electorate: int,
    entitlement: Mapping[str, int],
    lists: Mapping[str, Sequence[str]] | None,
    electorate_members: Collection[str],
) -> PartySeats:
    """One party's row: entitlement, electorate and list seats, overhang, and its list
    MPs named where ``lists`` gives its list (skipping ``electorate_members``)."""
    entitled = entitlement.get(party, 0)
    list_seats = max(entitled - electorate, 0)
    names, vacancies = None, 0
    if lists is not None and party in lists:
        names = tuple(c for c in lists[party] if c not in electorate_members)[:list_seats]
        vacancies = list_seats - len(names)
    return PartySeats(
        party=party,
        votes=votes,
        share=votes / total,
        qualified=party in entitlement,
        entitlement=entitled,
        electorate=electorate,
        list_seats=list_seats - vacancies,
        overhang=max(electorate - entitled, 0) if party in entitlement else 0,
        list_members=names,
        list_vacancies=vacancies,
    )


def _qualifies(votes: int, electorates: int, total: int, rules: RuleSet) -> bool:
    """s 191(4): at least the threshold share of all party votes, or enough electorates."""
    by_votes = votes * rules.threshold.denominator >= rules.threshold.numerator * total
    by_seats = rules.electorate_threshold is not None and electorates >= rules.electorate_threshold
    return (votes > 0 and by_votes) or by_seats


def _check_inputs(
    party_votes: Mapping[str, int], won: Mapping[str, int], other: int, vacant: int
) -> None:
    for party, votes in party_votes.items():
        require_count(f"party votes for {party!r}", votes)
    for party, seats in won.items():
        if party not in party_votes:
            known = ", ".join(party_votes)
            raise UnknownChoiceError(
                f"electorate seats given for {party!r}, which is not on the party ballot "
                f"(parties: {known}); count independents as other electorates"
            )
        require_count(f"electorate seats for {party!r}", seats)
    require_count("other electorates", other)
    require_count("vacant electorates", vacant)
