"""By-elections: an electorate filled again after the general election.

A by-election does not reallocate the House. The winner takes the electorate for their
party (one more electorate seat for it); the party that held the seat, if any, has one
fewer; a vacant seat (Port Waikato 2023, whose poll was cancelled) is filled, so the
House has one more member. List seats are not recounted: each party keeps the list
seats the general election gave it. If the winner held one of those list seats, it
passes to the next candidate on the party's list who holds no seat; naming the list MPs
(skipping electorate winners) does that once the by-election's winner is among them. A
party whose members now exceed its entitlement has that many overhang seats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from tallyroom.rules.errors import InvalidSeatsError
from tallyroom.rules.mmp import MMPResult, PartySeats


@dataclass(frozen=True)
class SeatChange:
    """One by-election's effect on the House: the party that held the seat (``None``:
    vacant; ``""``: an independent or a party without list votes) and the winner's."""

    electorate: str
    before: str | None
    after: str


def fill(result: MMPResult, changes: Sequence[SeatChange]) -> MMPResult:
    """The House after the by-elections ``changes``, from the general election's
    ``result``."""
    parties = {p.party: p for p in result.parties}
    vacant, other = result.vacant_electorates, result.other_electorates
    for change in changes:
        if change.before is None:
            vacant -= 1
        elif change.before in parties:
            parties[change.before] = _electorates(parties[change.before], -1)
        else:
            other -= 1
        if vacant < 0 or other < 0 or any(p.electorate < 0 for p in parties.values()):
            raise InvalidSeatsError(
                f"{change.electorate}: the by-election fills a seat the House does not have "
                f"({'a vacancy' if change.before is None else change.before or 'an independent'})"
            )
        if change.after in parties:
            parties[change.after] = _electorates(parties[change.after], +1)
        else:
            other += 1
    return replace(
        result,
        parties=tuple(parties.values()),
        vacant_electorates=vacant,
        other_electorates=other,
    )


def _electorates(party: PartySeats, by: int) -> PartySeats:
    """``party`` with ``by`` more electorate seats and its list seats kept."""
    electorate = party.electorate + by
    total = electorate + party.list_seats
    return replace(party, electorate=electorate, overhang=max(0, total - party.entitlement))
